import { EventEmitter } from 'node:events';

export type ChangeOp = 'c' | 'u' | 'd';

export interface ChangedObject {
  type: string;
  id: string;
  op: ChangeOp;
}

const EVERY_ACCOUNT = Symbol('every account');

/** What one committed write changed in one account. */
export interface ChangeEvent {
  accountId: string;
  modseq: number;
  changes: ChangedObject[];
}

/**
 * In-process notifications, published only after the transaction that made the change has
 * committed, so a listener that reads the store always sees the change it was told about.
 */
export class Bus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open SSE stream or IMAP IDLE; thousands are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  subscribe(accountId: string, listener: (event: ChangeEvent) => void): () => void {
    this.emitter.on(accountId, listener);
    return () => this.emitter.off(accountId, listener);
  }

  /** Every account's changes: for background work that follows the whole log (webhooks). */
  subscribeAll(listener: (event: ChangeEvent) => void): () => void {
    this.emitter.on(EVERY_ACCOUNT, listener);
    return () => this.emitter.off(EVERY_ACCOUNT, listener);
  }

  publish(event: ChangeEvent): void {
    this.emitter.emit(event.accountId, event);
    this.emitter.emit(EVERY_ACCOUNT, event);
  }
}

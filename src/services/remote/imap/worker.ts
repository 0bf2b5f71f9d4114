import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { syncPass, type FolderProgress, type PassDeps } from './account-sync.ts';
import { connectImap, describeFailure, type ImapLogin, UpstreamError } from './connect.ts';
import type { ImapSettings } from '../settings.ts';

export interface WorkerHooks {
  /** The settings and password as stored now (they may change between connections). */
  load(): Promise<{ settings: ImapSettings; login: ImapLogin } | null>;
  passStarted(): Promise<void>;
  progress(p: FolderProgress[]): void;
  passDone(): Promise<void>;
  failed(err: UpstreamError): Promise<void>;
}

export interface WorkerOptions {
  /** Longest time between passes over every folder (other folders than INBOX have no IDLE). */
  pollMs: number;
  /** First retry delay after a failure; doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

type Waiter = { resolve: () => void; reject: (err: Error) => void };

/**
 * Keeps one mirrored IMAP account in sync: a pass over all folders, then IDLE on INBOX until
 * something changes there, the poll interval passes or a sync is asked for; on failure the
 * connection is dropped and retried with exponential backoff (longer after a refused login).
 */
export class ImapWorker {
  private stopped = false;
  private wake: (() => void) | null = null;
  private wanted: Waiter[] = [];
  private client: ImapFlow | null = null;
  readonly done: Promise<void>;

  constructor(
    readonly accountId: string,
    private readonly deps: PassDeps,
    private readonly hooks: WorkerHooks,
    private readonly options: WorkerOptions,
    private readonly log?: Logger,
  ) {
    this.done = this.run();
  }

  /** Resolves after the next complete pass, or rejects with the failure that stopped it. */
  syncNow(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.wanted.push({ resolve, reject });
      this.wake?.();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.client?.close();
    await this.done;
    for (const w of this.wanted.splice(0)) w.reject(new Error('sync stopped'));
  }

  private async run(): Promise<void> {
    let delay = this.options.backoffMs;
    while (!this.stopped) {
      try {
        await this.session();
        delay = this.options.backoffMs;
      } catch (err) {
        if (this.stopped) break;
        const failure = err instanceof UpstreamError ? err : describeFailure(err, { host: '?', port: 0, tls: 0 });
        this.log?.warn({ accountId: this.accountId, err: failure.message }, 'mirror sync failed');
        await this.hooks.failed(failure).catch(() => undefined);
        for (const w of this.wanted.splice(0)) w.reject(failure);
        await this.sleep(failure.kind === 'auth' ? Math.max(delay, this.options.maxBackoffMs) : delay);
        delay = Math.min(delay * 2, this.options.maxBackoffMs);
      } finally {
        this.client?.close();
        this.client = null;
      }
    }
  }

  /** One connection: passes until stopped or until the connection fails. */
  private async session(): Promise<void> {
    const loaded = await this.hooks.load();
    if (!loaded) {
      this.stopped = true;
      return;
    }
    const client = await connectImap(loaded.login);
    this.client = client;
    while (!this.stopped) {
      const waiting = this.wanted.splice(0);
      await this.hooks.passStarted();
      try {
        await syncPass(client, this.deps, this.accountId, loaded.settings, (p) => this.hooks.progress(p));
      } catch (err) {
        this.wanted.unshift(...waiting);
        throw describeFailure(err, loaded.login.server);
      }
      await this.hooks.passDone();
      for (const w of waiting) w.resolve();
      if (this.wanted.length) continue;
      await this.idle(client);
    }
  }

  /** IDLE on INBOX until it changes, a sync is wanted, the poll interval passes or the worker stops. */
  private async idle(client: ImapFlow): Promise<void> {
    await client.mailboxOpen('INBOX', { readOnly: true }).catch(() => undefined);
    // stop() or syncNow() may have come while INBOX was opening, when there was no wake-up to call.
    if (this.stopped || !client.usable || this.wanted.length) return;
    let woken!: () => void;
    const changed = new Promise<void>((resolve) => (woken = resolve));
    this.wake = woken;
    const onChange = () => woken();
    for (const event of ['exists', 'expunge', 'flags'] as const) client.on(event, onChange);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const timer = setTimeout(woken, this.options.pollMs);
    const idling = client.usable && client.mailbox ? client.idle().catch(() => undefined) : Promise.resolve();
    try {
      await Promise.race([changed, closed]);
    } finally {
      clearTimeout(timer);
      this.wake = null;
      for (const event of ['exists', 'expunge', 'flags'] as const) client.off(event, onChange);
    }
    if (!client.usable) throw new UpstreamError('the connection to the upstream server closed', 'network');
    // The next command ends the IDLE; idling settles once it has.
    void idling;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

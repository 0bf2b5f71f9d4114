import type { ChangeEvent } from '../../store/bus.ts';
import type { PushSubscriptionRow } from '../../store/db/schema.ts';
import { pushRepo } from '../../store/repos/push.ts';
import type { Store } from '../../store/store.ts';
import type { PushKeys } from './encrypt.ts';
import { pushTypes } from '../mail/changes.ts';
import type { PushSender } from './sender.ts';

export type PushLog = (message: string, err?: unknown) => void;

// Same window as the EventSource stream: a burst of commits becomes one StateChange.
export const COALESCE_MS = 100;
// Consecutive failures after which a subscription stops receiving until the client verifies it again.
const MAX_FAILURES = 5;
// RFC 8620 §7.2: a 429 MUST reduce the push rate; changes during the pause are dropped, the next
// StateChange carries the then-current state, which is all a client needs to resync.
const BACKOFF_MS = 60_000;

// RFC 8620 §7.1 StateChange; every type's state is the account modseq, as in the JMAP layer,
// which services do not import.
const stateChange = (accountId: string, types: string[], modseq: number) => ({
  '@type': 'StateChange',
  changed: { [accountId]: Object.fromEntries([...types].sort().map((t) => [t, String(modseq)])) },
});

interface Pending {
  types: Set<string>;
  modseq: number;
  timer?: NodeJS.Timeout;
  lastFlush: number;
}

/**
 * Sends StateChange pushes: listens to every committed change, keeps those of accounts whose owner
 * has a verified subscription (a subscription covers the owner's whole pool, accounts added later
 * included), coalesces, and POSTs to each such subscription.
 */
export class PushDelivery {
  private unsubscribe: (() => void) | null = null;
  /** Principals with a verified subscription. */
  private readonly watching = new Set<string>();
  /** account → owner, learnt once per account: accounts never change owner. */
  private readonly owners = new Map<string, Promise<string | null>>();
  private readonly pending = new Map<string, Pending>();
  private readonly failures = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();
  private readonly inflight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly send: PushSender,
    private readonly log: PushLog,
  ) {}

  /** Resumes pushing for subscriptions verified before a restart. */
  async start(): Promise<void> {
    for (const principalId of await pushRepo.activePrincipals(this.store.db, Date.now())) this.watch(principalId);
  }

  watch(principalId: string): void {
    if (this.stopped) return;
    this.watching.add(principalId);
    this.unsubscribe ??= this.store.bus.subscribeAll((ev) => void this.route(ev));
  }

  /** Stops pushing for a principal once none of its subscriptions is verified. */
  async release(principalId: string): Promise<void> {
    if ((await pushRepo.activePrincipals(this.store.db, Date.now())).includes(principalId)) return;
    this.watching.delete(principalId);
  }

  private async route(ev: ChangeEvent): Promise<void> {
    let owner = this.owners.get(ev.accountId);
    if (!owner) this.owners.set(ev.accountId, (owner = pushRepo.ownerOf(this.store.db, ev.accountId).catch(() => null)));
    const principalId = await owner;
    if (principalId && this.watching.has(principalId)) this.note(ev);
  }

  /** A changed verification or lifetime gives a failing endpoint a fresh start. */
  reset(subscriptionId: string): void {
    this.failures.delete(subscriptionId);
    this.pausedUntil.delete(subscriptionId);
  }

  /** The PushVerification of RFC 8620 §7.2.2; the only request made before the client verifies. */
  verify(row: PushSubscriptionRow): void {
    this.post(row, { '@type': 'PushVerification', pushSubscriptionId: row.id, verificationCode: row.verification_code }, false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await Promise.allSettled([...this.inflight]);
  }


  private note(ev: ChangeEvent): void {
    if (this.stopped) return;
    let p = this.pending.get(ev.accountId);
    if (!p) this.pending.set(ev.accountId, (p = { types: new Set(), modseq: 0, lastFlush: -Infinity }));
    p.modseq = Math.max(p.modseq, ev.modseq);
    for (const t of pushTypes(ev.changes)) p.types.add(t);
    if (!p.timer) {
      p.timer = setTimeout(() => void this.flush(ev.accountId).catch((err) => this.log('push flush failed', err)), Math.max(0, p.lastFlush + COALESCE_MS - Date.now()));
      p.timer.unref();
    }
  }

  private async flush(accountId: string): Promise<void> {
    const p = this.pending.get(accountId);
    if (!p || this.stopped) return;
    p.timer = undefined;
    p.lastFlush = Date.now();
    const changed = [...p.types];
    p.types.clear();
    const now = Date.now();
    for (const row of await pushRepo.activeFor(this.store.db, accountId, now)) {
      if ((this.pausedUntil.get(row.id) ?? 0) > now) continue;
      const wanted = row.types_json === null ? changed : changed.filter((t) => (JSON.parse(row.types_json!) as string[]).includes(t));
      if (wanted.length > 0) this.post(row, stateChange(accountId, wanted, p.modseq), true);
    }
  }

  private post(row: PushSubscriptionRow, body: unknown, counted: boolean): void {
    const done = this.send(row.url, body, row.keys_json === null ? null : (JSON.parse(row.keys_json) as PushKeys)).then(
      (status) => {
        if (status >= 200 && status < 300) {
          this.failures.delete(row.id);
          return;
        }
        if (status === 429) this.pausedUntil.set(row.id, Date.now() + BACKOFF_MS);
        return this.failed(row, counted, `HTTP ${status}`);
      },
      (err) => this.failed(row, counted, err),
    );
    const tracked = done.catch((err) => this.log('push bookkeeping failed', err)).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  private async failed(row: PushSubscriptionRow, counted: boolean, why: unknown): Promise<void> {
    this.log(`push to subscription ${row.id} failed`, why);
    if (!counted || this.stopped) return;
    const n = (this.failures.get(row.id) ?? 0) + 1;
    this.failures.set(row.id, n);
    if (n < MAX_FAILURES) return;
    this.failures.delete(row.id);
    this.log(`push subscription ${row.id} disabled after ${n} failed deliveries`);
    await pushRepo.disable(this.store.db, row.id);
    await this.release(row.account_id);
  }
}

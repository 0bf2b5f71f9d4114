import type { ChangedObject, ChangeEvent } from '../../store/bus.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import type { Store } from '../../store/store.ts';

/**
 * The JMAP type names a committed change touches, for push. RFC 8621 §1.5 adds EmailDelivery,
 * which changes only when an email is added, so a client can be woken for new mail alone; and
 * an email added or destroyed changes the account's usage, its Quota (RFC 9425).
 */
export function pushTypes(changes: readonly ChangedObject[]): string[] {
  const types = new Set(changes.map((c) => c.type));
  if (changes.some((c) => c.type === 'Email' && c.op === 'c')) types.add('EmailDelivery');
  if (changes.some((c) => c.type === 'Email' && c.op !== 'u')) types.add('Quota');
  return [...types];
}

export interface ChangeBatch {
  /** The modseq reached after these changes; resume from it. */
  modseq: number;
  events: ChangeEvent[];
  /** True when the log no longer reaches back to the requested point: the client must resync fully. */
  truncated: boolean;
}

export interface ObjectChanges {
  oldState: number;
  newState: number;
  hasMoreChanges: boolean;
  created: string[];
  updated: string[];
  destroyed: string[];
}

/**
 * The read side of the change log: what changed in an account since a modseq, and live
 * notifications after that. Feeds REST's update stream now, JMAP and IMAP later.
 */
export class ChangeFeed {
  constructor(private readonly store: Store) {}

  async current(accountId: string): Promise<number> {
    return (await repo.account(this.store.db, accountId))?.modseq ?? 0;
  }

  /** The current modseq of each account, in one query (an account pool's stream position). */
  async positions(accountIds: readonly string[]): Promise<Map<string, number>> {
    return new Map((await repo.modseqs(this.store.db, accountIds)).map((a) => [a.id, Number(a.modseq)]));
  }

  async since(accountId: string, modseq: number, limit = 1000): Promise<ChangeBatch> {
    const oldest = await repo.oldestChange(this.store.db, accountId);
    const current = await this.current(accountId);
    // Changes at or below `modseq` are known to the client; if the oldest retained one is
    // beyond modseq+1, something in between was compacted away.
    const truncated = oldest !== undefined ? Number(oldest.modseq) > modseq + 1 : current > modseq;
    if (truncated) return { modseq: current, events: [], truncated };
    const rows = await repo.recentChanges(this.store.db, accountId, modseq, limit);
    const events: ChangeEvent[] = [];
    for (const r of rows) {
      let ev = events[events.length - 1];
      if (!ev || ev.modseq !== r.modseq) {
        ev = { accountId, modseq: r.modseq, changes: [] };
        events.push(ev);
      }
      ev.changes.push({ type: r.type, id: r.object_id, op: r.op });
    }
    // A page cut inside one modseq would lose its tail: drop the partial last group.
    if (rows.length === limit && events.length > 1) events.pop();
    return { modseq: events.length ? events[events.length - 1].modseq : modseq, events, truncated: false };
  }

  /**
   * JMAP-style changes of one object type since a modseq (RFC 8620 §5.2): ids created, updated
   * and destroyed, each at most once. Returns null when the log no longer reaches back that far
   * (the caller answers cannotCalculateChanges).
   */
  async changesOf(accountId: string, type: string, since: number, maxChanges: number): Promise<ObjectChanges | null> {
    const batch = await this.since(accountId, since, 100_000);
    if (batch.truncated) return null;
    const current = await this.current(accountId);
    // Net effect per id over the window: created-then-destroyed is 'gone' (never reported).
    const net = new Map<string, 'c' | 'u' | 'd' | 'gone'>();
    let reached = since;
    let hasMore = false;
    for (const ev of batch.events) {
      const mine = ev.changes.filter((c) => c.type === type);
      const fresh = mine.filter((c) => !net.has(c.id)).length;
      if (net.size > 0 && net.size + fresh > maxChanges) {
        hasMore = true;
        break;
      }
      for (const c of mine) {
        const prev = net.get(c.id);
        if (prev === undefined || prev === 'u') net.set(c.id, c.op);
        else if (prev === 'c' && c.op === 'd') net.set(c.id, 'gone');
      }
      reached = ev.modseq;
    }
    const out: ObjectChanges = { oldState: since, newState: hasMore ? reached : current, hasMoreChanges: hasMore, created: [], updated: [], destroyed: [] };
    for (const [id, op] of net) {
      if (op === 'c') out.created.push(id);
      else if (op === 'u') out.updated.push(id);
      else if (op === 'd') out.destroyed.push(id);
    }
    return out;
  }

  subscribe(accountId: string, listener: (event: ChangeEvent) => void): () => void {
    return this.store.bus.subscribe(accountId, listener);
  }

  /** Drops log entries older than the retention horizon (DESIGN.md §2). */
  async compact(retentionDays: number): Promise<number> {
    const res = await repo.pruneChanges(this.store.db, Date.now() - retentionDays * 86400_000);
    return Number(res.numDeletedRows);
  }
}

import type { ChangedObject, ChangeEvent, ChangeOp } from '../../store/bus.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import type { Store } from '../../store/store.ts';
import { VISIBILITY } from './visibility.ts';

/**
 * The JMAP type names a committed change touches, for push. RFC 8621 §1.5 adds EmailDelivery,
 * which changes only when an email is added, so a client can be woken for new mail alone; and
 * an email added or destroyed changes the account's usage, its Quota (RFC 9425).
 */
export function pushTypes(changes: readonly ChangedObject[]): string[] {
  const types = new Set(changes.filter((c) => c.type !== VISIBILITY).map((c) => c.type));
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

/** What the changes of one object since the old state amount to: 'gone' if it came and went. */
type NetOp = ChangeOp | 'gone';

function fold(prev: NetOp | undefined, op: NetOp): NetOp {
  if (prev === undefined || prev === 'u') return op;
  if (prev === 'c') return op === 'd' ? 'gone' : 'c';
  // Only an email can come back: hidden from JMAP (or created hidden), then shown again.
  if (op === 'c') return prev === 'd' ? 'u' : 'c';
  return prev;
}

/** What one logged write did to each object of a type; for Email, as JMAP sees it (ADR 0015). */
function opsOf(changes: readonly ChangedObject[], type: string): Map<string, NetOp> {
  const ops = new Map<string, NetOp>();
  for (const c of changes) if (c.type === type) ops.set(c.id, c.op);
  if (type !== 'Email') return ops;
  for (const c of changes) {
    if (c.type !== VISIBILITY) continue;
    const own = ops.get(c.id);
    // Destroyed wins; created hidden was never seen; an update is the email appearing or disappearing.
    ops.set(c.id, own === 'd' ? 'd' : own === 'c' ? (c.op === 'd' ? 'gone' : 'c') : c.op);
  }
  return ops;
}

/** The log's entries for JMAP's Email/changes alone are no other reader's business. */
const published = (ev: ChangeEvent): ChangeEvent =>
  ev.changes.some((c) => c.type === VISIBILITY) ? { ...ev, changes: ev.changes.filter((c) => c.type !== VISIBILITY) } : ev;

/**
 * The read side of the change log: what changed in an account since a modseq, and live
 * notifications after that. Feeds REST's update stream, JMAP's /changes and push, IMAP's IDLE.
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
    const batch = await this.log(accountId, modseq, limit);
    return { ...batch, events: batch.events.map(published) };
  }

  private async log(accountId: string, modseq: number, limit: number): Promise<ChangeBatch> {
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
   * (the caller answers cannotCalculateChanges). Emails carrying $deleted, and threads with
   * nothing else, do not exist for JMAP (RFC 8621 §4.1.1): they are destroyed when hidden,
   * created when shown again, and not reported while they stay hidden.
   */
  async changesOf(accountId: string, type: string, since: number, maxChanges: number): Promise<ObjectChanges | null> {
    const batch = await this.log(accountId, since, 100_000);
    if (batch.truncated) return null;
    const current = await this.current(accountId);
    // Net effect per id over the window: created-then-destroyed is 'gone' (never reported).
    const net = new Map<string, NetOp>();
    let reached = since;
    let hasMore = false;
    for (const ev of batch.events) {
      const mine = opsOf(ev.changes, type);
      const fresh = [...mine.keys()].filter((id) => !net.has(id)).length;
      if (net.size > 0 && net.size + fresh > maxChanges) {
        hasMore = true;
        break;
      }
      for (const [id, op] of mine) net.set(id, fold(net.get(id), op));
      reached = ev.modseq;
    }
    await this.settleHidden(accountId, type, net);
    const out: ObjectChanges = { oldState: since, newState: hasMore ? reached : current, hasMoreChanges: hasMore, created: [], updated: [], destroyed: [] };
    for (const [id, op] of net) {
      if (op === 'c') out.created.push(id);
      else if (op === 'u') out.updated.push(id);
      else if (op === 'd') out.destroyed.push(id);
    }
    return out;
  }

  /**
   * What the log cannot tell: an email updated while it carried $deleted throughout, or a thread
   * left with only such emails. Updates of the first are not reported; the second is destroyed.
   */
  private async settleHidden(accountId: string, type: string, net: Map<string, NetOp>): Promise<void> {
    const ids = (ops: NetOp[]) => [...net].filter(([, op]) => ops.includes(op)).map(([id]) => id);
    if (type === 'Email') {
      for (const id of await inChunks(ids(['u']), (chunk) => repo.deletedAmong(this.store.db, accountId, chunk))) net.delete(id);
    } else if (type === 'Thread') {
      const candidates = ids(['c', 'u']);
      const shown = new Set(await inChunks(candidates, (chunk) => repo.threadsWithVisibleEmails(this.store.db, accountId, chunk)));
      for (const id of candidates) if (!shown.has(id)) net.set(id, net.get(id) === 'c' ? 'gone' : 'd');
    }
  }

  subscribe(accountId: string, listener: (event: ChangeEvent) => void): () => void {
    return this.store.bus.subscribe(accountId, (ev) => listener(published(ev)));
  }

  /** Drops log entries older than the retention horizon (DESIGN.md §2). */
  async compact(retentionDays: number): Promise<number> {
    const res = await repo.pruneChanges(this.store.db, Date.now() - retentionDays * 86400_000);
    return Number(res.numDeletedRows);
  }
}

/** A lookup by id list, in statements of at most 1000 ids. */
async function inChunks(ids: string[], lookup: (chunk: string[]) => Promise<string[]>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += 1000) out.push(...(await lookup(ids.slice(i, i + 1000))));
  return out;
}

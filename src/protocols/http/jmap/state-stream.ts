import { pushTypes, type ChangeFeed } from '../../../services/mail/changes.ts';
import type { ChangeEvent } from '../../../store/bus.ts';
import { stateChange, type StateChange } from '../../jmap/core/state.ts';
import type { EventSourceParams } from './eventsource-params.ts';

/** Where a stream goes: SSE text for the event source, JSON frames for a WebSocket. */
export interface StateSink {
  /** A StateChange and the position it brings the client to (event id, pushState). */
  state(change: StateChange, position: string): void;
  ping(interval: number): void;
  end(): void;
}

export interface StateStreamOptions extends EventSourceParams {
  /** The principal's account pool, primary first. */
  accountIds: readonly string[];
  /** The position the client resumes from (Last-Event-ID, pushState), as it sent it. */
  resumeFrom: string | null;
  /** Every type this server pushes, for when the log cannot say which changed. */
  allTypes: readonly string[];
  /**
   * StateChanges from elsewhere: proxied accounts, whose states are their upstream's. They go
   * out as they come, with the position unchanged, since no local log records them. Returns stop().
   */
  external?: (emit: (accountId: string, states: Record<string, string>) => void) => Promise<() => void>;
}

// Writes that land close together (a bulk move commits many times) become one StateChange: the
// first change after a quiet spell goes out at once, later ones wait for the window to pass.
export const COALESCE_MS = 100;

/**
 * A position is the modseq reached in each account of the pool. The primary's comes first and
 * bare, the others as accountId:modseq, so a one-account pool's positions are plain modseqs that
 * equal the state strings they announce.
 */
export function formatPosition(accountIds: readonly string[], modseqs: ReadonlyMap<string, number>): string {
  const [primary, ...others] = accountIds;
  return [String(modseqs.get(primary) ?? 0), ...others.map((a) => `${a}:${modseqs.get(a) ?? 0}`)].join(',');
}

/** The modseqs of a position this server sent; null for anything else, which starts afresh. */
export function parsePosition(accountIds: readonly string[], position: string): Map<string, number> | null {
  const [primary, ...others] = position.trim().split(',');
  if (!/^\d{1,15}$/.test(primary)) return null;
  const out = new Map([[accountIds[0], Number(primary)]]);
  for (const part of others) {
    const m = /^([A-Za-z0-9_-]{1,255}):(\d{1,15})$/.exec(part);
    if (!m) return null;
    out.set(m[1], Number(m[2]));
  }
  return out;
}

/** RFC 8620 §7.3 framing: `state` events whose id is the position, and `ping` events. */
export function sseSink(out: { write(chunk: string): void; end(): void }): StateSink {
  return {
    state: (change, position) => out.write(`event: state\nid: ${position}\ndata: ${JSON.stringify(change)}\n\n`),
    ping: (interval) => out.write(`event: ping\ndata: ${JSON.stringify({ interval })}\n\n`),
    end: () => out.end(),
  };
}

/**
 * The StateChanges of every account in a pool (RFC 8620 §7.3, RFC 8887 push), one object naming
 * each account that changed, resumable from the position each carries. Returns stop().
 */
export async function openStateStream(feed: Pick<ChangeFeed, 'positions' | 'since' | 'subscribe'>, sink: StateSink, opts: StateStreamOptions): Promise<() => void> {
  const wanted = (type: string) => opts.types === '*' || opts.types.has(type);
  const known = new Map<string, number>(); // per account, the modseq the client is known to have seen
  const reached = new Map<string, number>(); // per account, the modseq the pending changes bring it to
  const changed = new Map<string, Set<string>>(); // per account, the types to announce
  let stopped = false;
  let coalesce: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;
  let stopExternal: (() => void) | undefined;

  const stop = (end: boolean) => {
    if (stopped) return;
    stopped = true;
    clearTimeout(coalesce);
    clearTimeout(ping);
    unsubscribe();
    stopExternal?.();
    if (end) sink.end();
  };
  // "whenever this time elapses since the previous event was sent": every event restarts the clock.
  const armPing = () => {
    if (opts.ping === 0 || stopped) return;
    clearTimeout(ping);
    ping = setTimeout(() => send(() => sink.ping(opts.ping)), opts.ping * 1000);
  };
  const send = (event: () => void) => {
    if (stopped) return;
    event();
    armPing();
  };
  let lastFlush = -Infinity;
  const flush = () => {
    coalesce = undefined;
    lastFlush = Date.now();
    if (stopped || changed.size === 0) return;
    const change = stateChange([...changed].map(([accountId, types]) => [accountId, types, reached.get(accountId)!]));
    changed.clear();
    for (const [accountId, modseq] of reached) known.set(accountId, modseq);
    send(() => sink.state(change, formatPosition(opts.accountIds, reached)));
    if (opts.closeAfterState) stop(true);
  };
  const note = (ev: ChangeEvent) => {
    if (ev.modseq <= (known.get(ev.accountId) ?? 0)) return;
    reached.set(ev.accountId, Math.max(reached.get(ev.accountId) ?? 0, ev.modseq));
    const types = pushTypes(ev.changes).filter(wanted);
    if (types.length > 0) changed.set(ev.accountId, new Set([...(changed.get(ev.accountId) ?? []), ...types]));
    if (changed.size > 0 && !coalesce && !stopped) coalesce = setTimeout(flush, Math.max(0, lastFlush + COALESCE_MS - Date.now()));
  };

  // Subscribe before reading the current modseqs, so nothing committed in between is missed.
  let catchingUp = true;
  const pending: ChangeEvent[] = [];
  const unsubscribes = opts.accountIds.map((accountId) => feed.subscribe(accountId, (ev) => (catchingUp ? pending.push(ev) : note(ev))));
  const unsubscribe = () => unsubscribes.forEach((u) => u());
  try {
    const current = await feed.positions(opts.accountIds);
    const resume = opts.resumeFrom === null ? null : parsePosition(opts.accountIds, opts.resumeFrom);
    for (const accountId of opts.accountIds) {
      const now = current.get(accountId) ?? 0;
      let at = now;
      const from = resume?.get(accountId);
      // An account the position does not name joined the pool after it was sent: it gets every type.
      if (resume && from !== now) {
        const missed = from !== undefined && from < now ? await typesChangedSince(feed, accountId, from) : null;
        const types = [...(missed?.types ?? opts.allTypes)].filter(wanted);
        if (types.length > 0) changed.set(accountId, new Set(types));
        at = Math.max(now, missed?.reached ?? 0);
      }
      known.set(accountId, at);
      reached.set(accountId, at);
    }
  } catch (err) {
    stop(false);
    throw err;
  }
  catchingUp = false;
  pending.forEach(note);
  if (changed.size > 0) {
    clearTimeout(coalesce);
    flush();
  }
  if (opts.external) {
    const emit = (accountId: string, states: Record<string, string>) => {
      const types = Object.keys(states).filter(wanted).sort();
      if (types.length === 0) return;
      const change: StateChange = { '@type': 'StateChange', changed: { [accountId]: Object.fromEntries(types.map((t) => [t, states[t]])) } };
      send(() => sink.state(change, formatPosition(opts.accountIds, known)));
      if (opts.closeAfterState) stop(true);
    };
    const stopIt = await opts.external(emit);
    if (stopped) stopIt();
    else stopExternal = stopIt;
  }
  armPing();
  return () => stop(false);
}

/** The types changed after `since`, or null when the log no longer reaches back that far. */
async function typesChangedSince(feed: Pick<ChangeFeed, 'since'>, accountId: string, since: number): Promise<{ types: Set<string>; reached: number } | null> {
  const types = new Set<string>();
  let from = since;
  for (;;) {
    const batch = await feed.since(accountId, from);
    if (batch.truncated) return null;
    if (batch.events.length === 0) return { types, reached: from };
    for (const ev of batch.events) for (const t of pushTypes(ev.changes)) types.add(t);
    from = batch.modseq;
  }
}

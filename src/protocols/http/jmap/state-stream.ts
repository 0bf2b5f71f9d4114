import { pushTypes, type ChangeFeed } from '../../../services/mail/changes.ts';
import type { ChangeEvent } from '../../../store/bus.ts';
import { stateChange } from '../../jmap/core/state.ts';
import type { EventSourceParams } from './eventsource-params.ts';

/** Where the stream writes; the HTTP route maps this to the response. */
export interface Sink {
  write(chunk: string): void;
  end(): void;
}

export interface StateStreamOptions extends EventSourceParams {
  accountId: string;
  /** The Last-Event-ID the client resumes from (a modseq this stream family sent), if any. */
  lastEventId: number | null;
  /** Every type this server pushes, for when the log cannot say which changed. */
  allTypes: readonly string[];
}

// Writes that land close together (a bulk move commits many times) become one StateChange: the
// first change after a quiet spell goes out at once, later ones wait for the window to pass.
export const COALESCE_MS = 100;

/**
 * The RFC 8620 §7.3 event stream of one account: `state` events with a StateChange (id = the
 * account modseq, so a reconnect can say what it has seen) and `ping` events. Returns stop().
 */
export async function openStateStream(feed: Pick<ChangeFeed, 'current' | 'since' | 'subscribe'>, sink: Sink, opts: StateStreamOptions): Promise<() => void> {
  const wanted = (type: string) => opts.types === '*' || opts.types.has(type);
  const changed = new Set<string>();
  let known = 0; // the modseq the client is known to have seen
  let reached = 0; // the modseq the pending changes bring it to
  let stopped = false;
  let coalesce: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;

  const stop = (end: boolean) => {
    if (stopped) return;
    stopped = true;
    clearTimeout(coalesce);
    clearTimeout(ping);
    unsubscribe();
    if (end) sink.end();
  };
  // "whenever this time elapses since the previous event was sent": every write restarts the clock.
  const armPing = () => {
    if (opts.ping === 0 || stopped) return;
    clearTimeout(ping);
    ping = setTimeout(() => write(`event: ping\ndata: ${JSON.stringify({ interval: opts.ping })}\n\n`), opts.ping * 1000);
  };
  const write = (chunk: string) => {
    if (stopped) return;
    sink.write(chunk);
    armPing();
  };
  let lastFlush = -Infinity;
  const flush = () => {
    coalesce = undefined;
    lastFlush = Date.now();
    if (stopped || changed.size === 0) return;
    const data = stateChange(opts.accountId, changed, reached);
    changed.clear();
    known = Math.max(known, reached);
    write(`event: state\nid: ${reached}\ndata: ${JSON.stringify(data)}\n\n`);
    if (opts.closeAfterState) stop(true);
  };
  const note = (ev: ChangeEvent) => {
    if (ev.modseq <= known) return;
    reached = Math.max(reached, ev.modseq);
    for (const t of pushTypes(ev.changes)) if (wanted(t)) changed.add(t);
    if (changed.size > 0 && !coalesce && !stopped) coalesce = setTimeout(flush, Math.max(0, lastFlush + COALESCE_MS - Date.now()));
  };

  // Subscribe before reading the current modseq, so nothing committed in between is missed.
  let catchingUp = true;
  const pending: ChangeEvent[] = [];
  const unsubscribe = feed.subscribe(opts.accountId, (ev) => (catchingUp ? pending.push(ev) : note(ev)));
  try {
    const current = await feed.current(opts.accountId);
    known = current;
    reached = current;
    if (opts.lastEventId !== null && opts.lastEventId !== current) {
      const missed = opts.lastEventId < current ? await typesChangedSince(feed, opts.accountId, opts.lastEventId) : null;
      for (const t of missed?.types ?? opts.allTypes) if (wanted(t)) changed.add(t);
      reached = Math.max(current, missed?.reached ?? 0);
      known = reached;
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

import type { SelectedMailbox } from '../../services/imap/selected.ts';
import type { ImapSession } from './session.ts';
import { astring } from './args.ts';
import type { Token } from './reader.ts';
import { ImapError } from './responses.ts';
import { parseSequenceSet, resolve } from './sequence.ts';

/** A UID set as ranges for VANISHED, which names UIDs no longer there: "*" is the last UID ever given out. */
export function uidRanges(s: ImapSession, token: Token | undefined): [number, number][] {
  const set = parseSequenceSet(astring(token));
  return set === '$' ? s.saved.map((u) => [u, u]) : resolve(set, Math.max(1, s.selected!.uidNext - 1));
}

/**
 * The UIDs a command's message set names, ascending: UIDs as given (unknown ones are simply not
 * there), or sequence numbers, which must exist (RFC 9051 §9 seq-number).
 */
export function uidsOf(s: ImapSession, token: Token | undefined, byUid: boolean): number[] {
  const sel: SelectedMailbox = s.selected!;
  const set = parseSequenceSet(astring(token));
  if (set === '$') return s.saved.filter((uid) => sel.seqOf(uid) > 0);
  if (byUid) {
    // Both lists ascending (resolve() sorts and merges): one pass over each.
    const ranges = resolve(set, sel.maxUid);
    const out: number[] = [];
    let r = 0;
    for (let seq = 1; seq <= sel.count; seq++) {
      const uid = sel.uidAt(seq);
      while (r < ranges.length && ranges[r][1] < uid) r++;
      if (r === ranges.length) break;
      if (uid >= ranges[r][0]) out.push(uid);
    }
    return out;
  }
  if (sel.count === 0) throw new ImapError('BAD', 'the mailbox is empty: no message numbers are valid');
  const out: number[] = [];
  for (const [lo, hi] of resolve(set, sel.count)) {
    if (hi > sel.count) throw new ImapError('BAD', `message number ${hi} does not exist (the mailbox has ${sel.count})`);
    for (let seq = lo; seq <= hi; seq++) out.push(sel.uidAt(seq));
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

import { atom, type ImapData } from '../data.ts';
import type { Command } from '../reader.ts';
import { BadCharsetError, parseSearchArgs } from '../search-args.ts';
import { formatSet } from '../sequence.ts';
import { parseSortArgs, parseThreadArgs } from '../sort-args.ts';
import { renderThreads } from '../thread-response.ts';
import type { ThreadNode } from '../../../services/imap/thread.ts';
import type { CommandSpec, ImapSession } from '../session.ts';

const usesModseq = (key: unknown): boolean => JSON.stringify(key).includes('"op":"modseq"');

async function search(s: ImapSession, cmd: Command, byUid: boolean): Promise<void> {
  const sel = s.selected!;
  let args;
  try {
    args = parseSearchArgs(cmd.args);
  } catch (err) {
    // A SEARCH ... SAVE that fails empties the saved result (RFC 5182 §2.1).
    if (err instanceof BadCharsetError && err.returns?.includes('SAVE')) s.saved = [];
    throw err;
  }
  const modseqKey = usesModseq(args.key);
  if (modseqKey) s.enableCondstore();
  const uids = await s.services.imap.mail.search(sel, args.key, s.saved);
  const numbers = byUid ? uids : uids.map((u) => sel.seqOf(u));
  const modseqOf = (list: number[]) => (modseqKey && list.length ? Math.max(...list.map((u) => sel.message(u)?.modseq ?? 0)) : null);
  // IMAP4rev2 answers every SEARCH with ESEARCH, a plain one as RETURN (ALL) (RFC 9051 §6.4.4).
  const returns = args.returns ?? (s.enabled.has('IMAP4REV2') ? ['ALL'] : null);
  if (returns === null) {
    // The highest modseq of the matches, which CONDSTORE adds when MODSEQ was searched (RFC 7162 §3.1.5).
    const top = modseqOf(uids);
    s.untagged(atom('SEARCH'), ...numbers, ...(top !== null ? [[atom('MODSEQ'), top]] : []));
    return;
  }
  const wanted = returns.length === 0 ? ['ALL'] : returns;
  // With MIN or MAX and neither ALL nor COUNT, the answer (and what SAVE keeps, RFC 5182 §2.4)
  // is just those messages; their modseq is the one reported (RFC 4731 §3.2).
  const only = !wanted.includes('ALL') && !wanted.includes('COUNT') && (wanted.includes('MIN') || wanted.includes('MAX'));
  const chosen = only && uids.length ? [...new Set([...(wanted.includes('MIN') ? [uids[0]] : []), ...(wanted.includes('MAX') ? [uids[uids.length - 1]] : [])])] : uids;
  const top = modseqOf(chosen);
  if (wanted.includes('SAVE')) s.saved = chosen;
  if (wanted.length === 1 && wanted[0] === 'SAVE') return;
  const out: ImapData[] = [atom('ESEARCH'), [atom('TAG'), cmd.tag]];
  if (byUid) out.push(atom('UID'));
  if (numbers.length) {
    if (wanted.includes('MIN')) out.push(atom('MIN'), numbers[0]);
    if (wanted.includes('MAX')) out.push(atom('MAX'), numbers[numbers.length - 1]);
    if (wanted.includes('ALL')) out.push(atom('ALL'), atom(formatSet(numbers)));
  }
  if (wanted.includes('COUNT')) out.push(atom('COUNT'), numbers.length);
  if (top !== null) out.push(atom('MODSEQ'), top);
  s.untagged(...out);
}

async function sort(s: ImapSession, cmd: Command, byUid: boolean): Promise<void> {
  const sel = s.selected!;
  const args = parseSortArgs(cmd.args);
  const uids = await s.services.imap.mail.sort(sel, args.criteria, args.key, s.saved);
  s.untagged(atom('SORT'), ...(byUid ? uids : uids.map((u) => sel.seqOf(u))));
}

async function thread(s: ImapSession, cmd: Command, byUid: boolean): Promise<void> {
  const sel = s.selected!;
  const args = parseThreadArgs(cmd.args);
  const roots = await s.services.imap.mail.thread(sel, args.algorithm, args.key, s.saved);
  // Threads of UIDs, renumbered for THREAD by message number (the shape does not change).
  const renumber = (n: ThreadNode): ThreadNode => ({ uid: n.uid === null || byUid ? n.uid : sel.seqOf(n.uid), children: n.children.map(renumber) });
  const text = renderThreads(byUid ? roots : roots.map(renumber));
  s.untaggedLine(`THREAD${text ? ` ${text}` : ''}`);
}

export const searchCommands: Record<string, CommandSpec> = {
  SEARCH: { states: ['selected'], expungeAfter: false, run: (s, cmd) => search(s, cmd, false) },
  'UID SEARCH': { states: ['selected'], expungeAfter: true, run: (s, cmd) => search(s, cmd, true) },
  SORT: { states: ['selected'], expungeAfter: false, run: (s, cmd) => sort(s, cmd, false) },
  'UID SORT': { states: ['selected'], expungeAfter: true, run: (s, cmd) => sort(s, cmd, true) },
  THREAD: { states: ['selected'], expungeAfter: false, run: (s, cmd) => thread(s, cmd, false) },
  'UID THREAD': { states: ['selected'], expungeAfter: true, run: (s, cmd) => thread(s, cmd, true) },
};

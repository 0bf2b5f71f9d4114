import { atom } from '../data.ts';
import { astring, atom as atomArg, list, number, number64 } from '../args.ts';
import { flagAtoms, SYSTEM_FLAGS } from '../keywords.ts';
import { formatSet, parseSequenceSet, resolve } from '../sequence.ts';
import { decodeMailboxName, encodeMailboxName } from '../mailbox-names.ts';
import { ImapError } from '../responses.ts';
import { DELIMITER } from '../../../services/imap/folders.ts';
import { oldName } from './mailboxes.ts';
import type { CommandSpec, Done, ImapSession } from '../session.ts';
import type { Command, Token } from '../reader.ts';

// Changes made on another node do not reach this node's bus: with a shared database IDLE also
// looks this often. One node (SQLite) sees every change on its bus and never polls.
const IDLE_POLL_MS = 5_000;

async function open(s: ImapSession, cmd: Command, readOnly: boolean): Promise<Done> {
  const path = decodeMailboxName(astring(cmd.args[0]), s.utf8);
  const resync = selectParameters(s, cmd.args[1] ? list(cmd.args[1]) : []);
  // A failed SELECT leaves no mailbox selected (RFC 9051 §6.3.2); the client is told (RFC 7162 §3.2.11).
  if (s.selected) s.status('OK', 'previous mailbox closed', 'CLOSED');
  s.unselect();
  const sel = await s.services.imap.mail.open(s.accountId, path, readOnly);
  s.untagged(sel.count, atom('EXISTS'));
  if (!s.enabled.has('IMAP4REV2')) s.untagged(0, atom('RECENT'));
  s.untagged(atom('FLAGS'), SYSTEM_FLAGS.map(atom));
  // Read-only: no flag can be changed for good (RFC 9051 §7.1 PERMANENTFLAGS).
  s.status('OK', readOnly ? 'read-only' : 'flags and keywords can be set', `PERMANENTFLAGS (${readOnly ? '' : [...SYSTEM_FLAGS, '\\*'].join(' ')})`);
  // IMAP4rev1 requires [UNSEEN n] (RFC 3501 §6.3.1); IMAP4rev2 dropped it.
  if (!s.enabled.has('IMAP4REV2')) {
    let seq = 1;
    while (seq <= sel.count && sel.at(seq)!.keywords.includes('$seen')) seq++;
    if (seq <= sel.count) s.status('OK', 'first unseen', `UNSEEN ${seq}`);
  }
  s.status('OK', 'UIDs valid', `UIDVALIDITY ${sel.folder.row.uidvalidity}`);
  s.status('OK', 'next UID', `UIDNEXT ${sel.uidNext}`);
  s.status('OK', 'highest modseq', `HIGHESTMODSEQ ${sel.modseq}`);
  s.status('OK', 'mailbox id', `MAILBOXID (${sel.folder.id})`);
  if (s.enabled.has('IMAP4REV2')) {
    const old = oldName(s, cmd.args[0]);
    s.untagged(atom('LIST'), [], DELIMITER, encodeMailboxName(sel.folder.path, s.utf8), ...(old ? [old] : []));
  }
  s.selected = sel;
  s.state = 'selected';
  if (resync && resync.uidValidity === sel.folder.row.uidvalidity) await catchUp(s, resync);
  return { text: `${readOnly ? 'EXAMINE' : 'SELECT'} completed`, code: readOnly ? 'READ-ONLY' : 'READ-WRITE' };
}

interface Resync {
  uidValidity: number;
  modseq: number;
  known: [number, number][] | null;
  /** Sequence number → UID pairs the client believes (sequence match data), ascending. */
  matches: [number, number][];
}

// Pairs of sequence match data looked at: the client sends a small sample.
const MAX_MATCHES = 10_000;

function expand(set: ReturnType<typeof parseSequenceSet>): number[] {
  const out: number[] = [];
  if (set === '$') return out;
  for (const [lo, hi] of resolve(set, Number.MAX_SAFE_INTEGER)) for (let n = lo; n <= hi && out.length < MAX_MATCHES; n++) out.push(n);
  return out;
}

/** SELECT/EXAMINE parameters: CONDSTORE, and QRESYNC (uidvalidity modseq [known-uids [seq-match]]). */
function selectParameters(s: ImapSession, params: Token[]): Resync | null {
  let resync: Resync | null = null;
  for (let i = 0; i < params.length; i++) {
    const name = atomArg(params[i]).toUpperCase();
    if (name === 'CONDSTORE') s.enabled.add('CONDSTORE');
    else if (name === 'QRESYNC') {
      if (!s.qresync) throw new ImapError('BAD', 'QRESYNC was not enabled');
      const q = list(params[++i]);
      const known = q[2] ? parseSequenceSet(atomArg(q[2])) : null;
      const match = q[3] ? list(q[3]) : [];
      const seqs = match.length === 2 ? expand(parseSequenceSet(atomArg(match[0]))) : [];
      const uids = match.length === 2 ? expand(parseSequenceSet(atomArg(match[1]))) : [];
      resync = {
        uidValidity: number(q[0]),
        modseq: number64(q[1]),
        known: known && known !== '$' ? resolve(known, Number.MAX_SAFE_INTEGER) : null,
        matches: seqs.slice(0, uids.length).map((seq, i) => [seq, uids[i]]),
      };
    } else throw new ImapError('BAD', `unknown SELECT parameter ${name.slice(0, 20)}`);
  }
  return resync;
}

/** QRESYNC's catch-up (RFC 7162 §3.2.5): what vanished, then the flags that changed, since the client's modseq. */
async function catchUp(s: ImapSession, r: Resync): Promise<void> {
  const sel = s.selected!;
  // The highest pair the mailbox still agrees with: the client knows every expunge up to its UID (RFC 7162 §3.2.5.2).
  const floor = r.matches.reduce((best, [seq, uid]) => (sel.at(seq)?.uid === uid ? Math.max(best, uid) : best), 0);
  const gone = (await s.services.imap.mail.vanished(sel, r.modseq, r.known)).filter((uid) => uid > floor);
  if (gone.length) s.untagged(atom('VANISHED'), [atom('EARLIER')], atom(formatSet(gone)));
  const inKnown = (uid: number) => !r.known || r.known.some(([lo, hi]) => uid >= lo && uid <= hi);
  for (const m of sel.messages()) {
    if (m.modseq > r.modseq && inKnown(m.uid)) {
      s.untagged(sel.seqOf(m.uid), atom('FETCH'), [atom('UID'), m.uid, atom('FLAGS'), flagAtoms(m.keywords), atom('MODSEQ'), [m.modseq]]);
    }
  }
}

/** IDLE (RFC 2177): changes are reported as they happen until the client sends DONE. */
async function idle(s: ImapSession): Promise<Done | void> {
  // Armed before the "+" goes out: DONE may arrive right after it.
  const done = s.wire.nextRawLine();
  s.continuation('idling');
  let pending = Promise.resolve();
  const report = () => {
    pending = pending
      .then(async () => {
        const code = await s.report(true);
        if (code) s.status('OK', 'highest modseq', code);
      })
      .catch((err) => s.ctx.logger.warn({ err }, 'imap idle update failed'));
  };
  const stop = s.services.changes.subscribe(s.accountId, report);
  // Anything held back (an expunge seen during a FETCH) is told at once.
  report();
  const poll = s.services.imap.mail.shared ? setInterval(report, IDLE_POLL_MS) : undefined;
  try {
    const line = await done;
    await pending;
    if (line.trim().toUpperCase() !== 'DONE') throw new ImapError('BAD', 'expected DONE');
  } finally {
    stop();
    clearInterval(poll);
  }
  return { text: 'IDLE terminated' };
}

export const selectCommands: Record<string, CommandSpec> = {
  SELECT: { states: ['auth', 'selected'], expungeAfter: true, run: (s, cmd) => open(s, cmd, false) },
  EXAMINE: { states: ['auth', 'selected'], expungeAfter: true, run: (s, cmd) => open(s, cmd, true) },
  CLOSE: {
    states: ['selected'],
    expungeAfter: false,
    async run(s) {
      // CLOSE expunges silently (RFC 9051 §6.4.1), unless the mailbox is read-only.
      if (!s.selected!.readOnly) await s.services.imap.mail.expunge(s.selected!, null);
      s.unselect();
    },
  },
  UNSELECT: {
    states: ['selected'],
    expungeAfter: false,
    async run(s) {
      s.unselect();
    },
  },
  CHECK: { states: ['selected'], expungeAfter: true, async run() {} },
  IDLE: { states: ['auth', 'selected'], expungeAfter: true, run: (s) => idle(s) },
};

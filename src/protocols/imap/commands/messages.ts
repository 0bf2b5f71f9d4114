import type { Folder } from '../../../services/imap/folders.ts';
import { ServiceError } from '../../../services/errors.ts';
import { astring, list } from '../args.ts';
import { atom, type ImapData } from '../data.ts';
import { flag } from '../flags.ts';
import { flagAtoms, keywordsOf } from '../keywords.ts';
import { decodeMailboxName } from '../mailbox-names.ts';
import { uidsOf } from '../message-sets.ts';
import type { Command, Token } from '../reader.ts';
import { ImapError } from '../responses.ts';
import { formatSet } from '../sequence.ts';
import { parseStoreArgs } from '../store-args.ts';
import type { CommandSpec, Done, ImapSession } from '../session.ts';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** APPEND's date-time (RFC 9051 §9): "17-Jul-1996 02:44:25 -0700". */
function parseDateTime(text: string): number {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  const month = m ? MONTHS.indexOf(m[2].toLowerCase()) : -1;
  if (!m || month < 0) throw new ImapError('BAD', `invalid date-time "${text.slice(0, 40)}"`);
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset;
}

/** A COPY/MOVE/APPEND target; a missing one is answered with TRYCREATE (RFC 9051 §6.3.12). */
async function target(s: ImapSession, t: Token | undefined): Promise<Folder> {
  const folder = await s.services.imap.folders.find(s.accountId, decodeMailboxName(astring(t), s.utf8));
  if (!folder) throw new ImapError('NO', 'no such mailbox', 'TRYCREATE');
  return folder;
}

async function store(s: ImapSession, cmd: Command, byUid: boolean): Promise<Done> {
  const sel = s.selected!;
  const uids = uidsOf(s, cmd.args[0], byUid);
  const args = parseStoreArgs(cmd.args.slice(1));
  if (args.unchangedSince !== undefined) s.enableCondstore();
  const { changed, modified } = await s.services.imap.mail.setFlags(sel, uids, { mode: args.mode, keywords: keywordsOf(args.flags), unchangedSince: args.unchangedSince });
  if (!args.silent || s.condstore) {
    for (const c of changed) {
      const items: ImapData[] = [];
      if (!args.silent) items.push(atom('FLAGS'), flagAtoms(c.keywords));
      if (byUid || s.condstore) items.push(atom('UID'), c.uid);
      if (s.condstore) items.push(atom('MODSEQ'), [c.modseq]);
      if (items.length) s.untagged(sel.seqOf(c.uid), atom('FETCH'), items);
    }
  }
  if (modified.length === 0) return {};
  const named = byUid ? modified : modified.map((u) => sel.seqOf(u));
  return { text: 'conditional STORE failed for some messages', code: `MODIFIED ${formatSet(named)}` };
}

async function copyOrMove(s: ImapSession, cmd: Command, byUid: boolean, move: boolean): Promise<Done> {
  const sel = s.selected!;
  const uids = uidsOf(s, cmd.args[0], byUid);
  const to = await target(s, cmd.args[1]);
  if (uids.length === 0) return { text: 'no messages' };
  const placed = move ? await s.services.imap.mail.move(sel, uids, to) : await s.services.imap.mail.copy(sel, uids, to);
  // Both lists ascend together (targets get UIDs in source order), so each compresses on its own.
  const code = `COPYUID ${placed.uidValidity} ${formatSet(placed.pairs.map(([a]) => a))} ${formatSet(placed.pairs.map(([, b]) => b))}`;
  if (!move) return { code };
  // RFC 6851 §4.3: the COPYUID comes before the EXPUNGEs, so it goes untagged.
  s.status('OK', 'moved', code);
  return {};
}

async function append(s: ImapSession, cmd: Command): Promise<Done> {
  const args = cmd.args;
  const to = await target(s, args[0]);
  let i = 1;
  const flags = args[i]?.type === 'list' ? list(args[i++]).map(flag) : [];
  const date = args[i]?.type === 'string' ? parseDateTime(astring(args[i++])) : undefined;
  let message = args[i];
  // RFC 6855 §4: with UTF8=ACCEPT the message may come as UTF8 (literal8).
  if (message?.type === 'atom' && message.value.toUpperCase() === 'UTF8' && args[i + 1]?.type === 'list') message = list(args[++i])[0];
  if (!message || message.type !== 'literal' || args.length > i + 1) throw new ImapError('BAD', 'APPEND takes a mailbox, optional flags and date, and the message as a literal');
  if (message.value.length === 0) throw new ImapError('NO', 'the message is empty');
  try {
    const at = await s.services.imap.mail.append(s.accountId, to.path, message.value, keywordsOf(flags), date);
    return { code: `APPENDUID ${at.uidValidity} ${at.uid}` };
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'tooLarge') throw new ImapError('NO', err.message, 'TOOBIG');
    throw err;
  }
}

export const messageCommands: Record<string, CommandSpec> = {
  STORE: { states: ['selected'], expungeAfter: false, run: (s, cmd) => store(s, cmd, false) },
  'UID STORE': { states: ['selected'], expungeAfter: true, run: (s, cmd) => store(s, cmd, true) },
  COPY: { states: ['selected'], expungeAfter: true, run: (s, cmd) => copyOrMove(s, cmd, false, false) },
  'UID COPY': { states: ['selected'], expungeAfter: true, run: (s, cmd) => copyOrMove(s, cmd, true, false) },
  MOVE: { states: ['selected'], expungeAfter: true, run: (s, cmd) => copyOrMove(s, cmd, false, true) },
  'UID MOVE': { states: ['selected'], expungeAfter: true, run: (s, cmd) => copyOrMove(s, cmd, true, true) },
  EXPUNGE: {
    states: ['selected'],
    expungeAfter: true,
    async run(s) {
      await s.services.imap.mail.expunge(s.selected!, null);
    },
  },
  'UID EXPUNGE': {
    states: ['selected'],
    expungeAfter: true,
    async run(s, cmd) {
      await s.services.imap.mail.expunge(s.selected!, uidsOf(s, cmd.args[0], true));
    },
  },
  APPEND: { states: ['auth', 'selected'], expungeAfter: true, run: append },
};

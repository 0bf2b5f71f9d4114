import type { FetchRow, Lease } from '../../../services/imap/mail.ts';
import { findPart } from '../../../mime/parts.ts';
import type { Envelope } from '../../../mime/envelope.ts';
import type { MimePart } from '../../../mime/types.ts';
import { parseKeywords } from '../../../services/mail/keywords.ts';
import { binaryBody } from '../binary.ts';
import { atom, type ImapData } from '../data.ts';
import { parseFetchArgs, type FetchItem } from '../fetch-args.ts';
import { flagAtoms } from '../keywords.ts';
import { uidRanges, uidsOf } from '../message-sets.ts';
import type { Command } from '../reader.ts';
import { bodyStructure } from '../render/bodystructure.ts';
import { envelope } from '../render/envelope.ts';
import { ImapError } from '../responses.ts';
import { sectionBytes } from '../sections.ts';
import { formatSet } from '../sequence.ts';
import type { CommandSpec, ImapSession } from '../session.ts';
import { readStructure } from '../../../mime/stored-structure.ts';
import { awaitedLater } from '../../../util/later.ts';

// Messages read per round; each round's responses go out together, and the next round waits
// until the client has taken them, so FETCH 1:* on a big mailbox holds one round in memory:
// fewer when message contents are part of it.
const CHUNK = 500;
const CHUNK_WITH_CONTENTS = 250;
// Whole messages held at once by one FETCH: 100 big messages must not mean gigabytes.
const ROUND_BYTES = 4 * 1024 * 1024;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** date-time of RFC 9051 §9, in UTC: "17-Jul-1996 09:44:25 +0000". */
export function internalDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

// Items read from the stored message (and its MIME structure); the rest come from the email's row.
const needsRaw = (i: FetchItem) => ['bodystructure', 'body', 'binary', 'binary.size', 'rfc822', 'rfc822.header', 'rfc822.text'].includes(i.kind);
// Items that are the whole message as stored: no MIME structure needed.
const wholeMessage = (i: FetchItem) =>
  i.kind === 'rfc822' || ((i.kind === 'binary' || i.kind === 'binary.size') && i.part.length === 0) || (i.kind === 'body' && i.section.part.length === 0 && !i.section.text);
// Items answered from the top-level header block alone.
const headerOnly = (i: FetchItem) => i.kind === 'rfc822.header' || (i.kind === 'body' && i.section.part.length === 0 && (i.section.text ?? '').startsWith('HEADER'));
// Reading these sets \Seen (RFC 9051 §6.4.5); .PEEK and RFC822.HEADER do not.
const setsSeen = (i: FetchItem) => ((i.kind === 'body' || i.kind === 'binary') && !i.peek) || i.kind === 'rfc822' || i.kind === 'rfc822.text';

function partial(bytes: Buffer, p: { start: number; length: number } | undefined): Buffer {
  return p ? bytes.subarray(p.start, p.start + p.length) : bytes;
}

/**
 * Message text outside BINARY[] may not carry NUL (RFC 9051 §4.3): each becomes 0x80, as Dovecot
 * does. The stored bytes are unchanged, and BINARY.PEEK[] returns them exactly.
 */
function textual(bytes: Buffer): Buffer {
  if (!bytes.includes(0)) return bytes;
  const copy = Buffer.from(bytes);
  for (let i = copy.indexOf(0); i >= 0; i = copy.indexOf(0, i + 1)) copy[i] = 0x80;
  return copy;
}

/** BINARY[part]: the content with its transfer encoding removed; the whole message as stored. */
function binaryContent(raw: Buffer, structure: () => MimePart, part: number[]): Buffer {
  if (part.length === 0) return raw;
  const p = findPart(structure(), part.join('.'));
  if (!p) throw new ImapError('NO', `there is no part ${part.join('.')}`, 'NONEXISTENT');
  if (!['7bit', '8bit', 'binary', 'base64', 'quoted-printable'].includes(p.encoding)) throw new ImapError('NO', `cannot decode ${p.encoding}`, 'UNKNOWN-CTE');
  return binaryBody(raw, p);
}

function storedEnvelope(row: FetchRow): ImapData {
  // Kept for every email since ingest did; one without is one whose message could not be read.
  if (!row.envelope) throw new ImapError('NO', `message ${row.uid} cannot be read`, 'UNAVAILABLE');
  return envelope(JSON.parse(row.envelope) as Envelope);
}

function render(items: FetchItem[], row: FetchRow, raw: Buffer | null): ImapData[] {
  const out: ImapData[] = [];
  // Read only for items that need it: BODY[] of whole messages does not.
  let root: MimePart | null = null;
  const structure = () => (root ??= readStructure(row.structure!));
  for (const item of items) {
    switch (item.kind) {
      case 'uid':
        out.push(atom('UID'), row.uid);
        break;
      case 'flags':
        out.push(atom('FLAGS'), flagAtoms(parseKeywords(row.keywords)));
        break;
      case 'internaldate':
        out.push(atom('INTERNALDATE'), internalDate(row.received_at));
        break;
      case 'rfc822.size':
        out.push(atom('RFC822.SIZE'), row.size);
        break;
      case 'envelope':
        out.push(atom('ENVELOPE'), storedEnvelope(row));
        break;
      case 'bodystructure':
        out.push(atom(item.extended ? 'BODYSTRUCTURE' : 'BODY'), bodyStructure(raw!, structure(), item.extended));
        break;
      case 'body': {
        const bytes = wholeMessage(item) ? raw! : sectionBytes(raw!, structure(), item.section);
        out.push(atom(item.name), bytes === null ? null : textual(partial(bytes, item.partial)));
        break;
      }
      case 'binary': {
        const bytes = partial(binaryContent(raw!, structure, item.part), item.partial);
        out.push(atom(item.name), bytes.includes(0) ? { binary: bytes } : bytes);
        break;
      }
      case 'binary.size':
        out.push(atom(item.name), binaryContent(raw!, structure, item.part).length);
        break;
      case 'rfc822':
        out.push(atom('RFC822'), textual(raw!));
        break;
      case 'rfc822.header':
        out.push(atom('RFC822.HEADER'), textual(raw!.subarray(structure().headerStart, structure().headerEnd)));
        break;
      case 'rfc822.text':
        out.push(atom('RFC822.TEXT'), textual(raw!.subarray(structure().bodyStart, structure().bodyEnd)));
        break;
      case 'modseq':
        out.push(atom('MODSEQ'), [row.member_modseq]);
        break;
      case 'emailid':
        out.push(atom('EMAILID'), [atom(row.id)]);
        break;
      case 'threadid':
        out.push(atom('THREADID'), [atom(row.thread_id)]);
        break;
    }
  }
  return out;
}

async function fetch(s: ImapSession, cmd: Command, byUid: boolean): Promise<void> {
  const sel = s.selected!;
  const uids = uidsOf(s, cmd.args[0], byUid);
  const args = parseFetchArgs(cmd.args.slice(1));
  const items = [...args.items];
  const has = (kind: FetchItem['kind']) => items.some((i) => i.kind === kind);
  if (byUid && !has('uid')) items.unshift({ kind: 'uid' });
  if (has('modseq') || args.changedSince !== undefined) s.enableCondstore();
  if (args.changedSince !== undefined && !has('modseq')) items.push({ kind: 'modseq' });
  if (args.vanished) {
    // RFC 7162 §3.2.6: UID FETCH only, QRESYNC enabled; the expunged UIDs come before any FETCH.
    if (!byUid || !s.qresync) throw new ImapError('BAD', 'VANISHED needs UID FETCH and ENABLE QRESYNC');
    const gone = await s.services.imap.mail.vanished(sel, args.changedSince!, uidRanges(s, cmd.args[0]));
    if (gone.length) s.untagged(atom('VANISHED'), [atom('EARLIER')], atom(formatSet(gone)));
  }
  const markSeen = !sel.readOnly && items.some(setsSeen);
  const raw = items.some(needsRaw);
  const withStructure = items.some((i) => needsRaw(i) && !wholeMessage(i));
  const headersOnly = items.filter(needsRaw).every(headerOnly);
  const chunk = raw ? CHUNK_WITH_CONTENTS : CHUNK;
  const changedFlags = new Set<number>();
  // Rounds of rows to answer, \Seen set first where the FETCH sets it.
  async function* rounds(): AsyncGenerator<FetchRow[]> {
    for (let i = 0; i < uids.length; i += chunk) {
      let rows = await s.services.imap.mail.rows(sel, uids.slice(i, i + chunk), { structure: withStructure, envelope: has('envelope') });
      if (args.changedSince !== undefined) rows = rows.filter((r) => r.member_modseq > args.changedSince!);
      const unseen = markSeen ? rows.filter((r) => !parseKeywords(r.keywords).includes('$seen')).map((r) => r.uid) : [];
      if (unseen.length) {
        const { changed } = await s.services.imap.mail.setFlags(sel, unseen, { mode: 'add', keywords: ['$seen'] });
        const now = new Map(changed.map((c) => [c.uid, c]));
        rows = rows.map((r) => (now.has(r.uid) ? { ...r, keywords: JSON.stringify(now.get(r.uid)!.keywords), member_modseq: now.get(r.uid)!.modseq } : r));
        for (const uid of unseen) changedFlags.add(uid);
      }
      rows = rows.filter((r) => sel.seqOf(r.uid) > 0);
      yield* raw && !headersOnly ? bySize(rows) : [rows];
    }
  }
  const answer = async (round: FetchRow[], contents: Promise<Lease | null>) => {
    const lease = await contents;
    const bytes = lease?.files;
    s.cork();
    for (const [n, row] of round.entries()) {
      // A FETCH that set \Seen tells the new flags; with CONDSTORE, with UID and MODSEQ (RFC 7162 §3.2.4).
      const extra: FetchItem[] = [];
      if (changedFlags.has(row.uid)) {
        if (!has('flags')) extra.push({ kind: 'flags' });
        if (s.condstore && !has('uid') && !byUid) extra.push({ kind: 'uid' });
        if (s.condstore && !has('modseq')) extra.push({ kind: 'modseq' });
      }
      const forItems = extra.length ? [...items, ...extra] : items;
      // On a throw the lease is never released (responses already held may point into it), and
      // its slab is left to the garbage collector.
      s.untagged(sel.seqOf(row.uid), atom('FETCH'), render(forItems, row, bytes ? bytes[n]! : null));
    }
    // The responses point into the lent bytes until the socket has taken them.
    await s.flush(lease ? () => lease.release() : undefined);
  };
  // The next round's messages are read while the client takes the one before.
  let ahead: { round: FetchRow[]; contents: Promise<Lease | null> } | null = null;
  for await (const round of rounds()) {
    const contents = awaitedLater(raw ? s.services.imap.mail.contents(round, headersOnly) : Promise.resolve(null));
    if (ahead) await answer(ahead.round, ahead.contents);
    ahead = { round, contents };
  }
  if (ahead) await answer(ahead.round, ahead.contents);
}

/** Rows in rounds of at most ROUND_BYTES of message (one message alone may exceed it). */
function bySize(rows: FetchRow[]): FetchRow[][] {
  const rounds: FetchRow[][] = [];
  let bytes = Infinity;
  for (const row of rows) {
    if (bytes + row.size > ROUND_BYTES) {
      rounds.push([]);
      bytes = 0;
    }
    rounds[rounds.length - 1]!.push(row);
    bytes += row.size;
  }
  return rounds;
}

export const fetchCommands: Record<string, CommandSpec> = {
  FETCH: { states: ['selected'], expungeAfter: false, run: (s, cmd) => fetch(s, cmd, false) },
  'UID FETCH': { states: ['selected'], expungeAfter: true, run: (s, cmd) => fetch(s, cmd, true) },
};

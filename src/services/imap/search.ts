import type { MessageService } from '../mail/messages.ts';
import { parseKeywords } from '../mail/keywords.ts';
import { inRanges, ranges, type Criteria } from './criteria.ts';
import type { SelectedMailbox } from './selected.ts';

/** What SEARCH compares for one message. */
export interface SearchRow {
  uid: number;
  modseq: number;
  id: string;
  thread_id: string;
  size: number;
  received_at: number;
  sent_at: number | null;
  keywords: string;
}

const DAY_MS = 86_400_000;

/** The UTC day of a timestamp: IMAP date keys disregard the time (RFC 9051 §6.4.4). */
const day = (ms: number) => Math.floor(ms / DAY_MS);
const dayOf = (date: string) => day(Date.parse(`${date}T00:00:00Z`));

/**
 * Evaluates criteria over a mailbox's messages. Words and header values go to the full-text
 * index first (one query per text key), everything else is compared here.
 */
export async function evaluate(messages: MessageService, sel: SelectedMailbox, rows: SearchRow[], criteria: Criteria, saved: number[], now: number): Promise<number[]> {
  const text = new Map<Criteria, Set<string>>();
  await collectText(messages, sel, criteria, text);
  const seqStar = sel.count;
  const uidStar = sel.maxUid;
  const test = (c: Criteria, r: SearchRow, seq: number, keywords: string[]): boolean => {
    switch (c.op) {
      case 'all':
        return true;
      case 'and':
        return c.keys.every((k) => test(k, r, seq, keywords));
      case 'or':
        return test(c.a, r, seq, keywords) || test(c.b, r, seq, keywords);
      case 'not':
        return !test(c.key, r, seq, keywords);
      case 'seq':
        return inRanges(seq, ranges(c.set, seqStar, saved.map((u) => sel.seqOf(u))));
      case 'uid':
        return inRanges(r.uid, ranges(c.set, uidStar, saved));
      case 'flag': {
        const flag = c.flag.toLowerCase();
        // \Recent is never set: no session is told a message is new to it (RFC 9051 removed it).
        return flag === '\\recent' ? !c.set : keywords.includes(flag) === c.set;
      }
      case 'date': {
        const at = c.field === 'internal' ? r.received_at : r.sent_at;
        if (at === null) return false;
        const d = day(at);
        const want = dayOf(c.date);
        return c.cmp === 'before' ? d < want : c.cmp === 'on' ? d === want : d >= want;
      }
      case 'size':
        return c.cmp === 'larger' ? r.size > c.size : r.size < c.size;
      case 'text':
      case 'header':
        return text.get(c)!.has(r.id);
      case 'modseq':
        return r.modseq >= c.modseq;
      case 'emailid':
        return r.id === c.id;
      case 'threadid':
        return r.thread_id === c.id;
      case 'older':
        return now - r.received_at >= c.seconds * 1000;
      case 'younger':
        return now - r.received_at <= c.seconds * 1000;
    }
  };
  const out: number[] = [];
  for (const r of rows) {
    const seq = sel.seqOf(r.uid);
    // Messages this session does not list yet (arrived since its last update) are not searched.
    if (seq === 0) continue;
    if (test(criteria, r, seq, parseKeywords(r.keywords).map(flagName))) out.push(r.uid);
  }
  return out;
}

/** Keywords as SEARCH names them: system flags lower-cased with their backslash, others as stored. */
function flagName(keyword: string): string {
  const system: Record<string, string> = { $seen: '\\seen', $flagged: '\\flagged', $answered: '\\answered', $draft: '\\draft', $deleted: '\\deleted' };
  return system[keyword] ?? keyword;
}

async function collectText(messages: MessageService, sel: SelectedMailbox, c: Criteria, out: Map<Criteria, Set<string>>): Promise<void> {
  if (c.op === 'and') for (const k of c.keys) await collectText(messages, sel, k, out);
  else if (c.op === 'or') {
    await collectText(messages, sel, c.a, out);
    await collectText(messages, sel, c.b, out);
  } else if (c.op === 'not') await collectText(messages, sel, c.key, out);
  else if (c.op === 'text' || c.op === 'header') {
    const query = c.op === 'text' ? { [c.field]: c.value } : { headers: [{ name: c.name.toLowerCase(), value: c.value || undefined }] };
    const ids = await messages.queryWindow(sel.accountId, { mailboxId: sel.mailboxId, ...query }, { sort: [{ column: 'received_at', asc: true }], position: 0, limit: Number.MAX_SAFE_INTEGER });
    out.set(c, new Set(ids));
  }
}

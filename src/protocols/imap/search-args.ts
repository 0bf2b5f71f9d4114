import { astring, atom, list, number, number64 } from './args.ts';
import { parseImapDate } from './dates.ts';
import { ImapSyntaxError } from './errors.ts';
import { keyword } from './flags.ts';
import { parseSequenceSet } from './sequence.ts';
import type { Token } from './tokens.ts';
import type { Criteria } from '../../services/imap/criteria.ts';

/** The criteria tree the IMAP service evaluates: the grammar parses into its shape. */
export type SearchKey = Criteria;

export type ReturnOption = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

export interface SearchArgs {
  /** Upper-cased; strings are UTF-8 whichever of the two it is. */
  charset: string | null;
  /** null without RETURN; [] for RETURN (), which means ALL (RFC 4731). */
  returns: ReturnOption[] | null;
  key: SearchKey;
}

/** What BADCHARSET may list as supported. */
export const SEARCH_CHARSETS = ['US-ASCII', 'UTF-8'];

/** NO [BADCHARSET], not BAD: so a SEARCH with SAVE empties the saved result (RFC 5182 §2.1). */
export class BadCharsetError extends ImapSyntaxError {
  constructor(readonly returns: ReturnOption[] | null) {
    super('charset not supported', 'BADCHARSET');
  }
}

const RETURN_OPTIONS = new Set<string>(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  UNANSWERED: ['\\Answered', false],
  DELETED: ['\\Deleted', true],
  UNDELETED: ['\\Deleted', false],
  DRAFT: ['\\Draft', true],
  UNDRAFT: ['\\Draft', false],
  FLAGGED: ['\\Flagged', true],
  UNFLAGGED: ['\\Flagged', false],
  SEEN: ['\\Seen', true],
  UNSEEN: ['\\Seen', false],
  RECENT: ['\\Recent', true],
  OLD: ['\\Recent', false],
};

type TextField = Extract<SearchKey, { op: 'text' }>['field'];
const TEXT_KEYS: Record<string, TextField> = { TEXT: 'text', BODY: 'body', SUBJECT: 'subject', FROM: 'from', TO: 'to', CC: 'cc', BCC: 'bcc' };

const DATE_KEYS: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
};

const OBJECT_ID = /^[A-Za-z0-9_-]{1,255}$/;
const ENTRY_TYPES = new Set(['PRIV', 'SHARED', 'ALL']);

const named = (t: Token | undefined, name: string) => t?.type === 'atom' && t.value.toUpperCase() === name;

function returnOptions(items: Token[]): ReturnOption[] {
  const options = items.map((t) => atom(t).toUpperCase());
  const unknown = options.find((o) => !RETURN_OPTIONS.has(o));
  if (unknown !== undefined) throw new ImapSyntaxError(`unknown RETURN option ${unknown.slice(0, 40)}`);
  return [...new Set(options)] as ReturnOption[];
}

/** `date`: date-text, bare or quoted. */
function date(t: Token | undefined): string {
  if (t?.type === 'atom' || t?.type === 'string') return parseImapDate(astring(t));
  throw new ImapSyntaxError('expected a date');
}

function objectId(t: Token | undefined): string {
  const id = astring(t);
  if (!OBJECT_ID.test(id)) throw new ImapSyntaxError('invalid object id');
  return id;
}

/** RFC 7162: MODSEQ ["/flags/..." priv|shared|all] mod-sequence-valzer; the entry is checked, then ignored. */
function modseq(next: () => Token | undefined): SearchKey {
  let t = next();
  if (t?.type === 'string' || t?.type === 'literal') {
    if (!astring(t).toLowerCase().startsWith('/flags/')) throw new ImapSyntaxError('MODSEQ entry name must be /flags/<flag>');
    if (!ENTRY_TYPES.has(atom(next()).toUpperCase())) throw new ImapSyntaxError('MODSEQ entry type must be priv, shared or all');
    t = next();
  }
  return { op: 'modseq', modseq: number64(t) };
}

/** One key that is not NOT or OR; `next` takes the key's own arguments. */
function leaf(t: Token, next: () => Token | undefined): SearchKey {
  if (t.type === 'list') return parseSearchKeys(t.items);
  const name = atom(t).toUpperCase();
  if (Object.hasOwn(FLAG_KEYS, name)) return { op: 'flag', flag: FLAG_KEYS[name][0], set: FLAG_KEYS[name][1] };
  if (Object.hasOwn(TEXT_KEYS, name)) return { op: 'text', field: TEXT_KEYS[name], value: astring(next()) };
  if (Object.hasOwn(DATE_KEYS, name)) return { op: 'date', field: DATE_KEYS[name][0], cmp: DATE_KEYS[name][1], date: date(next()) };
  switch (name) {
    case 'ALL':
      return { op: 'all' };
    case 'NEW':
      return { op: 'and', keys: [{ op: 'flag', flag: '\\Recent', set: true }, { op: 'flag', flag: '\\Seen', set: false }] };
    case 'KEYWORD':
    case 'UNKEYWORD':
      return { op: 'flag', flag: keyword(next()), set: name === 'KEYWORD' };
    case 'HEADER':
      return { op: 'header', name: astring(next()), value: astring(next()) };
    case 'LARGER':
    case 'SMALLER':
      return { op: 'size', cmp: name === 'LARGER' ? 'larger' : 'smaller', size: number64(next()) };
    case 'UID':
      return { op: 'uid', set: parseSequenceSet(atom(next())) };
    case 'MODSEQ':
      return modseq(next);
    case 'EMAILID':
    case 'THREADID':
      return { op: name === 'EMAILID' ? 'emailid' : 'threadid', id: objectId(next()) };
    case 'OLDER':
    case 'YOUNGER': {
      const seconds = number(next());
      if (seconds === 0) throw new ImapSyntaxError(`${name} needs a number of seconds above 0`);
      return { op: name === 'OLDER' ? 'older' : 'younger', seconds };
    }
  }
  if (/^[\d*$]/.test(name)) return { op: 'seq', set: parseSequenceSet(name) };
  throw new ImapSyntaxError(`unknown search key ${name.slice(0, 40)}`);
}

/**
 * One or more keys, ANDed: the search criteria of SEARCH, SORT and THREAD. NOT and OR are prefix
 * operators: they wait on a stack for their operands instead of recursing, so a long OR chain
 * from a client cannot exhaust the call stack.
 */
export function parseSearchKeys(tokens: Token[]): SearchKey {
  const found: SearchKey[] = [];
  const waiting: { op: 'not' | 'or'; operands: SearchKey[] }[] = [];
  let i = 0;
  const next = () => tokens[i++];
  while (i < tokens.length) {
    const t = next();
    if (named(t, 'NOT') || named(t, 'OR')) {
      waiting.push({ op: named(t, 'NOT') ? 'not' : 'or', operands: [] });
      continue;
    }
    let key = leaf(t, next);
    for (let top = waiting.at(-1); top; top = waiting.at(-1)) {
      top.operands.push(key);
      if (top.op === 'or' && top.operands.length < 2) break;
      waiting.pop();
      key = top.op === 'not' ? { op: 'not', key: top.operands[0] } : { op: 'or', a: top.operands[0], b: top.operands[1] };
    }
    if (waiting.length === 0) found.push(key);
  }
  if (found.length === 0 || waiting.length > 0) throw new ImapSyntaxError('missing search key');
  return found.length === 1 ? found[0] : { op: 'and', keys: found };
}

/** A search charset, upper-cased; one not in SEARCH_CHARSETS is BADCHARSET carrying `returns`. */
export function parseCharset(t: Token | undefined, returns: ReturnOption[] | null): string {
  const charset = astring(t).toUpperCase();
  if (!SEARCH_CHARSETS.includes(charset)) throw new BadCharsetError(returns);
  return charset;
}

/** The arguments of SEARCH: [RETURN (options)] [CHARSET name] keys. */
export function parseSearchArgs(args: Token[]): SearchArgs {
  let i = 0;
  let returns: ReturnOption[] | null = null;
  if (named(args[0], 'RETURN')) {
    returns = returnOptions(list(args[1]));
    i = 2;
  }
  let charset: string | null = null;
  if (named(args[i], 'CHARSET')) {
    charset = parseCharset(args[i + 1], returns);
    i += 2;
  }
  return { charset, returns, key: parseSearchKeys(args.slice(i)) };
}

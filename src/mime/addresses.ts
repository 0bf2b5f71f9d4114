import addressparser from 'nodemailer/lib/addressparser/index.js';
import type { EmailAddress } from './types.ts';
import { decodeWords } from './headers.ts';

// Address headers of spam can be megabytes of recipients; nobody needs more than this.
const MAX_INPUT = 64 * 1024;
const MAX_ADDRESSES = 1000;
// addressparser's fallback e-mail regex backtracks quadratically over long whitespace-free text;
// a real "name <addr>" entry is far shorter than this.
const MAX_ENTRY = 2048;

function boundEntry(entry: string): string {
  if (entry.length <= MAX_ENTRY) return entry;
  const lt = entry.lastIndexOf('<');
  if (lt > 0 && entry.length - lt < MAX_ENTRY / 2) return entry.slice(0, MAX_ENTRY / 2) + ' ' + entry.slice(lt);
  return entry.slice(0, MAX_ENTRY);
}

/**
 * Splits an address list at top-level "," and ";" (outside quotes, comments and angle brackets).
 * addressparser treats every top-level ":" as a group start and recurses into the rest, which is
 * quadratic (and a stack overflow) for values full of colons; feeding it one entry at a time,
 * with at most one group colon each, keeps it linear.
 */
function splitEntries(value: string): string[] {
  const out: string[] = [];
  let chunk = '';
  let from = 0;
  let quoted = false;
  let comment = 0;
  let angle = false;
  let colons = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (comment > 0) {
      if (ch === '\\') i++;
      else if (ch === '(') comment++;
      else if (ch === ')') comment--;
    } else if (angle) {
      if (ch === '>') angle = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '(') comment = 1;
    else if (ch === '<') angle = true;
    else if (ch === ':' && ++colons > 1) {
      chunk += value.slice(from, i) + ' ';
      from = i + 1;
    } else if (ch === ',' || ch === ';') {
      out.push(chunk + value.slice(from, i));
      if (out.length >= MAX_ADDRESSES) return out;
      chunk = '';
      from = i + 1;
      colons = 0;
    }
  }
  out.push(chunk + value.slice(from));
  return out;
}

/**
 * The addr-spec without its CFWS: comments and folding white space may stand between its
 * words and dots (RFC 5322 §3.4.1 and the obsolete forms of §4.4, e.g. A.6.3's
 * `jdoe@machine(comment).  example`), and are not part of the address. Quoted strings and
 * domain literals are kept as they are.
 */
export function withoutCfws(addr: string): string {
  if (!/[\s(]/.test(addr)) return addr;
  let out = '';
  let depth = 0;
  let quoted = false;
  let literal = false;
  for (let i = 0; i < addr.length; i++) {
    const ch = addr[i];
    if (depth > 0) {
      if (ch === '\\') i++;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
      continue;
    }
    if (quoted || literal) {
      out += ch;
      if (ch === '\\' && i + 1 < addr.length) out += addr[++i];
      else if ((quoted && ch === '"') || (literal && ch === ']')) quoted = literal = false;
      continue;
    }
    if (ch === '(') depth = 1;
    else if (ch === '"') (quoted = true), (out += ch);
    else if (ch === '[') (literal = true), (out += ch);
    else if (!/\s/.test(ch)) out += ch;
  }
  return out;
}

/** Parses an unfolded address-list header value; groups are flattened into their members. */
export function parseAddressList(value: string | null): EmailAddress[] {
  if (!value) return [];
  const input = value.length > MAX_INPUT ? value.slice(0, MAX_INPUT) : value;
  const out: EmailAddress[] = [];
  for (const entry of splitEntries(input)) {
    if (!entry.trim()) continue;
    let parsed: addressparser.Address[];
    try {
      parsed = addressparser(boundEntry(entry), { flatten: true });
    } catch {
      continue;
    }
    for (const a of parsed) {
      if (out.length >= MAX_ADDRESSES) return out;
      const email = typeof a.address === 'string' ? withoutCfws(a.address.trim()) : '';
      // Names are decoded only after splitting: a decoded name may contain "," or "<".
      const name = typeof a.name === 'string' ? decodeWords(a.name).trim() : '';
      if (!email && !name) continue;
      out.push({ name: name || null, email });
    }
  }
  return out;
}

import { Lexer, isTokenChar, isWsp } from '../../../mime/lexer.ts';

/** One MIME parameter as written: name and value bytes, quotes and escapes resolved. */
export interface Param {
  name: Buffer;
  value: Buffer;
}

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const SLASH = 0x2f;

/** A MIME token and the CFWS after it; false when a comment after it never closes. */
function token(lx: Lexer): { text: Buffer; ok: boolean } {
  const text = lx.run(isTokenChar);
  return { text, ok: lx.skipCfws() };
}

/** `; attribute = value` at the cursor (RFC 2045 §5.1), or null when it does not parse. */
function param(lx: Lexer): Param | null {
  if (lx.peek() !== SEMICOLON) return null;
  lx.pos++;
  if (!lx.skipCfws() || !lx.more()) return null;
  const name = token(lx);
  if (!name.ok || !lx.more() || lx.peek() !== EQUALS) return null;
  lx.pos++;
  if (!lx.skipCfws()) return null;
  if (!lx.more()) return { name: name.text, value: Buffer.alloc(0) };
  if (lx.peek() === QUOTE) {
    const value = lx.quoted();
    return value !== null && lx.skipCfws() ? { name: name.text, value } : null;
  }
  // Outlook writes RFC 2047 words unquoted (name==?utf-8?b?…?=): keep them whole.
  const value = lx.peek() === EQUALS ? lx.run((c) => c !== SEMICOLON && !isWsp(c) && c !== 0x0d && c !== 0x0a) : token(lx).text;
  return lx.skipCfws() ? { name: name.text, value } : null;
}

/**
 * The parameters after a Content-Type or Content-Disposition value. A parameter that does not
 * parse is dropped and reading resumes at the next ";" (RFC 2045 §5.1 gives each one its own),
 * even the ";" the broken one stopped at, which Dovecot skips, losing the parameter after it.
 */
function params(lx: Lexer): Param[] {
  const out: Param[] = [];
  while (lx.more()) {
    const start = lx.pos;
    const p = param(lx);
    if (p) out.push(p);
    else {
      if (lx.pos === start) lx.pos++;
      while (lx.more() && lx.peek() !== SEMICOLON) lx.pos++;
    }
  }
  return joinContinuations(out);
}

interface Section {
  name: string;
  index: number;
  extended: boolean;
  value: Buffer;
}

/**
 * `name*`, `name*N` or `name*N*` (RFC 2231 §3, §4), or null for an ordinary parameter. A lone
 * `name*` is section 0 whatever came before it (Dovecot gives it the number of the section read
 * before it, and so lists `title*=…` after `name*1=…` as `title*1*`).
 */
function section(p: Param): Section | null {
  const m = /^([^*]*)\*(\d*)(\*?)$/.exec(p.name.toString('latin1'));
  if (!m) return null;
  return { name: m[1]!, index: m[2] === '' ? 0 : Number(m[2]), extended: m[2] === '' || m[3] === '*', value: p.value };
}

/**
 * RFC 2231 continuations joined, as RFC 9051 §7.5.2 asks: `name*0`, `name*1` become `name`;
 * when any section is encoded (`name*0*`), the result is the one encoded value `name*`
 * (charset'language'%XX… as written, plain sections with "%" escaped), left for the client to
 * decode: the charset is what the sender declared and a value that is not valid in it survives.
 * Sections with a gap in their numbering are not a continuation and stay as written.
 */
function joinContinuations(list: Param[]): Param[] {
  const plain: Param[] = [];
  const sections: Section[] = [];
  for (const p of list) {
    const s = section(p);
    if (s) sections.push(s);
    else plain.push(p);
  }
  if (sections.length === 0) return plain;
  sections.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index));
  for (let i = 0; i < sections.length; ) {
    let j = i;
    while (j < sections.length && sections[j]!.name.toLowerCase() === sections[i]!.name.toLowerCase()) j++;
    const group = sections.slice(i, j);
    i = j;
    const complete = group.every((s, k) => s.index === k);
    const extended = group.some((s) => s.extended);
    if (!complete) {
      for (const s of group) plain.push({ name: Buffer.from(`${s.name}*${s.index}${s.extended ? '*' : ''}`, 'latin1'), value: s.value });
      continue;
    }
    const value = group.map((s) => (extended && !s.extended ? Buffer.from(s.value.toString('latin1').replace(/%/g, '%25'), 'latin1') : s.value));
    if (extended && !group[0]!.extended) value.unshift(Buffer.from("''"));
    plain.push({ name: Buffer.from(group[0]!.name + (extended ? '*' : ''), 'latin1'), value: Buffer.concat(value) });
  }
  return plain;
}

export interface MediaType {
  type: Buffer;
  subtype: Buffer;
  params: Param[];
}

/** A Content-Type value (RFC 2045 §5.1) as written, or null when it is not `type/subtype [; params]`. */
export function parseContentType(value: Buffer): MediaType | null {
  const lx = new Lexer(value);
  if (!lx.skipCfws()) return null;
  const type = token(lx);
  if (!type.ok || type.text.length === 0 || lx.peek() !== SLASH) return null;
  lx.pos++;
  if (!lx.skipCfws()) return null;
  const subtype = token(lx);
  if (!subtype.ok || subtype.text.length === 0 || (lx.more() && lx.peek() !== SEMICOLON)) return null;
  return { type: type.text, subtype: subtype.text, params: params(lx) };
}

/** A Content-Disposition value (RFC 2183 §2): its type token and parameters, as written. */
export function parseDisposition(value: Buffer): { type: Buffer; params: Param[] } | null {
  const lx = new Lexer(value);
  if (!lx.skipCfws()) return null;
  const type = token(lx);
  return type.ok ? { type: type.text, params: params(lx) } : null;
}

import libmime from 'libmime';
import { decodeHeaderBytes } from './charset.ts';

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;

/** One header field located in the raw bytes; the value is decoded on demand. */
export interface RawField {
  name: string;
  lowerName: string;
  /** First byte after the colon. */
  valueStart: number;
  /** End of the value's last line, before its line break. */
  valueEnd: number;
}

export interface HeaderBlock {
  fields: RawField[];
  /** End of the header block including the blank separator line (== bodyStart). */
  headerEnd: number;
  /** Set when the header block was not closed by a blank line but by a non-header line. */
  error: string | null;
}

// Hostile messages can carry hundreds of thousands of fields; later ones are scanned past, not kept.
const MAX_FIELDS = 10_000;

// Longer names are not plausible header fields and scanning them would only waste time.
const MAX_NAME = 256;

/** RFC 5322 field-name: printable ASCII but the colon. */
export function isFieldName(name: string): boolean {
  return /^[\x21-\x39\x3b-\x7e]+$/.test(name);
}

/** Returns the colon position when [start, lineEnd) looks like `name: value`, else -1. */
function fieldColon(raw: Buffer, start: number, lineEnd: number): number {
  const limit = Math.min(lineEnd, start + MAX_NAME);
  let sawSpace = false;
  for (let i = start; i < limit; i++) {
    const c = raw[i]!;
    if (c === 58) return i === start ? -1 : i;
    if (c === SP || c === HT) {
      // obsolete syntax allows WSP between the name and the colon, but not inside the name
      if (i === start) return -1;
      sawSpace = true;
    } else if (sawSpace || c < 33 || c > 126) {
      return -1;
    }
  }
  return -1;
}

function trimNameEnd(raw: Buffer, start: number, colon: number): number {
  let e = colon;
  while (e > start && (raw[e - 1] === SP || raw[e - 1] === HT)) e--;
  return e;
}

interface Line {
  start: number;
  /** End of content, before CR LF / LF. */
  contentEnd: number;
  /** Start of the next line. */
  next: number;
}

function readLine(raw: Buffer, pos: number, end: number, out: Line): void {
  let lf = raw.indexOf(LF, pos);
  if (lf < 0 || lf >= end) lf = -1;
  const lineEnd = lf < 0 ? end : lf;
  let ce = lineEnd;
  if (lf >= 0 && ce > pos && raw[ce - 1] === CR) ce--;
  out.start = pos;
  out.contentEnd = ce;
  out.next = lf < 0 ? end : lf + 1;
}

function isBlank(raw: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = raw[i];
    if (c !== SP && c !== HT && c !== CR) return false;
  }
  return true;
}

// How far past a stray line to look for further header fields before deciding the body began.
const JUNK_LOOKAHEAD = 8;

/** True when a header field follows within a few lines, before any blank line. */
function fieldFollows(raw: Buffer, pos: number, end: number, tmp: Line): boolean {
  for (let n = 0; n < JUNK_LOOKAHEAD && pos < end; n++) {
    readLine(raw, pos, end, tmp);
    if (tmp.contentEnd === tmp.start || isBlank(raw, tmp.start, tmp.contentEnd)) return false;
    if (fieldColon(raw, tmp.start, tmp.contentEnd) >= 0) return true;
    pos = tmp.next;
  }
  return false;
}

/**
 * True when a whitespace-only line is obs-FWS inside a field (RFC 5322 §4.2) rather than a
 * separator some generators "fold" between header and body: the header visibly goes on after
 * it, with a continuation line or another field (past any further whitespace-only lines).
 */
function headerGoesOn(raw: Buffer, pos: number, end: number, tmp: Line): boolean {
  for (let n = 0; n < JUNK_LOOKAHEAD && pos < end; n++) {
    readLine(raw, pos, end, tmp);
    if (tmp.contentEnd === tmp.start) return false;
    if (!isBlank(raw, tmp.start, tmp.contentEnd)) {
      const c = raw[tmp.start];
      return c === SP || c === HT || fieldColon(raw, tmp.start, tmp.contentEnd) >= 0;
    }
    pos = tmp.next;
  }
  return false;
}

/**
 * Splits the header block that starts at `start`. Tolerates junk before the first field (mbox
 * "From " lines, BOMs, stray text followed by real fields), a whitespace-only separator line,
 * and a missing separator (the body then starts at the first line that is not a field).
 */
export function scanHeaders(raw: Buffer, start: number, end: number): HeaderBlock {
  const fields: RawField[] = [];
  const line: Line = { start: 0, contentEnd: 0, next: 0 };
  const peek: Line = { start: 0, contentEnd: 0, next: 0 };
  let pos = start;
  if (end - pos >= 3 && raw[pos] === 0xef && raw[pos + 1] === 0xbb && raw[pos + 2] === 0xbf) pos += 3;
  let last: RawField | null = null;
  let sawField = false;

  while (pos < end) {
    readLine(raw, pos, end, line);
    const { start: ls, contentEnd: ce, next } = line;
    if (ce === ls) return { fields, headerEnd: next, error: null };
    const c0 = raw[ls];
    if (c0 === SP || c0 === HT) {
      if (last) {
        if (isBlank(raw, ls, ce) && !headerGoesOn(raw, next, end, peek)) return { fields, headerEnd: next, error: null };
        last.valueEnd = ce;
        pos = next;
        continue;
      }
      let s = ls;
      while (s < ce && (raw[s] === SP || raw[s] === HT)) s++;
      const colon = fieldColon(raw, s, ce);
      if (colon >= 0) {
        last = addField(raw, fields, s, colon, ce);
        sawField = true;
        pos = next;
        continue;
      }
    } else {
      const colon = fieldColon(raw, ls, ce);
      if (colon >= 0) {
        last = addField(raw, fields, ls, colon, ce);
        sawField = true;
        pos = next;
        continue;
      }
    }
    // Stray lines (mbox From_ line, garbage) followed by more fields are skipped; otherwise the
    // body starts here without the blank line.
    if (fieldFollows(raw, next, end, peek)) {
      // continuation lines after the junk must not glue the junk into the previous value
      last = null;
      pos = next;
      continue;
    }
    return {
      fields,
      headerEnd: ls,
      error: sawField ? 'missing blank line between header and body' : null,
    };
  }
  return { fields, headerEnd: end, error: null };
}

function addField(raw: Buffer, fields: RawField[], start: number, colon: number, ce: number): RawField {
  const name = raw.toString('latin1', start, trimNameEnd(raw, start, colon));
  const f: RawField = { name, lowerName: name.toLowerCase(), valueStart: colon + 1, valueEnd: ce };
  if (fields.length < MAX_FIELDS) fields.push(f);
  return f;
}

// A single header value beyond this is hostile or broken; decoding more only costs time.
const MAX_VALUE_BYTES = 256 * 1024;

/** The field's value bytes decoded to text, folding line breaks kept. */
export function rawValue(raw: Buffer, f: RawField, hintCharset?: string | null): string {
  const end = Math.min(f.valueEnd, f.valueStart + MAX_VALUE_BYTES);
  return decodeHeaderBytes(raw.subarray(f.valueStart, end), hintCharset);
}

/** RFC 5322 unfolding plus trimming. */
export function unfold(s: string): string {
  if (s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s.trim();
  return s.replace(/\r?\n|\r/g, '').trim();
}

/** RFC 2047 decoding that never throws (bad words are left as written). */
export function decodeWords(s: string): string {
  if (s.indexOf('=?') < 0) return s;
  try {
    return libmime.decodeWords(s);
  } catch {
    return s;
  }
}

export function findField(fields: RawField[], lowerName: string): RawField | null {
  for (const f of fields) if (f.lowerName === lowerName) return f;
  return null;
}

import type { RawField } from './headers.ts';
import { isWsp } from './lexer.ts';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const NUL = 0x00;

const isLineBreak = (c: number | undefined): boolean => c === CR || c === LF;

// Header values are shown in IMAP strings, which cannot carry NUL (RFC 9051 §4.3: CHAR8
// excludes it), and stored in PostgreSQL text, which cannot either; U+FFFD marks where one was.
const NUL_REPLACEMENT = Buffer.from('\ufffd', 'utf8');

function withoutNuls(bytes: Buffer): Buffer {
  if (bytes.indexOf(NUL) < 0) return bytes;
  const out: Buffer[] = [];
  let from = 0;
  for (let i = bytes.indexOf(NUL); i >= 0; i = bytes.indexOf(NUL, from)) {
    out.push(bytes.subarray(from, i), NUL_REPLACEMENT);
    from = i + 1;
  }
  out.push(bytes.subarray(from));
  return Buffer.concat(out);
}

/**
 * A field's value as written, folds still in, NULs replaced. The blanks after the colon are not
 * part of it (RFC 5322 gives them no meaning), except that a first line of nothing but blanks
 * keeps all but one, as Dovecot does.
 */
export function fieldValue(raw: Buffer, f: RawField): Buffer {
  const lf = raw.indexOf(LF, f.valueStart);
  const firstLineEnd = lf < 0 || lf >= f.valueEnd ? f.valueEnd : raw[lf - 1] === CR ? lf - 1 : lf;
  let start = f.valueStart;
  while (start < firstLineEnd && isWsp(raw[start])) start++;
  if (start === firstLineEnd && start > f.valueStart) start = f.valueStart + 1;
  return withoutNuls(raw.subarray(start, f.valueEnd));
}

/**
 * RFC 5322 §2.2.3 unfolding: line breaks removed. A stray CR or LF that is not a fold (not
 * followed by whitespace) still separates words, so it becomes a space.
 */
export function unfolded(value: Buffer): Buffer {
  if (value.indexOf(LF) < 0 && value.indexOf(CR) < 0) return value;
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (!isLineBreak(c)) out.push(c);
    else if (i + 1 < value.length && !isWsp(value[i + 1]) && !isLineBreak(value[i + 1])) out.push(SP);
  }
  return Buffer.from(out);
}

/**
 * Text meant to be read (subject, display names): unfolded, runs of whitespace collapsed to one
 * space and trimmed, the way Dovecot presents them; the RFC leaves this presentation open.
 */
export function forHumans(value: Buffer): Buffer {
  const out: number[] = [];
  let pendingSpace = false;
  for (const c of value) {
    if (isWsp(c) || isLineBreak(c)) {
      pendingSpace = out.length > 0;
      continue;
    }
    if (pendingSpace) out.push(SP);
    pendingSpace = false;
    out.push(c);
  }
  return Buffer.from(out);
}

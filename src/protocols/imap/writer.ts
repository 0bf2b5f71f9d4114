import { isAtom, type ImapData } from './data.ts';

export interface WriteOptions {
  /** UTF-8 may be sent in quoted strings (UTF8=ACCEPT enabled, or IMAP4rev2). */
  utf8: boolean;
}

// Longer strings go as literals: clients handle those without scanning for a closing quote.
const MAX_QUOTED = 1024;

/** Whether bytes can travel as a quoted string: no CR or LF, and 8-bit only as UTF-8 when allowed. */
function quotable(bytes: Buffer, utf8: boolean): boolean {
  if (bytes.length > MAX_QUOTED) return false;
  let eightBit = false;
  for (const b of bytes) {
    if (b === 0x0a || b === 0x0d) return false;
    if (b >= 0x80) eightBit = true;
  }
  return !eightBit || (utf8 && Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes));
}

function stringBytes(bytes: Buffer, opts: WriteOptions, out: Buffer[]): void {
  // Neither quoted strings nor literals may carry NUL (RFC 9051 §4.3): callers send such bytes as Binary.
  if (bytes.includes(0)) throw new Error('NUL in an IMAP string; send it as a literal8');
  if (quotable(bytes, opts.utf8)) {
    out.push(Buffer.from('"'), Buffer.from(bytes.toString('latin1').replace(/["\\]/g, '\\$&'), 'latin1'), Buffer.from('"'));
  } else {
    out.push(Buffer.from(`{${bytes.length}}\r\n`), bytes);
  }
}

function write(value: ImapData, opts: WriteOptions, out: Buffer[]): void {
  if (value === null) out.push(Buffer.from('NIL'));
  else if (typeof value === 'number' || typeof value === 'bigint') out.push(Buffer.from(String(value)));
  else if (typeof value === 'string') stringBytes(Buffer.from(value, 'utf8'), opts, out);
  else if (Buffer.isBuffer(value)) stringBytes(value, opts, out);
  else if (Array.isArray(value)) {
    out.push(Buffer.from('('));
    value.forEach((item, i) => {
      if (i > 0) out.push(Buffer.from(' '));
      write(item, opts, out);
    });
    out.push(Buffer.from(')'));
  } else if (isAtom(value)) out.push(Buffer.from(value.atom, 'utf8'));
  else out.push(Buffer.from(`~{${value.binary.length}}\r\n`), value.binary);
}

/** One value as it goes on the wire. */
export function encode(value: ImapData, opts: WriteOptions): Buffer {
  const out: Buffer[] = [];
  write(value, opts, out);
  return Buffer.concat(out);
}

/** Values separated by spaces, not wrapped in parentheses: the body of a response line. */
export function encodeItems(values: ImapData[], opts: WriteOptions): Buffer {
  const out: Buffer[] = [];
  values.forEach((v, i) => {
    if (i > 0) out.push(Buffer.from(' '));
    write(v, opts, out);
  });
  return Buffer.concat(out);
}

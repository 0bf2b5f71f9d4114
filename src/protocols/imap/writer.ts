import { isUtf8 } from 'node:buffer';
import { isAtom, type ImapData } from './data.ts';
import { ByteSink } from './sink.ts';

export interface WriteOptions {
  /** UTF-8 may be sent in quoted strings (UTF8=ACCEPT enabled, or IMAP4rev2). */
  utf8: boolean;
}

// Longer strings go as literals: clients handle those without scanning for a closing quote.
const MAX_QUOTED = 1024;
const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** How a string travels: quoted as is, quoted with `"` and `\` escaped, or as a literal. */
type Form = 'plain' | 'escaped' | 'literal';

// Neither quoted strings nor literals may carry NUL (RFC 9051 §4.3): callers send such bytes as Binary.
const nulError = () => new Error('NUL in an IMAP string; send it as a literal8');

const ESCAPE = /["\\]/g;

function bytesString(bytes: Buffer, opts: WriteOptions, sink: ByteSink): void {
  let form: Form = 'literal';
  if (bytes.length > MAX_QUOTED) {
    if (bytes.includes(NUL)) throw nulError();
  } else {
    form = 'plain';
    let eightBit = false;
    for (const c of bytes) {
      if (c === NUL) throw nulError();
      if (c === CR || c === LF) form = 'literal';
      else if (c >= 0x80) eightBit = true;
      else if ((c === QUOTE || c === BACKSLASH) && form === 'plain') form = 'escaped';
    }
    if (eightBit && form !== 'literal' && !(opts.utf8 && isUtf8(bytes))) form = 'literal';
  }
  if (form === 'literal') {
    sink.latin1(`{${bytes.length}}\r\n`);
    sink.bytes(bytes);
    return;
  }
  sink.byte(QUOTE);
  if (form === 'plain') sink.bytes(bytes);
  else sink.latin1(bytes.toString('latin1').replace(ESCAPE, '\\$&'));
  sink.byte(QUOTE);
}

/** A string whose characters are byte values (below U+0100): quotable ASCII is written without making a Buffer. */
function byteString(s: string, opts: WriteOptions, sink: ByteSink): void {
  // One pass, no callbacks: a FETCH of list data writes a dozen of these per message.
  let form: Form = s.length > MAX_QUOTED ? 'literal' : 'plain';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return bytesString(Buffer.from(s, 'latin1'), opts, sink);
    if (c === NUL) throw nulError();
    if (c === CR || c === LF) form = 'literal';
    else if ((c === QUOTE || c === BACKSLASH) && form === 'plain') form = 'escaped';
  }
  if (form === 'literal') {
    sink.latin1(`{${s.length}}\r\n`);
    sink.latin1(s);
    return;
  }
  sink.byte(QUOTE);
  sink.latin1(form === 'plain' ? s : s.replace(ESCAPE, '\\$&'));
  sink.byte(QUOTE);
}

function write(value: ImapData, opts: WriteOptions, sink: ByteSink): void {
  if (value === null) sink.latin1('NIL');
  else if (typeof value === 'number' || typeof value === 'bigint') sink.latin1(String(value));
  else if (typeof value === 'string') {
    // Text: its characters are bytes only when all are ASCII.
    if (/^[\x00-\x7f]*$/.test(value)) byteString(value, opts, sink);
    else bytesString(Buffer.from(value, 'utf8'), opts, sink);
  } else if (Buffer.isBuffer(value)) bytesString(value, opts, sink);
  else if (Array.isArray(value)) {
    sink.byte(0x28);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) sink.byte(0x20);
      write(value[i]!, opts, sink);
    }
    sink.byte(0x29);
  } else if (isAtom(value)) sink.utf8(value.atom);
  else if ('latin1' in value) byteString(value.latin1, opts, sink);
  else {
    sink.latin1(`~{${value.binary.length}}\r\n`);
    sink.bytes(value.binary);
  }
}

/** Values separated by spaces, not wrapped in parentheses (the body of a response line), into a sink. */
export function writeItems(values: ImapData[], opts: WriteOptions, sink: ByteSink): void {
  for (let i = 0; i < values.length; i++) {
    if (i > 0) sink.byte(0x20);
    write(values[i]!, opts, sink);
  }
}

/** One value as it goes on the wire. */
export function encode(value: ImapData, opts: WriteOptions): Buffer {
  const sink = new ByteSink();
  write(value, opts, sink);
  return Buffer.concat(sink.take());
}

/** Values separated by spaces, as one Buffer. */
export function encodeItems(values: ImapData[], opts: WriteOptions): Buffer {
  const sink = new ByteSink();
  writeItems(values, opts, sink);
  return Buffer.concat(sink.take());
}

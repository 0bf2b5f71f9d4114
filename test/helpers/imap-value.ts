/**
 * IMAP response values (RFC 9051 §4) read back into a tree, so two servers' answers compare by
 * meaning: a string is its bytes whether it came quoted or as a literal; NIL, numbers, atoms and
 * strings stay distinct.
 */
export type Value = null | number | Buffer | { atom: string } | Value[];

const SP = 0x20;
const OPEN = 0x28;
const CLOSE = 0x29;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  fail(what: string): never {
    throw new Error(`${what} at ${this.pos}: ${JSON.stringify(this.buf.toString('latin1', this.pos, this.pos + 40))}`);
  }

  values(close: boolean): Value[] {
    const out: Value[] = [];
    for (;;) {
      while (this.buf[this.pos] === SP) this.pos++;
      if (this.pos >= this.buf.length) {
        if (close) this.fail('unclosed list');
        return out;
      }
      if (this.buf[this.pos] === CLOSE) {
        if (!close) this.fail('unbalanced )');
        this.pos++;
        return out;
      }
      out.push(this.value());
    }
  }

  value(): Value {
    const c = this.buf[this.pos];
    if (c === OPEN) {
      this.pos++;
      return this.values(true);
    }
    if (c === QUOTE) return this.quoted();
    if (c === 0x7b || (c === 0x7e && this.buf[this.pos + 1] === 0x7b)) return this.literal();
    return this.atomOrNumber();
  }

  quoted(): Buffer {
    const bytes: number[] = [];
    for (this.pos++; this.pos < this.buf.length; this.pos++) {
      let b = this.buf[this.pos]!;
      if (b === QUOTE) {
        this.pos++;
        return Buffer.from(bytes);
      }
      if (b === BACKSLASH) b = this.buf[++this.pos]!;
      bytes.push(b);
    }
    return this.fail('unterminated quoted string');
  }

  literal(): Buffer {
    const m = /^~?\{(\d+)\+?\}\r\n/.exec(this.buf.toString('latin1', this.pos, this.pos + 24));
    if (!m) this.fail('bad literal');
    const start = this.pos + m[0].length;
    this.pos = start + Number(m[1]);
    if (this.pos > this.buf.length) this.fail('short literal');
    return Buffer.from(this.buf.subarray(start, this.pos));
  }

  /** An atom runs to a space or parenthesis, except inside [...] (BODY[HEADER.FIELDS (A B)]). */
  atomOrNumber(): Value {
    const start = this.pos;
    let depth = 0;
    for (; this.pos < this.buf.length; this.pos++) {
      const b = this.buf[this.pos];
      if (b === 0x5b) depth++;
      else if (b === 0x5d) depth--;
      else if (depth === 0 && (b === SP || b === OPEN || b === CLOSE)) break;
    }
    if (this.pos === start) this.fail('expected a value');
    const text = this.buf.toString('latin1', start, this.pos);
    if (/^\d+$/.test(text)) return Number(text);
    if (text.toUpperCase() === 'NIL') return null;
    return { atom: text };
  }
}

/** The space-separated values of a response line (or of anything encode() wrote). */
export function parseValues(buf: Buffer): Value[] {
  return new Reader(buf).values(false);
}

/** The items of an untagged `* n FETCH (…)` line, keyed by upper-cased item name. */
export function fetchItems(line: Buffer): { seq: number; items: Map<string, Value> } {
  const [star, seq, word, list] = parseValues(line);
  const isAtom = (v: Value | undefined, text: string) => !!v && typeof v === 'object' && 'atom' in v && v.atom.toUpperCase() === text;
  if (!isAtom(star, '*') || typeof seq !== 'number' || !isAtom(word, 'FETCH') || !Array.isArray(list)) {
    throw new Error(`not a FETCH response: ${line.toString('latin1', 0, 80)}`);
  }
  const items = new Map<string, Value>();
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i];
    if (!name || typeof name !== 'object' || !('atom' in name)) throw new Error('FETCH item name is not an atom');
    items.set(name.atom.toUpperCase(), list[i + 1]!);
  }
  return { seq, items };
}

/** A readable rendering for assertion messages: strings quoted (bytes as latin1), atoms bare. */
export function show(v: Value): string {
  if (v === null) return 'NIL';
  if (typeof v === 'number') return String(v);
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('latin1'));
  if (Array.isArray(v)) return '(' + v.map(show).join(' ') + ')';
  return v.atom;
}

/** Where two values first differ, as a path of list indexes ("/2/0"), with the two sides there; null when equal. */
export function firstDifference(a: Value, b: Value, path = ''): { path: string; left: Value; right: Value } | null {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i]!, b[i]!, `${path}/${i}`);
      if (d) return d;
    }
    return a.length === b.length ? null : { path, left: a, right: b };
  }
  const same =
    a === b ||
    (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)) ||
    (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && 'atom' in a && 'atom' in b && a.atom === b.atom);
  return same ? null : { path, left: a, right: b };
}

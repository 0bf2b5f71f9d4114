/**
 * Tokens of structured header fields (RFC 5322 §3.2, RFC 2045 §5.1) read from the raw bytes and
 * kept as bytes: IMAP hands header text to clients as written, 8-bit included, so nothing here
 * decodes a charset.
 */

const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const QUOTE = 0x22;
const OPEN = 0x28;
const CLOSE = 0x29;
const BACKSLASH = 0x5c;

// 8-bit bytes count as atext so raw UTF-8 (RFC 6532) and legacy 8-bit names stay one word.
const ATEXT = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  ATEXT[c] = c >= 0x80 || /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]/.test(String.fromCharCode(c)) ? 1 : 0;
}

export const isAtext = (c: number | undefined): boolean => c !== undefined && ATEXT[c] === 1;

/** RFC 2045 token: atext without the tspecials "/", "=" and "?", plus ".". */
export const isTokenChar = (c: number | undefined): boolean =>
  c === 0x2e || (isAtext(c) && c !== 0x2f && c !== 0x3d && c !== 0x3f);

export const isWsp = (c: number | undefined): boolean => c === SP || c === HT;

/** A cursor over one header field value. */
export class Lexer {
  pos = 0;
  readonly end: number;
  /** Text of the comment skipped last, folding removed (RFC 822 put display names there). */
  lastComment: Buffer | null = null;

  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** Starts a new production: comments skipped before it no longer count. */
  forgetComment(): void {
    this.lastComment = null;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  peek(): number | undefined {
    return this.pos < this.end ? this.buf[this.pos] : undefined;
  }

  /** Skips whitespace, line breaks and comments. False when a comment never closes (all is consumed). */
  skipCfws(): boolean {
    while (this.pos < this.end) {
      const c = this.buf[this.pos]!;
      if (c === SP || c === HT || c === CR || c === LF) this.pos++;
      else if (c === OPEN) {
        const comment = this.delimited(OPEN, CLOSE);
        if (comment === null) return false;
        this.lastComment = comment;
      } else break;
    }
    return true;
  }

  /** Bytes while `accept` holds (possibly none). */
  run(accept: (c: number) => boolean): Buffer {
    const start = this.pos;
    while (this.pos < this.end && accept(this.buf[this.pos]!)) this.pos++;
    return this.buf.subarray(start, this.pos);
  }

  /** A quoted-string's content (at `"`): escapes resolved, folds unfolded; null when unterminated. */
  quoted(): Buffer | null {
    return this.delimited(QUOTE, QUOTE);
  }

  /**
   * Content between `open` and `close` (the cursor is on `open`), nested for comments. Folding
   * line breaks are dropped (RFC 5322 §2.2.3 unfolding) and quoted-pairs resolved. Returns null
   * and consumes the rest when the closing byte is missing.
   */
  private delimited(open: number, close: number): Buffer | null {
    const parts: Buffer[] = [];
    let depth = 1;
    let from = ++this.pos;
    for (; this.pos < this.end; this.pos++) {
      const c = this.buf[this.pos]!;
      if (c === BACKSLASH && this.escapes()) {
        parts.push(this.buf.subarray(from, this.pos));
        from = ++this.pos;
      } else if (c === LF) {
        parts.push(this.buf.subarray(from, this.lineContentEnd(from)));
        from = this.pos + 1;
      } else if (c === close && --depth === 0) {
        parts.push(this.buf.subarray(from, this.pos++));
        return Buffer.concat(parts);
      } else if (c === open && open !== close) depth++;
    }
    return null;
  }

  /** Whether the backslash under the cursor quotes the next byte: before a line break it is obs-qp text. */
  private escapes(): boolean {
    const next = this.pos + 1 < this.end ? this.buf[this.pos + 1] : undefined;
    return next !== undefined && next !== CR && next !== LF;
  }

  /** Where the text before the LF under the cursor ends: a CR before it is part of the line break. */
  private lineContentEnd(from: number): number {
    return this.pos > from && this.buf[this.pos - 1] === CR ? this.pos - 1 : this.pos;
  }

  /** A domain-literal (at `[`), brackets and backslashes kept, folds dropped; null when malformed. */
  domainLiteral(): Buffer | null {
    const parts: Buffer[] = [];
    let from = this.pos;
    for (this.pos++; this.pos < this.end; this.pos++) {
      const c = this.buf[this.pos]!;
      if (c === 0x5b) return null;
      if (c === 0x5d) {
        parts.push(this.buf.subarray(from, ++this.pos));
        return Buffer.concat(parts);
      }
      if (c === LF) {
        parts.push(this.buf.subarray(from, this.lineContentEnd(from)));
        from = this.pos + 1;
      } else if (c === BACKSLASH && this.escapes()) this.pos++;
    }
    return null;
  }
}

// Bytes at least this long are kept as their own chunk rather than copied in (message bodies).
const OWN_CHUNK = 8192;
// Small enough to come from Node's shared pool; an idle connection's sink holds nothing.
const INITIAL = 1024;
const NOTHING = Buffer.alloc(0);

/**
 * Response bytes being assembled: short pieces are appended into one growing buffer, long ones
 * are kept as they are. A FETCH of 20k messages writes a few hundred thousand small pieces; one
 * Buffer each was most of its cost.
 */
export class ByteSink {
  private buf: Buffer = NOTHING;
  private len = 0;
  private chunks: Buffer[] = [];

  get empty(): boolean {
    return this.len === 0 && this.chunks.length === 0;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n, INITIAL));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** A string of characters below U+0100, one byte each (ASCII text, or bytes held as latin1). */
  latin1(s: string): void {
    this.room(s.length);
    // Short strings (most of a FETCH response) are copied faster by hand than through Buffer.write.
    if (s.length < 32) for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
    else this.len += this.buf.write(s, this.len, 'latin1');
  }

  /** Text of any characters, as UTF-8. */
  utf8(s: string): void {
    this.room(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Buffer): void {
    if (b.length < OWN_CHUNK) {
      this.room(b.length);
      b.copy(this.buf, this.len);
      this.len += b.length;
      return;
    }
    this.cut();
    this.chunks.push(b);
  }

  /** Ends the current buffer as a chunk; the next bytes start a fresh one. */
  private cut(): void {
    if (this.len === 0) return;
    this.chunks.push(this.buf.subarray(0, this.len));
    // The rest of the buffer takes the next bytes: between the bodies of a FETCH, starting over
    // from a small buffer reallocated it each time, doubling.
    this.buf = this.buf.length - this.len >= INITIAL ? this.buf.subarray(this.len) : NOTHING;
    this.len = 0;
  }

  /** Everything written so far, in order; the sink is empty afterwards. */
  take(): Buffer[] {
    this.cut();
    // Whatever room is left goes too: an idle connection holds no buffer.
    this.buf = NOTHING;
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

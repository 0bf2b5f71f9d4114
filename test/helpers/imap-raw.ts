import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** A tagged command's whole answer: every line up to and including the tagged status line. */
export interface RawResponse {
  /** Untagged and continuation lines, each with its literals inline and without the final CRLF. */
  lines: Buffer[];
  /** The tagged status line, tag stripped ("OK …", "NO …", "BAD …"). */
  status: string;
}

const CRLF = Buffer.from('\r\n');

/**
 * Where the response line that starts at `from` ends (index of its final CRLF), counting a
 * `{n}` literal announced at a line end as part of the line; -1 while more bytes are needed.
 */
function lineEnd(buf: Buffer, from: number): number {
  let pos = from;
  for (;;) {
    const crlf = buf.indexOf(CRLF, pos);
    if (crlf < 0) return -1;
    const literal = /\{(\d+)\+?\}$/.exec(buf.toString('latin1', Math.max(pos, crlf - 24), crlf));
    if (!literal) return crlf;
    pos = crlf + 2 + Number(literal[1]);
    if (pos > buf.length) return -1;
  }
}

/**
 * An IMAP client that hands back the server's bytes untouched, for comparing them with ours
 * (imapflow parses responses into objects and loses the difference between NIL and "", literals…).
 */
export class RawImap {
  private buf = Buffer.alloc(0);
  private tag = 0;
  private waiter: (() => void) | null = null;
  private closed: Error | null = null;
  /** The server's greeting line. */
  greeting: Buffer = Buffer.alloc(0);

  private constructor(private sock: Socket) {
    this.attach(sock);
  }

  private attach(sock: Socket): void {
    sock.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.waiter?.();
    });
    sock.on('close', () => {
      this.closed = new Error('IMAP connection closed');
      this.waiter?.();
    });
    sock.on('error', (err) => {
      this.closed = err;
      this.waiter?.();
    });
  }

  /** `localAddress` binds the client end (e.g. 127.0.0.2) to appear as another client address. */
  static async connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawImap> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ port, host, localAddress }, () => resolve(s));
      s.once('error', reject);
    });
    const client = new RawImap(sock);
    client.greeting = await client.readLine();
    return client;
  }

  private async readLine(): Promise<Buffer> {
    for (;;) {
      const end = lineEnd(this.buf, 0);
      if (end >= 0) {
        const line = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end + 2);
        return line;
      }
      if (this.closed) throw this.closed;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
  }

  /** The next response line as it comes, whatever it is (literals inline, no CRLF). */
  next(): Promise<Buffer> {
    return this.readLine();
  }

  /** Sends a command's first line (without tag and CRLF) and returns its tag, without waiting. */
  start(text: string): string {
    const tag = `R${++this.tag}`;
    this.sock.write(`${tag} ${text}\r\n`);
    return tag;
  }

  /** Bytes as they are: a literal's data after "+", IDLE's DONE. */
  write(data: string | Buffer): void {
    this.sock.write(data);
  }

  /** Collects the answer to the command tagged `tag`: its lines and its status, OK, NO or BAD. */
  async finish(tag: string): Promise<RawResponse> {
    const lines: Buffer[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line.toString('latin1', 0, tag.length + 1) !== tag + ' ') lines.push(line);
      else return { lines, status: line.toString('latin1', tag.length + 1) };
    }
  }

  /** Sends one command and collects its answer, a NO or BAD as much as an OK. */
  send(text: string): Promise<RawResponse> {
    return this.finish(this.start(text));
  }

  /** Sends one command (without tag and CRLF) and collects its answer; a NO or BAD throws. */
  async command(text: string): Promise<RawResponse> {
    const r = await this.send(text);
    if (!r.status.startsWith('OK')) throw new Error(`${text.split(' ')[0]}: ${r.status}`);
    return r;
  }

  /** After the tagged OK to STARTTLS: TLS from the next byte on, any certificate accepted. */
  async startTls(): Promise<void> {
    this.sock.removeAllListeners('data');
    const secure = tlsConnect({ socket: this.sock, rejectUnauthorized: false });
    this.sock = secure;
    this.attach(secure);
    await once(secure, 'secureConnect');
  }

  /**
   * Sends a command the server first answers with a continuation request (IDLE) and waits for
   * that "+" line, so the command is known to be under way; a tagged answer instead throws.
   */
  async begin(text: string): Promise<void> {
    const tag = `R${++this.tag}`;
    this.sock.write(`${tag} ${text}\r\n`);
    for (;;) {
      const line = await this.readLine();
      if (line[0] === 0x2b) return;
      if (line.toString('latin1', 0, tag.length + 1) === tag + ' ') throw new Error(`${text}: ${line.toString('latin1', tag.length + 1)}`);
    }
  }

  /** Reads nothing for `ms`, then goes on: a slow client, whose unread bytes back up at the server. */
  stall(ms: number): Promise<void> {
    this.sock.pause();
    return new Promise((resolve) =>
      setTimeout(() => {
        this.sock.resume();
        resolve();
      }, ms),
    );
  }

  close(): void {
    this.sock.destroy();
  }
}

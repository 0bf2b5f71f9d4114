import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface WireReply {
  code: number;
  /** Enhanced status code of the last line, when there is one. */
  enhanced: string | null;
  lines: string[];
  /** The whole reply as received, lines joined with \n, for assertion messages. */
  text: string;
}

/**
 * A raw SMTP/LMTP client for exact protocol assertions: writes bytes as given and parses the
 * replies (multi-line included) in the order they arrive.
 */
export class WireClient {
  private buffer = '';
  private replies: WireReply[] = [];
  private waiting: ((r: WireReply | null) => void)[] = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      this.ended = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
    socket.on('error', () => undefined);
  }

  /** Connects and consumes the 220 greeting. */
  static async open(port: number, host = '127.0.0.1'): Promise<{ client: WireClient; greeting: WireReply }> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.setNoDelay(true);
    const client = new WireClient(socket);
    return { client, greeting: await client.reply() };
  }

  /** The same over implicit TLS (submissions, RFC 8314), trusting any certificate: tests use self-signed ones. */
  static async openTls(port: number, host = '127.0.0.1'): Promise<{ client: WireClient; greeting: WireReply }> {
    const socket = connectTls({ port, host, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    socket.setNoDelay(true);
    const client = new WireClient(socket);
    return { client, greeting: await client.reply() };
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('latin1');
    for (;;) {
      const lines: string[] = [];
      let pos = 0;
      let complete = false;
      for (;;) {
        const eol = this.buffer.indexOf('\r\n', pos);
        if (eol < 0) break;
        const line = this.buffer.slice(pos, eol);
        lines.push(line);
        pos = eol + 2;
        if (line.length < 4 || line[3] !== '-') {
          complete = true;
          break;
        }
      }
      if (!complete) return;
      this.buffer = this.buffer.slice(pos);
      this.push(lines);
    }
  }

  private push(lines: string[]): void {
    const last = lines[lines.length - 1];
    const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3}) /.exec(last);
    const reply: WireReply = { code: Number(last.slice(0, 3)), enhanced: m ? m[1] : null, lines, text: lines.join('\n') };
    const w = this.waiting.shift();
    if (w) w(reply);
    else this.replies.push(reply);
  }

  /** The next reply; rejects when the server closed the connection instead. */
  async reply(timeoutMs = 10_000): Promise<WireReply> {
    const ready = this.replies.shift();
    if (ready) return ready;
    if (this.ended) throw new Error('connection closed');
    const r = await new Promise<WireReply | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply in time')), timeoutMs);
      this.waiting.push((x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
    if (!r) throw new Error('connection closed');
    return r;
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Sends one command line (CRLF added) and returns its reply. */
  async command(line: string | Buffer): Promise<WireReply> {
    this.write(Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'utf8') : line, Buffer.from('\r\n')]));
    return this.reply();
  }

  /** DATA, then the message as given (already canonical), dot-stuffed and terminated. */
  async data(message: Buffer): Promise<WireReply> {
    const start = await this.command('DATA');
    if (start.code !== 354) return start;
    this.write(frameData(message));
    return this.reply();
  }

  destroy(): void {
    this.socket.destroy();
  }

  async quit(): Promise<void> {
    if (!this.ended) {
      this.write('QUIT\r\n');
      await this.closed;
    }
  }
}

/** Bare LF becomes CRLF; every other byte, bare CR included, stays as it is. */
export function canonicalize(message: Buffer): Buffer {
  return Buffer.from(message.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1');
}

/** What the server must store for a canonical message: the last line ends with CRLF. */
export function withFinalCrlf(message: Buffer): Buffer {
  if (message.length === 0 || message.subarray(-2).equals(Buffer.from('\r\n'))) return message;
  return Buffer.concat([message, Buffer.from('\r\n')]);
}

/** Dot-stuffing and the terminating dot line (RFC 5321 §4.5.2). */
export function frameData(canonical: Buffer): Buffer {
  const body = withFinalCrlf(canonical).toString('latin1');
  const stuffed = (body.startsWith('.') ? '.' : '') + body.replace(/\r\n\./g, '\r\n..');
  return Buffer.from(`${stuffed}.\r\n`, 'latin1');
}

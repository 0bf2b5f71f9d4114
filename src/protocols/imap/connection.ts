import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw } from 'node:zlib';
import { dispatch, greeting, isKnownCommand } from './dispatch.ts';
import { CommandReader, type Command, type ReaderEvent } from './reader.ts';
import { ImapSession, type SessionContext, type Wire } from './session.ts';

// Bytes of responses one connection may hold before its command waits for the client to read.
const OUTPUT_BUFFER = 1024 * 1024;

// RFC 9051 §5.4: an idle client may be logged out after at least 30 minutes.
const AUTOLOGOUT_MS = 30 * 60_000;
// Commands read ahead of the one running: past this, reading pauses (bounded memory per connection).
const MAX_QUEUED = 32;
// Commands a connection may run per second before it is slowed down.
const COMMANDS_PER_SECOND = 200;
const MAX_LINE_BYTES = 64 * 1024;
const MAX_DEPTH = 32;

type Queued = { kind: 'command'; command: Command } | { kind: 'error'; tag: string | null; message: string; code?: string; fatal: boolean };

/**
 * One client connection: bytes in through the command reader, commands run one at a time in
 * order, responses out. Owns the socket, so STARTTLS swaps it here.
 */
export class ImapConnection implements Wire {
  private reader: CommandReader;
  private readonly session: ImapSession;
  private readonly queue: Queued[] = [];
  private running = false;
  private rawWaiter: ((line: string) => void) | null = null;
  private closed = false;
  private windowStart = 0;
  /** Set once COMPRESS=DEFLATE is active: everything written goes through it. */
  private deflate: DeflateRaw | null = null;
  private windowCount = 0;

  constructor(
    private socket: Socket,
    ctx: SessionContext,
    private readonly secureContext: SecureContext,
    private readonly onClose: () => void,
  ) {
    this.reader = this.newReader(ctx);
    this.session = new ImapSession(this, ctx);
    this.attach(socket);
    socket.setTimeout(AUTOLOGOUT_MS, () => {
      this.session.status('BYE', 'Autologout; idle for too long');
      this.close();
    });
    greeting(this.session);
  }

  get secure(): boolean {
    return this.socket instanceof TLSSocket;
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  write(chunks: Buffer[], taken?: () => void): void {
    if (this.closed || chunks.length === 0) return taken?.();
    const out = this.deflate ?? this.socket;
    if (chunks.length > 1) this.socket.cork();
    // A stream calls back in order, once it has handed a chunk on (to the kernel, TLS or zlib).
    chunks.forEach((chunk, i) => out.write(chunk, i === chunks.length - 1 ? taken : undefined));
    // A sync flush per write: the client must see it now, not when the window fills.
    this.deflate?.flush(constants.Z_SYNC_FLUSH);
    if (chunks.length > 1) this.socket.uncork();
  }

  async drained(): Promise<void> {
    // Up to OUTPUT_BUFFER may wait for the client, so the next round is prepared while it reads
    // this one; past that, the command pauses until the client has taken it all. With COMPRESS,
    // bytes may also wait in the compressor, which must not grow without bound either.
    for (const stream of this.deflate ? [this.deflate, this.socket] : [this.socket]) {
      if (stream.writableLength <= OUTPUT_BUFFER || this.closed) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          stream.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        stream.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  get compressed(): boolean {
    return this.deflate !== null;
  }

  /** COMPRESS=DEFLATE (RFC 4978): raw deflate both ways from the next byte on. */
  startCompression(): void {
    const inflate = createInflateRaw();
    const deflate = createDeflateRaw();
    deflate.on('data', (chunk: Buffer) => this.socket.write(chunk));
    inflate.on('data', (chunk: Buffer) => this.onData(chunk));
    inflate.on('error', () => this.close());
    this.socket.removeAllListeners('data');
    this.socket.on('data', (chunk: Buffer) => inflate.write(chunk));
    this.deflate = deflate;
  }

  async startTls(): Promise<void> {
    // Whatever the client pipelined after STARTTLS arrived in clear text and is dropped (RFC 9051 §6.2.1).
    this.queue.length = 0;
    this.reader = this.newReader(this.session.ctx);
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.secureContext });
    this.socket = secure;
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', resolve);
      secure.once('error', reject);
    });
  }

  nextRawLine(): Promise<string> {
    this.reader.expectRawLine();
    return new Promise((resolve) => (this.rawWaiter = resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Server shutdown: the client is told, then the connection closes. */
  shutdown(): void {
    this.session.status('BYE', 'Server shutting down');
    this.close();
  }

  private newReader(ctx: SessionContext): CommandReader {
    return new CommandReader({ maxLineBytes: MAX_LINE_BYTES, maxLiteralBytes: ctx.config.maxMessageSize, maxDepth: MAX_DEPTH });
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
      this.onClose();
      this.rawWaiter?.('');
    });
  }

  private onData(chunk: Buffer): void {
    for (const ev of this.reader.push(chunk)) this.onEvent(ev);
    if (this.queue.length >= MAX_QUEUED) this.socket.pause();
    this.drain().catch((err) => {
      // A bug past dispatch's own handling: this connection ends, the server does not.
      this.session.ctx.logger.error({ err }, 'imap connection failed');
      this.close();
    });
  }

  private onEvent(ev: ReaderEvent): void {
    if (ev.kind === 'continue') {
      // An unknown command is refused before its literal is sent (RFC 9051 §7.5's BLURDYBLOOP).
      if (isKnownCommand(ev.command.name)) this.session.continuation('Ready for literal data');
      else {
        this.reader.refuseLiteral();
        this.queue.push({ kind: 'error', tag: ev.command.tag, message: `unknown command ${ev.command.name.slice(0, 40)}`, fatal: false });
      }
    }
    else if (ev.kind === 'raw') {
      const waiter = this.rawWaiter;
      this.rawWaiter = null;
      waiter?.(ev.line);
    } else if (ev.kind === 'command') this.queue.push({ kind: 'command', command: ev.command });
    else this.queue.push({ kind: 'error', tag: ev.tag, message: ev.message, code: ev.code, fatal: ev.fatal });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const item = this.queue.shift()!;
        if (this.queue.length < MAX_QUEUED / 2) this.socket.resume();
        await this.throttle();
        if (item.kind === 'error') {
          if (item.tag) this.session.tagged(item.tag, 'BAD', item.message, item.code);
          else this.session.status('BAD', item.message, item.code);
          if (item.fatal) this.close();
          continue;
        }
        await dispatch(this.session, item.command);
        if (this.session.state === 'logout') this.close();
      }
    } finally {
      this.running = false;
    }
  }

  private async throttle(): Promise<void> {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount > COMMANDS_PER_SECOND) {
      await new Promise((r) => setTimeout(r, 1000 - (now - this.windowStart)));
      this.windowStart = Date.now();
      this.windowCount = 1;
    }
  }
}

import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { BenchChild, isMainModule, serveRequests } from './child.ts';

/** What the receiving server saw: times are ms since the epoch (Date.now()), CPU in seconds. */
export interface SinkReport {
  messages: number;
  bytes: number;
  firstAt: number;
  lastAt: number;
  cpuSeconds: number;
}

type SinkRequest = { op: 'start' } | { op: 'wait'; messages: number; timeoutMs: number };

let messages = 0;
let bytes = 0;
let firstAt = 0;
let lastAt = 0;
let waiter: (() => void) | null = null;
const cpuAtStart = process.cpuUsage();

/**
 * A remote MTA that accepts everything, counts it and throws it away, so the measurement is
 * Gannet's sending side. No STARTTLS (the transfer stays plain) and no authentication.
 */
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  disableReverseLookup: true,
  size: 64 * 1024 * 1024,
  onData(stream: SMTPServerDataStream, _session, callback) {
    let size = 0;
    stream.on('data', (chunk: Buffer) => (size += chunk.length));
    stream.on('end', () => {
      lastAt = Date.now();
      if (messages === 0) firstAt = lastAt;
      messages++;
      bytes += size;
      callback();
      waiter?.();
    });
  },
});

async function handle(r: SinkRequest): Promise<unknown> {
  if (r.op === 'start') {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.server.address() as { port: number }).port };
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${messages} of ${r.messages} messages arrived`)), r.timeoutMs);
    waiter = () => {
      if (messages < r.messages) return;
      clearTimeout(timer);
      resolve();
    };
    waiter();
  });
  const cpu = process.cpuUsage(cpuAtStart);
  return { messages, bytes, firstAt, lastAt, cpuSeconds: (cpu.user + cpu.system) / 1e6 } satisfies SinkReport;
}

/** The receiving server in a child process, so its CPU is not counted as Gannet's. */
export class SmtpSink {
  private constructor(
    private readonly child: BenchChild,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    const child = BenchChild.fork(new URL(import.meta.url));
    const { port } = await child.request<{ port: number }>({ op: 'start' } satisfies SinkRequest);
    return new SmtpSink(child, port);
  }

  /** Resolves once `messages` have arrived in all (counting from the start). */
  waitFor(messages: number, timeoutMs: number): Promise<SinkReport> {
    return this.child.request<SinkReport>({ op: 'wait', messages, timeoutMs } satisfies SinkRequest);
  }

  stop(): void {
    this.child.kill();
  }
}

if (isMainModule(import.meta.url)) serveRequests(handle);

import { RawImap } from '../../test/helpers/imap-raw.ts';
import { BenchChild, isMainModule, serveRequests } from './child.ts';

/**
 * The IMAP side of bench/imap.ts, in a child process. It speaks over raw sockets (RawImap) and
 * reads each response to its tagged OK, so a timing is the server's work plus loopback, not a
 * client library's parsing.
 */
export type ImapRequest =
  | { op: 'open'; port: number; user: string; password: string }
  | { op: 'time'; command: string }
  | { op: 'idle'; port: number; user: string; password: string; count: number }
  | { op: 'close' };

export interface Timed {
  ms: number;
  /** Response bytes up to the tagged OK (CRLFs of literals' lines included, roughly). */
  bytes: number;
  /** Untagged response lines (one per message for FETCH). */
  responses: number;
  /** Numbers in the `* SEARCH` answer, when there was one. */
  hits: number | null;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

async function session(port: number, user: string, password: string): Promise<RawImap> {
  const c = await RawImap.connect(port);
  await c.command(`LOGIN ${quote(user)} ${quote(password)}`);
  await c.command('SELECT INBOX');
  return c;
}

let timed: RawImap | null = null;
let idle: RawImap[] = [];

async function handle(r: ImapRequest): Promise<Timed | number | null> {
  switch (r.op) {
    case 'open':
      timed = await session(r.port, r.user, r.password);
      return null;
    case 'time': {
      const started = performance.now();
      const res = await timed!.command(r.command);
      const ms = performance.now() - started;
      const search = res.lines.find((l) => l.toString('latin1', 0, 9) === '* SEARCH ' || l.toString('latin1') === '* SEARCH');
      const hits = search ? search.toString('latin1').split(' ').length - 2 : null;
      return { ms, bytes: res.lines.reduce((n, l) => n + l.length + 2, 0), responses: res.lines.length, hits };
    }
    case 'idle': {
      // A few logins at a time: both servers hash passwords slowly on purpose.
      for (let i = 0; i < r.count; i += 10) {
        const batch = await Promise.all(Array.from({ length: Math.min(10, r.count - i) }, () => session(r.port, r.user, r.password)));
        await Promise.all(batch.map((c) => c.begin('IDLE')));
        idle.push(...batch);
      }
      return idle.length;
    }
    case 'close':
      for (const c of [...idle, ...(timed ? [timed] : [])]) c.close();
      idle = [];
      timed = null;
      return null;
  }
}

/** The parent's handle on a client process. */
export class ImapBenchClient {
  private readonly child = BenchChild.fork(new URL(import.meta.url));

  request<T extends Timed | number | null>(r: ImapRequest): Promise<T> {
    return this.child.request<T>(r);
  }

  async stop(): Promise<void> {
    await this.request({ op: 'close' });
    this.child.kill();
  }
}

if (isMainModule(import.meta.url)) serveRequests(handle);

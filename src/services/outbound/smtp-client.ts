import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { Hop } from './routes.ts';

export type AttemptResult = { kind: 'delivered' | 'temporary' | 'permanent'; response: string };

export interface Transfer {
  from: string;
  to: string[];
  raw: Buffer;
}

const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 120_000 };

function classify(err: SMTPConnection.SMTPError): AttemptResult {
  const code = err.responseCode;
  const response = err.response ?? `${err.code ?? 'error'}: ${err.message}`;
  // Only a 5xx reply is final; refused connections, timeouts and 4xx are worth another try. A
  // refused login is not final either, as a relay MTA defers on it: it says nothing about the
  // message, and once the account's password is corrected the same attempt goes through.
  const final = code !== undefined && code >= 500 && code < 600 && err.code !== 'EAUTH';
  return { kind: final ? 'permanent' : 'temporary', response };
}

export interface PoolOptions {
  clientName: string;
  /** Connections open at once to one host:port (RFC 5321 §4.5.4.1 asks senders to limit them). */
  perHost: number;
  /** How long an idle connection waits for the next message to the same hop before QUIT. */
  idleMs?: number;
  /** Extra trust anchors for verified TLS (MTA-STS enforce); tests trust their own CA here. */
  ca?: string | string[];
}

/** One open connection, with the promise that rejects when it breaks. */
interface Conn {
  smtp: SMTPConnection;
  broken: Promise<never>;
  dead: boolean;
  idle?: NodeJS.Timeout;
}

interface HostPool {
  open: number;
  idle: Conn[];
  waiters: (() => void)[];
}

/**
 * SMTP transactions to hops (RFC 5321), at most `perHost` connections per destination, each
 * reused for the next message to the same hop while it is idle for less than `idleMs`.
 * STARTTLS is opportunistic and unverified (without MTA-STS or DANE an MX's certificate proves
 * nothing, and refusing would only push the mail to plaintext), except on a `verifyTls` hop,
 * which must offer STARTTLS with a certificate valid for its name.
 */
export class SmtpPool {
  private readonly pools = new Map<string, HostPool>();

  constructor(private readonly opts: PoolOptions) {}

  /** One message to one hop: an outcome per recipient. */
  async transfer(hop: Hop, t: Transfer): Promise<Map<string, AttemptResult>> {
    const all = (r: AttemptResult) => new Map(t.to.map((a) => [a, r]));
    const key = `${hop.host}|${hop.port}|${hop.verifyTls ? 'verify' : ''}|${hop.login ? `${hop.login.tls}|${hop.login.user}` : ''}`;
    let conn: Conn;
    let reused: boolean;
    try {
      ({ conn, reused } = await this.acquire(key, hop));
    } catch (err) {
      return all(classify(err as SMTPConnection.SMTPError));
    }
    try {
      const info = await step<SMTPConnection.SentMessageInfo>(conn, (done) => conn.smtp.send({ from: t.from, to: t.to, size: t.raw.length }, t.raw, done));
      const out = all({ kind: 'delivered', response: info.response });
      info.rejected.forEach((addr, i) => out.set(addr, classify(info.rejectedErrors?.[i] ?? { name: 'SMTPError', message: 'rejected' })));
      await this.release(key, conn, true);
      return out;
    } catch (err) {
      const e = err as SMTPConnection.SMTPError & { rejected?: string[]; rejectedErrors?: SMTPConnection.SMTPError[] };
      // A server may close an idle connection just as it is reused: that is no answer about
      // this message, which then goes over a fresh connection.
      if (reused && e.responseCode === undefined && conn.dead) {
        await this.release(key, conn, false);
        return this.transfer(hop, t);
      }
      await this.release(key, conn, e.responseCode !== undefined);
      // Every recipient refused at RCPT: each has its own reply.
      if (e.rejected?.length) return new Map(e.rejected.map((addr, i) => [addr, classify(e.rejectedErrors?.[i] ?? e)]));
      return all(classify(e));
    }
  }

  /** An idle connection to the hop, a new one while under the limit, or a wait for either. */
  private async acquire(key: string, hop: Hop): Promise<{ conn: Conn; reused: boolean }> {
    const pool = this.pools.get(key) ?? { open: 0, idle: [], waiters: [] };
    this.pools.set(key, pool);
    for (;;) {
      const idle = pool.idle.pop();
      if (idle) {
        clearTimeout(idle.idle);
        return { conn: idle, reused: true };
      }
      if (pool.open < this.opts.perHost) break;
      await new Promise<void>((resolve) => pool.waiters.push(resolve));
    }
    pool.open++;
    const conn = this.connection(hop, () => this.forget(key, conn));
    try {
      await step<void>(conn, (done) => conn.smtp.connect((err) => done(err)));
      const login = hop.login;
      if (login) await step<void>(conn, (done) => conn.smtp.login({ user: login.user, pass: login.pass }, (err) => done(err)));
      return { conn, reused: false };
    } catch (err) {
      await this.release(key, conn, false);
      throw err;
    }
  }

  private connection(hop: Hop, onBroken: () => void): Conn {
    const smtp = new SMTPConnection({ host: hop.host, port: hop.port, name: this.opts.clientName, ...this.security(hop), ...TIMEOUTS });
    const conn: Conn = { smtp, dead: false, broken: Promise.resolve() as never };
    // The library reports a broken connection as an 'error' event, not through the pending
    // callback; racing each step against it keeps a dropped connection from hanging the attempt.
    conn.broken = new Promise<never>((_, reject) => {
      const fail = (err: Error) => {
        conn.dead = true;
        onBroken();
        reject(err);
      };
      smtp.on('error', fail);
      smtp.on('end', () => fail(Object.assign(new Error('connection closed by the server'), { code: 'ECONNECTION' })));
    });
    conn.broken.catch(() => {});
    return conn;
  }

  /**
   * A login hop hands over the account's password, so its TLS is verified like the mirror's
   * IMAP connection (ADR 0028); plain only when the account asks for it.
   */
  private security(hop: Hop): SMTPConnection.Options {
    const verified = { rejectUnauthorized: true, servername: isIP(hop.host) ? undefined : hop.host, ca: this.opts.ca };
    if (hop.login) return { secure: hop.login.tls === 2, requireTLS: hop.login.tls === 3, ignoreTLS: hop.login.tls === 0, tls: verified };
    if (hop.verifyTls) return { requireTLS: true, tls: verified };
    return { opportunisticTLS: true, tls: { rejectUnauthorized: false } };
  }

  /** An idle connection that the server closed, or that waited `idleMs`, leaves the pool and frees its slot. */
  private forget(key: string, conn: Conn): void {
    const pool = this.pools.get(key);
    const at = pool?.idle.indexOf(conn) ?? -1;
    if (!pool || at < 0) return;
    clearTimeout(conn.idle);
    pool.idle.splice(at, 1);
    pool.open--;
    pool.waiters.shift()?.();
  }

  /** Back to the idle list after RSET when it can carry another message; otherwise closed. */
  private async release(key: string, conn: Conn, reusable: boolean): Promise<void> {
    const pool = this.pools.get(key)!;
    if (reusable && !conn.dead) {
      try {
        await step<void>(conn, (done) => conn.smtp.reset((err) => done(err)));
      } catch {
        reusable = false;
      }
    }
    if (!reusable || conn.dead) {
      close(conn);
      pool.open--;
    } else {
      conn.idle = setTimeout(() => {
        this.forget(key, conn);
        close(conn);
      }, this.opts.idleMs ?? 5000);
      conn.idle.unref();
      pool.idle.push(conn);
    }
    pool.waiters.shift()?.();
  }

  /** QUITs every idle connection (shutdown). */
  closeIdle(): void {
    for (const pool of this.pools.values()) {
      for (const conn of pool.idle.splice(0)) {
        clearTimeout(conn.idle);
        close(conn);
        pool.open--;
      }
    }
  }
}

function close(conn: Conn): void {
  conn.dead = true;
  conn.smtp.quit();
  conn.smtp.close();
}

function step<T>(conn: Conn, run: (done: (err: SMTPConnection.SMTPError | null | undefined, value?: T) => void) => void): Promise<T> {
  return Promise.race([conn.broken, new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))))]);
}

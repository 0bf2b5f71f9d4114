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
  // Only a 5xx reply is final; refused connections, timeouts and 4xx are worth another try.
  return { kind: code !== undefined && code >= 500 && code < 600 ? 'permanent' : 'temporary', response };
}

/**
 * One SMTP transaction to one hop (RFC 5321), with opportunistic STARTTLS (certificates are not
 * verified: without MTA-STS or DANE an MX's certificate proves nothing, and refusing would only
 * push the mail to plaintext). Returns an outcome per recipient.
 */
export async function transfer(hop: Hop, clientName: string, t: Transfer): Promise<Map<string, AttemptResult>> {
  const conn = new SMTPConnection({ host: hop.host, port: hop.port, name: clientName, opportunisticTLS: true, tls: { rejectUnauthorized: false }, ...TIMEOUTS });
  const all = (r: AttemptResult) => new Map(t.to.map((a) => [a, r]));
  // The library reports a broken connection as an 'error' event, not through the pending
  // callback; racing each step against it keeps a dropped connection from hanging the attempt.
  const broken = new Promise<never>((_, reject) => {
    conn.on('error', reject);
    conn.on('end', () => reject(Object.assign(new Error('connection closed by the server'), { code: 'ECONNECTION' })));
  });
  broken.catch(() => {});
  const step = <T>(run: (done: (err: SMTPConnection.SMTPError | null | undefined, value?: T) => void) => void) =>
    Promise.race([broken, new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))))]);
  try {
    await step<void>((done) => conn.connect((err) => done(err)));
    const info = await step<SMTPConnection.SentMessageInfo>((done) => conn.send({ from: t.from, to: t.to, size: t.raw.length }, t.raw, done));
    const out = all({ kind: 'delivered', response: info.response });
    info.rejected.forEach((addr, i) => out.set(addr, classify(info.rejectedErrors?.[i] ?? { name: 'SMTPError', message: 'rejected' })));
    return out;
  } catch (err) {
    const e = err as SMTPConnection.SMTPError & { rejected?: string[]; rejectedErrors?: SMTPConnection.SMTPError[] };
    // Every recipient refused at RCPT: each has its own reply.
    if (e.rejected?.length) return new Map(e.rejected.map((addr, i) => [addr, classify(e.rejectedErrors?.[i] ?? e)]));
    return all(classify(e));
  } finally {
    conn.quit();
    conn.close();
  }
}

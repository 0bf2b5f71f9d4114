import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { parseAddress } from '../directory/names.ts';
import type { StsPolicy } from './mta-sts.ts';
import type { Hop, Router } from './routes.ts';

export type StepName = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'mailFrom' | 'rcptTo' | 'quit';

export interface Step {
  step: StepName;
  ok: boolean;
  elapsedMs: number;
  /** The server's reply, as sent (multi-line replies joined with newlines). */
  response?: string;
  error?: string;
  /** On `starttls`: what was negotiated and whether the certificate is valid for the host. */
  tls?: { protocol: string | null; cipher: string | null; certificateValid: boolean; certificateError: string | null; subject: string | null; validTo: string | null };
}

export interface HostReport {
  host: string;
  port: number;
  /** MTA-STS enforce: delivery would need verified TLS here. */
  requireTls: boolean;
  /** accepted: RCPT got 2xx; refused: 5xx; temporary: 4xx; failed: no RCPT answer. */
  result: 'accepted' | 'refused' | 'temporary' | 'failed';
  steps: Step[];
}

export interface DeliveryReport {
  recipient: string;
  domain: string;
  route: {
    via: 'static' | 'relay' | 'mx' | null;
    mx: { host: string; preference: number }[] | null;
    mtaSts: StsPolicy | null;
    mtaStsError: string | null;
    /** Why the domain cannot be routed at all (null MX, NXDOMAIN, MTA-STS with no matching MX). */
    error: string | null;
    /** Time taken by the DNS lookups and the MTA-STS policy fetch. */
    elapsedMs: number;
  };
  hosts: HostReport[];
  elapsedMs: number;
}

const STEP_TIMEOUT_MS = 15_000;

/**
 * Delivery troubleshooting for one recipient: the route the queue would take, then for each host
 * in delivery order a dialogue as far as RCPT (MAIL FROM:<>, RCPT TO, QUIT; never DATA, so
 * nothing is delivered), with timings. Hosts after the first that answers RCPT are not tried,
 * as delivery would not try them either.
 */
export class DeliveryTroubleshooter {
  constructor(
    private readonly router: Router,
    private readonly opts: { hostname: string; ca?: string | string[] },
  ) {}

  async run(recipient: string): Promise<DeliveryReport> {
    const started = Date.now();
    const { domain, normalized } = parseAddress(recipient, 'recipient');
    const route = await this.router.route(domain);
    const report: DeliveryReport = {
      recipient: normalized,
      domain,
      route: {
        via: route.via ?? null,
        mx: route.mx ?? null,
        mtaSts: route.sts?.policy ?? null,
        mtaStsError: route.sts?.error ?? null,
        error: 'permanent' in route ? route.permanent : 'temporary' in route ? route.temporary : null,
        elapsedMs: Date.now() - started,
      },
      hosts: [],
      elapsedMs: 0,
    };
    for (const hop of 'hops' in route ? route.hops : []) {
      const host = await this.probe(hop, normalized);
      report.hosts.push(host);
      if (host.result !== 'failed') break;
    }
    report.elapsedMs = Date.now() - started;
    return report;
  }

  private async probe(hop: Hop, rcpt: string): Promise<HostReport> {
    const report: HostReport = { host: hop.host, port: hop.port, requireTls: !!hop.verifyTls, result: 'failed', steps: [] };
    let dialog: Dialog | undefined;
    const timed = async (step: StepName, run: () => Promise<Partial<Step>>): Promise<Partial<Step>> => {
      const t0 = Date.now();
      try {
        const out = await run();
        report.steps.push({ step, ok: out.ok ?? true, elapsedMs: Date.now() - t0, ...out });
        return out;
      } catch (err) {
        const reply = (err as { reply?: string }).reply;
        report.steps.push({ step, ok: false, elapsedMs: Date.now() - t0, ...(reply ? { response: reply } : { error: (err as Error).message }) });
        throw err;
      }
    };
    /** A command whose reply must be 2xx for the dialogue to go on. */
    const command = (step: StepName, line: string | null) =>
      timed(step, async () => {
        const r = await dialog!.command(line);
        if (Math.floor(r.code / 100) !== 2) throw Object.assign(new Error(r.text), { reply: r.text });
        return { response: r.text };
      });
    try {
      await timed('connect', async () => {
        dialog = new Dialog(await open(hop));
        return {};
      });
      await command('greeting', null);
      let ehlo = (await command('ehlo', `EHLO ${this.opts.hostname}`)).response ?? '';
      const offersTls = /^250[- ]STARTTLS\s*$/im.test(ehlo);
      if (offersTls) {
        const starttls = await timed('starttls', async () => {
          const r = await dialog!.command('STARTTLS');
          if (Math.floor(r.code / 100) !== 2) throw Object.assign(new Error(r.text), { reply: r.text });
          const tls = await dialog!.upgrade(hop, this.opts.ca);
          // Delivery to an MTA-STS enforce host stops here when the certificate is not valid.
          return { response: r.text, tls, ok: !hop.verifyTls || tls.certificateValid };
        });
        if (!starttls.ok) throw new Error('MTA-STS requires a valid certificate');
        ehlo = (await command('ehlo', `EHLO ${this.opts.hostname}`)).response ?? '';
      } else if (hop.verifyTls) {
        report.steps.push({ step: 'starttls', ok: false, elapsedMs: 0, error: 'STARTTLS not offered, and MTA-STS requires TLS' });
        throw new Error('no STARTTLS');
      }
      await command('mailFrom', 'MAIL FROM:<>');
      let code = 0;
      await timed('rcptTo', async () => {
        const r = await dialog!.command(`RCPT TO:<${rcpt}>`);
        code = r.code;
        return { response: r.text, ok: r.code < 400 };
      });
      report.result = code < 400 ? 'accepted' : code >= 500 ? 'refused' : 'temporary';
      await command('quit', 'QUIT').catch(() => {});
    } catch {
      // The failed step is in the report; the host's result stays `failed`.
    } finally {
      dialog?.close();
    }
    return report;
  }
}

function open(hop: Hop): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: hop.host, port: hop.port, timeout: STEP_TIMEOUT_MS });
    socket.once('connect', () => resolve(socket));
    socket.once('timeout', () => socket.destroy(new Error('connection timed out')));
    socket.once('error', reject);
  });
}

/** Just enough of an SMTP client to read replies and send commands, with STARTTLS. */
class Dialog {
  private buffer = '';
  private lines: string[] = [];
  private replies: { code: number; text: string }[] = [];
  private waiting?: { resolve: (r: { code: number; text: string }) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.lines.push(line);
      if (line[3] !== '-') {
        this.replies.push({ code: Number(line.slice(0, 3)) || 0, text: this.lines.join('\n') });
        this.lines = [];
      }
    }
    this.deliver();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.deliver();
  }

  private deliver(): void {
    if (!this.waiting) return;
    const next = this.replies.shift();
    if (next) this.waiting.resolve(next);
    else if (this.failure) this.waiting.reject(this.failure);
    else return;
    this.waiting = undefined;
  }

  /** Sends a line (none: just reads, for the greeting) and waits for the reply. */
  command(line: string | null): Promise<{ code: number; text: string }> {
    if (line !== null) this.socket.write(`${line}\r\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
      const done = <T>(fn: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        fn(v);
      };
      this.waiting = { resolve: done(resolve), reject: done(reject) };
      this.deliver();
    });
  }

  /** TLS over the connection, never refused here: the certificate's validity is reported instead. */
  async upgrade(hop: Hop, ca?: string | string[]): Promise<NonNullable<Step['tls']>> {
    const plain = this.socket;
    plain.removeAllListeners('data').removeAllListeners('error').removeAllListeners('close');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, host: hop.host, servername: isIP(hop.host) ? undefined : hop.host, ca, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
    const cert = secure.getPeerCertificate();
    const cipher = secure.getCipher();
    return {
      protocol: secure.getProtocol() ?? null,
      cipher: cipher?.name ?? null,
      certificateValid: secure.authorized,
      certificateError: secure.authorizationError ? String(secure.authorizationError) : null,
      subject: cert?.subject?.CN ?? null,
      validTo: cert?.valid_to ?? null,
    };
  }

  close(): void {
    this.socket.destroy();
  }
}

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { mailRepo } from '../../store/repos/mail.ts';
import { queueRepo, type DueRecipient } from '../../store/repos/queue.ts';
import type { Trx, WriteContext } from '../../store/changes.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import type { EmailWriter } from '../mail/email-writer.ts';
import { resolveRecipient } from '../directory/resolve.ts';
import type { AcceptedRecipient, DeliveryService } from '../delivery/delivery.ts';
import { ServiceError } from '../errors.ts';
import { WorkerLoop } from '../worker-loop.ts';
import { composeDsn, wants, type DsnRequest, type RecipientReport } from './dsn.ts';
import { nextAttempt } from './retry.ts';
import type { Hop, Router } from './routes.ts';
import { SmtpPool, type AttemptResult } from './smtp-client.ts';

/** An attempt's outcome, with the host that gave it when it came over SMTP. */
type Outcome = AttemptResult & { mta?: string };

/** A recipient's state after an attempt, as the rows record it. */
export interface SettledRecipient {
  address: string;
  status: 'delivered' | 'failed' | 'queued';
  response: string;
}

/** Called inside the transaction that settles a message's recipients, so what it writes commits with them. */
export type SettledListener = (w: WriteContext, messageId: string, recipients: SettledRecipient[]) => Promise<void>;

export interface OutboundMessage {
  /** Reverse path; '' for the null sender. */
  from: string;
  to: string[];
  raw: Buffer;
  origin: string;
  accountId?: string;
  /** RFC 3461 parameters from the submitting client. */
  dsn?: DsnRequest;
}

export interface QueueOptions {
  hostname: string;
  expiryMs: number;
  /** A recipient still waiting this long after queueing gets its sender one "delayed" DSN. */
  delayNoticeMs: number;
  /** Longest sleep between scans, so work queued by other nodes is seen. */
  pollMs?: number;
  /** Signs each message as it is queued (DKIM, services/dkim), so every way out carries the signature. */
  signer?: { sign(raw: Buffer, envelopeFrom: string): Promise<Buffer> };
  /** The SMTP connections remote delivery uses; default: 4 per host, no extra trust anchors. */
  smtp?: SmtpPool;
  /** A mirrored account's submission server with its login; null when it has none (issue 4). */
  accountRelay?: (accountId: string) => Promise<Hop | null>;
}

/**
 * What queued mail sent as a mirrored account: every recipient goes to that account's own
 * submission server, local ones too, so the mail leaves as the provider's and is signed and
 * recorded there (DESIGN.md §6: "sending uses the account's upstream SMTP").
 */
export const ACCOUNT_RELAY_ORIGIN = 'account-relay';

const BATCH = 50;
const LEASE_MS = 10 * 60_000;
const PARALLEL = 8;

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * The persistent outbound queue: a message is durable once enqueue() resolves, and each of its
 * recipients is then tried (local ones through local delivery, remote ones over SMTP) until
 * delivered, refused for good, or expired. Recipients are leased, so several nodes sharing one
 * database never try the same recipient at once.
 */
export class OutboundQueue {
  private readonly owner = randomBytes(6).toString('hex');
  private readonly loop: WorkerLoop;
  private readonly settledListeners: SettledListener[] = [];
  private readonly smtp: SmtpPool;

  constructor(
    private readonly store: Store,
    private readonly writer: EmailWriter,
    private readonly delivery: DeliveryService,
    private readonly router: Router,
    private readonly options: QueueOptions,
    private readonly log?: Logger,
  ) {
    this.smtp = options.smtp ?? new SmtpPool({ clientName: options.hostname, perHost: 4 });
    this.loop = new WorkerLoop({
      run: () => this.scan(),
      nextDue: () => queueRepo.nextDue(this.store.db),
      pollMs: options.pollMs ?? 30_000,
      onError: (err) => this.log?.error({ err }, 'outbound queue scan failed'),
    });
  }

  async enqueue(msg: OutboundMessage): Promise<string> {
    if (msg.to.length === 0) throw new ServiceError('invalid', 'a queued message needs at least one recipient');
    const raw = this.options.signer ? await this.options.signer.sign(msg.raw, msg.from) : msg.raw;
    const blob = await this.store.blobs.put(raw);
    const now = Date.now();
    const id = await this.store.write((w) => this.insert(w.trx, msg, blob, now));
    this.wake();
    return id;
  }

  /** The rows of a queued message, in the caller's transaction: enqueue()'s and a DSN's. */
  private async insert(trx: Trx, msg: OutboundMessage, blob: { id: string; size: number }, now: number): Promise<string> {
    const id = newId('q');
    await mailRepo.addBlobRefs(trx, [blob]);
    await queueRepo.insertMessage(trx, {
      id,
      mail_from: msg.from,
      blob_id: blob.id,
      size: blob.size,
      origin: msg.origin,
      account_id: msg.accountId ?? null,
      created_at: now,
      expires_at: now + this.options.expiryMs,
      dsn_ret: msg.dsn?.ret ?? null,
      dsn_envid: msg.dsn?.envid ?? null,
    });
    await queueRepo.insertRecipients(
      trx,
      [...new Set(msg.to.map((a) => a.toLowerCase()))].map((address) => ({
        id: newId('r'),
        message_id: id,
        address,
        domain: domainOf(address),
        status: 'queued' as const,
        attempts: 0,
        next_attempt_at: now,
        lease_until: 0,
        lease_owner: null,
        last_response: null,
        updated_at: now,
        dsn_notify: msg.dsn?.recipients?.[address]?.notify?.join(',') ?? null,
        dsn_orcpt: msg.dsn?.recipients?.[address]?.orcpt ?? null,
        delay_notified: 0,
      })),
    );
    return id;
  }

  /** Each recipient of a queued message with its state; empty once every recipient is settled. */
  async recipients(messageId: string): Promise<{ address: string; status: string; attempts: number; nextAttemptAt: number; lastResponse: string | null }[]> {
    const rows = await queueRepo.recipientsOf(this.store.db, messageId);
    return rows.map((r) => ({ address: r.address, status: r.status, attempts: r.attempts, nextAttemptAt: Number(r.next_attempt_at), lastResponse: r.last_response }));
  }

  /** JMAP EmailSubmission keeps each recipient's outcome after the queue rows are gone. */
  onSettled(listener: SettledListener): void {
    this.settledListeners.push(listener);
  }

  /** False between stop() and start(): mail is still accepted, but nothing is delivered. */
  get running(): boolean {
    return !this.loop.stopped;
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.smtp.closeIdle();
  }

  /** Runs a scan now (or right after the current one). */
  wake(): void {
    this.loop.wake();
  }

  /** Attempts every due recipient, BATCH at a time, until none is due. */
  private async scan(): Promise<void> {
    while (!this.loop.stopped) {
      const now = Date.now();
      const due = await queueRepo.lease(this.store.db, this.store.dialect, this.owner, now, now + LEASE_MS, BATCH);
      if (due.length === 0) return;
      // One message's due recipients are settled together, so one pass makes at most one DSN.
      const messages = new Map<string, DueRecipient[]>();
      for (const r of due) messages.set(r.message_id, [...(messages.get(r.message_id) ?? []), r]);
      const work = [...messages.values()];
      for (let i = 0; i < work.length; i += PARALLEL) await Promise.all(work.slice(i, i + PARALLEL).map((m) => this.attempt(m)));
    }
  }

  /** One message to its due recipients: one transfer per domain, then one transaction for the outcomes. */
  private async attempt(due: DueRecipient[]): Promise<void> {
    const { mail_from: from, blob_id: blobId, message_id: messageId } = due[0];
    const relayed = due[0].origin === ACCOUNT_RELAY_ORIGIN;
    const domains = new Map<string, DueRecipient[]>();
    for (const r of due) domains.set(relayed ? '' : r.domain, [...(domains.get(relayed ? '' : r.domain) ?? []), r]);
    const results = new Map<string, Outcome>();
    let raw: Buffer | undefined;
    try {
      raw = await this.store.blobs.get(blobId);
      // A bounce is written inside the transaction that settles a delivery, where no signing key
      // can be read; it is signed here, as it leaves, instead.
      const bytes = due[0].origin === 'dsn' && this.options.signer ? await this.options.signer.sign(raw, from) : raw;
      const outcomes = await Promise.all(
        [...domains.values()].map(async (group) => {
          try {
            if (relayed) return await this.viaAccount(group, from, bytes);
            const local = await resolveRecipient(this.store.db, group[0].address);
            return local.kind === 'remote' ? await this.remote(group, from, bytes) : await this.local(group, from, bytes);
          } catch (err) {
            return new Map<string, Outcome>(group.map((r) => [r.address, { kind: 'temporary', response: (err as Error).message }]));
          }
        }),
      );
      for (const m of outcomes) for (const [address, o] of m) results.set(address, o);
    } catch (err) {
      for (const r of due) results.set(r.address, { kind: 'temporary', response: (err as Error).message });
    }
    const now = Date.now();
    let finished = false;
    await this.store.write(async (w) => {
      const reports: RecipientReport[] = [];
      const settledNow: SettledRecipient[] = [];
      for (const r of due) {
        const res = results.get(r.address) ?? { kind: 'temporary', response: 'no answer for this recipient' };
        const retry = nextAttempt(now, r.attempts + 1);
        const expired = res.kind === 'temporary' && retry > Number(r.expires_at);
        const status: 'delivered' | 'failed' | 'queued' = res.kind === 'delivered' ? 'delivered' : res.kind === 'permanent' || expired ? 'failed' : 'queued';
        const late = status === 'queued' && r.delay_notified === 0 && now - Number(r.created_at) >= this.options.delayNoticeMs;
        const report = status === 'delivered' ? wants(r.dsn_notify, 'SUCCESS') : status === 'failed' ? wants(r.dsn_notify, 'FAILURE') : late && wants(r.dsn_notify, 'DELAY');
        const patch = { status, next_attempt_at: retry, last_response: res.response.slice(0, 1000), updated_at: now, delay_notified: late ? 1 : r.delay_notified };
        const settled = await queueRepo.settle(w.trx, r.id, this.owner, patch);
        this.log?.info({ queueId: messageId, rcpt: r.address, status, response: res.response }, 'outbound attempt');
        if (settled) settledNow.push({ address: r.address, status, response: patch.last_response });
        if (!settled || !report) continue;
        reports.push({
          address: r.address,
          orcpt: r.dsn_orcpt,
          action: status === 'queued' ? 'delayed' : status === 'delivered' && res.mta ? 'relayed' : status,
          response: res.response,
          remoteMta: res.mta ?? null,
          expired,
          lastAttemptAt: now,
          willRetryUntil: status === 'queued' ? Number(r.expires_at) : null,
        });
      }
      for (const listener of this.settledListeners) await listener(w, messageId, settledNow);
      // Queued in this transaction: the outcomes and their report commit together or not at all.
      if (reports.length > 0 && from !== '') await this.queueDsn(w.trx, due[0], reports, raw, now);
      // Done with: the bytes go, the per-recipient outcomes were logged.
      finished = await queueRepo.finishIfSettled(w.trx, messageId, blobId);
    });
    if (finished) await this.writer.collectGarbage();
  }

  /** A DSN to the message's sender, from the null sender so it can never bounce in turn. */
  private async queueDsn(trx: Trx, m: DueRecipient, reports: RecipientReport[], original: Buffer | undefined, now: number): Promise<void> {
    const raw = composeDsn({ hostname: this.options.hostname, to: m.mail_from, envid: m.dsn_envid, ret: m.dsn_ret, arrivalDate: Number(m.created_at), recipients: reports, original });
    const blob = await this.store.blobs.put(raw);
    const id = await this.insert(trx, { from: '', to: [m.mail_from], raw, origin: 'dsn' }, blob, now);
    this.log?.info({ queueId: m.message_id, dsn: id, to: m.mail_from, actions: reports.map((r) => r.action) }, 'delivery status notification queued');
  }

  private async remote(group: DueRecipient[], from: string, raw: Buffer): Promise<Map<string, Outcome>> {
    const route = await this.router.route(group[0].domain);
    const fail = (kind: 'temporary' | 'permanent', response: string) => new Map<string, Outcome>(group.map((r) => [r.address, { kind, response }]));
    if ('permanent' in route) return fail('permanent', route.permanent);
    if ('temporary' in route) return fail('temporary', route.temporary);
    let results = fail('temporary', 'no host to deliver to');
    // The next MX is tried only while the previous ones could not take the message at all.
    for (const hop of route.hops) {
      const answered = await this.smtp.transfer(hop, { from, to: group.map((r) => r.address), raw });
      results = new Map([...answered].map(([address, r]) => [address, { ...r, mta: hop.host }]));
      if ([...results.values()].some((r) => r.kind !== 'temporary')) break;
    }
    return results;
  }

  private async viaAccount(group: DueRecipient[], from: string, raw: Buffer): Promise<Map<string, Outcome>> {
    const hop = group[0].account_id ? await this.options.accountRelay?.(group[0].account_id) : null;
    if (!hop) return new Map(group.map((r) => [r.address, { kind: 'permanent', response: 'the account sent from has no outgoing server any more' }]));
    const answered = await this.smtp.transfer(hop, { from, to: group.map((r) => r.address), raw });
    return new Map([...answered].map(([address, r]) => [address, { ...r, mta: hop.host }]));
  }

  private async local(group: DueRecipient[], from: string, raw: Buffer): Promise<Map<string, AttemptResult>> {
    const out = new Map<string, AttemptResult>();
    const queued: string[] = [];
    const accepted: AcceptedRecipient[] = [];
    for (const r of group) {
      try {
        accepted.push(await this.delivery.checkRecipient(r.address, true));
        queued.push(r.address);
      } catch (err) {
        const e = err as ServiceError;
        out.set(r.address, { kind: e.code === 'notFound' || e.code === 'invalid' || e.code === 'forbidden' ? 'permanent' : 'temporary', response: e.message });
      }
    }
    if (accepted.length === 0) return out;
    const envelope = { mailFrom: from, remoteAddress: '127.0.0.1', remoteName: this.options.hostname, helo: this.options.hostname, via: 'local', queueId: group[0].message_id };
    // Outcomes come back in recipient order; resolution may have rewritten the address (+tags).
    const outcomes = await this.delivery.deliver(envelope, accepted, raw);
    outcomes.forEach((o, i) =>
      out.set(queued[i], o.error ? { kind: o.error.code === 'unavailable' || o.error.code === 'overQuota' ? 'temporary' : 'permanent', response: o.error.message } : { kind: 'delivered', response: 'delivered locally' }),
    );
    return out;
  }
}

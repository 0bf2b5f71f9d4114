import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { principalRepo } from '../../store/repos/principals.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import type { Store } from '../../store/store.ts';
import { resolveRecipient, type ListInfo } from '../directory/resolve.ts';
import { receivingPrincipals } from '../directory/roles.ts';
import { ServiceError } from '../errors.ts';
import type { InboundVerdict } from './inbound-auth.ts';
import type { IngestService } from './ingest.ts';

/** A recipient that exists but may not be sent to by policy (no email-receive permission), as opposed to a relay attempt. */
export class RecipientRefused extends ServiceError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export interface Envelope {
  /** Reverse path without brackets; '' for the null sender. */
  mailFrom: string;
  remoteAddress: string;
  remoteName?: string;
  helo: string;
  /** What the Received header says the message came with: ESMTP, ESMTPS, LMTP… */
  via: string;
  authenticatedAs?: string;
  /** The id the protocol reports to the client; also written into the Received header. */
  queueId?: string;
  /** Mail from the MX: the inbound authentication verdict (its header goes below Received). */
  verdict?: Pick<InboundVerdict, 'header' | 'quarantine'>;
}

export interface AcceptedRecipient {
  address: string;
  accounts: { principalId: string; accountId: string }[];
  /** Remote addresses a list fans out to, through the outbound queue. */
  external?: string[];
  /** The list the address belongs to: its copies carry the list headers. */
  list?: ListInfo;
}

/** Hands mail for remote list members to the outbound queue (set once the queue exists; the queue needs delivery first). */
export type Forwarder = (msg: { from: string; to: string[]; raw: Buffer }) => Promise<string>;

export interface RecipientOutcome {
  address: string;
  error: ServiceError | null;
  /** Ids of the stored emails, one per account reached. */
  emailIds: string[];
}

/** What a listener hears after a message was durably stored in one account. */
export interface DeliveredMessage {
  mailFrom: string;
  recipient: string;
  accountId: string;
  principalId: string;
  /** The message as the client sent it, without our trace headers. */
  data: Buffer;
}

/** Mail arriving for local recipients over SMTP/LMTP: recipient checks and delivery to INBOX. */
export class DeliveryService {
  private readonly listeners: ((m: DeliveredMessage) => Promise<void>)[] = [];
  private forwarder?: Forwarder;

  constructor(
    private readonly store: Store,
    private readonly ingest: IngestService,
    private readonly hostname: string,
    private readonly postmaster: string,
    private readonly log?: Logger,
  ) {}

  /**
   * Decides at RCPT time: unknown local recipient, relaying without authentication and a full
   * mailbox are refused before any data is sent.
   */
  async checkRecipient(address: string, authenticated: boolean): Promise<AcceptedRecipient> {
    let r = await resolveRecipient(this.store.db, address);
    if ((r.kind === 'unknown' || r.kind === 'remote') && this.postmaster && (await this.isPostmaster(r.address))) {
      const target = await resolveRecipient(this.store.db, this.postmaster);
      if (target.kind === 'local') r = { ...target, address: r.address };
    }
    switch (r.kind) {
      case 'invalid':
        throw new ServiceError('invalid', r.reason);
      case 'remote':
        throw new ServiceError(authenticated ? 'notFound' : 'forbidden', authenticated ? `relaying to ${r.address} is not available yet` : `relaying to ${r.address} is not allowed`);
      case 'unknown':
        throw new ServiceError('notFound', `no mailbox here by the name ${r.address}`);
    }
    if (r.accounts.length === 0 && !r.external?.length) throw new ServiceError('notFound', `no mailbox here by the name ${r.address}`);
    if (r.external?.length && !this.forwarder) throw new ServiceError('unavailable', `${r.address} has remote members and no outbound queue runs here`);
    const receiving = await receivingPrincipals(this.store.db, r.accounts.map((a) => a.principalId));
    const members = r.accounts.filter((a) => receiving.has(a.principalId));
    if (members.length === 0 && !r.external?.length) throw new RecipientRefused(`${r.address} does not receive mail`);
    const full = new Set(await principalRepo.fullAccounts(this.store.db, members.map((a) => a.accountId)));
    // A group or list still reaches its other members when one mailbox is full (or one member
    // may not receive mail); one person's full mailbox refuses the mail.
    const accounts = members.filter((a) => !full.has(a.accountId));
    if (full.size > 0 && accounts.length === 0 && !r.external?.length) throw new ServiceError('overQuota', `mailbox of ${r.address} is full`);
    return { address: r.address, accounts, ...(r.external ? { external: r.external } : {}), ...(r.list ? { list: r.list } : {}) };
  }

  forwardWith(forwarder: Forwarder): void {
    this.forwarder = forwarder;
  }

  /**
   * Runs after each stored copy (vacation replies, later Sieve): never delays or fails the
   * delivery itself, so a listener's error is only logged.
   */
  onDelivered(listener: (m: DeliveredMessage) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** postmaster@ one of our domains or our host name: RFC 5321 §4.5.1 says it must be accepted. */
  private async isPostmaster(address: string): Promise<boolean> {
    const at = address.lastIndexOf('@');
    if (address.slice(0, at) !== 'postmaster') return false;
    const domain = address.slice(at + 1);
    return domain === this.hostname.toLowerCase() || (await resolveRecipient(this.store.db, `nobody@${domain}`)).kind !== 'remote';
  }

  /**
   * Stores one copy per account reached, each with its own trace headers prepended. Resolves
   * only after every copy is durably committed; per-recipient outcomes let LMTP answer each.
   */
  async deliver(envelope: Envelope, recipients: AcceptedRecipient[], data: Buffer): Promise<RecipientOutcome[]> {
    const queueId = envelope.queueId ?? randomBytes(8).toString('hex');
    const delivered = new Map<string, Promise<string>>();
    const outcomes: Promise<RecipientOutcome>[] = recipients.map(async (rcpt) => {
      try {
        const ids: string[] = [];
        if (rcpt.list && carriesListId(data, rcpt.list)) {
          // Already through this list (an external member sending it back): fanning out again would loop.
          throw new ServiceError('invalid', `mail loop: this message has already been sent through ${rcpt.address}`);
        }
        for (const a of rcpt.accounts) {
          // Several recipients may reach one account (aliases, groups): one copy per account.
          let pending = delivered.get(a.accountId);
          if (!pending) {
            const raw = Buffer.concat([Buffer.from(this.traceHeaders(envelope, rcpt.address, queueId) + listHeaders(rcpt.list), 'utf8'), data]);
            // The size limit applies to what the client sent, not to our trace headers.
            pending = this.mailboxRole(a.accountId, envelope)
              .then((role) => this.ingest.ingest({ accountId: a.accountId, raw, role, sizeForLimit: data.length }, envelope.via.startsWith('LMTP') ? 'lmtp' : 'smtp'))
              .then((r) => r.id);
            delivered.set(a.accountId, pending);
            const message = { mailFrom: envelope.mailFrom, recipient: rcpt.address, accountId: a.accountId, principalId: a.principalId, data };
            pending.then(() => this.notify(message), () => {});
          }
          ids.push(await pending);
        }
        if (rcpt.external?.length && this.forwarder) {
          // Sent on with the original reverse path, like a forward: bounces reach the sender (ADR 0026).
          const raw = Buffer.concat([Buffer.from(this.traceHeaders(envelope, rcpt.address, queueId) + listHeaders(rcpt.list), 'utf8'), data]);
          await this.forwarder({ from: envelope.mailFrom, to: rcpt.external, raw });
        }
        return { address: rcpt.address, error: null, emailIds: ids };
      } catch (err) {
        const error = err instanceof ServiceError ? err : new ServiceError('unavailable', `temporary failure: ${(err as Error).message}`);
        return { address: rcpt.address, error, emailIds: [] };
      }
    });
    return Promise.all(outcomes);
  }

  /** Quarantined mail goes to Junk; an account whose Junk was deleted gets it in INBOX rather than not at all. */
  private async mailboxRole(accountId: string, envelope: Envelope): Promise<string> {
    if (!envelope.verdict?.quarantine) return 'inbox';
    return (await mailRepo.mailboxByRole(this.store.db, accountId, 'junk')) ? 'junk' : 'inbox';
  }

  private notify(m: DeliveredMessage): void {
    for (const listener of this.listeners) listener(m).catch((err) => this.log?.error({ err, accountId: m.accountId }, 'after-delivery step failed'));
  }

  private traceHeaders(env: Envelope, rcpt: string, queueId: string): string {
    const from = env.remoteName && env.remoteName !== env.remoteAddress ? `${env.remoteName} [${env.remoteAddress}]` : `[${env.remoteAddress}]`;
    const helo = sanitize(env.helo) || 'unknown';
    const auth = env.authenticatedAs ? ` (authenticated as ${sanitize(env.authenticatedAs)})` : '';
    return (
      `Return-Path: <${sanitize(env.mailFrom)}>\r\n` +
      `Delivered-To: ${sanitize(rcpt)}\r\n` +
      `Received: from ${helo} (${from})${auth}\r\n\tby ${this.hostname} (Gannet) with ${env.via} id ${queueId}\r\n\tfor <${sanitize(rcpt)}>; ${rfc5322Date(new Date())}\r\n` +
      (env.verdict?.header ?? '')
    );
  }
}

/**
 * The headers a list adds to each copy: List-Id (RFC 2919) from the list's address, so
 * `all@example.org` is `<all.example.org>`, and List-Post (RFC 2369).
 */
export function listHeaders(list: ListInfo | undefined): string {
  if (!list) return '';
  const id = listId(list);
  const phrase = list.description ? `"${sanitize(list.description).replace(/["\\]/g, '')}" ` : '';
  return `List-Id: ${phrase}<${id}>\r\nList-Post: <mailto:${sanitize(list.address)}>\r\n`;
}

function listId(list: ListInfo): string {
  const at = list.address.lastIndexOf('@');
  return `${list.address.slice(0, at).replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '-')}.${list.address.slice(at + 1)}`;
}

/** Whether the message's header section already has this list's List-Id. */
function carriesListId(data: Buffer, list: ListInfo): boolean {
  const end = data.indexOf('\r\n\r\n');
  const head = data.subarray(0, end < 0 ? Math.min(data.length, 65536) : end).toString('latin1');
  const id = `<${listId(list).toLowerCase()}>`;
  return (head.toLowerCase().match(/^list-id:.*(?:\r\n[ \t].*)*/gm) ?? []).some((h) => h.includes(id));
}

/** Envelope values come from the network: never let one break a header line. */
function sanitize(s: string): string {
  return s.replace(/[\r\n\t\0]/g, ' ').replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?').slice(0, 256);
}

export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

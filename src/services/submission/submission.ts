import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import type { IngestService } from '../delivery/ingest.ts';
import type { Principal } from '../directory/pool.ts';
import { ownedAddress, senderRoute, type SenderRoute } from '../directory/senders.ts';
import { ServiceError } from '../errors.ts';
import type { DsnRequest } from '../outbound/dsn.ts';
import { ACCOUNT_RELAY_ORIGIN, type OutboundQueue } from '../outbound/queue.ts';
import { WindowCounters } from '../../util/window-counters.ts';
import { addMissingHeaders, readHeaders } from './headers.ts';

export interface SubmissionOptions {
  hostname: string;
  /** Recipients per user per hour; 0: unlimited. */
  recipientsPerHour: number;
}

export interface Submitted {
  queueId: string;
  /** The copy in the sender's Sent mailbox; null when the account has none or none was asked for. */
  sentEmailId: string | null;
  /** The bytes sent, with the headers submission added. */
  raw: Buffer;
}

/** Why a submission was refused, for the protocol to word. */
export class SubmissionRefused extends ServiceError {
  constructor(
    readonly reason: 'sender' | 'headerFrom' | 'noFrom' | 'rateLimit' | 'notPermitted',
    message: string,
  ) {
    super(reason === 'rateLimit' ? 'unavailable' : 'forbidden', message);
  }
}

/**
 * Mail a user sends (RFC 6409): only from addresses they own, within their hourly recipient
 * limit, completed with Message-ID/Date, copied to their Sent mailbox and handed to the
 * outbound queue, which delivers local recipients locally and remote ones over SMTP.
 */
export class SubmissionService {
  /**
   * Recipients per user in the current hour, in this process like the login limits: no table
   * holds a natural per-user counter, and a per-node limit still stops a stolen password from
   * sending at speed. On N nodes a user can reach N times the limit (ADR 0017).
   */
  private readonly sentTo = new WindowCounters(60 * 60_000);

  constructor(
    private readonly store: Store,
    private readonly ingest: IngestService,
    private readonly queue: OutboundQueue,
    private readonly options: SubmissionOptions,
    private readonly log?: Logger,
  ) {}

  /**
   * The envelope sender: not null (bounces are not submitted) and one the acting account may use
   * (senderRoute): the route says whether the mail leaves from here or through a mirrored
   * account's own submission server.
   */
  async checkSender(principal: Principal, address: string): Promise<SenderRoute & { via: 'local' | 'account' }> {
    if (!principal.permissions.has('email-send')) throw new SubmissionRefused('notPermitted', `${principal.username} may not send mail (no email-send permission)`);
    if (address === '') throw new SubmissionRefused('sender', 'the null sender <> cannot be used for submission');
    const route = await senderRoute(this.store.db, principal.id, principal.accountId, address);
    if (route.via === 'refused') throw new SubmissionRefused('sender', route.reason);
    return route;
  }

  /** Before each RCPT: would one more recipient (after `pending` accepted) go over the limit? */
  checkRate(principal: Principal, pending: number): void {
    const limit = this.options.recipientsPerHour;
    if (limit > 0 && this.sentTo.get(principal.id) + pending + 1 > limit) {
      throw new SubmissionRefused('rateLimit', `sending limit of ${limit} recipients per hour reached; try again later`);
    }
  }

  /**
   * Checks the From header, completes the header, stores the Sent copy and queues the message.
   * Both are durable when this resolves. The Sent copy goes first: if queueing then fails the
   * client retries and the worst case is a second Sent copy, never a second delivery.
   * `dsn` carries the client's RFC 3461 parameters to the queue. JMAP passes `sentCopy: false`:
   * its message already is an Email, which the client files with onSuccessUpdateEmail (ADR 0022).
   */
  async submit(principal: Principal, from: string, to: string[], data: Buffer, dsn?: DsnRequest, opts: { sentCopy?: boolean } = {}): Promise<Submitted> {
    const route = await this.checkSender(principal, from);
    this.checkRate(principal, to.length - 1);
    const headers = readHeaders(data);
    if (headers.from.length === 0) throw new SubmissionRefused('noFrom', 'the message has no From header');
    for (const address of headers.from) {
      // Mail relayed through an account's provider may only claim that account's address.
      const allowed = route.via === 'account' ? address.toLowerCase() === route.address.toLowerCase() : (await ownedAddress(this.store.db, principal.id, address)) !== null;
      if (!allowed) throw new SubmissionRefused('headerFrom', `From: ${address} is not an address of ${principal.username}`);
    }
    const raw = addMissingHeaders(data, headers, this.options.hostname, new Date());
    // The provider keeps (or the client files) the sent copy of relayed mail: many providers
    // save what their submission server sends, and a second copy appended here would duplicate it.
    const sentEmailId = opts.sentCopy === false || route.via === 'account' ? null : await this.storeSentCopy(principal, raw, data.length);
    const queueId =
      route.via === 'account'
        ? await this.queue.enqueue({ from, to, raw, origin: ACCOUNT_RELAY_ORIGIN, accountId: route.accountId, dsn })
        : await this.queue.enqueue({ from, to, raw, origin: 'submission', accountId: principal.accountId, dsn });
    this.sentTo.add(principal.id, to.length);
    return { queueId, sentEmailId, raw };
  }

  private async storeSentCopy(principal: Principal, raw: Buffer, clientSize: number): Promise<string | null> {
    try {
      const stored = await this.ingest.ingest({ accountId: principal.accountId, raw, role: 'sent', keywords: ['$seen'], sizeForLimit: clientSize }, 'submission');
      return stored.id;
    } catch (err) {
      // An account without a Sent mailbox (the user deleted it) still sends; it just keeps no copy.
      if (err instanceof ServiceError && err.code === 'notFound') {
        this.log?.warn({ accountId: principal.accountId }, 'no Sent mailbox; submitted message not copied');
        return null;
      }
      throw err;
    }
  }
}

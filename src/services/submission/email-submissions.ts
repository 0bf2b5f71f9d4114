import type { WriteContext } from '../../store/changes.ts';
import type { EmailSubmissionRow } from '../../store/db/schema.ts';
import { emailSubmissionRepo, type SubmissionFilter, type SubmissionSortColumn } from '../../store/repos/email-submissions.ts';
import { identityRepo } from '../../store/repos/identities.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import type { Principal } from '../directory/pool.ts';
import { senderRoute } from '../directory/senders.ts';
import { notFound, ServiceError } from '../errors.ts';
import type { MessageService, Visibility } from '../mail/messages.ts';
import type { OutboundQueue, SettledRecipient } from '../outbound/queue.ts';
import { addressesIn, withoutBcc } from './headers.ts';
import { SubmissionRefused, type SubmissionService } from './submission.ts';

export interface Address {
  email: string;
  parameters: Record<string, string | null> | null;
}

export interface Envelope {
  mailFrom: Address;
  rcptTo: Address[];
}

/** RFC 8621 §7: `delivered` is queued until the queue settles the recipient; `displayed` is never known. */
export interface DeliveryStatus {
  smtpReply: string;
  delivered: 'queued' | 'yes' | 'no' | 'unknown';
  displayed: 'unknown' | 'yes';
}

export interface EmailSubmissionView {
  id: string;
  identityId: string;
  emailId: string;
  threadId: string;
  envelope: Envelope;
  sendAt: string;
  undoStatus: 'pending' | 'final' | 'canceled';
  deliveryStatus: Record<string, DeliveryStatus>;
  dsnBlobIds: string[];
  mdnBlobIds: string[];
}

/** RFC 8621 §7.5's reasons to refuse a submission; the JMAP face uses them as SetError types. */
export type RefusalType =
  | 'invalidEmail'
  | 'tooManyRecipients'
  | 'noRecipients'
  | 'invalidRecipients'
  | 'forbiddenMailFrom'
  | 'forbiddenFrom'
  | 'forbiddenToSend'
  | 'tooLarge'
  | 'cannotUnsend';

export class EmailSubmissionRefused extends ServiceError {
  constructor(
    readonly type: RefusalType,
    message: string,
    /** What RFC 8621 adds to the SetError: maxRecipients, invalidRecipients. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super('forbidden', message);
  }
}

const TYPE = 'EmailSubmission';
const ADDRESS = /^[^@\s<>]+@[^@\s<>]+$/;

function view(row: EmailSubmissionRow): EmailSubmissionView {
  return {
    id: row.id,
    identityId: row.identity_id,
    emailId: row.email_id,
    threadId: row.thread_id,
    envelope: JSON.parse(row.envelope_json) as Envelope,
    sendAt: new Date(Number(row.send_at)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    undoStatus: row.undo_status as EmailSubmissionView['undoStatus'],
    deliveryStatus: JSON.parse(row.delivery_status_json) as Record<string, DeliveryStatus>,
    // DSNs come back as ordinary mail to the sender; they are not tied to the submission.
    dsnBlobIds: [],
    mdnBlobIds: [],
  };
}

/** The queue's outcome in RFC 8621 terms; local delivery gives no SMTP reply, so one is made up. */
function statusOf(r: SettledRecipient): DeliveryStatus {
  const code = { delivered: '250 2.0.0', failed: '550 5.0.0', queued: '451 4.0.0' }[r.status];
  const smtpReply = /^[2-5]\d\d[ -]/.test(r.response) ? r.response : `${code} ${r.response}`;
  return { smtpReply, delivered: r.status === 'delivered' ? 'yes' : r.status === 'failed' ? 'no' : 'queued', displayed: 'unknown' };
}

/**
 * JMAP EmailSubmission (RFC 8621 §7, ADR 0022): an existing Email sent through the same
 * SubmissionService SMTP submission uses, and the record of it. Gannet queues at once, so every
 * submission is final when created and can never be unsent.
 */
export class EmailSubmissionService {
  constructor(
    private readonly store: Store,
    private readonly submission: SubmissionService,
    private readonly messages: MessageService,
    queue: OutboundQueue,
    private readonly maxRecipients: number,
  ) {
    queue.onSettled((w, queueId, recipients) => this.settled(w, queueId, recipients));
  }

  async list(accountId: string, ids: string[] | null): Promise<EmailSubmissionView[]> {
    return (await emailSubmissionRepo.get(this.store.db, accountId, ids)).map(view);
  }

  query(accountId: string, filter: SubmissionFilter, sort: { column: SubmissionSortColumn; asc: boolean }[]): Promise<string[]> {
    return emailSubmissionRepo.query(this.store.db, accountId, filter, sort);
  }

  async create(principal: Principal, accountId: string, input: { identityId: string; emailId: string; envelope: Envelope | null }, v: Visibility): Promise<EmailSubmissionView> {
    const identity = await identityRepo.get(this.store.db, accountId, input.identityId);
    if (!identity) throw new ServiceError('invalid', `identity ${input.identityId} not found`, [{ field: 'identityId', message: 'not found' }]);
    const route = await senderRoute(this.store.db, principal.id, accountId, identity.email);
    if (route.via === 'refused') throw new EmailSubmissionRefused('forbiddenFrom', `the identity's address ${identity.email}: ${route.reason}`);
    const [email] = await this.messages.records(accountId, [input.emailId], v);
    if (!email) throw new ServiceError('invalid', `email ${input.emailId} not found`, [{ field: 'emailId', message: 'not found' }]);
    const stored = await this.messages.rawBytes(email.blob_id);
    const envelope = input.envelope ?? this.defaultEnvelope(stored);
    this.checkRecipients(envelope);
    let submitted;
    try {
      submitted = await this.submission.submit({ ...principal, accountId }, envelope.mailFrom.email, envelope.rcptTo.map((r) => r.email), withoutBcc(stored), undefined, { sentCopy: false });
    } catch (err) {
      throw refusal(err);
    }
    const now = Date.now();
    const row: EmailSubmissionRow = {
      id: newId('s'),
      account_id: accountId,
      identity_id: identity.id,
      email_id: email.id,
      thread_id: email.thread_id,
      envelope_json: JSON.stringify(envelope),
      send_at: now,
      undo_status: 'final',
      queue_id: submitted.queueId,
      delivery_status_json: JSON.stringify(
        Object.fromEntries(envelope.rcptTo.map((r) => [r.email, { smtpReply: '250 2.0.0 queued', delivered: 'queued', displayed: 'unknown' } satisfies DeliveryStatus])),
      ),
    };
    // After the queue committed: a failure here leaves mail sent without its record, never a record of mail not sent.
    await this.store.write(async (w) => {
      await emailSubmissionRepo.insert(w.trx, row);
      await w.record(accountId, TYPE, row.id, 'c');
    });
    return view(row);
  }

  /** Only undoStatus can change, and only to what it is: sent mail cannot be called back. */
  async update(accountId: string, id: string, undoStatus: string | undefined): Promise<void> {
    const [row] = await emailSubmissionRepo.get(this.store.db, accountId, [id]);
    if (!row) throw notFound(`email submission ${id}`);
    if (undoStatus === 'canceled') throw new EmailSubmissionRefused('cannotUnsend', 'the message was sent when it was submitted; it cannot be canceled');
    if (undoStatus !== undefined && undoStatus !== row.undo_status) throw new ServiceError('invalid', 'undoStatus can only be set to canceled', [{ field: 'undoStatus', message: 'invalid' }]);
  }

  /** Forgets the record (RFC 8621 §7.5); the mail it sent is unaffected. */
  async destroy(accountId: string, id: string): Promise<void> {
    await this.store.write(async (w) => {
      const res = await emailSubmissionRepo.remove(w.trx, accountId, id);
      if (Number(res.numDeletedRows) === 0) throw notFound(`email submission ${id}`);
      await w.record(accountId, TYPE, id, 'd');
    });
  }

  /**
   * RFC 8621 §7.5: mailFrom is the Sender address, else the From address; rcptTo is every To,
   * Cc and Bcc address, each once. Parameters are null.
   */
  private defaultEnvelope(raw: Buffer): Envelope {
    const from = addressesIn(raw, ['sender'])[0] ?? addressesIn(raw, ['from'])[0];
    if (from === undefined) throw new EmailSubmissionRefused('invalidEmail', 'the email has no From address to send from');
    const seen = new Set<string>();
    const rcptTo = addressesIn(raw, ['to', 'cc', 'bcc']).filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()));
    return { mailFrom: { email: from, parameters: null }, rcptTo: rcptTo.map((email) => ({ email, parameters: null })) };
  }

  private checkRecipients(envelope: Envelope): void {
    if (envelope.rcptTo.length === 0) throw new EmailSubmissionRefused('noRecipients', 'the envelope has no recipients');
    if (envelope.rcptTo.length > this.maxRecipients) throw new EmailSubmissionRefused('tooManyRecipients', `at most ${this.maxRecipients} recipients`, { maxRecipients: this.maxRecipients });
    const invalid = envelope.rcptTo.map((r) => r.email).filter((e) => !ADDRESS.test(e));
    if (invalid.length) throw new EmailSubmissionRefused('invalidRecipients', `not valid addresses: ${invalid.join(', ')}`, { invalidRecipients: invalid });
  }

  /** The queue settled recipients of a message: in the same transaction, the submission records it. */
  private async settled(w: WriteContext, queueId: string, recipients: SettledRecipient[]): Promise<void> {
    const row = await emailSubmissionRepo.byQueueId(w.trx, queueId);
    if (!row || recipients.length === 0) return;
    const status = JSON.parse(row.delivery_status_json) as Record<string, DeliveryStatus>;
    // The queue keeps addresses in lower case; the envelope keeps them as the client wrote them.
    const keyOf = new Map(Object.keys(status).map((k) => [k.toLowerCase(), k]));
    for (const r of recipients) status[keyOf.get(r.address) ?? r.address] = statusOf(r);
    await emailSubmissionRepo.setDeliveryStatus(w.trx, row.id, JSON.stringify(status));
    await w.record(row.account_id, TYPE, row.id, 'u');
  }
}

/** SubmissionService's refusals in RFC 8621 §7.5's words. */
function refusal(err: unknown): unknown {
  if (err instanceof SubmissionRefused) {
    const type = ({ sender: 'forbiddenMailFrom', headerFrom: 'forbiddenFrom', noFrom: 'invalidEmail', rateLimit: 'forbiddenToSend', notPermitted: 'forbiddenToSend' } as const)[err.reason];
    return new EmailSubmissionRefused(type, err.message);
  }
  if (err instanceof ServiceError && err.code === 'tooLarge') return new EmailSubmissionRefused('tooLarge', err.message);
  return err;
}

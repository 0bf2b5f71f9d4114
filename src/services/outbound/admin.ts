import type { Logger } from 'pino';
import type { QueueMessageRow, QueueRecipientRow } from '../../store/db/schema.ts';
import { queueAdminRepo, type QueueFilter, type QueueFilterStatus } from '../../store/repos/queue-admin.ts';
import { queueRepo } from '../../store/repos/queue.ts';
import type { Store } from '../../store/store.ts';
import { iso } from '../directory/views.ts';
import { conflict, notFound, ServiceError } from '../errors.ts';
import type { EmailWriter } from '../mail/email-writer.ts';
import { decodeCursor, isString, pageLimit, pageOf, type Page, type PageRequest } from '../paging.ts';
import type { OutboundQueue } from './queue.ts';

export type { QueueFilter, QueueFilterStatus };

export interface QueuedRecipientView {
  address: string;
  domain: string;
  status: QueueFilterStatus;
  attempts: number;
  /** Null once the recipient is settled. */
  nextAttemptAt: string | null;
  /** A node is trying it right now. */
  inFlight: boolean;
  lastResponse: string | null;
  updatedAt: string;
}

export interface QueuedMessageView {
  id: string;
  from: string;
  size: number;
  origin: string;
  accountId: string | null;
  blobId: string;
  createdAt: string;
  expiresAt: string;
  /** The most urgent of its recipients': deferred, pending, failed, cancelled, then delivered. */
  status: QueueFilterStatus;
  recipients: QueuedRecipientView[];
}

export interface QueueState {
  /** Whether this node's queue runner delivers; a stopped queue still accepts mail. */
  running: boolean;
  /** Messages in the queue, on every node that shares the database. */
  messages: number;
}

/** Which recipients of a message an operation is for: all of them unless narrowed. */
export interface RecipientSelection {
  recipients?: string[];
  domain?: string;
  /** Addresses containing this. */
  containing?: string;
}

/** Messages read at a time by the bulk operations, so a huge queue is never loaded at once. */
const BULK_CHUNK = 200;

/** In a bulk operation, the recipients of a matched message it acts on: those the filter names. */
const bulkSelection = (f: QueueFilter): RecipientSelection => ({ domain: f.domain, containing: f.recipient });

const URGENCY: QueueFilterStatus[] = ['deferred', 'pending', 'failed', 'cancelled', 'delivered'];

const recipientStatus = (r: QueueRecipientRow): QueueFilterStatus => (r.status === 'queued' ? (r.attempts > 0 ? 'deferred' : 'pending') : r.status);

function recipientView(r: QueueRecipientRow, now: number): QueuedRecipientView {
  const waiting = r.status === 'queued';
  return {
    address: r.address,
    domain: r.domain,
    status: recipientStatus(r),
    attempts: r.attempts,
    nextAttemptAt: waiting ? iso(Number(r.next_attempt_at)) : null,
    inFlight: waiting && Number(r.lease_until) > now,
    lastResponse: r.last_response,
    updatedAt: iso(Number(r.updated_at)),
  };
}

function messageView(m: QueueMessageRow, rows: QueueRecipientRow[], now: number): QueuedMessageView {
  const recipients = rows.filter((r) => r.message_id === m.id).map((r) => recipientView(r, now));
  return {
    id: m.id,
    from: m.mail_from,
    size: Number(m.size),
    origin: m.origin,
    accountId: m.account_id,
    blobId: m.blob_id,
    createdAt: iso(Number(m.created_at)),
    expiresAt: iso(Number(m.expires_at)),
    status: URGENCY.find((s) => recipients.some((r) => r.status === s)) ?? 'delivered',
    recipients,
  };
}

/**
 * What an administrator does with the outbound queue, for every API face: list and inspect
 * messages, make recipients due again, cancel them, and stop or start this node's runner.
 */
export class QueueAdmin {
  constructor(
    private readonly store: Store,
    private readonly queue: OutboundQueue,
    private readonly writer: EmailWriter,
    private readonly log?: Logger,
  ) {}

  /** A page by cursor (keyset), or by offset when one is given (for page-numbered faces). */
  async list(filter: QueueFilter, req: PageRequest & { offset?: number }): Promise<Page<QueuedMessageView>> {
    const limit = pageLimit(req.limit);
    const after = req.offset === undefined ? decodeCursor(req.cursor, isString) : undefined;
    const [rows, total] = await Promise.all([
      queueAdminRepo.list(this.store.db, filter, { after, offset: req.offset, limit: limit + 1 }),
      queueAdminRepo.count(this.store.db, filter),
    ]);
    const recipients = await queueAdminRepo.recipientsOf(this.store.db, rows.slice(0, limit).map((m) => m.id));
    const now = Date.now();
    return pageOf(rows, limit, total, (m) => messageView(m, recipients, now), (m) => m.id);
  }

  async get(id: string): Promise<QueuedMessageView> {
    const m = await this.message(id);
    return messageView(m, await queueAdminRepo.recipientsOf(this.store.db, [id]), Date.now());
  }

  /** Makes the selected waiting recipients due at `at` (now by default) and wakes the runner. */
  async reschedule(id: string, selection: RecipientSelection, at = Date.now()): Promise<QueuedMessageView> {
    const m = await this.message(id);
    if ((await this.rescheduleOne(m, selection, at)) === 0) throw conflict(`no selected recipient of queued message ${id} is waiting for delivery`);
    this.queue.wake();
    return messageView(m, await queueAdminRepo.recipientsOf(this.store.db, [id]), Date.now());
  }

  /**
   * Cancels the selected waiting recipients; when none is left waiting the message leaves the
   * queue. Cancelled recipients get no bounce: the administrator, not the network, refused them.
   */
  async cancel(id: string, selection: RecipientSelection = {}): Promise<void> {
    const { changed, finished } = await this.cancelOne(await this.message(id), selection);
    if (changed === 0) throw conflict(`no selected recipient of queued message ${id} is waiting for delivery`);
    if (finished) await this.writer.collectGarbage();
  }

  /**
   * Reschedules every message the filter matches, as `reschedule` does one: its waiting
   * recipients, narrowed to the filter's `domain` and `recipient` when given. Returns how many
   * messages had a recipient made due.
   */
  async rescheduleMatching(filter: QueueFilter, at = Date.now(), chunk = BULK_CHUNK): Promise<number> {
    const count = await this.eachMatching(filter, chunk, async (m) => (await this.rescheduleOne(m, bulkSelection(filter), at)) > 0);
    if (count > 0) this.queue.wake();
    return count;
  }

  /** Cancels, as `cancel` does one, every message the filter matches; returns how many had a recipient cancelled. */
  async cancelMatching(filter: QueueFilter, chunk = BULK_CHUNK): Promise<number> {
    let finished = false;
    const count = await this.eachMatching(filter, chunk, async (m) => {
      const r = await this.cancelOne(m, bulkSelection(filter));
      finished ||= r.finished;
      return r.changed > 0;
    });
    if (finished) await this.writer.collectGarbage();
    return count;
  }

  async state(): Promise<QueueState> {
    return { running: this.queue.running, messages: await queueAdminRepo.count(this.store.db, {}) };
  }

  /**
   * Stops or starts delivery by this node's runner and returns whether it ran before. Stopping
   * lets attempts already under way finish; it does not wait for them.
   */
  setRunning(running: boolean): boolean {
    const before = this.queue.running;
    if (running) this.queue.start();
    else void this.queue.stop().catch((err) => this.log?.error({ err }, 'queue: stopping failed'));
    if (before !== running) this.log?.info({ running }, 'queue: runner switched by an administrator');
    return before;
  }

  private async rescheduleOne(m: QueueMessageRow, selection: RecipientSelection, at: number): Promise<number> {
    const chosen = await this.select(m.id, selection);
    const changed = await this.store.write((w) => queueAdminRepo.reschedule(w.trx, chosen.map((r) => r.id), at, Date.now()));
    if (changed > 0) this.log?.info({ queueId: m.id, recipients: changed, at }, 'queue: rescheduled by an administrator');
    return changed;
  }

  /** `finished`: the message left the queue, and its blob reference with it. */
  private async cancelOne(m: QueueMessageRow, selection: RecipientSelection): Promise<{ changed: number; finished: boolean }> {
    const chosen = await this.select(m.id, selection);
    const result = await this.store.write(async (w) => {
      const changed = await queueAdminRepo.cancel(w.trx, chosen.map((r) => r.id), Date.now());
      return { changed, finished: changed > 0 && (await queueRepo.finishIfSettled(w.trx, m.id, m.blob_id)) };
    });
    if (result.changed > 0) this.log?.info({ queueId: m.id, recipients: result.changed }, 'queue: cancelled by an administrator');
    return result;
  }

  /**
   * Runs `op` on each message the filter matches, `chunk` messages read at a time (keyset by
   * id, so messages that leave the queue on the way do not shift the pages). A message that
   * left the queue or has no waiting selected recipient by the time its turn comes is skipped.
   * Returns for how many `op` answered true.
   */
  private async eachMatching(filter: QueueFilter, chunk: number, op: (m: QueueMessageRow) => Promise<boolean>): Promise<number> {
    let count = 0;
    let after: string | undefined;
    for (;;) {
      const rows = await queueAdminRepo.list(this.store.db, filter, { after, limit: chunk });
      for (const m of rows) {
        try {
          if (await op(m)) count++;
        } catch (err) {
          if (!(err instanceof ServiceError && err.code === 'notFound')) throw err;
        }
      }
      if (rows.length < chunk) return count;
      after = rows[rows.length - 1]!.id;
    }
  }

  private async message(id: string): Promise<QueueMessageRow> {
    const m = await queueAdminRepo.message(this.store.db, id);
    if (!m) throw notFound(`queued message ${id}`);
    return m;
  }

  /** The message's recipients a selection names; a named address the message lacks is not found. */
  private async select(id: string, s: RecipientSelection): Promise<QueueRecipientRow[]> {
    let rows = await queueAdminRepo.recipientsOf(this.store.db, [id]);
    if (s.domain !== undefined) rows = rows.filter((r) => r.domain === s.domain!.toLowerCase());
    if (s.containing !== undefined) rows = rows.filter((r) => r.address.includes(s.containing!.toLowerCase()));
    if (s.recipients !== undefined) {
      const wanted = new Set(s.recipients.map((a) => a.toLowerCase()));
      for (const a of wanted) if (!rows.some((r) => r.address === a)) throw notFound(`recipient ${a} of queued message ${id}`);
      rows = rows.filter((r) => wanted.has(r.address));
    }
    if (rows.length === 0) throw notFound(`selected recipients of queued message ${id}`);
    return rows;
  }
}

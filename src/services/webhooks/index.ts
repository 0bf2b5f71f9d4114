import type { Logger } from 'pino';
import type { WebhookRow } from '../../store/db/schema.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import { webhookRepo } from '../../store/repos/webhooks.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import type { Caller } from '../auth/tokens.ts';
import { parseCallbackUrl } from '../callback-url.ts';
import type { DirectoryService } from '../directory/directory.ts';
import { conflict, invalid, notFound, ServiceError } from '../errors.ts';
import type { MessageService } from '../mail/messages.ts';
import { decodeCursor, isString, pageLimit, pageOf, type Page, type PageRequest } from '../paging.ts';
import { deliveryRows, deliveryView, type DeliveryView } from './deliveries.ts';
import { Dispatcher } from './dispatcher.ts';
import { ALL_EVENTS, EMITTED_EVENT_TYPES, EVENT_TYPES, PING, wants, type EmittedEventType, type WebhookEvent } from './events.ts';
import { Sender, type SenderOptions } from './sender.ts';
import { newSecret } from './signature.ts';

export interface WebhookView {
  id: string;
  /** The user whose accounts it sees; null for a global hook (admin only). */
  userId: string | null;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A hook as returned when its secret is made: the only time the secret is shown. */
export type WebhookWithSecret = WebhookView & { secret: string };

export interface WebhookInput {
  url: string;
  /** Event types, or ["*"] (the default) for all. */
  events?: string[];
  enabled?: boolean;
  /** Admin only: the user (id or login) the hook belongs to; omitted or null for a global hook. */
  userId?: string | null;
}

export interface WebhookPatch {
  url?: string;
  events?: string[];
  enabled?: boolean;
  /** Replaces the secret; the new one is returned once. */
  rotateSecret?: boolean;
}

// Every hook seeing an account is loaded when the account changes: keep that set small.
const MAX_PER_OWNER = 25;
const MAX_EMIT_BYTES = 16 * 1024;
const DAY_MS = 86_400_000;

const iso = (ms: number) => new Date(ms).toISOString();

function view(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    userId: row.owner_id,
    url: row.url,
    events: JSON.parse(row.events_json),
    enabled: row.enabled === 1,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function checkUrl(raw: string): string {
  return parseCallbackUrl(raw).href;
}

function checkEvents(events: string[]): string[] {
  if (events.length === 0) throw invalid('events', `must name at least one event type, or "${ALL_EVENTS}"`);
  const unknown = events.find((e) => e !== ALL_EVENTS && !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown !== undefined) throw invalid('events', `unknown event type "${unknown}"`);
  return events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(events)].sort();
}

/**
 * Outgoing webhooks (ADR 0010): CRUD scoped by caller (a user sees and makes only their own
 * hooks, which see only their accounts; the admin sees all and may make global ones), the
 * dispatcher that turns the change log into deliveries, and the sender that POSTs them.
 */
export class WebhookService {
  private readonly sender: Sender;
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryService,
    messages: MessageService,
    options: SenderOptions,
    log?: Logger,
  ) {
    this.sender = new Sender(store, options, log);
    this.dispatcher = new Dispatcher(store, messages, () => this.sender.wake(), log);
  }

  /** Sends and dispatches only between start() and stop(). */
  start(): void {
    this.sender.start();
    this.dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
    await this.sender.stop();
  }

  async list(caller: Caller, req: PageRequest): Promise<Page<WebhookView>> {
    const limit = pageLimit(req.limit);
    const owner = caller.kind === 'user' ? caller.principal.id : undefined;
    const after = decodeCursor(req.cursor, isString);
    const [rows, total] = await Promise.all([webhookRepo.list(this.store.db, { owner, after, limit: limit + 1 }), webhookRepo.count(this.store.db, owner)]);
    return pageOf(rows, limit, total, view, (r) => r.id);
  }

  async get(caller: Caller, id: string): Promise<WebhookView> {
    return view(await this.visible(caller, id));
  }

  async create(caller: Caller, input: WebhookInput): Promise<WebhookWithSecret> {
    const owner = await this.ownerFor(caller, input.userId);
    const url = checkUrl(input.url);
    const events = checkEvents(input.events ?? [ALL_EVENTS]);
    if ((await webhookRepo.count(this.store.db, owner)) >= MAX_PER_OWNER) throw conflict(`at most ${MAX_PER_OWNER} webhooks per owner`);
    const now = Date.now();
    const row: WebhookRow = {
      id: newId('w'),
      owner_id: owner,
      url,
      secret: newSecret(),
      events_json: JSON.stringify(events),
      enabled: input.enabled === false ? 0 : 1,
      active_since: now,
      created_at: now,
      updated_at: now,
    };
    await this.store.write(async (w) => webhookRepo.insert(w.trx, row));
    if (row.enabled) this.dispatcher.hooksChanged();
    return { ...view(row), secret: row.secret };
  }

  async update(caller: Caller, id: string, patch: WebhookPatch): Promise<WebhookView & { secret?: string }> {
    const row = await this.visible(caller, id);
    const now = Date.now();
    const changes: Partial<WebhookRow> = { updated_at: now };
    if (patch.url !== undefined) changes.url = checkUrl(patch.url);
    if (patch.events !== undefined) changes.events_json = JSON.stringify(checkEvents(patch.events));
    const enabling = patch.enabled === true && row.enabled === 0;
    if (patch.enabled !== undefined) changes.enabled = patch.enabled ? 1 : 0;
    // A hook switched back on gets what changes from now on, not what happened while it was off.
    if (enabling) changes.active_since = now;
    if (patch.rotateSecret) changes.secret = newSecret();
    await this.store.write(async (w) => webhookRepo.update(w.trx, id, changes));
    if (enabling) this.dispatcher.hooksChanged();
    const updated = view({ ...row, ...changes });
    return patch.rotateSecret ? { ...updated, secret: changes.secret! } : updated;
  }

  async remove(caller: Caller, id: string): Promise<void> {
    await this.visible(caller, id);
    await this.store.write(async (w) => webhookRepo.remove(w.trx, id));
  }

  /** The delivery log, newest first. */
  async deliveries(caller: Caller, id: string, req: PageRequest): Promise<Page<DeliveryView>> {
    await this.visible(caller, id);
    const limit = pageLimit(req.limit);
    const before = decodeCursor(req.cursor, isString);
    const [rows, total] = await Promise.all([webhookRepo.deliveries(this.store.db, id, { before, limit: limit + 1 }), webhookRepo.countDeliveries(this.store.db, id)]);
    return pageOf(rows, limit, total, deliveryView, (r) => r.id);
  }

  /** Queues a `ping` event to the hook alone, whatever its event list. */
  async test(caller: Caller, id: string): Promise<DeliveryView> {
    const row = await this.visible(caller, id);
    if (row.enabled === 0) throw conflict(`webhook ${id} is disabled: enable it to test it`);
    const now = Date.now();
    const event: WebhookEvent = { id: newId('v'), type: PING, createdAt: now, accountId: null, userId: row.owner_id, data: { webhookId: id } };
    const [delivery] = deliveryRows(event, [id], now);
    await this.store.write(async (w) => webhookRepo.insertDeliveries(w.trx, [delivery]));
    this.sender.wake();
    return deliveryView(delivery);
  }

  /**
   * Announces an event that is not a change in the store (a mirrored account finished syncing,
   * or failed) to every enabled hook that sees the account and wants the type. Durable when it
   * resolves; returns the event id.
   */
  async emit(accountId: string, type: EmittedEventType, data: Record<string, unknown>): Promise<string> {
    if (!(EMITTED_EVENT_TYPES as readonly string[]).includes(type)) throw invalid('type', `must be one of ${EMITTED_EVENT_TYPES.join(', ')}`);
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid('data', 'must be an object');
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_EMIT_BYTES) throw invalid('data', `must be at most ${MAX_EMIT_BYTES} bytes as JSON`);
    const account = await mailRepo.account(this.store.db, accountId);
    if (!account) throw notFound(`account ${accountId}`);
    const now = Date.now();
    const event: WebhookEvent = { id: newId('v'), type, createdAt: now, accountId, userId: account.principal_id, data };
    const hooks = (await webhookRepo.seeing(this.store.db, account.principal_id)).filter((h) => wants(JSON.parse(h.events_json), type));
    if (hooks.length > 0) {
      await this.store.write(async (w) => webhookRepo.insertDeliveries(w.trx, deliveryRows(event, hooks.map((h) => h.id), now)));
      this.sender.wake();
    }
    return event.id;
  }

  /** Drops finished deliveries older than the retention from the logs. */
  async prune(retentionDays: number): Promise<number> {
    const res = await this.store.write(async (w) => webhookRepo.prune(w.trx, Date.now() - retentionDays * DAY_MS));
    return Number(res.numDeletedRows);
  }

  /** The hook, if the caller may see it; another user's hook is not found, so ids reveal nothing. */
  private async visible(caller: Caller, id: string): Promise<WebhookRow> {
    const row = await webhookRepo.get(this.store.db, id);
    if (!row || (caller.kind === 'user' && row.owner_id !== caller.principal.id)) throw notFound(`webhook ${id}`);
    return row;
  }

  private async ownerFor(caller: Caller, userId: string | null | undefined): Promise<string | null> {
    if (caller.kind === 'user') {
      if (userId !== undefined && userId !== caller.principal.id) throw notFound(`user ${userId}`);
      return caller.principal.id;
    }
    if (userId === undefined || userId === null) return null;
    try {
      return (await this.directory.accountOfUser(userId)).id;
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'notFound') throw invalid('userId', `no user ${userId}`);
      throw err;
    }
  }
}

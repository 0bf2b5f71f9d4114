import type { ChangeOp } from '../../store/bus.ts';
import type { ChangeRow } from '../../store/db/schema.ts';
import { derivedId } from '../../util/ids.ts';

/** Events made from the change log. */
const CHANGE_EVENT_TYPES = ['email.created', 'email.updated', 'email.deleted', 'mailbox.created', 'mailbox.updated', 'mailbox.deleted', 'thread.updated'] as const;
/** Events other services announce through WebhookService.emit() (the sync engine). */
export const EMITTED_EVENT_TYPES = ['sync.completed', 'account.error'] as const;
export const EVENT_TYPES = [...CHANGE_EVENT_TYPES, ...EMITTED_EVENT_TYPES] as const;
/** In a hook's event list: every type, including types added later. */
export const ALL_EVENTS = '*';
/** What POST /webhooks/{id}/test sends; a hook cannot subscribe to it. */
export const PING = 'ping';

export type EventType = (typeof EVENT_TYPES)[number];
export type EmittedEventType = (typeof EMITTED_EVENT_TYPES)[number];

export interface WebhookEvent {
  id: string;
  type: EventType | typeof PING;
  /** Epoch ms: when the change was committed, or the event emitted. */
  createdAt: number;
  accountId: string | null;
  userId: string | null;
  data: Record<string, unknown>;
}

// Each logged object type, the event of each op, and the key naming the object in `data`.
const FROM_LOG: Record<string, { key: string; ops: Record<ChangeOp, EventType> }> = {
  Email: { key: 'emailId', ops: { c: 'email.created', u: 'email.updated', d: 'email.deleted' } },
  Mailbox: { key: 'mailboxId', ops: { c: 'mailbox.created', u: 'mailbox.updated', d: 'mailbox.deleted' } },
  // A thread gaining its first email, another, or losing its last is the thread changing.
  Thread: { key: 'threadId', ops: { c: 'thread.updated', u: 'thread.updated', d: 'thread.updated' } },
};

/** The change-log object types that become events; other types (Identity…) are not read. */
export const LOGGED_TYPES: readonly string[] = Object.keys(FROM_LOG);

export const eventTypeOf = (change: Pick<ChangeRow, 'type' | 'op'>): EventType => FROM_LOG[change.type].ops[change.op];

/**
 * The event reporting one logged change. Its id depends only on the change (account, modseq,
 * type, object id; its commit time only orders ids), so dispatching the change again, after a
 * crash or on another node, reproduces the same event instead of making a second one.
 */
export function eventOfChange(change: ChangeRow, userId: string, extra: Record<string, unknown> = {}): WebhookEvent {
  return {
    id: derivedId('v', change.created_at, `${change.account_id}\n${change.modseq}\n${change.type}\n${change.object_id}`),
    type: eventTypeOf(change),
    createdAt: change.created_at,
    accountId: change.account_id,
    userId,
    data: { [FROM_LOG[change.type].key]: change.object_id, ...extra },
  };
}

/** The JSON body receivers get; fixed when the delivery is queued. */
export function payloadOf(event: WebhookEvent): string {
  const { id, type, createdAt, accountId, userId, data } = event;
  return JSON.stringify({ id, type, createdAt: new Date(createdAt).toISOString(), accountId, userId, data });
}

/** Whether a hook with this event list wants events of `type`. */
export const wants = (events: readonly string[], type: string): boolean => events.includes(ALL_EVENTS) || events.includes(type);

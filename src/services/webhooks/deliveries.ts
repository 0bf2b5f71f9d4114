import type { WebhookDeliveryRow, WebhookDeliveryStatus } from '../../store/db/schema.ts';
import { newId } from '../../util/ids.ts';
import { payloadOf, type WebhookEvent } from './events.ts';

/** One row of a hook's delivery log as the API shows it. */
export interface DeliveryView {
  id: string;
  eventId: string;
  type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** When the next attempt is due; null once delivered or given up. */
  nextAttemptAt: string | null;
  /** The receiver's HTTP status at the last attempt; null when it gave none. */
  responseStatus: number | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  payload: Record<string, unknown>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The event queued for each of the hooks, due at once. */
export function deliveryRows(event: WebhookEvent, webhookIds: readonly string[], now: number): WebhookDeliveryRow[] {
  const payload = payloadOf(event);
  return webhookIds.map((webhookId) => ({
    id: newId('y'),
    webhook_id: webhookId,
    event_id: event.id,
    event_type: event.type,
    account_id: event.accountId,
    payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    lease_until: 0,
    lease_owner: null,
    response_status: null,
    last_error: null,
    created_at: now,
    updated_at: now,
  }));
}

export function deliveryView(row: WebhookDeliveryRow): DeliveryView {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    responseStatus: row.response_status,
    error: row.last_error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    payload: JSON.parse(row.payload),
  };
}

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { webhookRepo, type DueDelivery } from '../../store/repos/webhooks.ts';
import type { Store } from '../../store/store.ts';
import { WorkerLoop } from '../worker-loop.ts';
import { nextAttempt } from './retry.ts';
import { signature } from './signature.ts';

export interface SenderOptions {
  /** Delay before each retry, in ms; its length is the number of retries. */
  schedule: readonly number[];
  timeoutMs: number;
}

/** What one attempt got: the receiver's status, or why there was none. */
type AttemptOutcome = { status: number } | { error: string };

const BATCH = 50;
const PARALLEL = 8;
const POLL_MS = 30_000;
const ERROR_MAX = 500;

/** POSTs one delivery, signed; never follows a redirect (it could lead anywhere). */
async function post(delivery: DueDelivery, timeoutMs: number, signal: AbortSignal): Promise<AttemptOutcome> {
  try {
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Gannet-Webhooks/1',
        'x-gannet-event': delivery.event_type,
        'x-gannet-delivery': delivery.id,
        'x-gannet-timestamp': String(timestamp),
        'x-gannet-signature': signature(delivery.secret, timestamp, delivery.payload),
      },
      body: delivery.payload,
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message) };
  }
}

/**
 * Sends queued deliveries: leases due ones (so nodes sharing a database never send one twice at
 * once), POSTs them, and records each attempt; a failure is retried on the schedule, then given up.
 */
export class Sender {
  private readonly owner = randomBytes(6).toString('hex');
  private readonly loop: WorkerLoop;
  // Aborts the requests in flight at stop(); their leases are handed back, not counted as attempts.
  private aborter = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly options: SenderOptions,
    private readonly log?: Logger,
  ) {
    this.loop = new WorkerLoop({
      run: () => this.scan(),
      nextDue: () => webhookRepo.nextDue(this.store.db),
      pollMs: POLL_MS,
      onError: (err) => this.log?.error({ err }, 'webhook sending failed'),
    });
  }

  start(): void {
    this.aborter = new AbortController();
    this.loop.start();
  }

  async stop(): Promise<void> {
    const stopping = this.loop.stop();
    this.aborter.abort();
    await stopping;
  }

  wake(): void {
    this.loop.wake();
  }

  private async scan(): Promise<void> {
    // A lease outlives the longest attempt, so no other node takes a delivery still in flight.
    const leaseMs = this.options.timeoutMs + 60_000;
    while (!this.loop.stopped) {
      const now = Date.now();
      const due = await webhookRepo.lease(this.store.db, this.store.dialect, this.owner, now, now + leaseMs, BATCH);
      if (due.length === 0) return;
      for (let i = 0; i < due.length; i += PARALLEL) await Promise.all(due.slice(i, i + PARALLEL).map((d) => this.attempt(d)));
    }
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const outcome = await post(delivery, this.options.timeoutMs, this.aborter.signal);
    if (this.loop.stopped) {
      await webhookRepo.release(this.store.db, delivery.id, this.owner, Date.now());
      return;
    }
    const now = Date.now();
    const ok = 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
    const retry = ok ? null : nextAttempt(now, delivery.attempts + 1, this.options.schedule);
    const status = ok ? 'delivered' : retry === null ? 'failed' : 'pending';
    const error = 'error' in outcome ? outcome.error : ok ? null : outcome.status >= 300 && outcome.status < 400 ? `redirect (HTTP ${outcome.status}) not followed` : `HTTP ${outcome.status}`;
    await webhookRepo.settle(this.store.db, delivery.id, this.owner, {
      status,
      next_attempt_at: retry ?? now,
      response_status: 'status' in outcome ? outcome.status : null,
      last_error: error?.slice(0, ERROR_MAX) ?? null,
      updated_at: now,
    });
    this.log?.info({ webhookId: delivery.webhook_id, deliveryId: delivery.id, eventId: delivery.event_id, status, attempt: delivery.attempts + 1, error }, 'webhook attempt');
  }
}

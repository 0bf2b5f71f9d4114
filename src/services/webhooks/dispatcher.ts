import type { Logger } from 'pino';
import type { AccountRow, ChangeRow, WebhookDeliveryRow, WebhookRow } from '../../store/db/schema.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import { START, webhookRepo, type CursorPosition } from '../../store/repos/webhooks.ts';
import type { Store } from '../../store/store.ts';
import type { MessageService } from '../mail/messages.ts';
import { messageSummary } from '../mail/views.ts';
import { WorkerLoop } from '../worker-loop.ts';
import { deliveryRows } from './deliveries.ts';
import { eventOfChange, eventTypeOf, LOGGED_TYPES, wants } from './events.ts';

// Changes turned into deliveries per transaction.
const PAGE = 500;
// Modseqs one query reaches over, so a long backlog is read in bounded steps, never sorted whole.
const WINDOW = 1000;
// How often every account is checked for changes this node was not told about: writes by a node
// that died before dispatching them, or made while this one was down.
const SWEEP_MS = 60_000;
const SWEEP_PAGE = 200;

class LostRace extends Error {}

interface Hook {
  id: string;
  activeSince: number;
  events: string[];
}

const hookOf = (row: WebhookRow): Hook => ({ id: row.id, activeSince: row.active_since, events: JSON.parse(row.events_json) });
const caughtUp = (at: CursorPosition, target: number) => at.after_type === '' && at.modseq >= target;

/**
 * Turns committed changes into queued deliveries. The change log is the source: each account
 * has a cursor in it, advanced in the transaction that queues the deliveries, so a crash between
 * commit and dispatch only delays events. The bus says promptly which accounts moved; a sweep
 * at start and every minute finds the rest. Several nodes may dispatch one account at once: the
 * cursor moves only from where a node read it (the loser rolls back) and a delivery is unique per
 * hook and event, so nothing is queued twice.
 */
export class Dispatcher {
  private readonly dirty = new Set<string>();
  private readonly loop: WorkerLoop;
  private unsubscribe: (() => void) | null = null;
  private lastSweep = -Infinity;
  // False after a sweep found no enabled hook: changes are then ignored until the next sweep.
  private hooksExist = true;

  constructor(
    private readonly store: Store,
    private readonly messages: MessageService,
    private readonly onQueued: () => void,
    private readonly log?: Logger,
  ) {
    this.loop = new WorkerLoop({
      run: () => this.pass(),
      nextDue: async () => this.lastSweep + SWEEP_MS,
      pollMs: SWEEP_MS,
      onError: (err) => this.log?.error({ err }, 'webhook dispatch failed'),
    });
  }

  start(): void {
    // Whatever committed while this was stopped is found by sweeping first.
    this.lastSweep = -Infinity;
    this.unsubscribe = this.store.bus.subscribeAll((event) => {
      if (!this.hooksExist) return;
      this.dirty.add(event.accountId);
      this.loop.wake();
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.loop.stop();
  }

  /** A hook was created or enabled: sweep again, since its accounts may be behind. */
  hooksChanged(): void {
    this.hooksExist = true;
    this.lastSweep = -Infinity;
    this.loop.wake();
  }

  private async pass(): Promise<void> {
    if (Date.now() - this.lastSweep >= SWEEP_MS) await this.sweep();
    for (const accountId of this.dirty) {
      if (this.loop.stopped) return;
      this.dirty.delete(accountId);
      await this.dispatchLogged(accountId);
    }
  }

  private async sweep(): Promise<void> {
    this.lastSweep = Date.now();
    this.hooksExist = await webhookRepo.anyEnabled(this.store.db);
    if (!this.hooksExist) return;
    for (let after = ''; !this.loop.stopped; ) {
      const ids = await webhookRepo.behind(this.store.db, after, SWEEP_PAGE);
      for (const id of ids) await this.dispatchLogged(id);
      if (ids.length < SWEEP_PAGE) return;
      after = ids[ids.length - 1];
    }
  }

  // A failed account stays behind its cursor, so the next sweep tries it again.
  private async dispatchLogged(accountId: string): Promise<void> {
    await this.dispatch(accountId).catch((err) => this.log?.error({ err, accountId }, 'webhook dispatch of an account failed'));
  }

  /** Queues the deliveries of every change of the account up to its current modseq. */
  private async dispatch(accountId: string): Promise<void> {
    const account = await mailRepo.account(this.store.db, accountId);
    if (!account) return;
    const target = Number(account.modseq);
    // Read after the modseq: a hook that did not exist yet has no claim on those changes.
    const hooks = (await webhookRepo.seeing(this.store.db, account.principal_id)).map(hookOf);
    if (hooks.length === 0) return;
    const since = Math.min(...hooks.map((h) => h.activeSince));
    let stored = await webhookRepo.cursor(this.store.db, accountId);
    let at = stored ?? START;
    while (!caughtUp(at, target) && !this.loop.stopped) {
      const upTo = Math.min(target, at.modseq + WINDOW);
      const rows = await webhookRepo.changesAfter(this.store.db, accountId, at, upTo, { since, types: LOGGED_TYPES, limit: PAGE });
      const last = rows[rows.length - 1];
      // A full page may end inside one write's changes: the position then points into that modseq.
      const next: CursorPosition = rows.length === PAGE ? { modseq: last.modseq - 1, after_type: last.type, after_id: last.object_id } : { modseq: upTo, after_type: '', after_id: '' };
      if (rows.length > 0) {
        if (!(await this.commit(accountId, stored, next, await this.deliveriesFor(account, rows, hooks)))) return;
        stored = next;
      }
      at = next;
    }
    // Windows with nothing to deliver are recorded once at the end.
    if (at !== stored) await this.commit(accountId, stored, at, []);
  }

  private async deliveriesFor(account: AccountRow, rows: ChangeRow[], hooks: Hook[]): Promise<WebhookDeliveryRow[]> {
    const wanted = rows
      .map((change) => ({ change, hookIds: hooks.filter((h) => change.created_at >= h.activeSince && wants(h.events, eventTypeOf(change))).map((h) => h.id) }))
      .filter((w) => w.hookIds.length > 0);
    const created = wanted.filter((w) => w.change.type === 'Email' && w.change.op === 'c').map((w) => w.change.object_id);
    const summaries = await this.summaries(account.id, created);
    const now = Date.now();
    return wanted.flatMap((w) => deliveryRows(eventOfChange(w.change, account.principal_id, summaries.get(w.change.object_id)), w.hookIds, now));
  }

  /** What email.created carries, for the emails still there, in one query. */
  private async summaries(accountId: string, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
    if (ids.length === 0) return new Map();
    const records = await this.messages.records(accountId, ids);
    return new Map(
      records.map((r) => {
        const { subject, from, mailboxIds, receivedAt } = messageSummary(r, r.mailboxIds);
        return [r.id, { subject, from, mailboxIds, receivedAt }];
      }),
    );
  }

  /** Moves the cursor and queues the deliveries together; false when another node moved it first. */
  private async commit(accountId: string, from: CursorPosition | undefined, to: CursorPosition, rows: WebhookDeliveryRow[]): Promise<boolean> {
    try {
      const inserted = await this.store.write(async (w) => {
        // The cursor first: a node that lost the race stops here instead of waiting on each delivery row.
        if (!(await webhookRepo.advance(w.trx, accountId, from, to, Date.now()))) throw new LostRace();
        return webhookRepo.insertDeliveries(w.trx, rows);
      });
      if (inserted > 0) this.onQueued();
      return true;
    } catch (err) {
      if (err instanceof LostRace) return false;
      throw err;
    }
  }
}

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { remoteRepo } from '../../store/repos/remote.ts';
import type { Store } from '../../store/store.ts';
import type { RemoteAccountService, SyncRunner } from './accounts.ts';
import type { PassDeps } from './imap/account-sync.ts';
import { ImapWorker, type WorkerOptions } from './imap/worker.ts';

/** Who hears how passes end (webhooks). */
export interface SyncEvents {
  synced(accountId: string): Promise<unknown>;
  failed(accountId: string, error: string): Promise<unknown>;
}

export interface SupervisorOptions extends WorkerOptions {
  /** How often leases are renewed and unclaimed accounts picked up. */
  tickMs: number;
}

// A node that stops renewing (crash, partition) lets another take the account after this long.
const LEASE_MS = 2 * 60_000;
const PROGRESS_EVERY_MS = 1000;

/**
 * Runs one ImapWorker per mirrored account this node holds the lease of (DESIGN.md §4: a remote
 * account is synced by exactly one node at a time), picks up accounts nobody holds, and records
 * each worker's status, progress and errors for the APIs.
 */
export class SyncSupervisor implements SyncRunner {
  private readonly owner = randomBytes(6).toString('hex');
  private readonly workers = new Map<string, ImapWorker>();
  private readonly claims = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private ticking: Promise<void> = Promise.resolve();
  /** Epoch ms of each account's last successful pass seen by this node. */
  readonly lastSync = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly accounts: RemoteAccountService,
    private readonly deps: PassDeps,
    private readonly options: SupervisorOptions,
    private readonly events: SyncEvents,
    private readonly log?: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.deps.packed.start();
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.workers.keys()].map((id) => this.forget(id)));
    await this.deps.packed.stop();
    await this.deps.parser.close();
  }

  get active(): number {
    return this.workers.size;
  }

  ensure(accountId: string): void {
    if (!this.stopped) void this.claim(accountId).catch((err) => this.log?.error({ err, accountId }, 'cannot start mirror sync'));
  }

  async restart(accountId: string): Promise<void> {
    if (!this.workers.has(accountId)) return;
    await this.forget(accountId);
    this.ensure(accountId);
  }

  async forget(accountId: string): Promise<void> {
    const worker = this.workers.get(accountId);
    this.workers.delete(accountId);
    await worker?.stop();
    await remoteRepo.release(this.store.db, accountId, this.owner);
  }

  async syncNow(accountId: string): Promise<void> {
    let worker = this.workers.get(accountId);
    if (!worker) {
      await this.claim(accountId);
      worker = this.workers.get(accountId);
    }
    if (!worker) throw new Error('another node is syncing this account; ask again there or wait for its next pass');
    await worker.syncNow();
  }

  private tick(): void {
    this.ticking = this.renew()
      .catch((err) => this.log?.error({ err }, 'mirror supervisor tick failed'))
      .finally(() => {
        if (!this.stopped) {
          this.timer = setTimeout(() => this.tick(), this.options.tickMs);
          this.timer.unref();
        }
      });
  }

  private async renew(): Promise<void> {
    const now = Date.now();
    for (const id of [...this.workers.keys()]) {
      if (!(await remoteRepo.lease(this.store.db, id, this.owner, now, now + LEASE_MS))) {
        this.log?.warn({ accountId: id }, 'lost the sync lease of a mirrored account');
        const worker = this.workers.get(id);
        this.workers.delete(id);
        await worker?.stop();
      }
    }
    for (const id of await remoteRepo.unleased(this.store.db, now)) if (!this.stopped) await this.claim(id);
  }

  /**
   * One claim per account at a time: a sync asked for right after the account was added would
   * otherwise race the claim ensure() started, and the loser's worker would run unseen.
   */
  private claim(accountId: string): Promise<void> {
    let pending = this.claims.get(accountId);
    if (!pending) {
      pending = this.take(accountId).finally(() => this.claims.delete(accountId));
      this.claims.set(accountId, pending);
    }
    return pending;
  }

  private async take(accountId: string): Promise<void> {
    if (this.workers.has(accountId) || this.stopped) return;
    const now = Date.now();
    if (!(await remoteRepo.lease(this.store.db, accountId, this.owner, now, now + LEASE_MS))) return;
    let lastProgress = 0;
    let lastDownloaded = 0;
    let progressWrite: Promise<unknown> = Promise.resolve();
    const db = this.store.db;
    const worker = new ImapWorker(
      accountId,
      this.deps,
      {
        load: () => this.accounts.imapLogin(accountId),
        passStarted: async () => {
          await remoteRepo.update(db, accountId, { status: 'syncing' });
        },
        progress: (p) => {
          // Written at most once a second, and whenever a folder's download completes.
          const downloaded = p.filter((f) => f.total > 0 && f.done === f.total).length;
          if (Date.now() - lastProgress < PROGRESS_EVERY_MS && downloaded === lastDownloaded) return;
          lastProgress = Date.now();
          lastDownloaded = downloaded;
          // One after another: on a pool of connections (PostgreSQL) two writes in flight could land out of order.
          const json = JSON.stringify(p);
          progressWrite = progressWrite.then(() => remoteRepo.update(db, accountId, { progress_json: json })).catch(() => undefined);
        },
        passDone: async () => {
          // A progress write still under way must not land after the pass is recorded as done.
          await progressWrite;
          const at = Date.now();
          this.lastSync.set(accountId, at);
          await remoteRepo.update(db, accountId, { status: 'idle', progress_json: null, last_sync_at: at, last_error: null, last_error_at: null });
          await this.events.synced(accountId).catch((err) => this.log?.warn({ err, accountId }, 'sync.completed event not queued'));
        },
        failed: async (err) => {
          await remoteRepo.update(db, accountId, { status: 'error', last_error: err.message, last_error_at: Date.now() });
          await this.events.failed(accountId, err.message).catch((e) => this.log?.warn({ err: e, accountId }, 'account.error event not queued'));
        },
      },
      this.options,
      this.log,
    );
    this.workers.set(accountId, worker);
    // A worker that ends by itself (its account was deleted) leaves the table.
    void worker.done.then(() => {
      if (this.workers.get(accountId) === worker) this.workers.delete(accountId);
    });
  }
}

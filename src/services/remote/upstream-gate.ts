import { randomBytes } from 'node:crypto';
import { remoteRepo } from '../../store/repos/remote.ts';
import type { Store } from '../../store/store.ts';
import type { RemoteAccountService } from './accounts.ts';
import { ImapUpstream } from './imap/upstream.ts';

// How long a write lock lasts unless renewed, and how often a node waiting for it looks again.
const LOCK_MS = 30_000;
const FIRST_WAIT_MS = 10;
const MAX_WAIT_MS = 500;

/**
 * What the mail services consult before a write: for a mirrored IMAP account, the upstream the
 * change must reach first; for any other account, nothing. It also serialises, per account, the
 * user's writes with the sync worker's folder passes, on every node, so a pass never sees half
 * of a move.
 */
export class UpstreamGate {
  /** This node, as the holder of write locks. */
  private readonly owner = randomBytes(6).toString('hex');
  private readonly upstreams = new Map<string, ImapUpstream>();
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly remotes: RemoteAccountService,
  ) {}

  async of(accountId: string): Promise<ImapUpstream | null> {
    const row = await remoteRepo.account(this.store.db, accountId);
    if (!row || row.protocol !== 'imap') return null;
    let up = this.upstreams.get(accountId);
    if (!up) {
      up = new ImapUpstream(this.store, accountId, async () => {
        const c = await this.remotes.imapLogin(accountId);
        if (!c) throw new Error('the mirrored account is gone');
        return c.login;
      });
      this.upstreams.set(accountId, up);
    }
    return up;
  }

  /**
   * Runs fn once every earlier exclusive call for the account has finished: in this process (a
   * promise chain) and on every other node (the account's write lock in the database).
   */
  exclusive<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const locked = () => this.locked(accountId, fn);
    const before = this.tails.get(accountId) ?? Promise.resolve();
    const run = before.then(locked, locked);
    const tail = run.catch(() => undefined);
    this.tails.set(accountId, tail);
    void tail.then(() => {
      if (this.tails.get(accountId) === tail) this.tails.delete(accountId);
    });
    return run;
  }

  private async locked<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const db = this.store.db;
    for (let wait = FIRST_WAIT_MS; !(await remoteRepo.lockWrites(db, accountId, this.owner, Date.now(), Date.now() + LOCK_MS)); wait = Math.min(wait * 2, MAX_WAIT_MS)) {
      // An account removed meanwhile has no lock to wait for; fn finds out it is gone.
      if (!(await remoteRepo.account(db, accountId))) return fn();
      await new Promise((r) => setTimeout(r, wait));
    }
    // Renewed while fn runs (a first sync can take minutes); a node that dies lets it run out.
    const renew = setInterval(() => void remoteRepo.lockWrites(db, accountId, this.owner, Date.now(), Date.now() + LOCK_MS).catch(() => undefined), LOCK_MS / 3);
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await remoteRepo.unlockWrites(db, accountId, this.owner).catch(() => undefined);
    }
  }

  /** Logs out every upstream connection (shutdown); settings changes need nothing: each connection reads them afresh. */
  closeAll(): void {
    for (const up of this.upstreams.values()) up.close();
    this.upstreams.clear();
  }
}

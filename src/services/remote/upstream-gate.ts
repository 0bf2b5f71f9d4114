import { remoteRepo } from '../../store/repos/remote.ts';
import type { Store } from '../../store/store.ts';
import type { RemoteAccountService } from './accounts.ts';
import { ImapUpstream } from './imap/upstream.ts';

/**
 * What the mail services consult before a write: for a mirrored IMAP account, the upstream the
 * change must reach first; for any other account, nothing. It also serialises, per account, the
 * user's writes with the sync worker's folder passes, so a pass never sees half of a move.
 */
export class UpstreamGate {
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
        const c = await this.remotes.credentials(accountId);
        if (!c) throw new Error('the mirrored account is gone');
        return { server: c.settings.imap, username: c.settings.username, password: c.password };
      });
      this.upstreams.set(accountId, up);
    }
    return up;
  }

  /** Runs fn after every earlier exclusive call for the account has finished (in this process). */
  exclusive<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(accountId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(accountId, tail);
    void tail.then(() => {
      if (this.tails.get(accountId) === tail) this.tails.delete(accountId);
    });
    return run;
  }

  /** Logs out every upstream connection (shutdown); settings changes need nothing: each connection reads them afresh. */
  closeAll(): void {
    for (const up of this.upstreams.values()) up.close();
    this.upstreams.clear();
  }
}

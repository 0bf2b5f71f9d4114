import { sql, type Transaction } from 'kysely';
import type { Tables } from './db/schema.ts';
import type { ChangeEvent, ChangeOp } from './bus.ts';

export type Trx = Transaction<Tables>;

/**
 * The write side of the modseq/change-log spine (DESIGN.md §2). One WriteContext belongs to one
 * logical write: the first change it records in an account bumps that account's modseq once, and
 * every object changed by the write is logged under that modseq.
 */
export class WriteContext {
  private readonly modseqs = new Map<string, number>();
  private readonly events = new Map<string, ChangeEvent>();
  private readonly deferred: ((trx: Trx) => Promise<void>)[] = [];

  constructor(readonly trx: Trx) {}

  /** The modseq of this write in the account, allocating it on first use. */
  async modseq(accountId: string): Promise<number> {
    let value = this.modseqs.get(accountId);
    if (value === undefined) {
      const row = await this.trx
        .updateTable('accounts')
        .set({ modseq: sql`modseq + 1` })
        .where('id', '=', accountId)
        .returning('modseq')
        .executeTakeFirst();
      if (!row) throw new Error(`account ${accountId} does not exist`);
      value = Number(row.modseq);
      this.modseqs.set(accountId, value);
      this.events.set(accountId, { accountId, modseq: value, changes: [] });
    }
    return value;
  }

  async record(accountId: string, type: string, id: string, op: ChangeOp): Promise<number> {
    const modseq = await this.modseq(accountId);
    const event = this.events.get(accountId)!;
    const existing = event.changes.find((c) => c.type === type && c.id === id);
    // Within one write, created-then-updated stays a creation; anything-then-destroyed is a destruction.
    if (!existing) event.changes.push({ type, id, op });
    else if (op === 'd') existing.op = 'd';
    return modseq;
  }

  /**
   * Work to run after this write succeeded, outside its savepoint, just before commit. Full-text
   * inserts go here: FTS5 flushes its pending terms at every savepoint release, so indexing
   * inside per-write savepoints made one tiny index segment per message.
   */
  defer(fn: (trx: Trx) => Promise<void>): void {
    this.deferred.push(fn);
  }

  /** Runs the deferred work on the enclosing transaction (the savepoint is gone by then). */
  async runDeferred(trx: Trx): Promise<void> {
    for (const fn of this.deferred.splice(0)) await fn(trx);
  }

  /** Writes the change rows; called once just before commit. */
  async flush(): Promise<ChangeEvent[]> {
    const now = Date.now();
    const rows = [...this.events.values()].flatMap((e) =>
      e.changes.map((c) => ({ account_id: e.accountId, modseq: e.modseq, type: c.type, object_id: c.id, op: c.op, created_at: now })),
    );
    for (let i = 0; i < rows.length; i += 500) await this.trx.insertInto('changes').values(rows.slice(i, i + 500)).execute();
    return [...this.events.values()];
  }
}

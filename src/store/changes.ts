import { sql, type Transaction } from 'kysely';
import type { Tables } from './db/schema.ts';
import { runShaped } from './db/shaped-query.ts';
import type { ChangeEvent, ChangeOp } from './bus.ts';
import type { SearchDocument } from './search/types.ts';
import { jsonRows } from './db/dialect.ts';

export type Trx = Transaction<Tables>;

/**
 * The write side of the modseq/change-log spine (DESIGN.md §2). One WriteContext belongs to one
 * logical write: the first change it records in an account bumps that account's modseq once, and
 * every object changed by the write is logged under that modseq.
 */
export class WriteContext {
  private readonly modseqs = new Map<string, number>();
  private readonly events = new Map<string, ChangeEvent>();
  // Each event's changes by "account type id": a STORE on 20k messages records 20k of them.
  private readonly recorded = new Map<string, ChangeEvent['changes'][number]>();
  private readonly indexed: SearchDocument[] = [];

  constructor(readonly trx: Trx) {}

  /** The modseq of this write in the account, allocating it on first use. */
  async modseq(accountId: string): Promise<number> {
    let value = this.modseqs.get(accountId);
    if (value === undefined) {
      const row = (
        await runShaped(this.trx, 'next modseq', [accountId], () => this.trx.updateTable('accounts').set({ modseq: sql`modseq + 1` }).where('id', '=', accountId).returning('modseq'))
      ).rows[0];
      if (!row) throw new Error(`account ${accountId} does not exist`);
      value = Number(row.modseq);
      this.modseqs.set(accountId, value);
      this.events.set(accountId, { accountId, modseq: value, changes: [] });
    }
    return value;
  }

  async record(accountId: string, type: string, id: string, op: ChangeOp): Promise<number> {
    const modseq = await this.modseq(accountId);
    const key = `${accountId} ${type} ${id}`;
    const existing = this.recorded.get(key);
    // Within one write, created-then-updated stays a creation; anything-then-destroyed is a destruction.
    // Destroyed-then-created only happens to what can come back (an email hidden then shown again).
    if (!existing) {
      const change = { type, id, op };
      this.events.get(accountId)!.changes.push(change);
      this.recorded.set(key, change);
    } else if (op === 'd' || (op === 'c' && existing.op === 'd')) existing.op = op;
    return modseq;
  }

  /**
   * An email for the full-text index, added when the write commits: outside its savepoint,
   * because FTS5 flushes its pending terms at every savepoint release (one tiny index segment
   * per message), and together with the other emails of the commit.
   */
  index(doc: SearchDocument): void {
    this.indexed.push(doc);
  }

  /** The documents recorded by index(), handed over once. */
  takeIndexed(): SearchDocument[] {
    return this.indexed.splice(0);
  }

  /**
   * Writes the change rows, one statement per account over its changes as one JSON value;
   * called once just before commit. A STORE on 20k messages logs 20k rows, and binding six
   * values for each cost more than writing them.
   */
  async flush(): Promise<ChangeEvent[]> {
    const now = Date.now();
    for (const e of this.events.values()) {
      if (e.changes.length === 0) continue;
      const items = e.changes.map((c) => [c.type, c.id, c.op]);
      await runShaped(this.trx, 'changes from json', [e.accountId, e.modseq, now, JSON.stringify(items)], () =>
        sql`INSERT INTO changes (account_id, modseq, type, object_id, op, created_at)
          SELECT ${e.accountId}, CAST(${e.modseq} AS bigint), r.value ->> 0, r.value ->> 1, r.value ->> 2, CAST(${now} AS bigint) FROM ${jsonRows(this.trx, items)}`,
      );
    }
    return [...this.events.values()];
  }
}

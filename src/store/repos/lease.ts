import type { SelectQueryBuilder } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Dialect } from '../db/dialect.ts';
import type { Tables } from '../db/schema.ts';

/** Tables of work items that nodes take turns on: each row has lease_until and lease_owner. */
type LeasedTable = 'queue_recipients' | 'webhook_deliveries';

/**
 * Leases the rows `due` selects (ids of `table`) to `owner` until `until`, returning the ids it
 * got. PostgreSQL skips rows other nodes are leasing right now; SQLite has one writer, so the
 * update alone is atomic. A row whose lease has not run out is never taken. A leased row is next
 * due when its lease ends (the holder's settlement sets the real time), so a node's "when is the
 * next row due" does not see a row another node is working on as due now and spin on it.
 */
export async function leaseRows(db: Db, dialect: Dialect, table: LeasedTable, due: SelectQueryBuilder<Tables, any, { id: string }>, owner: string, now: number, until: number): Promise<string[]> {
  const rows = await db
    .updateTable(table)
    .set({ lease_until: until, lease_owner: owner, next_attempt_at: until })
    .where('id', 'in', dialect === 'postgres' ? due.forUpdate().skipLocked() : due)
    .where('lease_until', '<', now)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

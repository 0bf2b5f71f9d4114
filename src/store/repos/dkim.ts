import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { DkimKeyRow } from '../db/schema.ts';

type Q = Db | Trx;

/** Queries of DKIM keys. Rules live in services/dkim. */
export const dkimRepo = {
  insert: (db: Q, row: DkimKeyRow) => db.insertInto('dkim_keys').values(row).execute(),
  get: (db: Q, domainId: string, selector: string) =>
    db.selectFrom('dkim_keys').selectAll().where('domain_id', '=', domainId).where('selector', '=', selector).executeTakeFirst(),
  /** A domain's keys, oldest first. */
  ofDomain: (db: Q, domainId: string) => db.selectFrom('dkim_keys').selectAll().where('domain_id', '=', domainId).orderBy('created_at').orderBy('selector').execute(),
  /** The keys that sign mail of a domain, found by its name in one query (the path every enqueue takes). */
  ofDomainName: (db: Q, name: string) =>
    db
      .selectFrom('dkim_keys')
      .innerJoin('domains', 'domains.id', 'dkim_keys.domain_id')
      .selectAll('dkim_keys')
      .where('domains.name', '=', name)
      .orderBy('dkim_keys.created_at')
      .orderBy('dkim_keys.selector')
      .execute(),
  remove: async (db: Q, domainId: string, selector: string) =>
    Number((await db.deleteFrom('dkim_keys').where('domain_id', '=', domainId).where('selector', '=', selector).executeTakeFirst()).numDeletedRows),
};

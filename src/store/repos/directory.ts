import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import { runShaped } from '../db/shaped-query.ts';
import type { AccountRow, AddressRow, AllowedSenderRow, DomainRow, MappingRow, PrincipalRow } from '../db/schema.ts';
import type { Trx } from '../changes.ts';
import { escapeLike } from './like.ts';

type Q = Db | Trx;

/** Queries for domains, principals, addresses and mappings. Rules live in services/directory. */
export const directoryRepo = {
  domainByName: (db: Q, name: string) => db.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst(),
  domainById: (db: Q, id: string) => db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst(),
  domainAliasTarget: (db: Q, alias: string) =>
    db.selectFrom('domain_aliases').innerJoin('domains', 'domains.id', 'domain_aliases.domain_id').selectAll('domains').where('alias', '=', alias).executeTakeFirst(),
  domainAliases: async (db: Q, domainIds: string[]) =>
    domainIds.length === 0 ? [] : db.selectFrom('domain_aliases').selectAll().where('domain_id', 'in', domainIds).orderBy('alias').execute(),
  listDomains: (db: Q, opts: { after?: string; limit: number; query?: string }) => {
    let q = db.selectFrom('domains').selectAll().orderBy('name').limit(opts.limit);
    if (opts.after) q = q.where('name', '>', opts.after);
    if (opts.query) q = q.where(contains('name', opts.query));
    return q.execute();
  },
  countDomains: async (db: Q, query?: string) => {
    let q = db.selectFrom('domains').select((eb) => eb.fn.countAll<number>().as('n'));
    if (query) q = q.where(contains('name', query));
    return Number((await q.executeTakeFirstOrThrow()).n);
  },
  insertDomain: (db: Q, row: DomainRow) => db.insertInto('domains').values(row).execute(),
  updateDomain: (db: Q, id: string, patch: Partial<DomainRow>) => db.updateTable('domains').set(patch).where('id', '=', id).execute(),
  deleteDomain: (db: Q, id: string) => db.deleteFrom('domains').where('id', '=', id).execute(),
  addressCountInDomain: async (db: Q, domainId: string) =>
    Number((await db.selectFrom('addresses').select((eb) => eb.fn.countAll<number>().as('n')).where('domain_id', '=', domainId).executeTakeFirstOrThrow()).n),
  insertDomainAlias: (db: Q, alias: string, domainId: string) => db.insertInto('domain_aliases').values({ alias, domain_id: domainId, created_at: Date.now() }).execute(),
  deleteDomainAlias: (db: Q, alias: string) => db.deleteFrom('domain_aliases').where('alias', '=', alias).execute(),

  principalById: (db: Q, id: string) => db.selectFrom('principals').selectAll().where('id', '=', id).executeTakeFirst(),
  principalByUsername: (db: Q, username: string) => db.selectFrom('principals').selectAll().where('username', '=', username).executeTakeFirst(),
  principalByAddress: (db: Q, address: string) =>
    db.selectFrom('addresses').innerJoin('principals', 'principals.id', 'addresses.principal_id').selectAll('principals').where('addresses.address', '=', address).executeTakeFirst(),
  insertPrincipal: (db: Q, row: PrincipalRow) => db.insertInto('principals').values(row).execute(),
  updatePrincipal: (db: Q, id: string, patch: Partial<PrincipalRow>) => db.updateTable('principals').set(patch).where('id', '=', id).execute(),
  deletePrincipal: (db: Q, id: string) => db.deleteFrom('principals').where('id', '=', id).execute(),
  listPrincipals: (db: Q, opts: { type: string; after?: string; limit: number; query?: string }) => {
    let q = db.selectFrom('principals').selectAll().where('type', '=', opts.type).orderBy('username').limit(opts.limit);
    if (opts.after) q = q.where('username', '>', opts.after);
    if (opts.query) q = q.where(matchesPrincipal(opts.query));
    return q.execute();
  },
  countPrincipals: async (db: Q, type: string, query?: string) => {
    let q = db.selectFrom('principals').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', type);
    if (query) q = q.where(matchesPrincipal(query));
    return Number((await q.executeTakeFirstOrThrow()).n);
  },

  /** The primary account: the local one the principal's addresses deliver to. */
  accountOf: (db: Q, principalId: string) => db.selectFrom('accounts').selectAll().where('principal_id', '=', principalId).where('is_primary', '=', 1).executeTakeFirst(),
  primaryAccountsOf: (db: Q, principalIds: string[]) =>
    principalIds.length === 0 ? Promise.resolve([]) : db.selectFrom('accounts').selectAll().where('principal_id', 'in', principalIds).where('is_primary', '=', 1).execute(),
  /** Every account of the principal, the primary first, then in the order they were added. */
  poolOf: (db: Q, principalId: string) =>
    db.selectFrom('accounts').selectAll().where('principal_id', '=', principalId).orderBy('is_primary', 'desc').orderBy('created_at').orderBy('id').execute(),
  insertAccount: (db: Q, row: Omit<AccountRow, 'modseq' | 'used_bytes'>) => db.insertInto('accounts').values({ ...row, modseq: 0, used_bytes: 0 }).execute(),
  deleteAccount: (db: Q, id: string) => db.deleteFrom('accounts').where('id', '=', id).execute(),
  /** An account's usage and its owner's limit (0 = unlimited), in one statement. */
  /** Usage and limit of an account; a mirrored account's size is the upstream's business, so it has none. */
  accountQuota: async (db: Q, accountId: string) =>
    (
      await runShaped(db, 'account quota', [accountId], () =>
        db
          .selectFrom('accounts')
          .innerJoin('principals', 'principals.id', 'accounts.principal_id')
          .select(['accounts.used_bytes as used', sql<number>`CASE WHEN accounts.kind = 'local' THEN principals.quota ELSE 0 END`.as('limit')])
          .where('accounts.id', '=', accountId),
      )
    ).rows[0],

  address: (db: Q, address: string) => db.selectFrom('addresses').selectAll().where('address', '=', address).executeTakeFirst(),
  addressesOf: (db: Q, principalIds: string[]) =>
    principalIds.length === 0 ? Promise.resolve([] as AddressRow[]) : db.selectFrom('addresses').selectAll().where('principal_id', 'in', principalIds).orderBy('is_main', 'desc').orderBy('address').execute(),
  insertAddress: (db: Q, row: AddressRow) => db.insertInto('addresses').values(row).execute(),
  deleteAddress: (db: Q, address: string) => db.deleteFrom('addresses').where('address', '=', address).execute(),
  setMainAddress: async (db: Q, principalId: string, address: string) => {
    await db.updateTable('addresses').set({ is_main: 0 }).where('principal_id', '=', principalId).execute();
    await db.updateTable('addresses').set({ is_main: 1 }).where('address', '=', address).execute();
  },
  allowedSendersOf: (db: Q, principalId: string) =>
    db.selectFrom('allowed_senders').selectAll().where('principal_id', '=', principalId).orderBy('address').execute(),
  /** Inserts unless already there; true when it was new. */
  insertAllowedSender: async (db: Q, row: AllowedSenderRow) =>
    Number((await db.insertInto('allowed_senders').values(row).onConflict((oc) => oc.columns(['principal_id', 'address']).doNothing()).executeTakeFirst()).numInsertedOrUpdatedRows ?? 0) > 0,
  deleteAllowedSender: async (db: Q, principalId: string, address: string) =>
    Number((await db.deleteFrom('allowed_senders').where('principal_id', '=', principalId).where('address', '=', address).executeTakeFirst()).numDeletedRows) > 0,
  searchAddresses: (db: Q, opts: { query?: string; after?: string; limit: number }) => {
    let q = db.selectFrom('addresses').selectAll().orderBy('address').limit(opts.limit);
    if (opts.query) q = q.where(contains('address', opts.query));
    if (opts.after) q = q.where('address', '>', opts.after);
    return q.execute();
  },
  countAddresses: async (db: Q, query?: string) => {
    let q = db.selectFrom('addresses').select((eb) => eb.fn.countAll<number>().as('n'));
    if (query) q = q.where(contains('address', query));
    return Number((await q.executeTakeFirstOrThrow()).n);
  },

  mappingsFrom: (db: Q, sources: string[]) =>
    sources.length === 0 ? Promise.resolve([] as MappingRow[]) : db.selectFrom('mappings').selectAll().where('source', 'in', sources).execute(),
  listMappings: (db: Q, opts: { source?: string; after?: string; limit: number }) => {
    let q = db.selectFrom('mappings').selectAll().orderBy('id').limit(opts.limit);
    if (opts.source) q = q.where('source', '=', opts.source);
    if (opts.after) q = q.where('id', '>', opts.after);
    return q.execute();
  },
  countMappings: async (db: Q, source?: string) => {
    let q = db.selectFrom('mappings').select((eb) => eb.fn.countAll<number>().as('n'));
    if (source) q = q.where('source', '=', source);
    return Number((await q.executeTakeFirstOrThrow()).n);
  },
  mappingById: (db: Q, id: string) => db.selectFrom('mappings').selectAll().where('id', '=', id).executeTakeFirst(),
  insertMapping: (db: Q, row: MappingRow) => db.insertInto('mappings').values(row).execute(),
  deleteMapping: (db: Q, id: string) => db.deleteFrom('mappings').where('id', '=', id).execute(),
};


/** Case-insensitive substring match with an explicit escape character, identical on both backends. */
function contains(column: string, query: string) {
  return sql<boolean>`lower(${sql.ref(column)}) LIKE ${`%${escapeLike(query.toLowerCase())}%`} ESCAPE '\\'`;
}

export function matchesPrincipal(query: string) {
  const like = `%${escapeLike(query.toLowerCase())}%`;
  return sql<boolean>`(lower(principals.username) LIKE ${like} ESCAPE '\\' OR lower(coalesce(principals.name, '')) LIKE ${like} ESCAPE '\\' OR principals.id IN (SELECT principal_id FROM addresses WHERE address LIKE ${like} ESCAPE '\\'))`;
}

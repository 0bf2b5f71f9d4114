import { sql } from 'kysely';
import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import { insertRows, runShaped } from '../db/shaped-query.ts';
import type { RemoteAccountRow, RemoteFolderRow, RemoteStagedRow } from '../db/schema.ts';

type Q = Db | Trx;

/** A lease held on a remote account row: one node at a time, until it runs out unless renewed. */
interface LeaseColumns {
  owner: 'lease_owner' | 'write_owner';
  until: 'lease_until' | 'write_until';
}
const SYNC_LEASE: LeaseColumns = { owner: 'lease_owner', until: 'lease_until' };
const WRITE_LOCK: LeaseColumns = { owner: 'write_owner', until: 'write_until' };

async function takeLease(db: Q, c: LeaseColumns, accountId: string, owner: string, now: number, until: number): Promise<boolean> {
  const res = await db
    .updateTable('remote_accounts')
    .set({ [c.owner]: owner, [c.until]: until })
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb(c.owner, '=', owner), eb(c.until, '<', now)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

function dropLease(db: Q, c: LeaseColumns, accountId: string, owner: string) {
  return db.updateTable('remote_accounts').set({ [c.owner]: null, [c.until]: 0 }).where('account_id', '=', accountId).where(c.owner, '=', owner).execute();
}

/** Queries of mirrored accounts: settings, folders and the upstream UID of each local email. */
export const remoteRepo = {
  insertAccount: (db: Q, row: RemoteAccountRow) => db.insertInto('remote_accounts').values(row).execute(),
  nextNum: async (db: Q) => Number((await db.selectFrom('remote_accounts').select((eb) => eb.fn.max('num').as('n')).executeTakeFirst())?.n ?? 0) + 1,
  account: (db: Q, accountId: string) => db.selectFrom('remote_accounts').selectAll().where('account_id', '=', accountId).executeTakeFirst(),
  byExternalId: (db: Q, externalId: string) => db.selectFrom('remote_accounts').selectAll().where('external_id', '=', externalId).executeTakeFirst(),
  /** Remote accounts with their owner, optionally of one principal. */
  list: (db: Q, principalId?: string) => {
    let q = db.selectFrom('remote_accounts as r').innerJoin('accounts as a', 'a.id', 'r.account_id').selectAll('r').select(['a.principal_id', 'a.name']);
    if (principalId) q = q.where('a.principal_id', '=', principalId);
    return q.orderBy('r.num').execute();
  },
  /** One remote account with its owner and name. */
  withOwner: (db: Q, accountId: string) =>
    db.selectFrom('remote_accounts as r').innerJoin('accounts as a', 'a.id', 'r.account_id').selectAll('r').select(['a.principal_id', 'a.name']).where('r.account_id', '=', accountId).executeTakeFirst(),
  update: (db: Q, accountId: string, patch: Partial<RemoteAccountRow>) => db.updateTable('remote_accounts').set(patch).where('account_id', '=', accountId).execute(),

  /** Takes or renews the account's sync lease; false when another node holds it. */
  lease: (db: Q, accountId: string, owner: string, now: number, until: number) => takeLease(db, SYNC_LEASE, accountId, owner, now, until),
  release: (db: Q, accountId: string, owner: string) => dropLease(db, SYNC_LEASE, accountId, owner),
  /** Takes or renews the account's write lock; false when another node holds it. */
  lockWrites: (db: Q, accountId: string, owner: string, now: number, until: number) => takeLease(db, WRITE_LOCK, accountId, owner, now, until),
  unlockWrites: (db: Q, accountId: string, owner: string) => dropLease(db, WRITE_LOCK, accountId, owner),
  /** Accounts nobody is syncing now: candidates for this node to take. */
  unleased: async (db: Q, now: number) =>
    (await db.selectFrom('remote_accounts').select('account_id').where('protocol', '=', 'imap').where('lease_until', '<', now).execute()).map((r) => r.account_id),

  folders: (db: Q, accountId: string) => db.selectFrom('remote_folders').selectAll().where('account_id', '=', accountId).orderBy('path').execute(),
  insertFolder: (db: Q, row: RemoteFolderRow) => db.insertInto('remote_folders').values(row).execute(),
  updateFolder: (db: Q, id: string, patch: Partial<RemoteFolderRow>) => db.updateTable('remote_folders').set(patch).where('id', '=', id).execute(),
  deleteFolder: (db: Q, id: string) => db.deleteFrom('remote_folders').where('id', '=', id).execute(),

  /** uid → email id of everything mirrored from a folder. */
  async messages(db: Q, folderId: string): Promise<Map<number, string>> {
    const rows = await db.selectFrom('remote_messages').select(['uid', 'email_id']).where('folder_id', '=', folderId).execute();
    return new Map(rows.map((r) => [Number(r.uid), r.email_id]));
  },
  /** Where an email of the account is upstream (its folder and UID). */
  locate: (db: Q, accountId: string, emailId: string) =>
    db
      .selectFrom('remote_messages as m')
      .innerJoin('remote_folders as f', 'f.id', 'm.folder_id')
      .select(['m.folder_id', 'm.uid', 'f.path'])
      .where('f.account_id', '=', accountId)
      .where('m.email_id', '=', emailId)
      .executeTakeFirst(),
  relocate: (db: Q, emailId: string, from: { folderId: string; uid: number }, to: { folderId: string; uid: number }) =>
    db.updateTable('remote_messages').set({ folder_id: to.folderId, uid: to.uid }).where('email_id', '=', emailId).where('folder_id', '=', from.folderId).where('uid', '=', from.uid).execute(),
  /** A folder renamed upstream: its path and those of the folders under it. */
  async renameFolderTree(db: Q, accountId: string, from: string, to: string, delimiter: string): Promise<void> {
    // An account has tens of folders, not thousands: filtering here beats a LIKE on names that may hold % or _.
    const rows = await db.selectFrom('remote_folders').select(['id', 'path']).where('account_id', '=', accountId).execute();
    for (const r of rows) {
      if (r.path === from) await db.updateTable('remote_folders').set({ path: to }).where('id', '=', r.id).execute();
      else if (r.path.startsWith(from + delimiter)) await db.updateTable('remote_folders').set({ path: to + r.path.slice(from.length) }).where('id', '=', r.id).execute();
    }
  },
  async insertMessages(db: Q, rows: { folder_id: string; uid: number; email_id: string }[]): Promise<void> {
    if (rows.length) await insertRows(db, 'remote_messages', rows);
  },
  deleteMessages: (db: Q, folderId: string, uids: number[]) => (uids.length ? db.deleteFrom('remote_messages').where('folder_id', '=', folderId).where('uid', 'in', uids).execute() : Promise.resolve([])),
  /** After a UIDVALIDITY change: every UID of the folder, mirrored or staged, is meaningless. */
  async forgetFolderMessages(db: Q, folderId: string): Promise<void> {
    await db.deleteFrom('remote_messages').where('folder_id', '=', folderId).execute();
    await db.deleteFrom('remote_staged').where('folder_id', '=', folderId).execute();
  },

  /** Downloads recorded before they are indexed (ADR 0031); a UID staged already is kept as it is. */
  stage: (db: Q, rows: RemoteStagedRow[]) => {
    if (rows.length === 0) return Promise.resolve();
    const params = rows.flatMap((r) => [r.folder_id, r.uid, r.pack, r.pack_offset, r.size, r.keywords, r.received_at]);
    return runShaped(db, `stage ×${rows.length}`, params, () =>
      db
        .insertInto('remote_staged')
        .values(rows.map((r) => ({ folder_id: r.folder_id, uid: r.uid, pack: r.pack, pack_offset: r.pack_offset, size: r.size, keywords: r.keywords, received_at: r.received_at })))
        .onConflict((oc) => oc.columns(['folder_id', 'uid']).doNothing()),
    );
  },
  /**
   * Staged downloads of an account (or of one folder), in folder and UID order from just past
   * `after`, with the mailbox each goes to.
   */
  staged: (db: Q, accountId: string, folderId: string | null, after: { folder_id: string; uid: number } | null, limit: number) => {
    let q = db
      .selectFrom('remote_staged as s')
      .innerJoin('remote_folders as f', 'f.id', 's.folder_id')
      .selectAll('s')
      .select('f.mailbox_id')
      .where('f.account_id', '=', accountId);
    if (folderId) q = q.where('s.folder_id', '=', folderId);
    if (after) q = q.where((eb) => eb.or([eb('s.folder_id', '>', after.folder_id), eb.and([eb('s.folder_id', '=', after.folder_id), eb('s.uid', '>', after.uid)])]));
    return q.orderBy('s.folder_id').orderBy('s.uid').limit(limit).execute();
  },
  /** Which of these staged rows are still there ("folder uid" keys): a folder deleted since takes its rows. */
  async stillStaged(db: Q, rows: { folder_id: string; uid: number }[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const found = await db
      .selectFrom('remote_staged')
      .select(['folder_id', 'uid'])
      .where('folder_id', 'in', [...new Set(rows.map((r) => r.folder_id))])
      .where('uid', '>=', Math.min(...rows.map((r) => Number(r.uid))))
      .where('uid', '<=', Math.max(...rows.map((r) => Number(r.uid))))
      .execute();
    return new Set(found.map((r) => `${r.folder_id} ${Number(r.uid)}`));
  },
  async unstage(db: Q, rows: { folder_id: string; uid: number }[]): Promise<void> {
    const byFolder = new Map<string, number[]>();
    for (const r of rows) {
      const uids = byFolder.get(r.folder_id);
      if (uids) uids.push(r.uid);
      else byFolder.set(r.folder_id, [r.uid]);
    }
    for (const [folderId, uids] of byFolder) await db.deleteFrom('remote_staged').where('folder_id', '=', folderId).where('uid', 'in', uids).execute();
  },
  /** Of these packs, those a staged download or a blob not yet written out still points into. */
  async packsInUse(db: Q, packs: string[]): Promise<Set<string>> {
    if (packs.length === 0) return new Set();
    const staged = await db.selectFrom('remote_staged').select('pack').distinct().where('pack', 'in', packs).execute();
    const blobs = await db.selectFrom('blobs').select('pack').distinct().where('pack', 'in', packs).execute();
    return new Set([...staged, ...blobs].map((r) => r.pack!));
  },
  /** Lowers a folder's UIDNEXT so the next pass fetches that UID again. */
  refetchFrom: (db: Q, folderId: string, uid: number) => db.updateTable('remote_folders').set({ uidnext: uid }).where('id', '=', folderId).where('uidnext', '>', uid).execute(),
  /** Per account: folders mirrored and messages in them, for the management views. */
  async counts(db: Q, accountIds: string[]): Promise<Map<string, { folders: number; messages: number }>> {
    if (accountIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('remote_folders as f')
      .leftJoin('remote_messages as m', 'm.folder_id', 'f.id')
      .select(['f.account_id', sql<number>`count(distinct f.id)`.as('folders'), sql<number>`count(m.uid)`.as('messages')])
      .where('f.account_id', 'in', accountIds)
      .groupBy('f.account_id')
      .execute();
    return new Map(rows.map((r) => [r.account_id, { folders: Number(r.folders), messages: Number(r.messages) }]));
  },
};

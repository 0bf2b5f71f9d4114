import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { FsBlobStore } from '../../src/store/blobs/fs.ts';
import { resolveRecipient } from '../../src/services/directory/resolve.ts';
import type { EmailQuery } from '../../src/services/mail/messages.ts';
import * as searchFields from '../../src/store/db/migrations/007_search_fields.ts';
import * as envelopes from '../../src/store/db/migrations/014_envelopes.ts';
import type { Envelope } from '../../src/mime/envelope.ts';
import { simpleMessage } from '../helpers/messages.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { startTestServer, type Backend, type TestServer } from '../helpers/server.ts';

/**
 * One suite, run against every storage backend (DESIGN.md §4): what the services promise must
 * hold identically on SQLite and PostgreSQL.
 */
for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`store contract on ${backend}`, () => {
    let server: TestServer | null;
    let accountId: string;
    let otherAccountId: string;

    before(async () => {
      server = await startTestServer({ backend });
      if (!server) return;
      const s = server.services;
      await s.directory.createDomain({ name: 'contract.test' });
      const u = await s.directory.createUser({ username: 'carl', password: 'password123', address: 'carl@contract.test' });
      const v = await s.directory.createUser({ username: 'vera', password: 'password123', address: 'vera@contract.test' });
      accountId = (await s.directory.accountOfUser(u.id)).accountId;
      otherAccountId = (await s.directory.accountOfUser(v.id)).accountId;
    });
    after(async () => {
      await server?.stop();
    });

    /** A user of its own for one test: the user, its account and that account's INBOX. */
    const freshUser = async (s: TestServer, username: string, quota?: number) => {
      const user = await s.services.directory.createUser({ username, password: 'password123', address: `${username}@contract.test`, ...(quota ? { quota } : {}) });
      const acc = (await s.services.directory.accountOfUser(user.id)).accountId;
      return { user, acc, inbox: (await s.services.mailboxes.byRole(acc, 'inbox'))!.id };
    };

    // startTestServer returns null only for PostgreSQL when it is not installed.
    const it = (name: string, fn: (s: TestServer) => Promise<void>) =>
      test(name, async (t) => {
        if (!server) return t.skip(postgresSkipReason);
        await fn(server);
      });

    it('each write bumps the account modseq once and logs every object it changed', async (s) => {
      const feed = s.services.changes;
      const start = await feed.current(accountId);
      const stored = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'modseq' }) });
      assert.equal(await feed.current(accountId), start + 1);
      const batch = await feed.since(accountId, start);
      assert.equal(batch.events.length, 1);
      const ops = batch.events[0].changes.map((c) => `${c.type}:${c.op}`).sort();
      assert.deepEqual(ops, ['Email:c', 'Mailbox:u', 'Thread:c']);
      assert.ok(batch.events[0].changes.some((c) => c.id === stored.id));
      // Other accounts are untouched.
      assert.equal((await feed.since(otherAccountId, await feed.current(otherAccountId))).events.length, 0);
    });

    it('UIDs strictly increase per mailbox and are never reused; counters follow flags and moves', async (s) => {
      const inbox = await s.services.mailboxes.byRole(accountId, 'inbox');
      const trash = await s.services.mailboxes.byRole(accountId, 'trash');
      const a = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'uid a' }) });
      const b = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'uid b' }) });
      const uidOf = async (emailId: string, mailboxId: string) =>
        Number((await s.store.db.selectFrom('email_mailboxes').select('uid').where('email_id', '=', emailId).where('mailbox_id', '=', mailboxId).executeTakeFirstOrThrow()).uid);
      const ua = await uidOf(a.id, inbox.id);
      const ub = await uidOf(b.id, inbox.id);
      assert.ok(ub > ua);
      await s.services.messages.update(accountId, a.id, { mailboxIds: [trash.id] });
      await s.services.messages.update(accountId, a.id, { mailboxIds: [inbox.id], seen: true });
      const ua2 = await uidOf(a.id, inbox.id);
      assert.ok(ua2 > ub, 'a message moved back gets a new, higher UID');
      const box = await s.services.mailboxes.get(accountId, inbox.id);
      const counted = await s.services.messages.list(accountId, inbox.id, { limit: 250 });
      assert.equal(box.total, counted.total);
      assert.equal(box.unseen, counted.results.filter((m) => !m.seen).length);
      assert.equal(box.size, counted.results.reduce((n, m) => n + m.size, 0));
    });

    it('identical content shares one blob; the file goes only with its last reference', async (s) => {
      const raw = simpleMessage({ subject: 'dedupe', messageId: 'dedupe@contract.test' });
      const one = await s.services.ingest.ingest({ accountId, raw });
      const path = s.store.blobs.pathOf(one.blobId);
      const inode = statSync(path).ino;
      const two = await s.services.ingest.ingest({ accountId: otherAccountId, raw });
      assert.equal(one.blobId, two.blobId);
      assert.equal(statSync(path).ino, inode, 'the second copy is not written again');
      await s.services.messages.delete(accountId, one.id);
      assert.ok(existsSync(path), 'still referenced by the other account');
      await s.services.messages.delete(otherAccountId, two.id);
      assert.ok(!existsSync(path), 'removed with its last reference');
    });

    it('full-text search finds words and never crosses accounts', async (s) => {
      await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Quokka report', body: 'The marsupial census is done.' }) });
      await s.services.ingest.ingest({ accountId: otherAccountId, raw: simpleMessage({ subject: 'Quokka too', body: 'Another marsupial.' }) });
      // A field's words are a phrase in that field: neither a word elsewhere nor another order matches.
      await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Quokka weekly', body: 'See the report.' }) });
      await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Report on a quokka', body: 'Nothing.' }) });
      const mine = await s.services.messages.search(accountId, { text: 'marsupial' });
      assert.deepEqual(mine.results.map((m) => m.subject), ['Quokka report']);
      assert.deepEqual((await s.services.messages.search(accountId, { subject: 'quokka report' })).results.map((m) => m.subject), ['Quokka report']);
      assert.equal((await s.services.messages.search(accountId, { text: 'census marsupial' })).total, 1);
      assert.equal((await s.services.messages.search(accountId, { text: 'census platypus' })).total, 0);
    });

    it('migration 007 indexes the recipient and header fields of emails stored before it', async (s) => {
      const stored = await s.services.ingest.ingest({
        accountId,
        raw: simpleMessage({ subject: 'Upgraded wombat', headers: ['Cc: Olga Upgrade <olga@upgrade.test>', 'X-Upgrade: Yes, indeed'] }),
      });
      // The database as the release before 007 left it: no field index, 007 not yet run.
      if (s.store.dialect === 'sqlite') await sql`DROP TABLE email_fields_fts`.execute(s.store.db);
      else await sql`ALTER TABLE email_search DROP COLUMN fields, DROP COLUMN header_names, DROP COLUMN header_values`.execute(s.store.db);
      // Later migrations have run too, so 007 is replayed on its own rather than through the migrator.
      await searchFields.up(s.store.db, s.store.dialect, s.store.blobs);
      const ids = async (query: EmailQuery) =>
        (await s.services.messages.queryIds(accountId, query, { sort: [{ column: 'received_at', asc: true }], position: 0, limit: 10 })).ids;
      assert.deepEqual(await ids({ cc: 'olga upgrade' }), [stored.id]);
      assert.deepEqual(await ids({ to: 'olga' }), []);
      assert.deepEqual(await ids({ recipients: 'olga' }), [stored.id]);
      assert.deepEqual(await ids({ headers: [{ name: 'x-upgrade' }] }), [stored.id]);
      assert.deepEqual(await ids({ headers: [{ name: 'x-upgrade', value: 'S, IND' }] }), [stored.id]);
      assert.deepEqual(await ids({ headers: [{ name: 'x-upgrade', value: 'indeed yes' }] }), []);
      assert.deepEqual(await ids({ subject: 'wombat' }), [stored.id]);
      // New mail is indexed as before.
      const later = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ headers: ['Cc: olga@upgrade.test', 'X-Upgrade: again'] }) });
      assert.deepEqual(await ids({ cc: 'olga' }), [stored.id, later.id]);
      assert.deepEqual(await ids({ headers: [{ name: 'x-upgrade', value: 'again' }] }), [later.id]);
    });

    it('migration 014 keeps the ENVELOPE fields of emails stored before it, from their header blocks', async (s) => {
      const raw = simpleMessage({ subject: 'Envelope  of\r\n old', headers: ['Cc: "Olga, U." <olga@upgrade.test>'] });
      const stored = await s.services.ingest.ingest({ accountId, raw });
      const envelopeOf = async (id: string) => (await s.store.db.selectFrom('emails').select('envelope').where('id', '=', id).executeTakeFirstOrThrow()).envelope;
      const atIngest = await envelopeOf(stored.id);
      assert.ok(atIngest, 'ingest stores the envelope');
      // The database as the release before 014 left it; later migrations ran, so 014 is replayed on its own.
      await sql`ALTER TABLE emails DROP COLUMN envelope`.execute(s.store.db);
      await envelopes.up(s.store.db, s.store.dialect, s.store.blobs);
      assert.equal(await envelopeOf(stored.id), atIngest);
      const [, subject, , , , , cc] = JSON.parse(atIngest) as Envelope;
      assert.equal(subject, 'Envelope of old');
      assert.deepEqual(cc, [['Olga, U.', null, 'olga', 'upgrade.test']]);
    });

    it('threads join by references and by reply subject; deleting the last email removes the thread', async (s) => {
      const root = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Budget 2027', messageId: 'budget@contract.test' }) });
      const byRef = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'other words', inReplyTo: 'budget@contract.test' }) });
      const bySubject = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'RE: Fwd: Budget 2027' }) });
      const unrelated = await s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Budget 2027' }) });
      assert.equal(byRef.threadId, root.threadId);
      assert.equal(bySubject.threadId, root.threadId);
      assert.notEqual(unrelated.threadId, root.threadId, 'a non-reply with the same subject starts its own thread');
      await s.services.messages.delete(accountId, unrelated.id);
      await assert.rejects(s.services.messages.thread(accountId, unrelated.threadId), /not found/);
    });

    it('the change log reports truncation after compaction instead of wrong data', async (s) => {
      const before = await s.services.changes.current(otherAccountId);
      await s.services.ingest.ingest({ accountId: otherAccountId, raw: simpleMessage() });
      await s.store.db.deleteFrom('changes').where('account_id', '=', otherAccountId).where('modseq', '<=', before + 1).execute();
      const batch = await s.services.changes.since(otherAccountId, before - 1);
      assert.equal(batch.truncated, true);
    });

    it('recipient resolution: aliases, groups, plus-addressing, wildcard, catch-all, domain alias, disabled', async (s) => {
      const d = s.services.directory;
      await d.createDomain({ name: 'resolve.test' });
      const ann = await d.createUser({ username: 'ann', password: 'password123', address: 'ann@resolve.test' });
      const ben = await d.createUser({ username: 'ben', password: 'password123', address: 'ben@resolve.test' });
      const annAcc = (await d.accountOfUser(ann.id)).accountId;
      const benAcc = (await d.accountOfUser(ben.id)).accountId;
      await d.addMapping({ source: 'sales@resolve.test', kind: 'alias', target: 'ann@resolve.test' });
      await d.addMapping({ source: 'team@resolve.test', kind: 'group', target: 'ann@resolve.test' });
      await d.addMapping({ source: 'team@resolve.test', kind: 'group', target: 'ben@resolve.test' });
      await d.addMapping({ source: 'fwd@resolve.test', kind: 'forward', target: 'sales@resolve.test' });
      await d.updateDomain('resolve.test', { aliases: ['resolve-alias.test'] });
      const accounts = async (addr: string) => {
        const r = await resolveRecipient(s.store.db, addr);
        return r.kind === 'local' ? r.accounts.map((a) => a.accountId).sort() : r.kind;
      };
      assert.deepEqual(await accounts('ANN@resolve.test'), [annAcc]);
      assert.deepEqual(await accounts('sales@resolve.test'), [annAcc]);
      assert.deepEqual(await accounts('team@resolve.test'), [annAcc, benAcc].sort());
      assert.deepEqual(await accounts('fwd@resolve.test'), [annAcc]);
      assert.deepEqual(await accounts('ann+news@resolve.test'), [annAcc]);
      assert.deepEqual(await accounts('ben@resolve-alias.test'), [benAcc]);
      assert.equal(await accounts('nobody@resolve.test'), 'unknown');
      assert.equal(await accounts('someone@elsewhere.test'), 'remote');
      assert.equal(await accounts('not an address'), 'invalid');
      await d.updateDomain('resolve.test', { catchAll: 'ben@resolve.test' });
      assert.deepEqual(await accounts('nobody@resolve.test'), [benAcc]);
      await d.addAddress(ann.id, { address: '*@resolve-alias.test' }).catch(() => undefined);
      await d.updateUser(ben.id, { disabled: true });
      assert.equal(await accounts('ben@resolve.test'), 'unknown');
    });

    it('group commit: concurrent ingests all land; one over quota fails alone', async (s) => {
      const d = s.services.directory;
      const q = await d.createUser({ username: 'quinn', password: 'password123', address: 'quinn@contract.test', quota: 1500 });
      const qAcc = (await d.accountOfUser(q.id)).accountId;
      const results = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) => s.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: `burst ${i}` }) })),
        s.services.ingest.ingest({ accountId: qAcc, raw: Buffer.concat([simpleMessage(), Buffer.alloc(2000, 'x')]) }),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 20);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal(failed.reason.code, 'overQuota');
      assert.equal((await s.services.messages.search(accountId, { subject: 'burst' })).total, 20);
      assert.equal((await d.getUser(q.id)).quota.used, 0);
    });

    it('a delivery refused inside its transaction leaves no blob file behind', async (s) => {
      const d = s.services.directory;
      const r = await d.createUser({ username: 'rita', password: 'password123', address: 'rita@contract.test', quota: 1500 });
      const rAcc = (await d.accountOfUser(r.id)).accountId;
      // Each fits alone, so both pass the early check; only one fits in the transaction.
      const raws = [0, 1].map((i) => Buffer.concat([simpleMessage({ subject: `race ${i}` }), Buffer.alloc(900, 'abcdefgh'.charAt(i))]));
      const results = await Promise.allSettled(raws.map((raw) => s.services.ingest.ingest({ accountId: rAcc, raw })));
      assert.deepEqual(results.map((x) => x.status).sort(), ['fulfilled', 'rejected']);
      const failedRaw = raws[results.findIndex((x) => x.status === 'rejected')];
      const { FsBlobStore } = await import('../../src/store/blobs/fs.ts');
      assert.ok(!existsSync(s.store.blobs.pathOf(FsBlobStore.hash(failedRaw))), 'the refused message left its blob behind');
      const storedRaw = raws[results.findIndex((x) => x.status === 'fulfilled')];
      assert.ok(existsSync(s.store.blobs.pathOf(FsBlobStore.hash(storedRaw))));
    });

    it('the account pool: the primary first, extra local accounts beside it, mail delivered to the primary only', async (s) => {
      const d = s.services.directory;
      const pia = await d.createUser({ username: 'pia', password: 'password123', address: 'pia@contract.test' });
      const primary = (await d.accountOfUser(pia.id)).accountId;
      const extra = await d.addAccount(pia.id, { name: ' Archive ' });
      assert.deepEqual(extra, { id: extra.id, name: 'Archive', kind: 'local', isPersonal: true, isReadOnly: false, isPrimary: false });
      const principal = (await d.authenticate('pia', 'password123'))!;
      assert.equal(principal.accountId, primary);
      assert.deepEqual(principal.accounts.map((a) => [a.id, a.name, a.isPrimary]), [[primary, 'pia', true], [extra.id, 'Archive', false]]);
      assert.deepEqual((await d.principal(pia.id))!.accounts, principal.accounts);
      assert.ok(await s.services.mailboxes.byRole(extra.id, 'inbox'), 'an added account has the default mailboxes');
      const resolved = await resolveRecipient(s.store.db, 'pia@contract.test');
      assert.deepEqual(resolved.kind === 'local' && resolved.accounts.map((a) => a.accountId), [primary]);
      await assert.rejects(d.addAccount(pia.id, { name: '  ' }), /name/);
      await assert.rejects(d.removeAccount(pia.id, primary), /primary/);
      await assert.rejects(d.removeAccount(pia.id, accountId), /not found/, "another user's account is not in the pool");
    });

    it('copying an email shares its blob, logs changes in the target only, counts in its quota; removal releases it all', async (s) => {
      const d = s.services.directory;
      const tom = await d.createUser({ username: 'tom', password: 'password123', address: 'tom@contract.test' });
      const from = (await d.accountOfUser(tom.id)).accountId;
      const to = (await d.addAccount(tom.id, { name: 'Copies' })).id;
      const raw = simpleMessage({ subject: 'shared bytes' });
      const stored = await s.services.ingest.ingest({ accountId: from, raw });
      const inbox = (await s.services.mailboxes.byRole(to, 'inbox'))!.id;
      const refcount = async () => Number((await s.store.db.selectFrom('blobs').select('refcount').where('id', '=', stored.blobId).executeTakeFirst())?.refcount ?? 0);
      const [fromBefore, toBefore] = [await s.services.changes.current(from), await s.services.changes.current(to)];
      const [copied, missing] = await s.services.messages.copy(from, to, [
        { id: stored.id, mailboxIds: [inbox], keywords: ['$flagged'] },
        { id: 'e00000000000000000000000', mailboxIds: [inbox] },
      ]);
      assert.equal(copied.status, 'fulfilled');
      assert.equal(missing.status === 'rejected' && missing.reason.code, 'notFound');
      const copy = (copied as PromiseFulfilledResult<{ id: string; blob_id: string }>).value;
      assert.equal(copy.blob_id, stored.blobId);
      assert.equal(await refcount(), 2);
      assert.equal(await s.services.changes.current(from), fromBefore, 'the source is untouched');
      const batch = await s.services.changes.since(to, toBefore);
      assert.deepEqual(batch.events.flatMap((e) => e.changes.map((c) => `${c.type}:${c.op}`)).sort(), ['Email:c', 'Mailbox:u', 'Thread:c']);
      assert.deepEqual(await d.accountQuota(to), { used: raw.length, limit: 0 });
      assert.equal((await d.getUser(tom.id)).quota.used, raw.length, "the user's usage is the primary's");

      await d.removeAccount(tom.id, to);
      assert.deepEqual((await d.accountOfUser(tom.id)).accounts.map((a) => a.id), [from]);
      assert.equal(await refcount(), 1);
      const again = (await d.addAccount(tom.id, { name: 'Again' })).id;
      await s.services.messages.copy(from, again, [{ id: stored.id, mailboxIds: [(await s.services.mailboxes.byRole(again, 'inbox'))!.id] }]);
      await d.deleteUser(tom.id);
      assert.equal(await refcount(), 0, 'deleting the user purges every account of the pool');
      assert.ok(!existsSync(s.store.blobs.pathOf(stored.blobId)));
    });

    it('moving a whole mailbox (RENAME INBOX) keeps ids and UID order, walks past a chunk, and leaves counters true', async (s) => {
      const d = s.services.directory;
      const kim = await d.createUser({ username: 'kim', password: 'password123', address: 'kim@contract.test' });
      const acc = (await d.accountOfUser(kim.id)).accountId;
      const inbox = await s.services.mailboxes.byRole(acc, 'inbox');
      const ids: string[] = [];
      for (let i = 0; i < 205; i++) ids.push((await s.services.ingest.ingest({ accountId: acc, raw: simpleMessage({ subject: `all ${i}` }), keywords: i % 3 ? ['$seen'] : [] })).id);
      await s.services.imap.folders.rename(acc, 'INBOX', 'Moved');
      const moved = await s.services.imap.folders.get(acc, 'Moved');
      const members = await s.store.db.selectFrom('email_mailboxes').select(['email_id', 'uid']).where('mailbox_id', '=', moved.id).orderBy('uid').execute();
      assert.deepEqual(members.map((m) => m.email_id), ids);
      assert.deepEqual(members.map((m) => Number(m.uid)), ids.map((_, i) => i + 1));
      const after = await s.services.mailboxes.get(acc, inbox.id);
      assert.deepEqual([after.total, after.unseen, after.size], [0, 0, 0]);
      const box = await s.services.mailboxes.get(acc, moved.id);
      assert.deepEqual([box.total, box.unseen], [205, 69]);
      assert.equal((await s.services.imap.folders.get(acc, 'INBOX')).row.uidvalidity, inbox.uidvalidity, 'INBOX keeps its UIDVALIDITY');
      await d.deleteUser(kim.id);
    });

    it('a batch from upstream is one change: threads found within it, UIDs in its order, shared bytes counted twice', async (s) => {
      const d = s.services.directory;
      const { user: bea, acc, inbox } = await freshUser(s, 'bea');
      const archive = (await s.services.mailboxes.create(acc, { name: 'Plans' })).id;
      const root = simpleMessage({ subject: 'Harbour plans', messageId: 'harbour@contract.test' });
      const raws = [
        root,
        simpleMessage({ subject: 'other words', inReplyTo: 'harbour@contract.test' }),
        simpleMessage({ subject: 'Re: Harbour plans', body: 'Seen the gannets?' }),
        root,
        simpleMessage({ subject: 'Tide tables' }),
      ];
      const blobs = await s.store.blobs.putMany(raws);
      const start = await s.services.changes.current(acc);
      const linked: { index: number; emailId: string }[] = [];
      const results = await s.services.ingest.ingestFromUpstream(
        acc,
        raws.map((raw, i) => ({ raw, blob: blobs[i], mailboxId: i === 4 ? archive : inbox, keywords: i === 2 ? ['$seen'] : [], receivedAt: 1_800_000_000_000 + i })),
        async (_w, stored) => void linked.push(...stored),
      );
      const emails = results.map((r) => (r.status === 'fulfilled' ? r.value : assert.fail(String(r.reason))));
      assert.deepEqual(linked, emails.map((e, index) => ({ index, emailId: e.id })), 'link hears every email once, in order');
      assert.equal(await s.services.changes.current(acc), start + 1, 'one modseq for the batch');
      const event = (await s.services.changes.since(acc, start)).events[0];
      assert.equal(event.changes.filter((c) => c.type === 'Email' && c.op === 'c').length, 5);
      assert.deepEqual(event.changes.filter((c) => c.type === 'Thread').map((c) => c.op), ['c', 'c']);
      const [first, byRef, bySubject, again, other] = emails;
      assert.deepEqual([byRef.threadId, bySubject.threadId, again.threadId], [first.threadId, first.threadId, first.threadId]);
      assert.notEqual(other.threadId, first.threadId);
      const members = await s.store.db.selectFrom('email_mailboxes').select(['email_id', 'uid']).where('mailbox_id', '=', inbox).orderBy('uid').execute();
      assert.deepEqual(members.map((m) => m.email_id), [first.id, byRef.id, bySubject.id, again.id]);
      assert.deepEqual(members.map((m) => Number(m.uid)), [1, 2, 3, 4]);
      const box = await s.services.mailboxes.get(acc, inbox);
      assert.deepEqual([box.total, box.unseen, box.size], [4, 3, raws.slice(0, 4).reduce((n, r) => n + r.length, 0)]);
      const refcount = Number((await s.store.db.selectFrom('blobs').select('refcount').where('id', '=', first.blobId).executeTakeFirstOrThrow()).refcount);
      assert.equal(refcount, 2, 'the same bytes twice are two references');
      assert.deepEqual((await s.services.messages.search(acc, { text: 'gannets' })).results.map((m) => m.id), [bySubject.id]);
      await d.deleteUser(bea.id);
    });

    it('a batch from upstream that cannot commit whole is stored one by one: only the bad message fails', async (s) => {
      const d = s.services.directory;
      const { user: cy, acc, inbox } = await freshUser(s, 'cy', 1500);
      const raws = [simpleMessage({ subject: 'fits' }), Buffer.concat([simpleMessage({ subject: 'too big' }), Buffer.alloc(1300, 'x')]), simpleMessage({ subject: 'fits too' })];
      const blobs = await s.store.blobs.putMany(raws);
      const results = await s.services.ingest.ingestFromUpstream(
        acc,
        raws.map((raw, i) => ({ raw, blob: blobs[i], mailboxId: inbox, keywords: [] })),
        async () => undefined,
      );
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.equal(results[1].status === 'rejected' && results[1].reason.code, 'overQuota');
      assert.deepEqual((await s.services.mailboxes.get(acc, inbox)).total, 2, 'nothing of the failed batch was kept twice');
      assert.equal((await d.getUser(cy.id)).quota.used, raws[0].length + raws[2].length);
      await d.deleteUser(cy.id);
    });

    it('a blob left in its staging pack reads the same by every path; written out, it is a file and the pack goes', async (s) => {
      const d = s.services.directory;
      const { user: packer, acc, inbox } = await freshUser(s, 'packer');
      const raws = [simpleMessage({ subject: 'packed one' }), simpleMessage({ subject: 'packed two', body: 'long line\r\n'.repeat(500) }), simpleMessage({ subject: 'deleted first' })];
      const slots = await s.store.packs.write(raws);
      const blobs = raws.map((raw, i) => ({ id: FsBlobStore.hash(raw), size: raw.length, slot: slots[i] }));
      const results = await s.services.ingest.ingestFromUpstream(acc, raws.map((raw, i) => ({ raw, blob: blobs[i], mailboxId: inbox, keywords: [] })), async () => undefined);
      const [one, two, gone] = results.map((r) => (r.status === 'fulfilled' ? r.value : assert.fail(String(r.reason))));
      assert.ok(!existsSync(s.store.blobs.pathOf(one.blobId)), 'indexing writes no file');

      const streamed = async (range?: { start: number; end: number }) => Buffer.concat(await s.store.blobs.stream(two.blobId, range).toArray());
      assert.deepEqual(await s.store.blobs.get(one.blobId), raws[0]);
      assert.deepEqual(await s.store.blobs.heads([{ id: one.blobId, length: 12 }, { id: two.blobId, length: 1_000_000 }]), [raws[0].subarray(0, 12), raws[1]]);
      const lease = await s.store.blobs.lease([{ id: two.blobId, length: raws[1].length }]);
      assert.deepEqual(lease.files, [raws[1]]);
      lease.release();
      assert.deepEqual(await streamed(), raws[1]);
      assert.deepEqual(await streamed({ start: 100, end: 300 }), raws[1].subarray(100, 300));
      assert.equal((await s.services.messages.get(acc, two.id)).subject, 'packed two');

      // Deleted before its file was written: nothing to write, and nothing keeps the pack.
      await s.services.messages.delete(acc, gone.id);
      await s.services.packedBlobs.writeOut();
      for (const [i, e] of [one, two].entries()) {
        assert.deepEqual(readFileSync(s.store.blobs.pathOf(e.blobId)), raws[i], 'written out as a file');
        assert.deepEqual(await s.store.blobs.get(e.blobId), raws[i]);
      }
      assert.ok(!existsSync(s.store.blobs.pathOf(gone.blobId)));
      const rows = await s.store.db.selectFrom('blobs').select(['id', 'pack']).where('id', 'in', blobs.map((b) => b.id)).execute();
      assert.deepEqual(rows.map((r) => r.pack), [null, null]);
      assert.ok(!(await s.store.packs.list()).includes(slots[0].pack), 'the pack is deleted');
      assert.deepEqual(await streamed({ start: 100, end: 300 }), raws[1].subarray(100, 300));
      await d.deleteUser(packer.id);
    });

    it('a pack whose blobs were all collected before being written out goes with the last of them', async (s) => {
      const { user, acc, inbox } = await freshUser(s, 'shortlived');
      const raws = [simpleMessage({ subject: 'short one' }), simpleMessage({ subject: 'short two' })];
      const slots = await s.store.packs.write(raws);
      const blobs = raws.map((raw, i) => ({ id: FsBlobStore.hash(raw), size: raw.length, slot: slots[i] }));
      const results = await s.services.ingest.ingestFromUpstream(acc, raws.map((raw, i) => ({ raw, blob: blobs[i], mailboxId: inbox, keywords: [] })), async () => undefined);
      const emails = results.map((r) => (r.status === 'fulfilled' ? r.value : assert.fail(String(r.reason))));
      await s.services.messages.delete(acc, emails[0].id);
      assert.ok((await s.store.packs.list()).includes(slots[0].pack), 'kept while a blob is in it');
      await s.services.messages.delete(acc, emails[1].id);
      assert.ok(!(await s.store.packs.list()).includes(slots[0].pack), 'deleted with the last blob in it, not an hour later as an orphan');
      await s.services.directory.deleteUser(user.id);
    });

    it('a pack that lost bytes it had fsynced: its blob stays recorded there, the others of the run are written out', async (s) => {
      const { acc, inbox } = await freshUser(s, 'lossy');
      const raws = [simpleMessage({ subject: 'kept whole' }), simpleMessage({ subject: 'cut short' })];
      const slots = [...(await s.store.packs.write([raws[0]])), ...(await s.store.packs.write([raws[1]]))];
      const blobs = raws.map((raw, i) => ({ id: FsBlobStore.hash(raw), size: raw.length, slot: slots[i] }));
      await s.services.ingest.ingestFromUpstream(acc, raws.map((raw, i) => ({ raw, blob: blobs[i], mailboxId: inbox, keywords: [] })), async () => undefined);
      truncateSync(join(s.config.dataDir, 'staging', `${slots[1].pack}.pack`), 10);
      await s.services.packedBlobs.writeOut();
      assert.deepEqual(readFileSync(s.store.blobs.pathOf(blobs[0].id)), raws[0]);
      assert.ok(!existsSync(s.store.blobs.pathOf(blobs[1].id)), 'no file made of bytes that are not the blob');
      const row = await s.store.db.selectFrom('blobs').select('pack').where('id', '=', blobs[1].id).executeTakeFirstOrThrow();
      assert.equal(row.pack, slots[1].pack, 'still recorded where it was, for an operator to find');
      assert.ok((await s.store.packs.list()).includes(slots[1].pack), 'the pack is not deleted');
      assert.ok(!(await s.store.packs.list()).includes(slots[0].pack));
    });

    it('unique names hold on every backend', async (s) => {
      await assert.rejects(s.services.directory.createUser({ username: 'carl', password: 'password123', address: 'carl2@contract.test' }), /already exists/);
      await assert.rejects(s.services.directory.createDomain({ name: 'contract.test' }), /already exists/);
    });
  });
}

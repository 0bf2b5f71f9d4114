import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UpstreamGate } from '../../../src/services/remote/upstream-gate.ts';
import { directoryRepo } from '../../../src/store/repos/directory.ts';
import { remoteRepo } from '../../../src/store/repos/remote.ts';
import { newId } from '../../../src/util/ids.ts';
import { postgresSkipReason } from '../../helpers/postgres.ts';
import { createUser, startTestServer, type Backend, type TestServer } from '../../helpers/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two UpstreamGates over one database are two nodes: writes to a mirrored account and its sync
 * passes must take turns across them, not only inside one process.
 */
for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`mirrored-account write lock across nodes on ${backend}`, () => {
    let server: TestServer | null;
    let principalId: string;

    before(async () => {
      server = await startTestServer({ backend });
      if (server) principalId = (await createUser(server, 'lock')).id;
    });
    after(async () => {
      await server?.stop();
    });

    /** A mirrored-account row, as adding a remote account makes one (no upstream needed here). */
    async function remoteAccount(s: TestServer): Promise<string> {
      const id = newId('a');
      const now = Date.now();
      await s.store.write(async (w) => {
        await directoryRepo.insertAccount(w.trx, { id, principal_id: principalId, kind: 'imap', name: id, is_primary: 0, created_at: now });
        await remoteRepo.insertAccount(w.trx, {
          account_id: id, num: await remoteRepo.nextNum(w.trx), external_id: null, protocol: 'imap', email: `${id}@up.test`,
          settings_json: '{}', secret: null, status: 'idle', progress_json: null, last_sync_at: null, last_error: null, last_error_at: null,
          lease_owner: null, lease_until: 0, write_owner: null, write_until: 0, created_at: now, updated_at: now,
        });
      });
      return id;
    }
    const nodes = (s: TestServer) => [new UpstreamGate(s.store, s.services.remotes), new UpstreamGate(s.store, s.services.remotes)];

    const it = (name: string, fn: (s: TestServer) => Promise<void>) =>
      test(name, async (t) => {
        if (!server) return t.skip(postgresSkipReason);
        await fn(server);
      });

    it('a write on one node waits for the one running on another', async (s) => {
      const account = await remoteAccount(s);
      const [a, b] = nodes(s);
      const order: string[] = [];
      const first = a.exclusive(account, async () => {
        order.push('a starts');
        await sleep(300);
        order.push('a ends');
      });
      await sleep(50);
      await b.exclusive(account, async () => {
        order.push('b runs');
      });
      await first;
      assert.deepEqual(order, ['a starts', 'a ends', 'b runs']);
      // Released: the other node gets it at once now.
      const started = Date.now();
      await a.exclusive(account, async () => undefined);
      assert.ok(Date.now() - started < 200);
    });

    it('other accounts are not held up by one account’s lock', async (s) => {
      const [one, two] = [await remoteAccount(s), await remoteAccount(s)];
      const [a, b] = nodes(s);
      let released = false;
      const holding = a.exclusive(one, async () => {
        await sleep(400);
        released = true;
      });
      await sleep(20);
      await b.exclusive(two, async () => assert.equal(released, false));
      await holding;
    });

    it('a node that died holding the lock holds it only until it runs out; a removed account waits for nothing', async (s) => {
      const account = await remoteAccount(s);
      const [, b] = nodes(s);
      assert.ok(await remoteRepo.lockWrites(s.store.db, account, 'dead-node', Date.now(), Date.now() + 400));
      const started = Date.now();
      await b.exclusive(account, async () => undefined);
      assert.ok(Date.now() - started >= 350, 'ran while another node held the lock');

      const gone = await remoteAccount(s);
      assert.ok(await remoteRepo.lockWrites(s.store.db, gone, 'dead-node', Date.now(), Date.now() + 60_000));
      const waiting = b.exclusive(gone, async () => 'ran');
      await sleep(50);
      await s.store.write(async (w) => directoryRepo.deleteAccount(w.trx, gone));
      assert.equal(await waiting, 'ran');
    });
  });
}

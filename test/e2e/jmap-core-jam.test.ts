import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** The slice of jmap-jam's client these tests use; the package is optional, so it is loaded by name. */
interface Jam {
  session: Promise<{ username: string; apiUrl: string; primaryAccounts: Record<string, string> }>;
  request(call: [string, Record<string, unknown>]): Promise<[Record<string, unknown>, { sessionState: string }]>;
  requestMany(fn: (t: any) => Record<string, unknown>): Promise<[Record<string, Record<string, unknown>>, unknown]>;
  getPrimaryAccount(): Promise<string | undefined>;
  api: any;
}

const jamModule = 'jmap-jam';
const JamClient = await import(jamModule).then((m: { default: new (opts: { sessionUrl: string; bearerToken: string }) => Jam }) => m.default).catch(() => null);
const skip = JamClient ? false : 'jmap-jam is not installed';

let server: TestServer;
let jam: Jam;

before(async () => {
  if (!JamClient) return;
  server = (await startTestServer())!;
  await server.services.directory.createDomain({ name: 'example.test' });
  await server.services.directory.createUser({ username: 'alice', password: 'correct horse battery', address: 'alice@example.test' });
  const res = await server.api('/api/v1/auth/token', { method: 'POST', token: null, json: { username: 'alice', password: 'correct horse battery' } });
  const { token } = (await res.json()) as { token: string };
  jam = new JamClient({ sessionUrl: `${server.baseUrl}/.well-known/jmap`, bearerToken: token });
});
after(() => server?.stop());

test('jmap-jam discovers the session through /.well-known/jmap with a bearer token', { skip }, async () => {
  const session = await jam.session;
  assert.equal(session.username, 'alice');
  assert.equal(session.apiUrl, `${server.baseUrl}/jmap`);
  const { accountId } = await server.services.directory.accountOfUser('alice');
  assert.equal(await jam.getPrimaryAccount(), accountId);
});

test('jmap-jam: Core/echo', { skip }, async () => {
  const [echoed, meta] = await jam.request(['Core/echo', { hello: true, high: 5 }]);
  assert.deepEqual(echoed, { hello: true, high: 5 });
  assert.match(meta.sessionState, /^\S+$/);
});

test('jmap-jam: result references across calls, with "*" flattening', { skip }, async () => {
  const [results] = await jam.requestMany((t) => {
    const first = t.Core.echo({ list: [{ ids: ['x', 'y'] }, { ids: ['z'] }] });
    const second = t.Core.echo({ ids: first.$ref('/list/*/ids') });
    return { first, second };
  });
  assert.deepEqual(results.second, { ids: ['x', 'y', 'z'] });
});

test('jmap-jam: method errors reach the client as JMAP error objects', { skip }, async () => {
  await assert.rejects(jam.request(['Bogus/get', {}]), (err: { type?: string }) => err.type === 'unknownMethod');
});

test('jmap-jam: Mailbox/get lists the inbox', { skip }, async () => {
  const accountId = await jam.getPrimaryAccount();
  assert.ok(accountId, 'the session names a primary mail account');
  const [result] = await jam.api.Mailbox.get({ accountId });
  assert.ok((result.list as { role: string }[]).some((m) => m.role === 'inbox'));
});

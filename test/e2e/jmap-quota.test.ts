import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const QUOTA = 'urn:ietf:params:jmap:quota';

let server: TestServer;
let alice: { id: string; address: string; password: string };
let accountId: string;
let quotaId: string;

const basic = (u: { address: string; password: string }) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
  accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
  quotaId = `q-${accountId}-octets`;
});
after(() => server.stop());

async function jmap(calls: [string, Record<string, unknown>, string][], using = [CORE, MAIL, QUOTA]) {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(alice) },
    body: JSON.stringify({ using, methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

const deliver = (raw: Buffer) =>
  server.api(`/api/v1/users/${alice.id}/mailboxes/inbox/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });

test('the session advertises the quota capability with empty objects', async () => {
  const res = await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic(alice) } });
  const session = await res.json();
  assert.deepEqual(session.capabilities[QUOTA], {});
  assert.deepEqual(session.accounts[accountId].accountCapabilities[QUOTA], {});
});

test('Quota/get: one octets quota per account; unlimited is the largest UnsignedInt', async () => {
  const [[name, res]] = await jmap([['Quota/get', { accountId, ids: null }, 'q']]);
  assert.equal(name, 'Quota/get');
  assert.match(res.state, /^\d+$/);
  assert.deepEqual(res.list, [
    {
      id: quotaId,
      resourceType: 'octets',
      used: 0,
      hardLimit: Number.MAX_SAFE_INTEGER,
      scope: 'account',
      name: alice.address,
      types: ['Mail'],
      description: 'Mail storage of this account (no limit set)',
    },
  ]);
  const [[, some]] = await jmap([['Quota/get', { accountId, ids: [quotaId, 'q-other'], properties: ['used', 'hardLimit'] }, 'q']]);
  assert.deepEqual(some.list, [{ id: quotaId, used: 0, hardLimit: Number.MAX_SAFE_INTEGER }]);
  assert.deepEqual(some.notFound, ['q-other']);
});

test('Quota/get argument and capability errors', async () => {
  const [[name, bad]] = await jmap([['Quota/get', { accountId, properties: ['bogus'] }, 'q']]);
  assert.equal(name, 'error');
  assert.equal(bad.type, 'invalidArguments');
  const [[, noAccount]] = await jmap([['Quota/get', { accountId: 'nobody' }, 'q']]);
  assert.equal(noAccount.type, 'accountNotFound');
  const [[, notUsing]] = await jmap([['Quota/get', { accountId }, 'q']], [CORE, MAIL]);
  assert.equal(notUsing.type, 'unknownMethod');
  // RFC 9425 §4.1: the quota's only type is Mail; without the mail capability it is hidden.
  const [[, withoutMail]] = await jmap([['Quota/get', { accountId }, 'q']], [CORE, QUOTA]);
  assert.deepEqual(withoutMail.list, []);
});

test('usage and limit follow a REST delivery and an admin quota change; Quota/changes reports it', async () => {
  const [[, before]] = await jmap([['Quota/get', { accountId }, 'q']]);
  const raw = simpleMessage({ subject: 'counted against quota', body: 'x'.repeat(2000) });
  assert.equal((await deliver(raw)).status, 201);
  const patched = await server.api(`/api/v1/users/${alice.id}`, { method: 'PATCH', json: { quota: 5_000_000 } });
  assert.equal(patched.status, 200, await patched.clone().text());

  const [[, changes], [, got]] = await jmap([
    ['Quota/changes', { accountId, sinceState: before.state }, 'c'],
    ['Quota/get', { accountId, '#ids': { resultOf: 'c', name: 'Quota/changes', path: '/updated' } }, 'g'],
  ]);
  assert.equal(changes.oldState, before.state);
  assert.notEqual(changes.newState, before.state);
  assert.deepEqual(changes.updated, [quotaId]);
  assert.deepEqual(changes.created, []);
  assert.deepEqual(changes.destroyed, []);
  assert.equal(changes.updatedProperties, null);
  assert.equal(changes.hasMoreChanges, false);
  assert.equal(got.list[0].used, raw.length);
  assert.equal(got.list[0].hardLimit, 5_000_000);
  assert.equal(got.list[0].description, 'Mail storage of this account');

  const [[, none]] = await jmap([['Quota/changes', { accountId, sinceState: changes.newState }, 'c']]);
  assert.deepEqual(none.updated, []);
  assert.equal(none.newState, changes.newState);
  for (const sinceState of ['garbage', '99999999']) {
    const [[name, err]] = await jmap([['Quota/changes', { accountId, sinceState }, 'c']]);
    assert.equal(name, 'error');
    assert.equal(err.type, 'cannotCalculateChanges');
  }
});

test('Quota/query filters and sorts; Quota/queryChanges', async () => {
  const q = (args: Record<string, unknown>) => jmap([['Quota/query', { accountId, ...args }, 'q']]).then((r) => r[0]);
  assert.deepEqual((await q({ filter: { scope: 'account', resourceType: 'octets', type: 'Mail', name: 'ALICE@' } }))[1].ids, [quotaId]);
  assert.deepEqual((await q({ filter: { resourceType: 'count' } }))[1].ids, []);
  assert.deepEqual((await q({ filter: { type: 'Calendar' } }))[1].ids, []);
  assert.deepEqual((await q({ filter: { scope: 'domain' } }))[1].ids, []);
  assert.deepEqual((await q({ filter: { name: 'nobody' } }))[1].ids, []);
  const [, sorted] = await q({ sort: [{ property: 'used', isAscending: false }, { property: 'name' }], calculateTotal: true });
  assert.deepEqual(sorted.ids, [quotaId]);
  assert.equal(sorted.total, 1);
  assert.equal(sorted.position, 0);
  assert.equal(sorted.canCalculateChanges, true);

  const [name1, badSort] = await q({ sort: [{ property: 'hardLimit' }] });
  assert.equal(name1, 'error');
  assert.equal(badSort.type, 'unsupportedSort');
  const [, badFilter] = await q({ filter: { usedAbove: 5 } });
  assert.equal(badFilter.type, 'unsupportedFilter');
  const [, badValue] = await q({ filter: { name: 7 } });
  assert.equal(badValue.type, 'invalidArguments');

  const [[, changes]] = await jmap([['Quota/queryChanges', { accountId, sinceQueryState: sorted.queryState, calculateTotal: true }, 'qc']]);
  assert.deepEqual(changes.removed, []);
  assert.deepEqual(changes.added, []);
  assert.equal(changes.total, 1);
  assert.equal(changes.oldQueryState, sorted.queryState);
  const [[, cannot]] = await jmap([['Quota/queryChanges', { accountId, sinceQueryState: 'x' }, 'qc']]);
  assert.equal(cannot.type, 'cannotCalculateChanges');
});

test('a delivery changes usage, so an event source watching Quota gets a StateChange for it', async () => {
  const res = await fetch(`${server.baseUrl}/eventsource?types=Quota&closeafter=state&ping=0`, { headers: { authorization: basic(alice), accept: 'text/event-stream' } });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  // The stream is open once its first bytes (the initial state or a comment) could be read; deliver then.
  await new Promise((r) => setTimeout(r, 100));
  assert.ok((await deliver(simpleMessage({ subject: 'usage grows' }))).status < 300);
  let text = '';
  const decoder = new TextDecoder();
  const until = Date.now() + 5000;
  while (!/event: state/.test(text) && Date.now() < until) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  const data = JSON.parse(/data: (.*)/.exec(text.slice(text.indexOf('event: state')))![1]);
  assert.deepEqual(Object.keys(data.changed[accountId]), ['Quota']);
  const [[, changes]] = await jmap([['Quota/changes', { accountId, sinceState: String(Number(data.changed[accountId].Quota) - 1) }, 'c']]);
  assert.deepEqual(changes.updated, [quotaId]);
  await reader.cancel();
});

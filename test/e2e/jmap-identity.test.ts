import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const SUBMISSION = 'urn:ietf:params:jmap:submission';

type User = { id: string; address: string; password: string };
let server: TestServer;
let alice: User;
let bob: User;
let accountId: string;

const basic = (u: User) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
  bob = await createUser(server, 'bob');
  accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
});
after(() => server.stop());

async function jmap(calls: [string, Record<string, unknown>, string][], who = alice, using = [CORE, MAIL, SUBMISSION]) {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(who) },
    body: JSON.stringify({ using, methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

test('the session advertises submission, the capability Identity belongs to', async () => {
  const session = await (await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic(alice) } })).json();
  assert.deepEqual(session.capabilities[SUBMISSION], {});
  assert.ok(session.accounts[accountId].accountCapabilities[SUBMISSION]);
});

test('Identity/get creates the default identity once, for the main address', async () => {
  const [[name, first]] = await jmap([['Identity/get', { accountId }, 'g']]);
  assert.equal(name, 'Identity/get');
  assert.equal(first.list.length, 1);
  const [identity] = first.list;
  assert.match(identity.id, /^i[0-9a-z]{23}$/);
  assert.deepEqual({ ...identity, id: undefined }, {
    id: undefined,
    name: '',
    email: alice.address,
    replyTo: null,
    bcc: null,
    textSignature: '',
    htmlSignature: '',
    mayDelete: true,
  });
  const [[, again]] = await jmap([['Identity/get', { accountId, ids: [identity.id, 'i-missing'], properties: ['email'] }, 'g']]);
  assert.deepEqual(again.list, [{ id: identity.id, email: alice.address }]);
  assert.deepEqual(again.notFound, ['i-missing']);
  assert.equal(again.state, first.state, 'reading again writes nothing');

  const [[, bad]] = await jmap([['Identity/get', { accountId, properties: ['signature'] }, 'g']]);
  assert.equal(bad.type, 'invalidArguments');
  const [[, notUsing]] = await jmap([['Identity/get', { accountId }, 'g']], alice, [CORE, MAIL]);
  assert.equal(notUsing.type, 'unknownMethod');
  const [[, otherAccount]] = await jmap([['Identity/get', { accountId }, 'g']], bob);
  assert.equal(otherAccount.type, 'accountNotFound');
});

test('Identity/set create, update, destroy, with changes and back-references', async () => {
  const [[, start]] = await jmap([['Identity/get', { accountId, ids: [] }, 'g']]);
  const [[, set], [, got]] = await jmap([
    [
      'Identity/set',
      {
        accountId,
        ifInState: start.state,
        create: {
          work: { name: 'Alice at Work', email: alice.address.toUpperCase(), replyTo: [{ name: 'Desk', email: 'desk@example.test' }], textSignature: '-- \nAlice' },
          spoof: { email: bob.address },
          broken: { email: alice.address, bcc: [{ mail: 'x@example.test' }] },
          serverSet: { email: alice.address, mayDelete: false },
        },
      },
      's',
    ],
    ['Identity/get', { accountId, ids: ['#work'] }, 'g'],
  ]);
  assert.equal(set.oldState, start.state);
  assert.notEqual(set.newState, start.state);
  const id = set.created.work.id;
  assert.equal(set.created.work.mayDelete, true);
  assert.equal(set.created.work.htmlSignature, '', 'defaults the client did not send come back');
  assert.equal(set.notCreated.spoof.type, 'forbiddenFrom');
  assert.equal(set.notCreated.broken.type, 'invalidProperties');
  assert.deepEqual(set.notCreated.broken.properties, ['bcc']);
  assert.equal(set.notCreated.serverSet.type, 'invalidProperties');
  assert.deepEqual(set.notCreated.serverSet.properties, ['mayDelete']);
  assert.deepEqual(got.list[0], {
    id,
    name: 'Alice at Work',
    email: alice.address,
    replyTo: [{ name: 'Desk', email: 'desk@example.test' }],
    bcc: null,
    textSignature: '-- \nAlice',
    htmlSignature: '',
    mayDelete: true,
  });

  const [[, upd]] = await jmap([
    ['Identity/set', { accountId, update: { [id]: { name: 'Alice (work)', bcc: [{ name: null, email: 'archive@example.test' }] }, ['i-nope']: { name: 'x' } } }, 'u'],
  ]);
  assert.deepEqual(upd.updated, { [id]: null });
  assert.equal(upd.notUpdated['i-nope'].type, 'notFound');
  const [[, immutable]] = await jmap([['Identity/set', { accountId, update: { [id]: { email: 'other@example.test' } } }, 'u']]);
  assert.equal(immutable.notUpdated[id].type, 'invalidProperties');
  assert.deepEqual(immutable.notUpdated[id].properties, ['email']);

  const [[, changes]] = await jmap([['Identity/changes', { accountId, sinceState: start.state }, 'c']]);
  assert.deepEqual(changes.created, [id]);
  assert.deepEqual(changes.updated, []);

  const [[, mid]] = await jmap([['Identity/get', { accountId, ids: [] }, 'g']]);
  const [[, del]] = await jmap([['Identity/set', { accountId, destroy: [id, 'i-nope'] }, 'd']]);
  assert.deepEqual(del.destroyed, [id]);
  assert.equal(del.notDestroyed['i-nope'].type, 'notFound');
  const [[, after]] = await jmap([['Identity/changes', { accountId, sinceState: mid.state }, 'c']]);
  assert.deepEqual(after.destroyed, [id]);
  assert.deepEqual(after.created, []);

  const [[, stale]] = await jmap([['Identity/set', { accountId, ifInState: start.state, create: { x: { email: alice.address } } }, 's']]);
  assert.equal(stale.type, 'stateMismatch');
  const [[, badState]] = await jmap([['Identity/changes', { accountId, sinceState: 'nope' }, 'c']]);
  assert.equal(badState.type, 'cannotCalculateChanges');
});

test('a second address of the user, and a domain wildcard, may be identities', async () => {
  const added = await server.api(`/api/v1/users/${alice.id}/addresses`, { method: 'POST', json: { address: 'a.smith@example.test' } });
  assert.equal(added.status, 201, await added.clone().text());
  const [[, ok]] = await jmap([['Identity/set', { accountId, create: { alias: { email: 'A.Smith@example.test', name: 'A. Smith' } } }, 's']]);
  assert.equal(ok.created.alias.mayDelete, true);
  const [[, refused]] = await jmap([['Identity/set', { accountId, create: { any: { email: 'whoever@example.test' } } }, 's']]);
  assert.equal(refused.notCreated.any.type, 'forbiddenFrom');

  const wildcard = await server.api(`/api/v1/users/${alice.id}/addresses`, { method: 'POST', json: { address: '*@example.test' } });
  assert.equal(wildcard.status, 201, await wildcard.clone().text());
  const [[, any]] = await jmap([['Identity/set', { accountId, create: { any: { email: 'whoever@example.test' }, all: { email: '*@example.test' } } }, 's']]);
  assert.ok(any.created.any, JSON.stringify(any));
  assert.ok(any.created.all, JSON.stringify(any));
});

test('destroying every identity brings the default back on the next read', async () => {
  const [[, all]] = await jmap([['Identity/get', { accountId }, 'g']]);
  const [[, del]] = await jmap([['Identity/set', { accountId, destroy: all.list.map((i: { id: string }) => i.id) }, 'd']]);
  assert.equal(del.destroyed.length, all.list.length);
  const [[, fresh]] = await jmap([['Identity/get', { accountId }, 'g']]);
  assert.deepEqual(fresh.list.map((i: { email: string }) => i.email), [alice.address]);
  assert.ok(!all.list.some((i: { id: string }) => i.id === fresh.list[0].id));
});

test('concurrent first reads create a single default identity', async () => {
  const bobAccount = (await server.services.directory.accountOfUser(bob.id)).accountId;
  const reads = await Promise.all(Array.from({ length: 6 }, () => jmap([['Identity/get', { accountId: bobAccount }, 'g']], bob)));
  const ids = new Set(reads.flatMap(([[, r]]) => r.list.map((i: { id: string }) => i.id)));
  assert.equal(ids.size, 1);
  const [[, after]] = await jmap([['Identity/get', { accountId: bobAccount }, 'g']], bob);
  assert.deepEqual(after.list.map((i: { email: string }) => i.email), [bob.address]);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => {
  server = (await startTestServer())!;
});
after(() => server.stop());

test('a user never sees another user\'s data: every per-user route answers 404', async () => {
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const tokenOf = async (u: { username: string; password: string }) =>
    (await (await server.api('/api/v1/auth/token', { method: 'POST', json: { username: u.username, password: u.password }, token: null })).json()).token as string;
  const bobToken = await tokenOf(bob);

  const a = `/api/v1/users/${alice.id}`;
  const msg = await (await server.api(`${a}/mailboxes/inbox/messages`, { method: 'POST', body: simpleMessage({ subject: 'secret' }), headers: { 'content-type': 'message/rfc822' } })).json();
  const inbox = await (await server.api(`${a}/mailboxes/inbox`)).json();

  const routes: [string, string, unknown?][] = [
    ['GET', a],
    ['PATCH', a, { name: 'pwned' }],
    ['GET', `${a}/addresses`],
    ['GET', `${a}/mailboxes`],
    ['POST', `${a}/mailboxes`, { name: 'x' }],
    ['GET', `${a}/mailboxes/${inbox.id}`],
    ['PATCH', `${a}/mailboxes/${inbox.id}`, { subscribed: false }],
    ['DELETE', `${a}/mailboxes/${inbox.id}`],
    ['GET', `${a}/mailboxes/${inbox.id}/messages`],
    ['GET', `${a}/messages/${msg.id}`],
    ['PATCH', `${a}/messages/${msg.id}`, { seen: true }],
    ['DELETE', `${a}/messages/${msg.id}`],
    ['GET', `${a}/messages/${msg.id}/raw`],
    ['GET', `${a}/messages/${msg.id}/attachments/p1`],
    ['GET', `${a}/search?q=secret`],
    ['GET', `${a}/threads/${msg.threadId}`],
    ['GET', `${a}/updates`],
  ];
  for (const [method, path, body] of routes) {
    const res = await server.api(path, { method, token: bobToken, ...(body ? { json: body } : {}) });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.doesNotMatch(await res.text(), /secret/);
  }
  // Upload into alice's mailbox as bob.
  const up = await server.api(`${a}/mailboxes/${inbox.id}/messages`, { method: 'POST', token: bobToken, body: simpleMessage(), headers: { 'content-type': 'message/rfc822' } });
  assert.equal(up.status, 404);

  // Bob's own view: alice's ids do not exist inside his account either.
  const b = '/api/v1/users/me';
  for (const path of [`${b}/messages/${msg.id}`, `${b}/mailboxes/${inbox.id}`, `${b}/threads/${msg.threadId}`, `${b}/messages/${msg.id}/raw`]) {
    assert.equal((await server.api(path, { token: bobToken })).status, 404, path);
  }
  assert.equal((await (await server.api(`${b}/search?q=secret`, { token: bobToken })).json()).total, 0);

  // Nothing bob tried changed alice's data.
  const after = await (await server.api(`${a}/messages/${msg.id}`)).json();
  assert.equal(after.seen, false);
  assert.equal((await (await server.api(a)).json()).name, null);
  assert.equal((await (await server.api(`${a}/mailboxes`)).json()).total, 6);
});

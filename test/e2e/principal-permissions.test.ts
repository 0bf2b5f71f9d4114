import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicAuth as basic, jsonBody as body } from '../helpers/http.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => {
  server = (await startTestServer())!;
});
after(() => server.stop());

const patch = (ref: string, json: unknown) => server.api(`/api/v1/principals/${ref}`, { method: 'PATCH', json });

test('a user starts with the user role; enabled and disabled permissions take effect on the next request', async () => {
  const alice = await createUser(server, 'alice', 'perm.test');
  const asAlice = () => server.api('/api/v1/principals?type=individual', { token: null, headers: basic(alice.username, alice.password) });

  const shown = await body(await server.api(`/api/v1/principals/${alice.id}`));
  assert.equal(shown.type, 'individual');
  assert.deepEqual(shown.roles, ['user']);
  assert.deepEqual(shown.emails, ['alice@perm.test']);
  assert.equal((await asAlice()).status, 403);

  const granted = await body(await patch(alice.id, { enabledPermissions: ['principal-list'] }));
  assert.deepEqual(granted.enabledPermissions, ['principal-list']);
  const listed = await asAlice();
  assert.equal(listed.status, 200);
  assert.ok((await body(listed)).results.some((p: { name: string }) => p.name === 'alice'));

  // Disabled wins over enabled, and over roles.
  await patch('alice', [{ action: 'addItem', field: 'disabledPermissions', value: 'principal-list' }]);
  assert.equal((await asAlice()).status, 403);

  assert.equal((await patch('alice', { enabledPermissions: ['no-such-permission'] })).status, 400);
});

test('roles: built-in admin, stored roles, nested roles, a cycle, disabled wins', async () => {
  const bob = await createUser(server, 'bob', 'perm.test');
  const asBob = (path: string) => server.api(path, { token: null, headers: basic(bob.username, bob.password) });

  const created = await server.api('/api/v1/principals', { method: 'POST', json: { type: 'role', name: 'directory-reader', enabledPermissions: ['principal-get'] } });
  assert.equal(created.status, 201);
  const reader = await body(created);
  assert.match(reader.id, /^o/);
  const outer = await body(await server.api('/api/v1/principals', { method: 'POST', json: { type: 'role', name: 'outer', roles: ['directory-reader'], enabledPermissions: ['principal-list'] } }));
  // A cycle: reader includes outer, which includes reader.
  assert.equal((await patch('directory-reader', [{ action: 'addItem', field: 'roles', value: 'outer' }])).status, 200);

  assert.equal((await asBob(`/api/v1/principals/${bob.id}`)).status, 403);
  const withRole = await body(await patch(bob.id, { roles: ['outer'] }));
  assert.deepEqual(withRole.roles, ['outer']);
  // Both the outer role's and the nested role's permissions apply, despite the cycle.
  assert.equal((await asBob(`/api/v1/principals/${bob.id}`)).status, 200);
  assert.equal((await asBob('/api/v1/principals')).status, 200);
  // Holding a stored role replaces the default user role.
  const mine = await body(await asBob(`/api/v1/principals/${bob.id}`));
  assert.deepEqual(mine.roles, ['outer']);
  assert.deepEqual((await body(await server.api(`/api/v1/principals/${outer.id}`))).members, ['bob', 'directory-reader']);

  // Disabled on the role itself removes what the nested role grants.
  await patch('outer', { disabledPermissions: ['principal-get'] });
  assert.equal((await asBob(`/api/v1/principals/${bob.id}`)).status, 403);
  assert.equal((await asBob('/api/v1/principals')).status, 200);

  // The built-in admin role holds everything; disabled on the principal still wins (both the
  // general and the type-specific permission allow a delete, so both are withheld).
  await patch(bob.id, { roles: ['admin'], disabledPermissions: ['principal-delete', 'role-delete'] });
  assert.equal((await asBob(`/api/v1/principals/${bob.id}`)).status, 200);
  assert.equal((await asBob('/api/v1/principals/outer')).status, 200);
  const refused = await server.api('/api/v1/principals/outer', { method: 'DELETE', token: null, headers: basic(bob.username, bob.password) });
  assert.equal(refused.status, 403);

  // Deleting a role removes it from its holders.
  assert.equal((await server.api('/api/v1/principals/outer', { method: 'DELETE' })).status, 204);
  assert.deepEqual((await body(await server.api('/api/v1/principals/directory-reader'))).roles, []);
});

test('nobody grants a permission they do not hold', async () => {
  const carol = await createUser(server, 'carol', 'perm.test');
  const dave = await createUser(server, 'dave', 'perm.test');
  await patch(carol.id, { enabledPermissions: ['principal-update', 'principal-get'] });
  const asCarol = (ref: string, json: unknown) => server.api(`/api/v1/principals/${ref}`, { method: 'PATCH', json, token: null, headers: basic(carol.username, carol.password) });
  assert.equal((await asCarol(dave.id, { roles: ['admin'] })).status, 403);
  assert.equal((await asCarol(carol.id, { enabledPermissions: ['principal-update', 'principal-get', 'principal-delete'] })).status, 403);
  assert.equal((await asCarol(dave.id, { description: 'Dave D' })).status, 200);
  assert.equal((await body(await server.api(`/api/v1/principals/${dave.id}`))).description, 'Dave D');
});

test('adding a role to an individual keeps its default user role', async () => {
  const erin = await createUser(server, 'erin', 'perm.test');
  await server.api('/api/v1/principals', { method: 'POST', json: { type: 'role', name: 'getter', enabledPermissions: ['principal-get'] } });
  const after = await body(await patch(erin.id, [{ action: 'addItem', field: 'roles', value: 'getter' }]));
  assert.deepEqual(after.roles, ['getter', 'user']);
  assert.equal((await server.api(`/api/v1/principals/${erin.id}`, { token: null, headers: basic(erin.username, erin.password) })).status, 200);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicAuth as basic, jsonBody as body } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => {
  server = (await startTestServer())!;
});
after(() => server.stop());

const create = async (json: Record<string, unknown>, init: { token?: string | null; headers?: Record<string, string> } = {}) => {
  const res = await server.api('/api/v1/principals', { method: 'POST', json, ...init });
  return { status: res.status, body: await body(res) };
};
const get = async (ref: string) => body(await server.api(`/api/v1/principals/${ref}`));
const patch = (ref: string, json: unknown, init: { token?: string | null; headers?: Record<string, string> } = {}) =>
  server.api(`/api/v1/principals/${ref}`, { method: 'PATCH', json, ...init });

const KEY_SECRET = 'k'.repeat(20) + '-0123456789abcdef';
const PASSWORD = 'ivan-password-1';

test('every principal type round-trips its fields through the native API; secrets never come back', async () => {
  const domain = await create({ type: 'domain', name: 'crud.test', description: 'The crud domain' });
  assert.equal(domain.status, 201, JSON.stringify(domain.body));
  assert.equal(domain.body.type, 'domain');
  assert.match(domain.body.id, /^d/);
  // The domain principal is the domain of /api/v1/domains.
  assert.equal((await body(await server.api('/api/v1/domains/crud.test'))).id, domain.body.id);

  const tenant = await create({ type: 'tenant', name: 'acme-crud', description: 'Acme', quota: 1_000_000 });
  assert.equal(tenant.status, 201);
  assert.equal(tenant.body.quota, 1_000_000);

  const role = await create({ type: 'role', name: 'helpdesk', description: 'Help desk', roles: ['user'], enabledPermissions: ['principal-get'], disabledPermissions: ['data-export'] });
  assert.equal(role.status, 201);
  assert.deepEqual([role.body.roles, role.body.enabledPermissions, role.body.disabledPermissions], [['user'], ['principal-get'], ['data-export']]);

  const ivan = await create({
    type: 'individual',
    name: 'ivan',
    description: 'Ivan Ivanov',
    secrets: [PASSWORD],
    emails: ['ivan@crud.test', 'ivan.alt@crud.test'],
    quota: 5_000_000,
    roles: ['helpdesk'],
    urls: ['https://ivan.example/'],
    enabledPermissions: ['principal-list'],
  });
  assert.equal(ivan.status, 201, JSON.stringify(ivan.body));
  assert.match(ivan.body.id, /^u/);
  assert.deepEqual(ivan.body.emails, ['ivan@crud.test', 'ivan.alt@crud.test']);
  assert.equal(ivan.body.description, 'Ivan Ivanov');
  assert.equal(ivan.body.quota, 5_000_000);
  assert.deepEqual(ivan.body.urls, ['https://ivan.example/']);

  // An individual made here is a user like any other: account, mailboxes, login.
  const user = await body(await server.api('/api/v1/users/ivan'));
  assert.equal(user.address, 'ivan@crud.test');
  assert.equal(user.name, 'Ivan Ivanov');
  const mailboxes = await body(await server.api('/api/v1/users/me/mailboxes', { token: null, headers: basic('ivan', PASSWORD) }));
  assert.ok(JSON.stringify(mailboxes).includes('"inbox"'), 'default mailboxes exist');

  const group = await create({ type: 'group', name: 'crew', description: 'The crew', emails: ['crew@crud.test'], members: ['ivan'] });
  assert.equal(group.status, 201);
  assert.deepEqual(group.body.members, ['ivan']);
  const list = await create({ type: 'list', name: 'news', emails: ['news@crud.test'], members: ['crew'], externalMembers: ['Reader@Remote.test'] });
  assert.equal(list.status, 201);
  assert.deepEqual(list.body.externalMembers, ['reader@remote.test']);
  const key = await create({ type: 'apiKey', name: 'ci-key', description: 'CI', secrets: [KEY_SECRET], enabledPermissions: ['principal-list'] });
  assert.equal(key.status, 201);
  assert.match(key.body.id, /^i/);

  const ivanNow = await get('ivan');
  assert.deepEqual([ivanNow.memberOf, ivanNow.lists, ivanNow.roles], [['crew'], [], ['helpdesk']]);
  assert.deepEqual((await get('crew')).lists, ['news']);
  assert.deepEqual((await get('helpdesk')).members, ['ivan']);

  // A partial object replaces the fields it names; the action list edits lists item by item.
  assert.equal((await patch('crew', { description: 'The whole crew', emails: ['crew@crud.test', 'team@crud.test'] })).status, 200);
  assert.deepEqual((await get('crew')).emails, ['crew@crud.test', 'team@crud.test']);
  const edited = await patch('ivan', [
    { action: 'set', field: 'description', value: 'Ivan I.' },
    { action: 'addItem', field: 'emails', value: 'ivan.third@crud.test' },
    { action: 'removeItem', field: 'emails', value: 'ivan.alt@crud.test' },
    { action: 'addItem', field: 'lists', value: 'news' },
  ]);
  assert.equal(edited.status, 200, await edited.clone().text());
  const ivanEdited = await body(edited);
  assert.deepEqual([ivanEdited.description, ivanEdited.emails, ivanEdited.lists], ['Ivan I.', ['ivan@crud.test', 'ivan.third@crud.test'], ['news']]);

  // A new password through secrets: the old one stops working.
  assert.equal((await patch('ivan', { secrets: ['ivan-password-2'] })).status, 200);
  assert.equal((await server.api('/api/v1/users/me', { token: null, headers: basic('ivan', PASSWORD) })).status, 401);
  assert.equal((await server.api('/api/v1/users/me', { token: null, headers: basic('ivan', 'ivan-password-2') })).status, 200);

  const everything = await body(await server.api('/api/v1/principals?limit=250'));
  const text = JSON.stringify(everything);
  for (const secret of [PASSWORD, 'ivan-password-2', KEY_SECRET]) assert.ok(!text.includes(secret));
  for (const p of everything.results) assert.equal(p.secrets, undefined);
  assert.deepEqual(new Set(everything.results.map((p: { type: string }) => p.type)), new Set(['domain', 'tenant', 'role', 'individual', 'group', 'list', 'apiKey']));

  const page = await body(await server.api('/api/v1/principals?type=group,list&limit=1'));
  assert.equal(page.total, 2);
  assert.equal(page.results.length, 1);
  const second = await body(await server.api(`/api/v1/principals?type=group,list&limit=1&cursor=${page.next}`));
  assert.equal(second.next, null);
  assert.notEqual(second.results[0].name, page.results[0].name);
  assert.deepEqual((await body(await server.api('/api/v1/principals?query=ivanov'))).results.map((p: { name: string }) => p.name), []);
  assert.deepEqual((await body(await server.api('/api/v1/principals?query=third@'))).results.map((p: { name: string }) => p.name), ['ivan']);

  // Fields a type does not have are refused.
  assert.equal((await create({ type: 'group', name: 'bad', secrets: ['x'.repeat(40)] })).status, 400);
  assert.equal((await create({ type: 'role', name: 'bad', emails: ['bad@crud.test'] })).status, 400);
  assert.equal((await create({ type: 'group', name: 'bad', externalMembers: ['a@b.test'] })).status, 400);
  assert.equal((await create({ type: 'apiKey', name: 'bad', secrets: ['short'] })).status, 400);
  assert.equal((await create({ type: 'group', name: 'ivan' })).status, 409);

  for (const ref of ['news', 'crew', 'ci-key', 'helpdesk', 'ivan', 'crud.test', 'acme-crud']) {
    assert.equal((await server.api(`/api/v1/principals/${ref}`, { method: 'DELETE' })).status, 204, ref);
    assert.equal((await server.api(`/api/v1/principals/${ref}`)).status, 404, ref);
  }
  assert.equal((await server.api('/api/v1/users/ivan')).status, 404);
  assert.equal((await server.api('/api/v1/domains/crud.test')).status, 404);
});

test('the Stalwart face: numbered pages, types, {data} envelopes, patch actions, delete', async () => {
  const st = (path: string, init: { method?: string; json?: unknown } = {}) => server.api(`/compat/stalwart/api${path}`, init);
  const created = await body(await st('/principal', { method: 'POST', json: { type: 'domain', quota: 0, name: 'example.org', description: 'Example domain', secrets: [], emails: [], urls: [], memberOf: [], roles: [], lists: [], members: [], enabledPermissions: [], disabledPermissions: [], externalMembers: [] } }));
  assert.equal(typeof created.data, 'string');
  const jane = await body(await st('/principal', { method: 'POST', json: { type: 'individual', name: 'jane', description: 'Jane Doe', secrets: ['jane-password-1'], emails: ['jane@example.org'], roles: ['user'] } }));
  await st('/principal', { method: 'POST', json: { type: 'list', name: 'all', emails: ['all@example.org'], members: ['jane'] } });

  const fetched = (await body(await st(`/principal/${jane.data}`))).data;
  assert.deepEqual([fetched.id, fetched.type, fetched.name, fetched.description, fetched.emails, fetched.roles, fetched.lists], [jane.data, 'individual', 'jane', 'Jane Doe', ['jane@example.org'], ['user'], ['all']]);
  assert.equal(fetched.secrets, undefined);

  const patched = await st(`/principal/${jane.data}`, {
    method: 'PATCH',
    json: [
      { action: 'set', field: 'name', value: 'jane.doe' },
      { action: 'set', field: 'description', value: 'Jane Mary Doe' },
      { action: 'addItem', field: 'emails', value: 'jane-doe@example.org' },
      { action: 'removeItem', field: 'emails', value: 'jane@example.org' },
    ],
  });
  assert.deepEqual(await body(patched), { data: null });
  const renamed = (await body(await st('/principal/jane.doe'))).data;
  assert.deepEqual([renamed.name, renamed.description, renamed.emails], ['jane.doe', 'Jane Mary Doe', ['jane-doe@example.org']]);

  const listed = await body(await st('/principal?types=individual,list&limit=1&page=2'));
  assert.equal(listed.data.total, 2);
  assert.deepEqual(listed.data.items.map((p: { name: string }) => p.name), ['jane.doe']);
  assert.equal((await body(await st('/principal?types=domain'))).data.items[0].name, 'example.org');

  assert.deepEqual(await body(await st(`/principal/${jane.data}`, { method: 'DELETE' })), { data: null });
  assert.equal((await st(`/principal/${jane.data}`)).status, 404);

  // The other types, each created, read back, changed and deleted on this face.
  const others: Record<string, unknown>[] = [
    { type: 'group', name: 'st-group', emails: ['st-group@example.org'], members: ['all'] },
    { type: 'role', name: 'st-role', enabledPermissions: ['principal-get'], roles: ['user'] },
    { type: 'apiKey', name: 'st-key', secrets: [KEY_SECRET + '-st'], enabledPermissions: ['principal-list'] },
    { type: 'tenant', name: 'st-tenant', quota: 5000 },
  ];
  for (const input of others) {
    const id = (await body(await st('/principal', { method: 'POST', json: input }))).data;
    assert.equal(typeof id, 'string', JSON.stringify(input));
    const shown = (await body(await st(`/principal/${id}`))).data;
    for (const [field, value] of Object.entries(input)) if (field !== 'secrets') assert.deepEqual(shown[field], value, `${input.type}.${field}`);
    assert.equal(shown.secrets, undefined);
    await st(`/principal/${id}`, { method: 'PATCH', json: [{ action: 'set', field: 'description', value: `about ${input.name}` }] });
    assert.equal((await body(await st(`/principal/${id}`))).data.description, `about ${input.name}`);
    assert.deepEqual(await body(await st(`/principal/${id}`, { method: 'DELETE' })), { data: null });
    assert.equal((await st(`/principal/${id}`)).status, 404);
  }
});

test('an apiKey authenticates as Bearer or Basic with its own permissions, and has no mailbox', async () => {
  const key = await create({ type: 'apiKey', name: 'reporter', secrets: [KEY_SECRET], enabledPermissions: ['principal-list'] });
  assert.equal(key.status, 201);
  const bearer = { authorization: `Bearer ${KEY_SECRET}` };
  assert.equal((await server.api('/api/v1/principals', { token: null, headers: bearer })).status, 200);
  assert.equal((await server.api('/api/v1/principals', { token: null, headers: basic('reporter', KEY_SECRET) })).status, 200);
  assert.equal((await server.api('/api/v1/principals', { token: null, headers: basic('someone-else', KEY_SECRET) })).status, 401);
  // Its own permissions, nothing more: no principal-get, no principal-create.
  assert.equal((await server.api('/api/v1/principals/reporter', { token: null, headers: bearer })).status, 403);
  assert.equal((await create({ type: 'group', name: 'from-key' }, { token: null, headers: bearer })).status, 403);
  // A key reaches a user's data only with that route's permission (ADR 0027): it has no account-view.
  assert.equal((await server.api('/api/v1/users/me', { token: null, headers: bearer })).status, 403);

  // A role given to the key widens it on the next request.
  await create({ type: 'role', name: 'reader', enabledPermissions: ['principal-get'] });
  await patch('reporter', { roles: ['reader'] });
  assert.equal((await server.api('/api/v1/principals/reporter', { token: null, headers: bearer })).status, 200);

  await patch('reporter', { disabled: true });
  assert.equal((await server.api('/api/v1/principals', { token: null, headers: bearer })).status, 401);
  await patch('reporter', [{ action: 'set', field: 'disabled', value: false }, { action: 'removeItem', field: 'secrets', value: KEY_SECRET }]);
  assert.equal((await server.api('/api/v1/principals', { token: null, headers: bearer })).status, 401);
});

test('tenants bound the principals, domains and quota an administrator of the tenant manages', async () => {
  assert.equal((await create({ type: 'tenant', name: 'acme', quota: 10_000 })).status, 201);
  assert.equal((await create({ type: 'domain', name: 'acme.test', tenant: 'acme' })).status, 201);
  assert.equal((await create({ type: 'domain', name: 'other.test' })).status, 201);
  const outsider = await create({ type: 'individual', name: 'outsider', secrets: ['outsider-pass'], emails: ['outsider@other.test'] });
  assert.equal(outsider.status, 201);
  const boss = await create({
    type: 'individual',
    name: 'boss',
    tenant: 'acme',
    quota: 1000,
    secrets: ['boss-password'],
    emails: ['boss@acme.test'],
    enabledPermissions: ['principal-list', 'principal-get', 'principal-create', 'principal-update', 'principal-delete'],
  });
  assert.equal(boss.status, 201, JSON.stringify(boss.body));
  assert.equal(boss.body.tenant, 'acme');
  const asBoss = { token: null, headers: basic('boss', 'boss-password') };

  const worker = await create({ type: 'individual', name: 'worker', quota: 5000, secrets: ['worker-pass'], emails: ['worker@acme.test'] }, asBoss);
  assert.equal(worker.status, 201, JSON.stringify(worker.body));
  assert.equal(worker.body.tenant, 'acme');

  const seen = await body(await server.api('/api/v1/principals', asBoss));
  assert.deepEqual(seen.results.map((p: { name: string }) => p.name).sort(), ['acme.test', 'boss', 'worker']);
  // The Stalwart face answers a tenant administrator the same way.
  const stalwartSeen = await body(await server.api('/compat/stalwart/api/principal?types=individual', asBoss));
  assert.deepEqual(stalwartSeen.data.items.map((p: { name: string }) => p.name), ['boss', 'worker']);
  assert.equal((await server.api(`/compat/stalwart/api/principal/${outsider.body.id}`, asBoss)).status, 404);
  assert.equal((await server.api(`/api/v1/principals/${outsider.body.id}`, asBoss)).status, 404);
  assert.equal((await patch('outsider', { description: 'mine now' }, asBoss)).status, 404);
  assert.equal((await server.api('/api/v1/principals/outsider', { method: 'DELETE', ...asBoss })).status, 404);

  // Only the tenant's domains, no other tenant, no more than the boss holds.
  assert.equal((await create({ type: 'individual', name: 'stray', quota: 100, secrets: ['stray-pass'], emails: ['stray@other.test'] }, asBoss)).status, 400);
  assert.equal((await create({ type: 'tenant', name: 'sub-acme' }, asBoss)).status, 403);
  assert.equal((await patch('worker', { tenant: null }, asBoss)).status, 403);
  assert.equal((await patch('worker', { roles: ['admin'] }, asBoss)).status, 403);
  assert.equal((await patch('acme', { quota: 1_000_000 }, asBoss)).status, 403);

  // 1000 + 5000 are used of 10000: 4000 more fit, 4001 do not, nor does an unlimited mailbox.
  const tooBig = await create({ type: 'individual', name: 'big', quota: 4001, secrets: ['big-password'], emails: ['big@acme.test'] }, asBoss);
  assert.equal(tooBig.status, 507);
  assert.match(tooBig.body.detail, /tenant acme has 4000 of its 10000 bytes of quota left/);
  assert.equal((await create({ type: 'individual', name: 'big', quota: 0, secrets: ['big-password'], emails: ['big@acme.test'] }, asBoss)).status, 507);
  assert.equal((await create({ type: 'individual', name: 'big', quota: 4000, secrets: ['big-password'], emails: ['big@acme.test'] }, asBoss)).status, 201);
  assert.equal((await patch('worker', { quota: 5001 }, asBoss)).status, 507);
  // The users API honours the same bound.
  assert.equal((await server.api('/api/v1/users/worker', { method: 'PATCH', json: { quota: 5001 } })).status, 507);
  assert.equal((await server.api('/api/v1/users/worker', { method: 'PATCH', json: { quota: 4000 } })).status, 200);
  assert.equal((await server.api('/api/v1/users/big')).status, 200, 'the refused attempts left nothing behind but the one that fit');

  assert.equal((await server.api('/api/v1/principals/acme', { method: 'DELETE' })).status, 409);

  // Two mailboxes asked for at once, each fitting alone but not together: exactly one is made.
  assert.equal((await create({ type: 'tenant', name: 'race', quota: 10_000 })).status, 201);
  assert.equal((await create({ type: 'domain', name: 'race.test', tenant: 'race' })).status, 201);
  const racers = await Promise.all(
    ['r1', 'r2'].map((n) => create({ type: 'individual', name: n, tenant: 'race', quota: 6000, secrets: [`${n}-password`], emails: [`${n}@race.test`] })),
  );
  assert.deepEqual(racers.map((r) => r.status).sort(), [201, 507]);
});

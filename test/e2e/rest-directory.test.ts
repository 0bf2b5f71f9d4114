import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => {
  server = (await startTestServer())!;
});
after(() => server.stop());

async function json(res: Response) {
  const body = await res.text();
  return body ? JSON.parse(body) : null;
}

test('domains: create, get by name or id, aliases, catch-all, conflict, delete', async () => {
  const created = await server.api('/api/v1/domains', { method: 'POST', json: { name: 'Example.TEST' } });
  assert.equal(created.status, 201);
  const d = await json(created);
  assert.equal(d.name, 'example.test');
  assert.match(d.id, /^d[0-9a-z]{23}$/);

  assert.equal((await server.api('/api/v1/domains', { method: 'POST', json: { name: 'example.test' } })).status, 409);
  assert.equal((await json(await server.api(`/api/v1/domains/${d.id}`))).name, 'example.test');

  const patched = await json(await server.api('/api/v1/domains/example.test', { method: 'PATCH', json: { aliases: ['alias.test'] } }));
  assert.deepEqual(patched.aliases, ['alias.test']);
  // An alias name cannot become a domain of its own.
  assert.equal((await server.api('/api/v1/domains', { method: 'POST', json: { name: 'alias.test' } })).status, 409);

  const list = await json(await server.api('/api/v1/domains?limit=10'));
  assert.equal(list.total, 1);
  assert.equal(list.next, null);

  await server.api('/api/v1/users', { method: 'POST', json: { username: 'dora', password: 'password123' } });
  assert.equal((await server.api('/api/v1/domains/example.test', { method: 'PATCH', json: { catchAll: 'dora@example.test' } })).status, 200);
  assert.equal((await server.api('/api/v1/domains/example.test', { method: 'PATCH', json: { catchAll: 'nobody@example.test' } })).status, 400);
  // A domain with addresses cannot be removed.
  assert.equal((await server.api('/api/v1/domains/example.test', { method: 'DELETE' })).status, 409);

  await server.api('/api/v1/domains', { method: 'POST', json: { name: 'empty.test' } });
  assert.equal((await server.api('/api/v1/domains/empty.test', { method: 'DELETE' })).status, 204);
  assert.equal((await server.api('/api/v1/domains/empty.test')).status, 404);
});

test('domains: hostile and malformed names are refused with field errors', async () => {
  for (const name of ['../etc', 'a b.test', 'x\u0000y.test', 'é'.repeat(10), 'a'.repeat(300), '-bad.test', 'nodots']) {
    const res = await server.api('/api/v1/domains', { method: 'POST', json: { name } });
    assert.equal(res.status, 400, name);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const p = await json(res);
    assert.equal(p.status, 400);
    assert.equal(p.type, 'urn:gannet:problem:invalid');
    assert.ok(p.errors?.length >= 1, name);
  }
});

test('users: create with defaults, query, update, password change, delete', async () => {
  await server.api('/api/v1/domains', { method: 'POST', json: { name: 'users.test' } });
  const res = await server.api('/api/v1/users', { method: 'POST', json: { username: 'erin@users.test', password: 'password123', name: 'Erin E', quota: 1000000 } });
  assert.equal(res.status, 201);
  const u = await json(res);
  assert.equal(u.address, 'erin@users.test');
  assert.deepEqual(u.quota, { limit: 1000000, used: 0 });
  assert.match(u.id, /^u[0-9a-z]{23}$/);

  // The same login or address twice is a conflict.
  assert.equal((await server.api('/api/v1/users', { method: 'POST', json: { username: 'erin@users.test', password: 'password123' } })).status, 409);
  assert.equal((await server.api('/api/v1/users', { method: 'POST', json: { username: 'other', password: 'password123', address: 'erin@users.test' } })).status, 409);
  // Addresses must be in a local domain; passwords must be long enough.
  assert.equal((await server.api('/api/v1/users', { method: 'POST', json: { username: 'x1', password: 'password123', address: 'x@elsewhere.test' } })).status, 400);
  assert.equal((await server.api('/api/v1/users', { method: 'POST', json: { username: 'x2', password: 'short' } })).status, 400);

  const found = await json(await server.api('/api/v1/users?query=ERIN'));
  assert.equal(found.total, 1);
  assert.equal(found.results[0].id, u.id);

  const patched = await json(await server.api(`/api/v1/users/${u.id}`, { method: 'PATCH', json: { name: 'Erin Example', password: 'new-password-1' } }));
  assert.equal(patched.name, 'Erin Example');
  const token = await server.api('/api/v1/auth/token', { method: 'POST', json: { username: 'erin@users.test', password: 'new-password-1' }, token: null });
  assert.equal(token.status, 201);

  assert.equal((await server.api(`/api/v1/users/${u.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await server.api(`/api/v1/users/${u.id}`)).status, 404);
  // The address is free again.
  assert.equal((await server.api('/api/v1/users', { method: 'POST', json: { username: 'erin2', password: 'password123', address: 'erin@users.test' } })).status, 201);
});

test('users: paging with limit and cursor walks every user exactly once', async () => {
  await server.api('/api/v1/domains', { method: 'POST', json: { name: 'paging.test' } });
  for (let i = 0; i < 7; i++) {
    await server.api('/api/v1/users', { method: 'POST', json: { username: `p${i}`, password: 'password123', address: `p${i}@paging.test` } });
  }
  const seen: string[] = [];
  let cursor: string | null = '';
  let total = 0;
  while (cursor !== null) {
    const page: { total: number; results: { username: string }[]; next: string | null } = await json(
      await server.api(`/api/v1/users?limit=3&query=paging.test${cursor ? `&cursor=${cursor}` : ''}`),
    );
    total = page.total;
    seen.push(...page.results.map((r) => r.username));
    cursor = page.next;
  }
  assert.equal(total, 7);
  assert.deepEqual(seen, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  assert.equal((await server.api('/api/v1/users?cursor=garbage')).status, 400);
  assert.equal((await server.api('/api/v1/users?limit=251')).status, 400);
  assert.equal((await server.api('/api/v1/users?limit=abc')).status, 400);
});

test('addresses: add, find owner, main address rules, wildcard, remove', async () => {
  await server.api('/api/v1/domains', { method: 'POST', json: { name: 'addr.test' } });
  const u = await json(await server.api('/api/v1/users', { method: 'POST', json: { username: 'fred', password: 'password123', address: 'fred@addr.test' } }));
  const added = await server.api(`/api/v1/users/${u.id}/addresses`, { method: 'POST', json: { address: 'Fred.Flint@addr.test', main: true } });
  assert.equal(added.status, 201);
  assert.equal((await server.api(`/api/v1/users/${u.id}/addresses`, { method: 'POST', json: { address: '*@addr.test' } })).status, 201);
  assert.equal((await server.api(`/api/v1/users/${u.id}/addresses`, { method: 'POST', json: { address: 'fred@addr.test' } })).status, 409);

  const list = await json(await server.api(`/api/v1/users/${u.id}/addresses`));
  assert.equal(list.total, 3);
  assert.equal(list.results.find((a: { main: boolean }) => a.main).address, 'Fred.Flint@addr.test');
  const owner = await json(await server.api('/api/v1/addresses?query=flint'));
  assert.equal(owner.results[0].user, u.id);

  assert.equal((await server.api(`/api/v1/users/${u.id}/addresses/fred.flint@addr.test`, { method: 'DELETE' })).status, 409);
  assert.equal((await server.api(`/api/v1/users/${u.id}/addresses/fred@addr.test`, { method: 'DELETE' })).status, 204);
  assert.equal((await server.api(`/api/v1/users/${u.id}/addresses/nobody@addr.test`, { method: 'DELETE' })).status, 404);
});

test('auth: tokens, basic auth, admin-only routes, wrong credentials', async () => {
  await server.api('/api/v1/domains', { method: 'POST', json: { name: 'auth.test' } });
  const u = await json(await server.api('/api/v1/users', { method: 'POST', json: { username: 'gina', password: 'password123', address: 'gina@auth.test' } }));

  const bad = await server.api('/api/v1/auth/token', { method: 'POST', json: { username: 'gina', password: 'wrong-password' }, token: null });
  assert.equal(bad.status, 401);
  assert.equal((await json(bad)).type, 'urn:gannet:problem:unauthenticated');

  const { token, expiresAt } = await json(await server.api('/api/v1/auth/token', { method: 'POST', json: { username: 'gina', password: 'password123' }, token: null }));
  assert.ok(Date.parse(expiresAt) > Date.now());
  const me = await json(await server.api('/api/v1/users/me', { token }));
  assert.equal(me.id, u.id);

  const basic = 'Basic ' + Buffer.from('gina@auth.test:password123').toString('base64');
  assert.equal((await server.api('/api/v1/users/me/mailboxes', { headers: { authorization: basic } })).status, 200);
  const wrongBasic = 'Basic ' + Buffer.from('gina@auth.test:nope-nope').toString('base64');
  const denied = await server.api('/api/v1/users/me/mailboxes', { headers: { authorization: wrongBasic } });
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get('www-authenticate') ?? '', /Basic/);

  assert.equal((await server.api('/api/v1/users', { token })).status, 403);
  assert.equal((await server.api('/api/v1/domains', { token: null })).status, 401);
  assert.equal((await server.api('/api/v1/domains', { token: 'not-a-real-token' })).status, 401);
  // A user may not raise their own quota.
  assert.equal((await server.api('/api/v1/users/me', { method: 'PATCH', json: { quota: 0 }, token })).status, 403);

  // Disabled users can no longer log in.
  await server.api(`/api/v1/users/${u.id}`, { method: 'PATCH', json: { disabled: true } });
  assert.equal((await server.api('/api/v1/auth/token', { method: 'POST', json: { username: 'gina', password: 'password123' }, token: null })).status, 401);
});

test('bad input: invalid JSON, unknown and wrongly typed fields, hostile strings', async () => {
  const invalidJson = await server.api('/api/v1/domains', { method: 'POST', body: '{"name": ', headers: { 'content-type': 'application/json' } });
  assert.equal(invalidJson.status, 400);
  assert.equal((await json(invalidJson)).status, 400);

  const unknown = await json(await server.api('/api/v1/domains', { method: 'POST', json: { name: 'ok.test', admin: true } }));
  assert.deepEqual(unknown.errors, [{ field: 'admin', message: 'unknown field in body' }]);

  const typed = await server.api('/api/v1/users', { method: 'POST', json: { username: 'hank', password: 'password123', quota: '100' } });
  assert.equal(typed.status, 400);
  assert.equal((await json(typed)).errors[0].field, 'quota');

  const huge = await server.api('/api/v1/users', { method: 'POST', json: { username: 'h'.repeat(10_000), password: 'password123' } });
  assert.equal(huge.status, 400);
  const ctrl = await server.api('/api/v1/users', { method: 'POST', json: { username: 'h\u0007x', password: 'password123' } });
  assert.equal(ctrl.status, 400);
  const dots = await server.api('/api/v1/users', { method: 'POST', json: { username: '../../etc/passwd', password: 'password123' } });
  assert.equal(dots.status, 400);
  // Nothing was created by any of these.
  assert.equal((await json(await server.api('/api/v1/users?query=hank'))).total, 0);
  assert.equal((await json(await server.api('/api/v1/domains?query=ok.test'))).total, 0);

  const missing = await server.api('/api/v1/nope');
  assert.equal(missing.status, 404);
  assert.equal((await json(missing)).type, 'urn:gannet:problem:not-found');
});

test('mappings: aliases, forwards and groups can be listed and removed', async () => {
  await server.api('/api/v1/domains', { method: 'POST', json: { name: 'map.test' } });
  const created = await server.api('/api/v1/mappings', { method: 'POST', json: { source: 'team@map.test', kind: 'group', target: 'ivy@map.test' } });
  assert.equal(created.status, 201);
  const m = await json(created);
  assert.equal((await server.api('/api/v1/mappings', { method: 'POST', json: { source: 'team@map.test', kind: 'group', target: 'ivy@map.test' } })).status, 409);
  assert.equal((await server.api('/api/v1/mappings', { method: 'POST', json: { source: 'x@nowhere.test', kind: 'alias', target: 'ivy@map.test' } })).status, 400);
  assert.equal((await json(await server.api('/api/v1/mappings?source=team@map.test'))).total, 1);
  assert.equal((await server.api(`/api/v1/mappings/${m.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await server.api(`/api/v1/mappings/${m.id}`, { method: 'DELETE' })).status, 404);
});

test('management port: healthz, metrics with request counters; openapi and docs', async () => {
  const health = await (await fetch(`${server.mgmtUrl}/healthz`)).json();
  assert.equal(health.status, 'ok');
  const metrics = await (await fetch(`${server.mgmtUrl}/metrics`)).text();
  assert.match(metrics, /gannet_http_requests_total\{method="POST",route="\/api\/v1\/domains",status="201"\} \d+/);
  assert.match(metrics, /gannet_http_request_duration_seconds_bucket/);

  const doc = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
  assert.equal(doc.openapi, '3.1.0');
  for (const path of ['/api/v1/domains', '/api/v1/users/{user}/messages/{message}/raw', '/api/v1/users/{user}/search', '/api/v1/users/{user}/updates']) {
    assert.ok(doc.paths[path], path);
  }
  assert.ok(doc.components.schemas.Problem);
  const docs = await fetch(`${server.baseUrl}/docs/`);
  assert.equal(docs.status, 200);
  assert.match(await docs.text(), /swagger/i);
});

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const LIMIT = 3;
const ANON_LIMIT = 2;

let server: TestServer;
let alice: Awaited<ReturnType<typeof createUser>>;

// Made without the login route, which is anonymous and would spend the address budget.
async function userToken(s: TestServer, userId: string): Promise<string> {
  const principal = await s.services.directory.principal(userId);
  return (await s.services.tokens.createUserToken(principal!)).token;
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

function limitHeaders(res: Response) {
  const h = (name: string) => res.headers.get(name);
  return {
    limit: h('ratelimit-limit'),
    remaining: h('ratelimit-remaining'),
    reset: h('ratelimit-reset'),
    policy: h('ratelimit-policy'),
    xLimit: h('x-ratelimit-limit'),
    xRemaining: h('x-ratelimit-remaining'),
    xReset: h('x-ratelimit-reset'),
  };
}

before(async () => {
  server = (await startTestServer({ config: { apiRateLimit: LIMIT, apiAnonRateLimit: ANON_LIMIT, apiRateLimitWindowSeconds: 60 } }))!;
  alice = await createUser(server, 'alice');
});
after(() => server.stop());

test('a token gets RateLimit-* and X-RateLimit-* headers counting down, then 429 problem details with Retry-After', async () => {
  const token = await userToken(server, alice.id);
  const seen: string[] = [];
  for (let i = 0; i < LIMIT; i++) {
    const res = await server.api('/api/v1/users/me', { token });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const h = limitHeaders(res);
    assert.equal(h.limit, String(LIMIT));
    assert.equal(h.xLimit, String(LIMIT));
    assert.equal(h.policy, `${LIMIT};w=60`);
    assert.equal(h.xRemaining, h.remaining);
    const reset = Number(h.reset);
    assert.ok(reset > 0 && reset <= 60, `RateLimit-Reset ${h.reset} is seconds to the window's end`);
    const epoch = Number(h.xReset);
    assert.ok(Math.abs(epoch - (Date.now() / 1000 + reset)) <= 2, `X-RateLimit-Reset ${h.xReset} is the window's end in Unix seconds`);
    seen.push(h.remaining!);
  }
  assert.deepEqual(seen, ['2', '1', '0']);

  const refused = await server.api('/api/v1/users/me', { token });
  assert.equal(refused.status, 429);
  assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const retry = Number(refused.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  assert.equal(refused.headers.get('ratelimit-remaining'), '0');
  const problem = (await refused.json()) as { status: number; type: string; detail: string };
  assert.equal(problem.status, 429);
  assert.equal(problem.type, 'urn:gannet:problem:rate-limited');

  // The limit is per token: a second token of the same user starts with a full budget.
  const other = await userToken(server, alice.id);
  const fresh = await server.api('/api/v1/users/me', { token: other });
  assert.equal(fresh.status, 200);
  assert.equal(fresh.headers.get('ratelimit-remaining'), String(LIMIT - 1));
});

test('JMAP and the Stalwart compatibility API spend the same budget and carry the same headers', async () => {
  const token = await userToken(server, alice.id);
  const session = await server.api('/session', { token });
  assert.equal(session.status, 200);
  assert.equal(session.headers.get('ratelimit-remaining'), String(LIMIT - 1));
  const stalwart = await server.api('/compat/stalwart/api/queue/status', { token });
  assert.equal(stalwart.status, 403);
  assert.equal(stalwart.headers.get('ratelimit-remaining'), String(LIMIT - 2));
});

test('Basic credentials count per user', async () => {
  const bob = await createUser(server, 'bob');
  const headers = { authorization: basic(bob.username, bob.password) };
  const remaining: (string | null)[] = [];
  for (let i = 0; i <= LIMIT; i++) {
    const res = await server.api('/api/v1/users/me/mailboxes', { headers, token: null });
    await res.body?.cancel();
    remaining.push(res.status === 429 ? 'refused' : res.headers.get('ratelimit-remaining'));
  }
  assert.deepEqual(remaining, ['2', '1', '0', 'refused']);
});

test('requests without valid credentials spend the client address budget, failed credentials included', async () => {
  // ANON_LIMIT requests from 127.0.0.1 without credentials or with made-up ones, then refused whatever is tried.
  const first = await server.api('/api/v1/domains', { token: null });
  assert.equal(first.status, 401);
  assert.equal(first.headers.get('ratelimit-limit'), String(ANON_LIMIT));
  assert.equal(first.headers.get('ratelimit-remaining'), '1');
  const second = await server.api('/api/v1/domains', { token: 'made-up-token' });
  assert.equal(second.status, 401);
  assert.equal(second.headers.get('ratelimit-remaining'), '0');
  const third = await server.api('/api/v1/domains', { token: 'another-made-up-token' });
  assert.equal(third.status, 429);
  assert.ok(Number(third.headers.get('retry-after')) >= 1);
  const login = await server.api('/api/v1/auth/token', { method: 'POST', json: { username: alice.username, password: alice.password }, token: null });
  assert.equal(login.status, 429);
});

test('the admin token is not counted and gets no rate-limit headers', async () => {
  for (let i = 0; i < LIMIT * 3; i++) {
    const res = await server.api('/api/v1/domains');
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(res.headers.get('ratelimit-limit'), null);
    assert.equal(res.headers.get('x-ratelimit-limit'), null);
  }
});

test('a principal holding unlimited-requests is not counted and gets no rate-limit headers', async () => {
  const dave = await createUser(server, 'dave');
  const granted = await server.api(`/api/v1/principals/${dave.id}`, { method: 'PATCH', json: { enabledPermissions: ['unlimited-requests'] } });
  assert.equal(granted.status, 200);
  const token = await userToken(server, dave.id);
  for (let i = 0; i < LIMIT * 3; i++) {
    const res = await server.api('/api/v1/users/me', { token });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(res.headers.get('ratelimit-remaining'), null);
  }
  // Taking the permission away puts the token back under the limit on its next request.
  await server.api(`/api/v1/principals/${dave.id}`, { method: 'PATCH', json: { enabledPermissions: [] } });
  const counted = await server.api('/api/v1/users/me', { token });
  assert.equal(counted.headers.get('ratelimit-remaining'), String(LIMIT - 1));
});

test('a budget comes back when its window ends', async () => {
  const quick = (await startTestServer({ config: { apiRateLimit: 1, apiRateLimitWindowSeconds: 1 } }))!;
  try {
    const carol = await createUser(quick, 'carol');
    const token = await userToken(quick, carol.id);
    assert.equal((await quick.api('/api/v1/users/me', { token })).status, 200);
    const refused = await quick.api('/api/v1/users/me', { token });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    await sleep(1100);
    assert.equal((await quick.api('/api/v1/users/me', { token })).status, 200);
  } finally {
    await quick.stop();
  }
});

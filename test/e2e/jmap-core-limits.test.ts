import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import type { App, RouteDeps } from '../../src/protocols/http/app.ts';
import { HttpAuth } from '../../src/protocols/http/auth.ts';
import { registerJmap } from '../../src/protocols/http/jmap/index.ts';
import { jmapLimits } from '../../src/protocols/jmap/core/limits.ts';
import { createRegistry } from '../../src/protocols/jmap/core/registry.ts';
import { CORE } from '../../src/protocols/jmap/types.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

// The JMAP routes on their own Fastify app, with a registry holding a method that waits until
// released, so concurrent requests can be held open on purpose.
let server: TestServer;
let app: App;
let basic: string;
const gates: (() => void)[] = [];
let started = 0;

before(async () => {
  server = (await startTestServer())!;
  await server.services.directory.createDomain({ name: 'example.test' });
  await server.services.directory.createUser({ username: 'alice', password: 'correct horse battery', address: 'alice@example.test' });
  await server.services.directory.createUser({ username: 'bob', password: 'correct horse battery', address: 'bob@example.test' });
  basic = `Basic ${Buffer.from('alice:correct horse battery').toString('base64')}`;
  const registry = createRegistry((r) =>
    r.set('Test/wait', {
      capability: CORE,
      handler: async () => {
        started++;
        await new Promise<void>((res) => gates.push(res));
        return {};
      },
    }),
  );
  const deps = { config: server.config, services: server.services, logger: pino({ level: 'silent' }), metrics: {} as RouteDeps['metrics'], auth: new HttpAuth(server.services) };
  app = Fastify() as unknown as App;
  await registerJmap(app, deps, registry, jmapLimits(server.config, { maxConcurrentRequests: 2, maxSizeRequest: 1000 }));
  await app.ready();
});
after(async () => {
  gates.forEach((g) => g());
  await app.close();
  await server.stop();
});

const call = (auth = basic, method = 'Test/wait') =>
  app.inject({ method: 'POST', url: '/jmap', headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify({ using: [CORE], methodCalls: [[method, {}, 'c']] }) });

async function until(pred: () => boolean) {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('limit: maxConcurrentRequests per principal, freed when a request finishes', async () => {
  const first = call();
  const second = call();
  await until(() => started === 2);
  const third = await call();
  assert.equal(third.statusCode, 400);
  assert.deepEqual({ ...third.json<Record<string, unknown>>(), detail: undefined }, { type: 'urn:ietf:params:jmap:error:limit', limit: 'maxConcurrentRequests', status: 400, detail: undefined });

  // Another principal has its own budget.
  const bob = await call(`Basic ${Buffer.from('bob:correct horse battery').toString('base64')}`, 'Core/echo');
  assert.equal(bob.statusCode, 200);

  gates.splice(0).forEach((g) => g());
  assert.equal((await first).statusCode, 200);
  assert.equal((await second).statusCode, 200);
  assert.equal((await call(basic, 'Core/echo')).statusCode, 200);
});

test('the limits given to registerJmap are the ones advertised and enforced', async () => {
  const session = await app.inject({ method: 'GET', url: '/session', headers: { authorization: basic } });
  assert.equal(session.json().capabilities[CORE].maxConcurrentRequests, 2);
  assert.equal(session.json().capabilities[CORE].maxSizeRequest, 1000);
  const big = await app.inject({
    method: 'POST',
    url: '/jmap',
    headers: { authorization: basic, 'content-type': 'application/json' },
    payload: JSON.stringify({ using: [CORE], methodCalls: [['Core/echo', { pad: 'x'.repeat(1000) }, 'c']] }),
  });
  assert.equal(big.statusCode, 400);
  assert.equal(big.json().limit, 'maxSizeRequest');
});

test('a request that failed with a request-level error does not hold a concurrency slot', async () => {
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'POST', url: '/jmap', headers: { authorization: basic, 'content-type': 'application/json' }, payload: '{' });
    assert.equal(res.json().type, 'urn:ietf:params:jmap:error:notJSON');
  }
  assert.equal((await call(basic, 'Core/echo')).statusCode, 200);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError } from '../../../src/services/errors.ts';
import { CORE, MAIL, MethodError } from '../../../src/protocols/jmap/types.ts';
import { createRegistry } from '../../../src/protocols/jmap/core/registry.ts';
import { req, responses, run, withMethods } from './helpers.ts';

const problemOf = async (body: unknown) => {
  const { result } = await run(body);
  assert.equal(result.ok, false, 'expected a request-level error');
  return result.body as { type: string; status: number; detail: string; limit?: string };
};

test('Core/echo returns its arguments under the same call id', async () => {
  const r = await run(req([['Core/echo', { hello: true, high: 5 }, 'b3ff']]));
  assert.deepEqual(r.result, { ok: true, status: 200, body: { methodResponses: [['Core/echo', { hello: true, high: 5 }, 'b3ff']], sessionState: 'S1' } });
});

test('Core/echo works from bytes and from text, as the HTTP layer sends it', async () => {
  const body = JSON.stringify(req([['Core/echo', { a: 1 }, 'c']]));
  for (const raw of [Buffer.from(body), body]) assert.deepEqual(responses(await run(raw)), [['Core/echo', { a: 1 }, 'c']]);
});

test('Core/echo is built in even with an empty registry', async () => {
  const r = await run(req([['Core/echo', {}, 'c']]), new Map());
  assert.deepEqual(responses(r), [['Core/echo', {}, 'c']]);
});

test('notJSON: malformed JSON and malformed UTF-8', async () => {
  for (const body of ['{"using": [', Buffer.from([0x7b, 0xff, 0x7d]), Buffer.alloc(0)]) {
    const p = await problemOf(body);
    assert.equal(p.type, 'urn:ietf:params:jmap:error:notJSON');
    assert.equal(p.status, 400);
    assert.ok(p.detail);
  }
});

test('notRequest: every way the Request object can be malformed', async () => {
  const bad: unknown[] = [
    [],
    'text',
    null,
    42,
    {},
    { using: [CORE] },
    { methodCalls: [] },
    { using: CORE, methodCalls: [] },
    { using: [1], methodCalls: [] },
    { using: [CORE], methodCalls: {} },
    { using: [CORE], methodCalls: [['Core/echo', {}]] },
    { using: [CORE], methodCalls: [['Core/echo', {}, 'c', 'extra']] },
    { using: [CORE], methodCalls: [[1, {}, 'c']] },
    { using: [CORE], methodCalls: [['Core/echo', [], 'c']] },
    { using: [CORE], methodCalls: [['Core/echo', null, 'c']] },
    { using: [CORE], methodCalls: [['Core/echo', {}, 7]] },
    { using: [CORE], methodCalls: ['Core/echo'] },
    { using: [CORE], methodCalls: [], createdIds: [] },
    { using: [CORE], methodCalls: [], createdIds: null },
    { using: [CORE], methodCalls: [], createdIds: { a: 1 } },
  ];
  for (const body of bad) {
    const p = await problemOf(JSON.stringify(body));
    assert.equal(p.type, 'urn:ietf:params:jmap:error:notRequest', JSON.stringify(body));
    assert.equal(p.status, 400);
  }
});

test('unknown Request properties are ignored', async () => {
  const r = await run(req([['Core/echo', {}, 'c']], [CORE], { futureThing: { x: 1 } }));
  assert.equal(r.result.ok, true);
});

test('unknownCapability names the capability', async () => {
  const p = await problemOf(req([], [CORE, 'https://example.com/apis/foobar']));
  assert.equal(p.type, 'urn:ietf:params:jmap:error:unknownCapability');
  assert.equal(p.status, 400);
  assert.match(p.detail, /https:\/\/example\.com\/apis\/foobar/);
});

test('a capability is known once one of its methods is registered', async () => {
  assert.equal((await problemOf(req([], [CORE, MAIL]))).type, 'urn:ietf:params:jmap:error:unknownCapability');
  const registry = withMethods((r) => r.set('Foo/get', { capability: MAIL, handler: async () => ({}) }));
  assert.equal((await run(req([], [CORE, MAIL]), registry)).result.ok, true);
});

test('limit: maxCallsInRequest', async () => {
  const calls = Array.from({ length: 5 }, (_, i) => ['Core/echo', {}, `c${i}`]);
  const p = await problemOf(req(calls));
  assert.deepEqual({ type: p.type, limit: p.limit, status: p.status }, { type: 'urn:ietf:params:jmap:error:limit', limit: 'maxCallsInRequest', status: 400 });
  assert.equal((await run(req(calls.slice(0, 4)))).result.ok, true);
});

test('limit: maxSizeRequest', async () => {
  const big = JSON.stringify(req([['Core/echo', { pad: 'x'.repeat(10_000) }, 'c']]));
  const p = await problemOf(Buffer.from(big));
  assert.deepEqual({ type: p.type, limit: p.limit }, { type: 'urn:ietf:params:jmap:error:limit', limit: 'maxSizeRequest' });
});

test('an empty methodCalls is a valid request', async () => {
  assert.deepEqual((await run(req([]))).result, { ok: true, status: 200, body: { methodResponses: [], sessionState: 'S1' } });
});

test('unknownMethod, and later calls still run', async () => {
  const r = await run(req([['Nope/get', {}, 'a'], ['Core/echo', { x: 1 }, 'b']]));
  assert.deepEqual(responses(r), [
    ['error', { type: 'unknownMethod', description: 'unknown method Nope/get' }, 'a'],
    ['Core/echo', { x: 1 }, 'b'],
  ]);
});

test('a method whose capability is not in "using" is unknownMethod', async () => {
  let called = false;
  const registry = withMethods((r) =>
    r.set('Mailbox/get', {
      capability: MAIL,
      handler: async () => {
        called = true;
        return {};
      },
    }),
  );
  const r = await run(req([['Mailbox/get', {}, 'a']], [CORE]), registry);
  assert.equal(responses(r)[0][1].type, 'unknownMethod');
  assert.equal(called, false);
  const r2 = await run(req([['Core/echo', {}, 'a']], [MAIL]), registry);
  assert.equal(responses(r2)[0][1].type, 'unknownMethod', 'Core/echo needs core in using');
});

test('MethodError becomes an error response with its type, description and extra properties', async () => {
  const registry = withMethods((r) =>
    r.set('Foo/set', {
      capability: CORE,
      handler: async () => {
        throw new MethodError('stateMismatch', 'state is 7', { currentState: '7', type: 'ignored' });
      },
    }),
  );
  const r = await run(req([['Foo/set', {}, 'a']]), registry);
  assert.deepEqual(responses(r), [['error', { type: 'stateMismatch', description: 'state is 7', currentState: '7' }, 'a']]);
  const bare = withMethods((reg) =>
    reg.set('Foo/get', {
      capability: CORE,
      handler: async () => {
        throw new MethodError('forbidden');
      },
    }),
  );
  assert.deepEqual(responses(await run(req([['Foo/get', {}, 'a']]), bare)), [['error', { type: 'forbidden' }, 'a']]);
});

test('any other exception is serverFail, logged, with no stack trace sent', async () => {
  const registry = withMethods((r) =>
    r.set('Foo/get', {
      capability: CORE,
      handler: async () => {
        throw new Error('database exploded at /secret/path.ts:42');
      },
    }),
  );
  const r = await run(req([['Foo/get', {}, 'a'], ['Core/echo', {}, 'b']]), registry);
  const res = responses(r);
  assert.equal(res[0][0], 'error');
  assert.equal(res[0][1].type, 'serverFail');
  assert.doesNotMatch(JSON.stringify(res[0][1]), /secret|exploded/);
  assert.deepEqual(res[1], ['Core/echo', {}, 'b']);
  assert.equal(r.logged.length, 1);
  assert.match(String((r.logged[0].obj as { err: Error }).err.message), /exploded/);
  assert.deepEqual({ ...r.logged[0].obj, err: undefined }, { err: undefined, method: 'Foo/get', callId: 'a' });
});

test('service errors a client can act on map to method errors', async () => {
  const throwing = (err: Error) => withMethods((r) => r.set('Foo/get', { capability: CORE, handler: async () => Promise.reject(err) }));
  const typeOf = async (err: Error) => responses(await run(req([['Foo/get', {}, 'a']]), throwing(err)))[0][1].type;
  assert.equal(await typeOf(new ServiceError('invalid', 'bad name')), 'invalidArguments');
  assert.equal(await typeOf(new ServiceError('forbidden', 'no')), 'forbidden');
  assert.equal(await typeOf(new ServiceError('unavailable', 'later')), 'serverUnavailable');
  assert.equal(await typeOf(new ServiceError('conflict', 'x')), 'serverFail');
});

test('a handler returning several responses has them all appended under its call id', async () => {
  const registry = withMethods((r) =>
    r.set('Email/copy', {
      capability: CORE,
      handler: async () => [
        ['Email/copy', { created: {} }],
        ['Email/set', { destroyed: ['e1'] }],
      ],
    }),
  );
  const r = await run(req([['Email/copy', {}, 'c1'], ['Core/echo', {}, 'c2']]), registry);
  assert.deepEqual(responses(r), [
    ['Email/copy', { created: {} }, 'c1'],
    ['Email/set', { destroyed: ['e1'] }, 'c1'],
    ['Core/echo', {}, 'c2'],
  ]);
});

test('methods run in order and see what earlier ones did', async () => {
  const order: string[] = [];
  const registry = withMethods((r) => {
    for (const n of ['A/x', 'B/x', 'C/x']) {
      r.set(n, {
        capability: CORE,
        handler: async () => {
          await new Promise((res) => setTimeout(res, n === 'A/x' ? 20 : 0));
          order.push(n);
          return {};
        },
      });
    }
  });
  await run(req([['A/x', {}, '1'], ['B/x', {}, '2'], ['C/x', {}, '3']]), registry);
  assert.deepEqual(order, ['A/x', 'B/x', 'C/x']);
});

test('createdIds: seeded from the request, shared by methods, echoed in the response', async () => {
  const registry = withMethods((r) => {
    r.set('Foo/set', {
      capability: CORE,
      handler: async (args, ctx) => {
        ctx.createdIds.set(String(args.creationId), `real-${String(args.creationId)}`);
        return { seen: Object.fromEntries(ctx.createdIds) };
      },
    });
  });
  const r = await run(req([['Foo/set', { creationId: 'k2' }, 'a'], ['Foo/set', { creationId: 'k3' }, 'b']], [CORE], { createdIds: { k1: 'id1' } }), registry);
  assert.ok(r.result.ok);
  assert.deepEqual(r.result.body.createdIds, { k1: 'id1', k2: 'real-k2', k3: 'real-k3' });
  assert.deepEqual(r.result.body.methodResponses[1][1], { seen: { k1: 'id1', k2: 'real-k2', k3: 'real-k3' } });

  const without = await run(req([['Foo/set', { creationId: 'k9' }, 'a']]), registry);
  assert.ok(without.result.ok);
  assert.equal('createdIds' in without.result.body, false, 'no createdIds in the response when the request had none');
  const empty = await run(req([], [CORE], { createdIds: {} }), registry);
  assert.ok(empty.result.ok);
  assert.deepEqual(empty.result.body.createdIds, {});
});

test('handlers get the request context: using, principal, accounts', async () => {
  let seen: unknown;
  const registry = withMethods((r) =>
    r.set('Foo/get', {
      capability: CORE,
      handler: async (_args, ctx) => {
        seen = { using: [...ctx.using], principal: ctx.principal.username, accounts: [...ctx.accountIds] };
        return {};
      },
    }),
  );
  await run(req([['Foo/get', {}, 'a']], [CORE, 'urn:ietf:params:jmap:core']), registry);
  assert.deepEqual(seen, { using: [CORE], principal: 'alice', accounts: ['a1'] });
});

test('sessionState is read after the methods ran', async () => {
  let state = 'before';
  const registry = withMethods((r) =>
    r.set('Foo/set', {
      capability: CORE,
      handler: async () => {
        state = 'after';
        return {};
      },
    }),
  );
  const { result } = await run(req([['Foo/set', {}, 'a']]), registry, () => state);
  assert.ok(result.ok);
  assert.equal(result.body.sessionState, 'after');
});

test('createRegistry refuses a method registered twice', () => {
  assert.throws(() => createRegistry((r) => r.set('Core/echo', { capability: CORE, handler: async () => ({}) })), /registered twice/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Upstream } from '../../../src/protocols/jmap/core/forward.ts';
import { processRequest } from '../../../src/protocols/jmap/core/process.ts';
import { createRegistry } from '../../../src/protocols/jmap/core/registry.ts';
import { CORE, type Args } from '../../../src/protocols/jmap/types.ts';
import type { ForwardRequest } from '../../../src/services/remote/jmap/proxy.ts';
import { ServiceError } from '../../../src/services/errors.ts';
import { baseCtx, principal } from './helpers.ts';

/** a1 is local; r1 and r2 are proxied. The fake upstream echoes each call and "creates" what Foo/set asks for. */
const pool = { ...principal, accounts: [...principal.accounts, ...['r1', 'r2'].map((id) => ({ id, name: id, kind: 'jmap' as const, isPersonal: true, isReadOnly: false, isPrimary: false }))] };
const ctx = { ...baseCtx, principal: pool, accountIds: new Set(['a1', 'r1', 'r2']) };

function fakeUpstream(opts: { maxCalls?: number; fail?: unknown } = {}) {
  const sent: { accountId: string; request: ForwardRequest }[] = [];
  const upstream: Upstream = {
    accounts: new Map(['r1', 'r2'].map((id) => [id, { capabilities: [CORE], accountCapabilities: {}, maxCallsInRequest: opts.maxCalls ?? 16 }])),
    async forward(accountId, request) {
      sent.push({ accountId, request: structuredClone(request) });
      if (opts.fail) throw opts.fail;
      const createdIds = { ...request.createdIds };
      const methodResponses = request.methodCalls.map(([name, args, id]): [string, Args, string] => {
        const create = (args.create ?? {}) as Args;
        const created = Object.fromEntries(Object.keys(create).map((cid) => [cid, { id: `up-${cid}` }]));
        for (const cid of Object.keys(create)) createdIds[cid] = `up-${cid}`;
        return [name, { ...args, ...(Object.keys(created).length ? { created } : {}), ids: ['x', 'y'] }, id];
      });
      return { methodResponses, createdIds };
    },
  };
  return { upstream, sent };
}

// Local methods: Show/get answers with its arguments and the creation ids it can see.
const registry = createRegistry((r) => r.set('Show/get', { capability: CORE, handler: async (args, c) => ({ ...args, ids: ['l1', 'l2'], known: Object.fromEntries(c.createdIds) }) }));
const logged: object[] = [];

async function run(methodCalls: unknown[], upstream: Upstream, extra: Args = {}) {
  const result = await processRequest({ using: [CORE], methodCalls, ...extra }, ctx, registry, { maxSizeRequest: 100_000, maxCallsInRequest: 64 }, {
    sessionState: () => 'S',
    log: { error: (obj) => logged.push(obj) },
    upstream,
  });
  assert.ok(result.ok);
  return result.body;
}

test('consecutive calls of one proxied account go in one request; a local call or another account starts the next', async () => {
  const { upstream, sent } = fakeUpstream();
  const body = await run(
    [
      ['Foo/get', { accountId: 'r1' }, 'a'],
      ['Foo/query', { accountId: 'r1' }, 'b'],
      ['Show/get', { accountId: 'a1' }, 'c'],
      ['Foo/get', { accountId: 'r1' }, 'd'],
      ['Foo/get', { accountId: 'r2' }, 'e'],
      ['Core/echo', {}, 'f'],
    ],
    upstream,
  );
  assert.deepEqual(body.methodResponses.map(([n, , id]) => `${n} ${id}`), ['Foo/get a', 'Foo/query b', 'Show/get c', 'Foo/get d', 'Foo/get e', 'Core/echo f']);
  assert.deepEqual(sent.map((s) => [s.accountId, s.request.methodCalls.map((c) => c[2])]), [['r1', ['a', 'b']], ['r1', ['d']], ['r2', ['e']]]);
});

test("a batch never holds more calls than the upstream's maxCallsInRequest", async () => {
  const { upstream, sent } = fakeUpstream({ maxCalls: 2 });
  await run([1, 2, 3, 4, 5].map((n) => ['Foo/get', { accountId: 'r1' }, `c${n}`]), upstream);
  assert.deepEqual(sent.map((s) => s.request.methodCalls.length), [2, 2, 1]);
});

test('references into the batch travel as they are; references to earlier responses are resolved here', async () => {
  const { upstream, sent } = fakeUpstream();
  const body = await run(
    [
      ['Show/get', { accountId: 'a1' }, 'local'],
      ['Foo/query', { accountId: 'r1' }, 'q'],
      ['Foo/get', { accountId: 'r1', '#ids': { resultOf: 'q', name: 'Foo/query', path: '/ids' } }, 'inBatch'],
      ['Foo/get', { accountId: 'r1', '#ids': { resultOf: 'local', name: 'Show/get', path: '/ids' } }, 'fromLocal'],
      ['Show/get', { accountId: 'a1', '#ids': { resultOf: 'q', name: 'Foo/query', path: '/ids' } }, 'fromRemote'],
      ['Foo/get', { accountId: 'r1', '#ids': { resultOf: 'nope', name: 'Foo/query', path: '/ids' } }, 'broken'],
    ],
    upstream,
  );
  const [batch] = sent;
  assert.deepEqual(batch.request.methodCalls[1][1], { accountId: 'r1', '#ids': { resultOf: 'q', name: 'Foo/query', path: '/ids' } });
  assert.deepEqual(batch.request.methodCalls[2][1], { accountId: 'r1', ids: ['l1', 'l2'] });
  assert.deepEqual(body.methodResponses[4][1].ids, ['l1', 'l2']);
  assert.deepEqual(body.methodResponses[4][1].accountId, 'a1');
  const broken = body.methodResponses[5];
  assert.deepEqual([broken[0], broken[1].type, broken[2]], ['error', 'invalidResultReference', 'broken']);
  assert.equal(sent.length, 1, 'a call that cannot be sent is answered here');
});

test('creation ids: the known ones go along, the upstream ones come back for later calls and the response', async () => {
  const { upstream, sent } = fakeUpstream();
  const body = await run(
    [
      ['Foo/set', { accountId: 'r1', create: { c1: {} } }, 's'],
      ['Show/get', { accountId: 'a1' }, 'local'],
      ['Foo/get', { accountId: 'r1', ids: ['#c1'] }, 'g'],
    ],
    upstream,
    { createdIds: { earlier: 'e1' } },
  );
  assert.deepEqual(sent[0].request.createdIds, { earlier: 'e1' });
  assert.deepEqual(sent[1].request.createdIds, { earlier: 'e1', c1: 'up-c1' });
  assert.deepEqual(body.methodResponses[1][1].known, { earlier: 'e1', c1: 'up-c1' });
  assert.deepEqual(body.createdIds, { earlier: 'e1', c1: 'up-c1' });
});

test('an account id given by reference is resolved before the call is routed', async () => {
  const { upstream, sent } = fakeUpstream();
  const body = await run(
    [
      ['Foo/get', { accountId: 'r2' }, 'a'],
      ['Foo/get', { '#accountId': { resultOf: 'a', name: 'Foo/get', path: '/accountId' } }, 'b'],
    ],
    upstream,
  );
  assert.deepEqual(sent.map((s) => s.request.methodCalls.map((c) => c[1])), [[{ accountId: 'r2' }], [{ accountId: 'r2' }]]);
  assert.equal(body.methodResponses.length, 2);
});

test('a copy between a local and a proxied account, or two proxied ones, is refused without being sent', async () => {
  const { upstream, sent } = fakeUpstream();
  const body = await run(
    [
      ['Foo/copy', { fromAccountId: 'a1', accountId: 'r1' }, 'x'],
      ['Foo/copy', { fromAccountId: 'r1', accountId: 'r2' }, 'y'],
      ['Foo/copy', { fromAccountId: 'r1', accountId: 'r1' }, 'z'],
    ],
    upstream,
  );
  assert.deepEqual(body.methodResponses.slice(0, 2).map(([n, a]) => [n, a.type]), [['error', 'invalidArguments'], ['error', 'invalidArguments']]);
  assert.match(body.methodResponses[0][1].description as string, /cross-server copy is not supported/);
  assert.deepEqual(sent.map((s) => s.request.methodCalls[0][2]), ['z'], 'a copy within one upstream account is the upstream\'s to judge');
});

test('a failed upstream request answers each of its calls: unavailable, refused, or failed and logged', async () => {
  const cases: [unknown, string, RegExp][] = [
    [new ServiceError('unavailable', 'cannot reach the upstream JMAP server at http://x: ECONNREFUSED'), 'serverUnavailable', /ECONNREFUSED/],
    [new ServiceError('upstream', 'the upstream JMAP server refused the credentials'), 'serverFail', /refused the credentials/],
    [new Error('boom'), 'serverFail', /has been logged/],
  ];
  for (const [fail, type, description] of cases) {
    const before = logged.length;
    const body = await run([['Foo/get', { accountId: 'r1' }, 'a'], ['Foo/get', { accountId: 'r1' }, 'b'], ['Core/echo', { ok: 1 }, 'c']], fakeUpstream({ fail }).upstream);
    assert.deepEqual(body.methodResponses.map(([n, a, id]) => [n, a.type ?? null, id]), [['error', type, 'a'], ['error', type, 'b'], ['Core/echo', null, 'c']]);
    assert.match(body.methodResponses[0][1].description as string, description);
    assert.equal(logged.length - before, fail instanceof ServiceError ? 0 : 1);
  }
});

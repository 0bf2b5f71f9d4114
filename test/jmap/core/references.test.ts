import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluatePointer } from '../../../src/protocols/jmap/core/pointer.ts';
import { CORE, type Args } from '../../../src/protocols/jmap/types.ts';
import { req, responses, run, withMethods } from './helpers.ts';

/** A registry whose Fixed/get returns a canned result and Show/get returns the arguments it received. */
const registry = (fixed: Args) =>
  withMethods((r) => {
    r.set('Fixed/get', { capability: CORE, handler: async () => fixed });
    r.set('Show/get', { capability: CORE, handler: async (args) => ({ got: args }) });
  });

const threads = {
  accountId: 'A1',
  list: [
    { id: 'trd194', emailIds: ['msg1020', 'msg1021', 'msg1023'], meta: { n: 1 } },
    { id: 'trd114', emailIds: ['msg201', 'msg223'], meta: { n: 2 } },
  ],
  'a/b': { 'm~n': 'escaped' },
};

async function resolve(ref: unknown, fixed: Args = threads) {
  const r = await run(req([['Fixed/get', {}, 't0'], ['Show/get', { accountId: 'A1', '#ids': ref }, 't1']]), registry(fixed));
  return responses(r)[1];
}

test('a simple path selects a property of the earlier response', async () => {
  assert.deepEqual(await resolve({ resultOf: 't0', name: 'Fixed/get', path: '/accountId' }), ['Show/get', { got: { accountId: 'A1', ids: 'A1' } }, 't1']);
});

test('"*" maps over an array, and arrays of arrays are flattened one level (RFC 8620 §3.7)', async () => {
  const [, args] = await resolve({ resultOf: 't0', name: 'Fixed/get', path: '/list/*/emailIds' });
  assert.deepEqual(args.got, { accountId: 'A1', ids: ['msg1020', 'msg1021', 'msg1023', 'msg201', 'msg223'] });
  const [, ids] = await resolve({ resultOf: 't0', name: 'Fixed/get', path: '/list/*/id' });
  assert.deepEqual((ids.got as Args).ids, ['trd194', 'trd114']);
  const [, objs] = await resolve({ resultOf: 't0', name: 'Fixed/get', path: '/list/*/meta' });
  assert.deepEqual((objs.got as Args).ids, [{ n: 1 }, { n: 2 }]);
});

test('array indexes, the whole document and ~0/~1 escapes', async () => {
  assert.deepEqual((await resolve({ resultOf: 't0', name: 'Fixed/get', path: '/list/1/emailIds/0' }))[1].got, { accountId: 'A1', ids: 'msg201' });
  assert.deepEqual(((await resolve({ resultOf: 't0', name: 'Fixed/get', path: '' }))[1].got as Args).ids, threads);
  assert.equal(((await resolve({ resultOf: 't0', name: 'Fixed/get', path: '/a~1b/m~0n' }))[1].got as Args).ids, 'escaped');
});

test('"*" over an object maps its values in order (an extension for "/created/*/id"); a real "*" property wins', () => {
  const set = { created: { k1: { id: 'M1' }, k2: { id: 'M2' } } };
  assert.deepEqual(evaluatePointer(set, '/created/*/id'), ['M1', 'M2']);
  assert.deepEqual(evaluatePointer({ o: { '*': 'star', a: 'x' } }, '/o/*'), 'star');
  assert.deepEqual(evaluatePointer({ created: {} }, '/created/*/id'), []);
  assert.throws(() => evaluatePointer({ created: { k1: {} } }, '/created/*/id'), /no such property/);
});

test('nested "*" flattens at each level', () => {
  const doc = { list: [{ parts: [{ ids: ['a', 'b'] }, { ids: ['c'] }] }, { parts: [{ ids: ['d'] }] }] };
  assert.deepEqual(evaluatePointer(doc, '/list/*/parts/*/ids'), ['a', 'b', 'c', 'd']);
  assert.deepEqual(evaluatePointer({ list: [] }, '/list/*/id'), []);
});

test('references that do not resolve are invalidResultReference', async () => {
  const bad: unknown[] = [
    { resultOf: 'nope', name: 'Fixed/get', path: '/list' }, // no such call id
    { resultOf: 't0', name: 'Other/get', path: '/list' }, // wrong response name
    { resultOf: 't0', name: 'Fixed/get', path: '/missing' }, // no such property
    { resultOf: 't0', name: 'Fixed/get', path: 'list' }, // not a pointer
    { resultOf: 't0', name: 'Fixed/get', path: '/list/2' }, // index out of range
    { resultOf: 't0', name: 'Fixed/get', path: '/list/01' }, // leading zero
    { resultOf: 't0', name: 'Fixed/get', path: '/list/-' }, // "-" is not an item
    { resultOf: 't0', name: 'Fixed/get', path: '/list/id' }, // property of an array
    { resultOf: 't0', name: 'Fixed/get', path: '/accountId/x' }, // into a string
    { resultOf: 't0', name: 'Fixed/get', path: '/list/*/nothing' }, // "*" where an item lacks the property
    { resultOf: 't0', name: 'Fixed/get' }, // no path
    { resultOf: 7, name: 'Fixed/get', path: '/list' },
    'not an object',
    null,
  ];
  for (const ref of bad) {
    const [name, args] = await resolve(ref);
    assert.equal(name, 'error', JSON.stringify(ref));
    assert.equal(args.type, 'invalidResultReference', JSON.stringify(ref));
  }
});

test('a reference to a later call or to itself does not resolve', async () => {
  const r = await run(req([['Show/get', { '#ids': { resultOf: 't1', name: 'Fixed/get', path: '' } }, 't0'], ['Fixed/get', {}, 't1']]), registry(threads));
  assert.equal(responses(r)[0][1].type, 'invalidResultReference');
});

test('the first response with the call id is the one referenced; an error response fails the name check', async () => {
  const reg = withMethods((r) => {
    r.set('Two/get', { capability: CORE, handler: async () => [['Two/get', { v: 1 }], ['Extra/get', { v: 2 }]] });
    r.set('Show/get', { capability: CORE, handler: async (args) => ({ got: args }) });
  });
  const ok = await run(req([['Two/get', {}, 'a'], ['Show/get', { '#v': { resultOf: 'a', name: 'Two/get', path: '/v' } }, 'b']]), reg);
  assert.deepEqual(responses(ok)[2], ['Show/get', { got: { v: 1 } }, 'b']);
  // RFC 8620 §3.7 step 1–2: only the first response of a call id is considered.
  const second = await run(req([['Two/get', {}, 'a'], ['Show/get', { '#v': { resultOf: 'a', name: 'Extra/get', path: '/v' } }, 'b']]), reg);
  assert.equal(responses(second)[2][1].type, 'invalidResultReference');
  const err = await run(req([['Missing/get', {}, 'a'], ['Show/get', { '#v': { resultOf: 'a', name: 'Missing/get', path: '/type' } }, 'b']]), reg);
  assert.equal(responses(err)[1][1].type, 'invalidResultReference');
});

test('the same argument given directly and as a reference is invalidArguments', async () => {
  const [name, args] = await (async () => {
    const r = await run(req([['Fixed/get', {}, 't0'], ['Show/get', { ids: ['x'], '#ids': { resultOf: 't0', name: 'Fixed/get', path: '/list/*/id' } }, 't1']]), registry(threads));
    return responses(r)[1];
  })();
  assert.equal(name, 'error');
  assert.equal(args.type, 'invalidArguments');
});

test('several references in one call, alongside plain arguments', async () => {
  const r = await run(
    req([
      ['Fixed/get', {}, 't0'],
      ['Show/get', { plain: 1, '#a': { resultOf: 't0', name: 'Fixed/get', path: '/accountId' }, '#b': { resultOf: 't0', name: 'Fixed/get', path: '/list/0/id' } }, 't1'],
    ]),
    registry(threads),
  );
  assert.deepEqual(responses(r)[1][1], { got: { plain: 1, a: 'A1', b: 'trd194' } });
});

test('a "__proto__" argument stays plain data', async () => {
  const body = `{"using":["${CORE}"],"methodCalls":[["Fixed/get",{},"t0"],["Show/get",{"__proto__":{"polluted":true},"#x":{"resultOf":"t0","name":"Fixed/get","path":"/accountId"}},"t1"]]}`;
  const r = await run(body, registry(threads));
  const got = responses(r)[1][1].got as Args;
  assert.equal((got as { polluted?: unknown }).polluted, undefined);
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

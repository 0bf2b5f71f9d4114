import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireAccount } from '../../../src/protocols/jmap/core/accounts.ts';
import { toSetError } from '../../../src/protocols/jmap/core/errors.ts';
import { checkIds, checkSetSize, resolveCreationId } from '../../../src/protocols/jmap/core/ids.ts';
import { MethodError } from '../../../src/protocols/jmap/types.ts';

const isType = (type: string) => (err: unknown) => err instanceof MethodError && err.type === type;

test('requireAccount: the principal\'s account, accountNotFound, invalidArguments', () => {
  const ctx = { accountIds: new Set(['a1']) };
  assert.equal(requireAccount({ accountId: 'a1' }, ctx), 'a1');
  assert.throws(() => requireAccount({ accountId: 'a2' }, ctx), isType('accountNotFound'));
  assert.throws(() => requireAccount({ accountId: 1 }, ctx), isType('invalidArguments'));
  assert.throws(() => requireAccount({}, ctx), isType('invalidArguments'));
});

test('resolveCreationId: "#x" to the created id, other ids unchanged, unknown creation ids rejected', () => {
  const ctx = { createdIds: new Map([['k1', 'M123']]) };
  assert.equal(resolveCreationId('#k1', ctx), 'M123');
  assert.equal(resolveCreationId('M9', ctx), 'M9');
  assert.throws(() => resolveCreationId('#k2', ctx), isType('notFound'));
  assert.throws(() => resolveCreationId('#k2', ctx, 'invalidProperties'), isType('invalidProperties'));
  assert.throws(() => resolveCreationId(5, ctx), isType('invalidArguments'));
});

test('toSetError renders a MethodError as a SetError object', () => {
  assert.deepEqual(toSetError(new MethodError('notFound', '#k2 does not name a record')), { type: 'notFound', description: '#k2 does not name a record' });
  assert.deepEqual(toSetError(new MethodError('invalidProperties', undefined, { properties: ['name'] })), { type: 'invalidProperties', properties: ['name'] });
});

test('checkIds: null stays null, duplicates collapse, too many is requestTooLarge', () => {
  assert.equal(checkIds(null, 10), null);
  assert.equal(checkIds(undefined, 10), null);
  assert.deepEqual(checkIds(['a', 'b', 'a'], 2), ['a', 'b']);
  assert.throws(() => checkIds(['a', 'b', 'c'], 2), isType('requestTooLarge'));
  assert.throws(() => checkIds('a', 2), isType('invalidArguments'));
  assert.throws(() => checkIds([1], 2), isType('invalidArguments'));
});

test('checkSetSize counts create, update and destroy together', () => {
  checkSetSize({ create: { a: {} }, update: { b: {} }, destroy: ['c'] }, 3);
  assert.throws(() => checkSetSize({ create: { a: {}, b: {} }, destroy: ['c', 'd'] }, 3), isType('requestTooLarge'));
  checkSetSize({}, 0);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allowOnly,
  isJmapId,
  readBoolean,
  readId,
  readInt,
  readObject,
  readOptionalId,
  readOptionalInt,
  readOptionalObject,
  readOptionalString,
  readOptionalStringArray,
  readString,
  readStringArray,
  readUnsignedInt,
} from '../../../src/protocols/jmap/core/args.ts';
import { MethodError } from '../../../src/protocols/jmap/types.ts';

/** Asserts an invalidArguments MethodError whose description names the argument. */
function rejects(fn: () => unknown, name: string) {
  assert.throws(fn, (err: unknown) => err instanceof MethodError && err.type === 'invalidArguments' && err.message.includes(name));
}

test('readString / readOptionalString', () => {
  assert.equal(readString({ sinceState: '5' }, 'sinceState'), '5');
  rejects(() => readString({}, 'sinceState'), 'sinceState');
  rejects(() => readString({ sinceState: null }, 'sinceState'), 'sinceState');
  rejects(() => readString({ sinceState: 5 }, 'sinceState'), 'sinceState');
  assert.equal(readOptionalString({}, 'x'), null);
  assert.equal(readOptionalString({ x: null }, 'x'), null);
  assert.equal(readOptionalString({ x: '' }, 'x'), '');
  rejects(() => readOptionalString({ x: [] }, 'x'), 'x');
});

test('readId checks the Id syntax of RFC 8620 §1.2', () => {
  assert.equal(readId({ id: 'a-Z_9' }, 'id'), 'a-Z_9');
  for (const bad of ['', 'a b', 'a/b', 'é', 'x'.repeat(256), 3]) rejects(() => readId({ id: bad }, 'id'), 'id');
  assert.equal(readOptionalId({}, 'id'), null);
  assert.equal(isJmapId('x'.repeat(255)), true);
});

test('readInt / readOptionalInt / readUnsignedInt', () => {
  assert.equal(readInt({ n: -3 }, 'n'), -3);
  rejects(() => readInt({}, 'n'), 'n');
  rejects(() => readInt({ n: 1.5 }, 'n'), 'n');
  rejects(() => readInt({ n: '1' }, 'n'), 'n');
  rejects(() => readInt({ n: 2 ** 53 }, 'n'), 'n');
  assert.equal(readInt({}, 'n', { default: 7 }), 7);
  rejects(() => readInt({ n: 11 }, 'n', { max: 10 }), 'n');
  rejects(() => readInt({ n: -1 }, 'n', { min: 0 }), 'n');
  assert.equal(readOptionalInt({}, 'n'), null);
  assert.equal(readOptionalInt({ n: 0 }, 'n', { min: 0 }), 0);
  assert.equal(readUnsignedInt({}, 'position', 0), 0);
  assert.equal(readUnsignedInt({ position: 4 }, 'position', 0), 4);
  rejects(() => readUnsignedInt({ position: -1 }, 'position', 0), 'position');
});

test('readBoolean with and without a default', () => {
  assert.equal(readBoolean({ b: false }, 'b'), false);
  assert.equal(readBoolean({}, 'calculateTotal', false), false);
  assert.equal(readBoolean({ calculateTotal: null }, 'calculateTotal', true), true);
  rejects(() => readBoolean({}, 'b'), 'b');
  rejects(() => readBoolean({ b: 'true' }, 'b', false), 'b');
});

test('readObject / readStringArray and their optional forms', () => {
  assert.deepEqual(readObject({ filter: { a: 1 } }, 'filter'), { a: 1 });
  rejects(() => readObject({ filter: [] }, 'filter'), 'filter');
  rejects(() => readObject({}, 'filter'), 'filter');
  assert.equal(readOptionalObject({ filter: null }, 'filter'), null);
  assert.deepEqual(readStringArray({ ids: ['a'] }, 'ids'), ['a']);
  rejects(() => readStringArray({ ids: ['a', 1] }, 'ids'), 'ids');
  rejects(() => readStringArray({ ids: 'a' }, 'ids'), 'ids');
  assert.equal(readOptionalStringArray({}, 'properties'), null);
});

test('allowOnly names the unknown arguments', () => {
  allowOnly({ accountId: 'a', ids: null }, ['accountId', 'ids', 'properties']);
  rejects(() => allowOnly({ accountId: 'a', bogus: 1, other: 2 }, ['accountId']), 'bogus, other');
});

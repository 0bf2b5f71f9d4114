import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derivedId, isId, newId } from '../../src/util/ids.ts';

test('ids made in one process always increase, even many within one millisecond', () => {
  const ids = Array.from({ length: 50_000 }, () => newId('x'));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `${ids[i - 1]} then ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => isId(id, 'x')));
});

test('a derived id is the same for the same time and key, and sorts by its time', () => {
  assert.equal(derivedId('q', 1_700_000_000_000, 'k'), derivedId('q', 1_700_000_000_000, 'k'));
  assert.notEqual(derivedId('q', 1_700_000_000_000, 'k'), derivedId('q', 1_700_000_000_000, 'l'));
  assert.ok(derivedId('q', 1_700_000_000_001, 'a') > derivedId('q', 1_700_000_000_000, 'z'));
  assert.ok(isId(derivedId('q', Date.now(), 'k'), 'q'));
});

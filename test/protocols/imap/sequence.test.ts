import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSet, parseSequenceSet, resolve, type SeqRange } from '../../../src/protocols/imap/sequence.ts';
import { rejects } from './fixtures.ts';

const ranges = (text: string) => parseSequenceSet(text) as SeqRange[];

test('numbers, ranges, * and $', () => {
  assert.deepEqual(parseSequenceSet('1'), [{ from: 1, to: 1 }]);
  assert.deepEqual(parseSequenceSet('2,4:7,9,12:*'), [{ from: 2, to: 2 }, { from: 4, to: 7 }, { from: 9, to: 9 }, { from: 12, to: '*' }]);
  assert.deepEqual(parseSequenceSet('*:4'), [{ from: '*', to: 4 }]);
  assert.deepEqual(parseSequenceSet('4294967295'), [{ from: 4294967295, to: 4294967295 }]);
  assert.equal(parseSequenceSet('$'), '$');
});

test('junk, zero and numbers over 32 bits are syntax errors', () => {
  for (const text of ['', ',', '1,', ',1', '0', '1:0', '01', '1:2:3', '4294967296', '99999999999', '-1', '1.5', ' 1', 'a', '$,1', '1,$', '**', '1:']) {
    rejects(() => parseSequenceSet(text));
  }
});

test('resolve: * is the largest number, ranges ordered, sorted and merged (RFC 9051 seq-range examples)', () => {
  assert.deepEqual(resolve(ranges('2,4:7,9,12:*'), 15), [[2, 2], [4, 7], [9, 9], [12, 15]]);
  assert.deepEqual(resolve(ranges('*:4,5:7'), 10), [[4, 10]]);
  assert.deepEqual(resolve(ranges('4:2'), 10), [[2, 4]]);
  // A UID range 3291:* includes the last UID even when it is below 3291.
  assert.deepEqual(resolve(ranges('3291:*'), 100), [[100, 3291]]);
  assert.deepEqual(resolve(ranges('9,1:3,4,2,20:25,24:30'), 50), [[1, 4], [9, 9], [20, 30]]);
  assert.deepEqual(resolve([], 5), []);
});

test('formatSet: ascending compact form, duplicates folded', () => {
  assert.equal(formatSet([12, 3, 1, 2, 5, 9, 10, 11, 2]), '1:3,5,9:12');
  assert.equal(formatSet([7]), '7');
  assert.equal(formatSet([]), '');
  assert.equal(formatSet([304, 319, 320]), '304,319:320');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadCharsetError } from '../../../src/protocols/imap/search-args.ts';
import { parseSortArgs, parseThreadArgs } from '../../../src/protocols/imap/sort-args.ts';
import { args, command, rejects } from './fixtures.ts';

const sort = (line: string) => parseSortArgs(command(line).args);
const thread = (line: string) => parseThreadArgs(command(line).args);

test('RFC 5256 SORT examples', () => {
  assert.deepEqual(sort('A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994'), {
    criteria: [{ key: 'SUBJECT', reverse: false }],
    charset: 'UTF-8',
    key: { op: 'date', field: 'internal', cmp: 'since', date: '1994-02-01' },
  });
  assert.deepEqual(sort('A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL'), {
    criteria: [{ key: 'SUBJECT', reverse: false }, { key: 'DATE', reverse: true }],
    charset: 'UTF-8',
    key: { op: 'all' },
  });
  assert.deepEqual(sort('A284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"').key, { op: 'text', field: 'text', value: 'not in mailbox' });
});

test('every sort key, RFC 5957 DISPLAYFROM and DISPLAYTO too, in any case; REVERSE binds to the next key only', () => {
  const parsed = parseSortArgs(args('(arrival reverse cc Date reverse FROM size Subject to DisplayFrom reverse displayto) utf-8 1:* UID 5'));
  assert.deepEqual(parsed.criteria, [
    { key: 'ARRIVAL', reverse: false }, { key: 'CC', reverse: true }, { key: 'DATE', reverse: false }, { key: 'FROM', reverse: true },
    { key: 'SIZE', reverse: false }, { key: 'SUBJECT', reverse: false }, { key: 'TO', reverse: false },
    { key: 'DISPLAYFROM', reverse: false }, { key: 'DISPLAYTO', reverse: true },
  ]);
  assert.deepEqual(parsed.key, { op: 'and', keys: [{ op: 'seq', set: [{ from: 1, to: '*' }] }, { op: 'uid', set: [{ from: 5, to: 5 }] }] });
  assert.deepEqual(sort('A UID SORT (REVERSE ARRIVAL) "us-ascii" OR SEEN FLAGGED').charset, 'US-ASCII');
});

test('malformed sort criteria, charset or search keys are syntax errors', () => {
  for (const text of [
    'SUBJECT UTF-8 ALL', '() UTF-8 ALL', '(REVERSE) UTF-8 ALL', '(DATE REVERSE) UTF-8 ALL', '(REVERSE REVERSE DATE) UTF-8 ALL',
    '(THREAD) UTF-8 ALL', '(MODSEQ) UTF-8 ALL', '("DATE") UTF-8 ALL', '((DATE)) UTF-8 ALL', '(DATE)', '(DATE) UTF-8', '(DATE) UTF-8 FOO', '(DATE) (ALL)',
  ]) {
    rejects(() => parseSortArgs(args(text)));
  }
  rejects(() => parseSortArgs([]));
});

test('a charset search does not know is NO [BADCHARSET], as for SEARCH', () => {
  assert.throws(() => sort('A SORT (DATE) KOI8-R ALL'), (err: unknown) => err instanceof BadCharsetError && err.code === 'BADCHARSET' && err.returns === null);
  rejects(() => parseThreadArgs(args('REFERENCES ISO-8859-1 ALL')), 'BADCHARSET');
});

test('RFC 5256 THREAD examples', () => {
  assert.deepEqual(thread('A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000'), {
    algorithm: 'ORDEREDSUBJECT',
    charset: 'UTF-8',
    key: { op: 'date', field: 'internal', cmp: 'since', date: '2000-03-05' },
  });
  assert.deepEqual(thread('A284 THREAD ORDEREDSUBJECT US-ASCII TEXT "gewp"'), {
    algorithm: 'ORDEREDSUBJECT',
    charset: 'US-ASCII',
    key: { op: 'text', field: 'text', value: 'gewp' },
  });
  assert.equal(thread('A285 UID THREAD references UTF-8 SINCE 5-MAR-2000').algorithm, 'REFERENCES');
});

test('an unknown threading algorithm, or a missing charset or key, is a syntax error', () => {
  for (const text of ['REFS UTF-8 ALL', 'REFERENCES', 'REFERENCES UTF-8', '(REFERENCES) UTF-8 ALL', '"REFERENCES" UTF-8 ALL', 'UTF-8 ALL']) {
    rejects(() => parseThreadArgs(args(text)));
  }
  rejects(() => parseThreadArgs([]));
});

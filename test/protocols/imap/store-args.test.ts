import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStoreArgs } from '../../../src/protocols/imap/store-args.ts';
import { args, command, rejects } from './fixtures.ts';

/** A STORE command's arguments after its sequence set. */
const store = (line: string) => parseStoreArgs(command(line).args.slice(1));

test('RFC 9051 and RFC 5182 examples', () => {
  assert.deepEqual(store('A003 STORE 2:4 +FLAGS (\\Deleted)'), { mode: 'add', silent: false, flags: ['\\Deleted'] });
  assert.deepEqual(store('F284 STORE $ +FLAGS.Silent (\\Deleted)'), { mode: 'add', silent: true, flags: ['\\Deleted'] });
});

test('RFC 7162 examples: UNCHANGEDSINCE, 0 included, and flags without parentheses', () => {
  assert.deepEqual(store('a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)'), {
    mode: 'add', silent: true, flags: ['\\Deleted'], unchangedSince: 12121230045,
  });
  assert.deepEqual(store('a104 STORE * (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted $Processed)').flags, ['\\Deleted', '$Processed']);
  assert.deepEqual(store('c101 STORE 50 (UNCHANGEDSINCE 12121230045) -FLAGS.SILENT (\\Deleted)').mode, 'remove');
  assert.equal(store('a102 STORE 12 (UNCHANGEDSINCE 0) +FLAGS.SILENT (\\Seen)').unchangedSince, 0);
  assert.deepEqual(store('A150 STORE 1:2 (UNCHANGEDSINCE 96) +FLAGS.SILENT \\Seen'), { mode: 'add', silent: true, flags: ['\\Seen'], unchangedSince: 96 });
  // Case-insensitive names; system flags come back in their canonical case, keywords as sent.
  assert.deepEqual(store('B001 STORE 1:7 (unchangedsince 320172338) +flags (\\SEEN)').flags, ['\\Seen']);
});

test('FLAGS replaces, may be empty, flags may come one by one', () => {
  assert.deepEqual(parseStoreArgs(args('FLAGS ()')), { mode: 'set', silent: false, flags: [] });
  assert.deepEqual(parseStoreArgs(args('flags.silent \\answered $Forwarded Custom \\X-Ext')), {
    mode: 'set', silent: true, flags: ['\\Answered', '$Forwarded', 'Custom', '\\X-Ext'],
  });
});

test('malformed STORE arguments', () => {
  for (const text of [
    'FLAGS', '+FLAGS.LOUD (\\Seen)', '*FLAGS (\\Seen)', 'FLAG (\\Seen)', '(\\Seen)', '"FLAGS" (\\Seen)',
    'FLAGS ("\\\\Seen")', 'FLAGS (\\*)', 'FLAGS (a%b)', 'FLAGS ((\\Seen))', 'FLAGS (\\Seen) (\\Draft)',
    '() FLAGS (\\Seen)', '(UNCHANGEDSINCE) FLAGS (\\Seen)', '(UNCHANGEDSINCE -1) FLAGS (\\Seen)',
    '(UNCHANGEDSINCE 1 UNCHANGEDSINCE 2) FLAGS (\\Seen)', '(CHANGEDSINCE 1) FLAGS (\\Seen)',
  ]) {
    rejects(() => parseStoreArgs(args(text)));
  }
  rejects(() => parseStoreArgs([]));
});

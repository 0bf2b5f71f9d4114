import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagsToKeywords, keywordToFlag, roleOf, segmentOf } from '../../../src/services/pdpa/format.ts';
import { checkEntryName } from '../../../src/services/pdpa/reader.ts';
import { ServiceError } from '../../../src/services/errors.ts';

test('flags convert both ways and \\Recent is dropped', () => {
  assert.deepEqual(['$seen', '$flagged', '$answered', '$draft', '$deleted', '$forwarded'].map(keywordToFlag), ['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Deleted', '$forwarded']);
  assert.deepEqual(flagsToKeywords(['\\Seen', '\\Recent', '$seen', '\\ANSWERED', 'Custom'], 'flags'), ['$answered', '$seen', 'custom']);
  assert.throws(() => flagsToKeywords(['\\Unknown'], 'flags'), ServiceError);
  assert.throws(() => flagsToKeywords(['two words'], 'flags'), ServiceError);
});

test('roles come from role or special_use in either spelling', () => {
  assert.equal(roleOf(undefined, '\\Sent'), 'sent');
  assert.equal(roleOf(undefined, 'junk'), 'junk');
  assert.equal(roleOf('inbox', undefined), 'inbox');
  assert.equal(roleOf(undefined, '\\Whatever'), null);
  assert.equal(roleOf(42, null), null);
});

test('mailbox names become safe, distinct path segments', () => {
  assert.equal(segmentOf('Work'), 'Work');
  assert.equal(segmentOf('a\\b:c'), 'a%5Cb%3Ac');
  assert.equal(segmentOf('100%'), '100%25');
  assert.equal(segmentOf('folder.json'), '%66older.json');
  assert.equal(segmentOf('1.eml'), '%31.eml');
  assert.equal(segmentOf('.hidden'), '%2Ehidden');
  assert.notEqual(segmentOf('%41'), segmentOf('A'));
});

test('entry names that could escape the extraction directory are refused', () => {
  for (const bad of ['../x', 'mail/../../x', '/etc/passwd', 'C:/x', 'mail\\x', 'mail//x', 'mail/./x', '', 'a\u0000b']) {
    assert.throws(() => checkEntryName(bad), ServiceError, JSON.stringify(bad));
  }
  for (const ok of ['archive.json', 'mail/INBOX/1.eml', 'mail/Work/2024/folder.json', 'contacts/', 'mail/a..b/x.eml']) checkEntryName(ok);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadCharsetError, parseSearchArgs, type SearchKey } from '../../../src/protocols/imap/search-args.ts';
import { args, command, rejects } from './fixtures.ts';

/** A SEARCH command, given as it is on the wire with its literals non-synchronizing. */
const search = (line: string) => parseSearchArgs(command(line).args);
const key = (text: string): SearchKey => parseSearchArgs(args(text)).key;
const flag = (name: string, set: boolean): SearchKey => ({ op: 'flag', flag: name, set });
const seq = (from: number | '*', to: number | '*' = from) => ({ from, to });

test('RFC 3501 §6.4.4 examples', () => {
  assert.deepEqual(search('A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'), {
    charset: null,
    returns: null,
    key: { op: 'and', keys: [flag('\\Flagged', true), { op: 'date', field: 'internal', cmp: 'since', date: '1994-02-01' }, { op: 'not', key: { op: 'text', field: 'from', value: 'Smith' } }] },
  });
  assert.deepEqual(search('A283 SEARCH TEXT "string not in mailbox"').key, { op: 'text', field: 'text', value: 'string not in mailbox' });
  assert.deepEqual(search('A284 SEARCH CHARSET UTF-8 TEXT {6+}\r\nXXXXXX'), { charset: 'UTF-8', returns: null, key: { op: 'text', field: 'text', value: 'XXXXXX' } });
});

test('RFC 9051 §6.4.4 examples: ESEARCH RETURN options, UTF-8 literals', () => {
  assert.deepEqual(search('A282 SEARCH RETURN (MIN COUNT) FLAGGED').returns, ['MIN', 'COUNT']);
  assert.deepEqual(search('A283 SEARCH RETURN () FLAGGED').returns, []);
  assert.deepEqual(search('A285 SEARCH CHARSET UTF-8 TEXT {12+}\r\nотпуск').key, { op: 'text', field: 'text', value: 'отпуск' });
  assert.deepEqual(search('A285 UID SEARCH RETURN (MIN MAX) 1:5000'), { charset: null, returns: ['MIN', 'MAX'], key: { op: 'seq', set: [seq(1, 5000)] } });
  assert.deepEqual(search('A286 SEARCH RETURN (COUNT) DELETED').key, flag('\\Deleted', true));
  assert.deepEqual(search('C286 SEARCH RETURN (MAX SAVE MIN COUNT) SINCE 12-Feb-2006 NOT FROM "Smith"').returns, ['MAX', 'SAVE', 'MIN', 'COUNT']);
  assert.deepEqual(search('C283 SEARCH RETURN (ALL SAVE) SINCE 12-Feb-2006 NOT FROM "Smith"').returns, ['ALL', 'SAVE']);
});

test('RFC 5182 examples: $ as a sequence set, inside OR too', () => {
  assert.deepEqual(search('A301 UID SEARCH UID $ SMALLER 4096').key, { op: 'and', keys: [{ op: 'uid', set: '$' }, { op: 'size', cmp: 'smaller', size: 4096 }] });
  assert.deepEqual(search('A301 UID SEARCH $ SMALLER 4096').key, { op: 'and', keys: [{ op: 'seq', set: '$' }, { op: 'size', cmp: 'smaller', size: 4096 }] });
  assert.deepEqual(search('P283 SEARCH CHARSET UTF-8 (OR $ 1,3000:3021) TEXT {8+}\r\nмать').key, {
    op: 'and',
    keys: [{ op: 'or', a: { op: 'seq', set: '$' }, b: { op: 'seq', set: [seq(1), seq(3000, 3021)] } }, { op: 'text', field: 'text', value: 'мать' }],
  });
});

test('an unknown charset is NO [BADCHARSET], carrying the RETURN options (SAVE then empties $)', () => {
  assert.throws(
    () => search('B283 SEARCH RETURN (SAVE) CHARSET KOI8-R (OR $ 1,3000:3021) TEXT {4+}\r\nXXXX'),
    (err: unknown) => err instanceof BadCharsetError && err.code === 'BADCHARSET' && err.returns?.[0] === 'SAVE',
  );
  rejects(() => key('CHARSET ISO-8859-1 ALL'), 'BADCHARSET');
  assert.equal(parseSearchArgs(args('charset "us-ascii" ALL')).charset, 'US-ASCII');
  rejects(() => key('CHARSET'));
});

test('RFC 7162 MODSEQ, with and without its entry name and type', () => {
  assert.deepEqual(search('a SEARCH MODSEQ "/flags/\\\\draft" all 620162338').key, { op: 'modseq', modseq: 620162338 });
  assert.deepEqual(search('a1 SEARCH RETURN (MIN) MODSEQ "/flags/\\\\draft" all 620162338').returns, ['MIN']);
  assert.deepEqual(search('t SEARCH OR NOT MODSEQ 720162338 LARGER 50000').key, {
    op: 'or', a: { op: 'not', key: { op: 'modseq', modseq: 720162338 } }, b: { op: 'size', cmp: 'larger', size: 50000 },
  });
  assert.deepEqual(key('MODSEQ "/flags/$Junk" priv 0'), { op: 'modseq', modseq: 0 });
  for (const text of ['MODSEQ', 'MODSEQ x', 'MODSEQ "/flags/\\\\seen" 5', 'MODSEQ "/flags/\\\\seen" mine 5', 'MODSEQ "/other" all 5', 'MODSEQ -1']) rejects(() => key(text));
});

test('RFC 8474 EMAILID and THREADID', () => {
  assert.deepEqual(search('27 search emailid M6d99ac3275bb4e').key, { op: 'emailid', id: 'M6d99ac3275bb4e' });
  assert.deepEqual(search('28 search threadid T64b478a75b7ea9').key, { op: 'threadid', id: 'T64b478a75b7ea9' });
  for (const text of ['EMAILID', 'EMAILID a.b', `THREADID ${'x'.repeat(256)}`, 'EMAILID ""']) rejects(() => key(text));
});

test('every flag key, RECENT/NEW/OLD, KEYWORD and UNKEYWORD', () => {
  const pairs: [string, SearchKey][] = [
    ['ANSWERED', flag('\\Answered', true)], ['UNANSWERED', flag('\\Answered', false)],
    ['DELETED', flag('\\Deleted', true)], ['UNDELETED', flag('\\Deleted', false)],
    ['DRAFT', flag('\\Draft', true)], ['UNDRAFT', flag('\\Draft', false)],
    ['FLAGGED', flag('\\Flagged', true)], ['UNFLAGGED', flag('\\Flagged', false)],
    ['seen', flag('\\Seen', true)], ['Unseen', flag('\\Seen', false)],
    ['RECENT', flag('\\Recent', true)], ['OLD', flag('\\Recent', false)],
    ['NEW', { op: 'and', keys: [flag('\\Recent', true), flag('\\Seen', false)] }],
    ['KEYWORD $Junk', flag('$Junk', true)], ['UNKEYWORD Work', flag('Work', false)], ['ALL', { op: 'all' }],
  ];
  for (const [text, expected] of pairs) assert.deepEqual(key(text), expected, text);
  for (const text of ['KEYWORD', 'KEYWORD \\Seen', 'KEYWORD "x"', 'KEYWORD (a)', 'UNKEYWORD a%b']) rejects(() => key(text));
});

test('text, header, size, uid, sequence-set and RFC 5032 OLDER/YOUNGER keys', () => {
  for (const field of ['text', 'body', 'subject', 'from', 'to', 'cc', 'bcc']) {
    assert.deepEqual(key(`${field.toUpperCase()} "a b"`), { op: 'text', field, value: 'a b' });
  }
  assert.deepEqual(key('BODY ""'), { op: 'text', field: 'body', value: '' });
  assert.deepEqual(key('HEADER Message-ID "<x@y>"'), { op: 'header', name: 'Message-ID', value: '<x@y>' });
  assert.deepEqual(key('HEADER X-Spam ""'), { op: 'header', name: 'X-Spam', value: '' });
  assert.deepEqual(key('LARGER 0'), { op: 'size', cmp: 'larger', size: 0 });
  assert.deepEqual(key('SMALLER 5000000000'), { op: 'size', cmp: 'smaller', size: 5000000000 });
  assert.deepEqual(key('UID 1:*'), { op: 'uid', set: [seq(1, '*')] });
  assert.deepEqual(key('2,4:7,9,12:*'), { op: 'seq', set: [seq(2), seq(4, 7), seq(9), seq(12, '*')] });
  assert.deepEqual(key('*'), { op: 'seq', set: [seq('*')] });
  assert.deepEqual(key('OLDER 3600'), { op: 'older', seconds: 3600 });
  assert.deepEqual(key('YOUNGER 60'), { op: 'younger', seconds: 60 });
  for (const text of ['TEXT', 'TEXT (a)', 'HEADER Subject', 'LARGER', 'LARGER -1', 'LARGER x', 'UID', 'UID x', 'UID 0', '0', '1:0', 'OLDER 0', 'YOUNGER']) {
    rejects(() => key(text));
  }
});

test('dates: every date key, month in any case, bare or quoted, real days only', () => {
  const date = (field: 'internal' | 'sent', cmp: 'before' | 'on' | 'since', d: string): SearchKey => ({ op: 'date', field, cmp, date: d });
  assert.deepEqual(key('BEFORE 1-feb-1994'), date('internal', 'before', '1994-02-01'));
  assert.deepEqual(key('ON "15-DEC-2020"'), date('internal', 'on', '2020-12-15'));
  assert.deepEqual(key('SINCE 09-Jul-2001'), date('internal', 'since', '2001-07-09'));
  assert.deepEqual(key('SENTBEFORE 29-Feb-2024'), date('sent', 'before', '2024-02-29'));
  assert.deepEqual(key('SENTON 29-Feb-2000'), date('sent', 'on', '2000-02-29'));
  assert.deepEqual(key('SENTSINCE 31-Dec-1999'), date('sent', 'since', '1999-12-31'));
  for (const d of ['29-Feb-2023', '29-Feb-1900', '31-Apr-2020', '0-Jan-2020', '32-Jan-2020', '001-Jan-2020', '1-Jan-94', '1-Foo-2020', '1 Jan 2020', '2020-01-01', '{10+}\r\n1-Jan-2020']) {
    rejects(() => key(`SINCE ${d}`));
  }
  rejects(() => key('SINCE'));
});

test('NOT, OR, parenthesised groups and implicit AND nest as written', () => {
  assert.deepEqual(key('OR OR SEEN DRAFT NOT (FLAGGED DELETED) ANSWERED'), {
    op: 'and',
    keys: [
      { op: 'or', a: { op: 'or', a: flag('\\Seen', true), b: flag('\\Draft', true) }, b: { op: 'not', key: { op: 'and', keys: [flag('\\Flagged', true), flag('\\Deleted', true)] } } },
      flag('\\Answered', true),
    ],
  });
  assert.deepEqual(key('NOT NOT SEEN'), { op: 'not', key: { op: 'not', key: flag('\\Seen', true) } });
  assert.deepEqual(key('(SEEN)'), flag('\\Seen', true));
  for (const text of ['NOT', 'OR SEEN', 'SEEN NOT', '()', '(SEEN) OR', 'FOO', '"ALL"', 'SEEN FOO']) rejects(() => key(text));
  rejects(() => parseSearchArgs([]));
});

test('a very long OR chain is parsed without deep recursion', () => {
  const n = 50000;
  const parsed = key(`${'OR '.repeat(n)}${'SEEN '.repeat(n)}SEEN`);
  let depth = 0;
  for (let k = parsed; k.op === 'or'; k = k.a) depth++;
  assert.equal(depth, n);
});

test('RETURN: only the known options, a list, before CHARSET', () => {
  assert.deepEqual(parseSearchArgs(args('return (save all save) charset utf-8 ALL')), { charset: 'UTF-8', returns: ['SAVE', 'ALL'], key: { op: 'all' } });
  for (const text of ['RETURN ALL', 'RETURN (PARTIAL 1:10) ALL', 'RETURN (MIN)', 'CHARSET UTF-8 RETURN (MIN) ALL']) rejects(() => key(text));
});

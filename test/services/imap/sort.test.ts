import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EmailAddress } from '../../../src/mime/types.ts';
import { baseSubject, sortMessages, type SortCriterion, type SortMessage } from '../../../src/services/imap/sort.ts';

const DAY = 86_400_000;

function message(uid: number, fields: Partial<SortMessage> = {}): SortMessage {
  return { uid, internalDate: uid * DAY, sentDate: null, size: 100, subject: null, from: [], to: [], cc: [], ...fields };
}

const addr = (email: string, name: string | null = null): EmailAddress => ({ name, email });

/** Criteria written as in a SORT command, e.g. 'SUBJECT REVERSE DATE'. */
function criteria(text: string): SortCriterion[] {
  const out: SortCriterion[] = [];
  let reverse = false;
  for (const word of text.split(' ').filter(Boolean)) {
    if (word === 'REVERSE') reverse = true;
    else {
      out.push({ key: word as SortCriterion['key'], reverse });
      reverse = false;
    }
  }
  return out;
}

const sort = (messages: SortMessage[], text: string) => sortMessages(messages, criteria(text));

test('RFC 5256 §2.1 base subject: leaders, blobs, trailers and [fwd: …] wrappers, nested', () => {
  const cases: [string | null, string][] = [
    [null, ''],
    ['', ''],
    ['Hello', 'Hello'],
    ['Re: Hello', 'Hello'],
    ['RE: re: Fwd: FW: fw: Hello', 'Hello'],
    ['Re:Hello', 'Hello'],
    ['re : Hello', 'Hello'],
    ['Re[2]: Hello', 'Hello'],
    ['Re [2] : Hello', 'Hello'],
    ['Re: [list] Fwd: x (fwd)', 'x'],
    ['[list] [other] Re: [list] Re: Hello', 'Hello'],
    ['Re: [PATCH v2] fix it', 'fix it'],
    ['[fwd: Hello]', 'Hello'],
    ['[Fwd: Re: [list] Hello (fwd)] (FWD)', 'Hello'],
    ['[fwd: [fwd: Re: Hello]]', 'Hello'],
    ['Hello (fwd) (fwd)  ', 'Hello'],
    ['Hello(fwd)', 'Hello'],
    ['  Hello \t\r\n  World  ', 'Hello World'],
    // A blob goes only when something is left after it; the last one of a run stays.
    ['[list]', '[list]'],
    ['[a][b]', '[b]'],
    ['[a] [b] ', '[b]'],
    ['Re: [list]', '[list]'],
    ['[fwd:]', ''],
    ['[a]: Hello', ': Hello'],
    ['Re:', ''],
    ['Re: (fwd)', ''],
    // Not leaders: no colon, another word, or a translation the RFC leaves alone.
    ['Re Hello', 'Re Hello'],
    ['Reply: Hello', 'Reply: Hello'],
    ['Fwd', 'Fwd'],
    ['AW: Hello', 'AW: Hello'],
    ['Hello [fwd: x]', 'Hello [fwd: x]'],
  ];
  for (const [subject, base] of cases) assert.equal(baseSubject(subject), base, JSON.stringify(subject));
});

test('base subject of a long run of leaders or blobs is linear, not quadratic', () => {
  assert.equal(baseSubject(`${'Re: '.repeat(100_000)}x`), 'x');
  assert.equal(baseSubject('[a]'.repeat(100_000)), '[a]');
  assert.equal(baseSubject(`${'[fwd: '.repeat(1000)}x${']'.repeat(1000)}`), 'x');
});

test('RFC 5256 §3 example: SORT (SUBJECT REVERSE DATE), equal dates left in mailbox order', () => {
  const messages = [
    message(1, { subject: 'gamma', sentDate: 50 }),
    message(2, { subject: 'Fwd: GAMMA', sentDate: 50 }),
    message(3, { subject: 'alpha', sentDate: 10 }),
    message(4, { subject: '[list] beta', sentDate: 40 }),
    message(5, { subject: 'Re: alpha', sentDate: 30 }),
  ];
  assert.deepEqual(sort(messages, 'SUBJECT REVERSE DATE'), [5, 3, 4, 1, 2]);
  // REVERSE turns its own criterion round, not the implicit one.
  assert.deepEqual(sort(messages, 'REVERSE SUBJECT'), [1, 2, 4, 3, 5]);
  assert.deepEqual(sort(messages, 'SUBJECT'), [3, 5, 4, 1, 2]);
});

test('ties are broken by UID, whatever order the messages come in', () => {
  const messages = [message(9), message(3), message(7)].map((m) => ({ ...m, size: 5 }));
  assert.deepEqual(sort(messages, 'SIZE'), [3, 7, 9]);
  assert.deepEqual(sort(messages, 'REVERSE SIZE'), [3, 7, 9]);
  assert.deepEqual(sort(messages, ''), [3, 7, 9]);
});

test('ARRIVAL is the internal date; DATE the sent date, or the internal date without one', () => {
  const messages = [message(1, { internalDate: 300, sentDate: 100 }), message(2, { internalDate: 200, sentDate: null }), message(3, { internalDate: 100, sentDate: 250 })];
  assert.deepEqual(sort(messages, 'ARRIVAL'), [3, 2, 1]);
  assert.deepEqual(sort(messages, 'DATE'), [1, 2, 3]);
  assert.deepEqual(sort(messages, 'REVERSE DATE'), [3, 2, 1]);
});

test('SIZE, and criteria in priority order', () => {
  const messages = [message(1, { size: 30, subject: 'b' }), message(2, { size: 10, subject: 'b' }), message(3, { size: 20, subject: 'a' })];
  assert.deepEqual(sort(messages, 'SIZE'), [2, 3, 1]);
  assert.deepEqual(sort(messages, 'REVERSE SIZE'), [1, 3, 2]);
  assert.deepEqual(sort(messages, 'SUBJECT SIZE'), [3, 2, 1]);
  assert.deepEqual(sort(messages, 'REVERSE SUBJECT REVERSE SIZE'), [1, 2, 3]);
});

test('FROM, TO and CC: the local part of the first address, without regard to case; none is ""', () => {
  const messages = [
    message(1, { from: [addr('Zoe@a.example')], to: [addr('b@x.example'), addr('a@x.example')] }),
    message(2, { from: [addr('bob@z.example', 'Aaron')], cc: [addr('c@x.example')] }),
    message(3, { from: [], to: [addr('A@y.example')], cc: [addr('B@x.example')] }),
    message(4, { from: [addr('alice@z.example')] }),
  ];
  assert.deepEqual(sort(messages, 'FROM'), [3, 4, 2, 1]);
  assert.deepEqual(sort(messages, 'TO'), [2, 4, 3, 1]);
  assert.deepEqual(sort(messages, 'CC'), [1, 4, 3, 2]);
  assert.deepEqual(sort(messages, 'REVERSE FROM'), [1, 2, 4, 3]);
});

test('RFC 5957 DISPLAYFROM and DISPLAYTO: the display name, or else the address', () => {
  const messages = [
    message(1, { from: [addr('zed@x.example', 'Adam')], to: [addr('b@x.example')] }),
    message(2, { from: [addr('carol@x.example')], to: [addr('a@x.example', 'Zara'), addr('0@x.example', '0')] }),
    message(3, { from: [addr('ann@x.example', '')], to: [] }),
    message(4, { from: [addr('x@x.example', 'bert')] }),
  ];
  assert.deepEqual(sort(messages, 'DISPLAYFROM'), [1, 3, 4, 2]);
  assert.deepEqual(sort(messages, 'DISPLAYTO'), [3, 4, 1, 2]);
  assert.deepEqual(sort(messages, 'FROM'), [3, 2, 4, 1]);
});

test('strings collate as i;unicode-casemap: case and composition ignored, then code point order', () => {
  const subjects = ['_under', 'apple', 'APPLE', 'e\u0301clair', 'éclair', '\u{1F600}', '\uFFFD', 'Re: banana'];
  const messages = subjects.map((subject, i) => message(i + 1, { subject }));
  // Letters before "_" as titlecase has it; U+FFFD before U+1F600 as in UTF-8, not UTF-16.
  assert.deepEqual(sort(messages, 'SUBJECT'), [2, 3, 8, 4, 5, 1, 7, 6]);
});

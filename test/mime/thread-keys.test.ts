import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReplyOrForward, normalizeSubject } from '../../src/mime/thread-keys.ts';

test('normalizeSubject: RFC 5256 §2.1 base subject', () => {
  const cases: [string | null, string][] = [
    ['Hello', 'hello'],
    ['Re: Hello', 'hello'],
    ['RE: re: Fwd: Hello', 'hello'],
    ['Re:Hello', 'hello'],
    ['Fw : Hello', 'hello'],
    ['Re[2]: Hello', 'hello'],
    ['Re [2]: Hello', 'hello'],
    ['[list] Re: Hello', 'hello'],
    ['Re: [list] Hello', 'hello'],
    ['[list] [other] Re: [list] Re: Hello', 'hello'],
    ['Re: [PATCH v2] fix it', 'fix it'],
    ['[Fwd: Hello]', 'hello'],
    ['[Fwd: Re: Hello] (fwd)', 'hello'],
    ['Hello (fwd)', 'hello'],
    ['Hello (fwd) (FWD)  ', 'hello'],
    ['  Hello \t  World  ', 'hello world'],
    ['AW: Sv: VS: WG: Hello', 'hello'],
    ['回复：你好', '你好'],
    ['[list]', '[list]'],
    ['Re: [list]', '[list]'],
    ['Reply: Hello', 'reply: hello'],
    ['Re Hello', 're hello'],
    ['Re:', ''],
    ['=?utf-8?Q?Re:_Gr=C3=BC=C3=9Fe?=', 'grüße'],
    ['', ''],
    [null, ''],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeSubject(input), expected, String(input));
});

test('isReplyOrForward', () => {
  assert.equal(isReplyOrForward('Re: x'), true);
  assert.equal(isReplyOrForward('FWD: x'), true);
  assert.equal(isReplyOrForward('[list] Re: x'), true);
  assert.equal(isReplyOrForward('x (fwd)'), true);
  assert.equal(isReplyOrForward('[Fwd: x]'), true);
  assert.equal(isReplyOrForward('AW: x'), true);
  assert.equal(isReplyOrForward('[list] x'), false);
  assert.equal(isReplyOrForward('Hello'), false);
  assert.equal(isReplyOrForward('Re x'), false);
  assert.equal(isReplyOrForward('Regarding: x'), false);
  assert.equal(isReplyOrForward(null), false);
});

test('normalizeSubject stays fast on hostile input', () => {
  const start = performance.now();
  normalizeSubject('Re: '.repeat(100_000) + 'x');
  normalizeSubject('['.repeat(100_000));
  normalizeSubject('[a]'.repeat(100_000));
  assert.ok(performance.now() - start < 500);
});

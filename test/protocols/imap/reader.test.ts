import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandReader, type ReaderEvent, type Token } from '../../../src/protocols/imap/reader.ts';
import { args, atom, command, events, LIMITS, list, lit, str } from './fixtures.ts';

const bad = (tag: string | null, message: RegExp | string, fatal = false) => ({ tag, message, fatal });

function assertError(event: ReaderEvent | undefined, expected: { tag: string | null; message: RegExp | string; fatal: boolean }, code?: 'TOOBIG') {
  assert.ok(event && event.kind === 'error', JSON.stringify(event));
  assert.equal(event.tag, expected.tag);
  assert.equal(event.fatal, expected.fatal);
  assert.equal(event.code, code);
  if (typeof expected.message === 'string') assert.equal(event.message, expected.message);
  else assert.match(event.message, expected.message);
}

const invite = (tag: string, name: string, args: Token[], size: number): ReaderEvent => ({ kind: 'continue', command: { tag, name, args }, size });
const names = (out: ReaderEvent[]) => out.map((e) => (e.kind === 'command' ? `${e.command.tag} ${e.command.name}` : e.kind));

test('tag, upper-cased name and no arguments', () => {
  assert.deepEqual(command('a001 capability'), { tag: 'a001', name: 'CAPABILITY', args: [] });
  assert.deepEqual(command('A1 noop'), { tag: 'A1', name: 'NOOP', args: [] });
  // Tags may hold any ASTRING-CHAR but "+", "]" and "[" included.
  assert.equal(command('x]y[z.1 NOOP').tag, 'x]y[z.1');
});

test('UID commands are named with their sub-command', () => {
  for (const sub of ['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE', 'SORT', 'THREAD']) {
    assert.equal(command(`A1 uid ${sub.toLowerCase()} 1`).name, `UID ${sub}`);
  }
  assert.deepEqual(command('A999 UID FETCH 4827313:4828442 FLAGS').args, [atom('4827313:4828442'), atom('FLAGS')]);
});

test('atoms: NIL, numbers, flags, sequence sets, $, LIST patterns', () => {
  assert.deepEqual(args('NIL 42 \\Seen $Junk 1:*,3 $ % * foo/%'), [
    atom('NIL'), atom('42'), atom('\\Seen'), atom('$Junk'), atom('1:*,3'), atom('$'), atom('%'), atom('*'), atom('foo/%'),
  ]);
});

test('quoted strings: \\" and \\\\ escapes, UTF-8 allowed', () => {
  assert.deepEqual(args('"" "a b" "say \\"hi\\"" "back\\\\slash"'), [str(''), str('a b'), str('say "hi"'), str('back\\slash')]);
  assert.deepEqual(args('"Grüße 😀"'), [str('Grüße 😀')]);
  for (const text of ['"\\n"', '"\\a"', '"open', '"tab\\"']) {
    assertError(events([`A X ${text}\r\n`])[0], bad('A', /escape|unterminated/));
  }
  assertError(events([Buffer.from('A X "\xfc"\r\n', 'latin1')])[0], bad('A', /UTF-8/));
  assertError(events([Buffer.from('A X "a\rb"\r\n', 'latin1')])[0], bad('A', /CR/));
});

test('lists nest and may be empty', () => {
  assert.deepEqual(args('() (a (b "c") ()) x'), [list(), list(atom('a'), list(atom('b'), str('c')), list()), atom('x')]);
});

test('fetch attributes carry their section tokens and partial range', () => {
  assert.deepEqual(args('1 BODY[]'), [atom('1'), { type: 'fetchatt', value: 'BODY', section: [] }]);
  assert.deepEqual(args('2:4 (FLAGS body.peek[1.2.HEADER.FIELDS (From "To")]<0.2048>)')[1], list(atom('FLAGS'), {
    type: 'fetchatt',
    value: 'BODY.PEEK',
    section: [atom('1.2.HEADER.FIELDS'), list(atom('From'), str('To'))],
    partial: { start: 0, length: 2048 },
  }));
  assert.deepEqual(args('1 (BINARY[1] BINARY.PEEK[2]<5.10> BINARY.SIZE[3])')[1], list(
    { type: 'fetchatt', value: 'BINARY', section: [atom('1')] },
    { type: 'fetchatt', value: 'BINARY.PEEK', section: [atom('2')], partial: { start: 5, length: 10 } },
    { type: 'fetchatt', value: 'BINARY.SIZE', section: [atom('3')] },
  ));
  // Inside a list within the section "]" is an astring character again.
  assert.deepEqual(args('1 BODY[HEADER.FIELDS (X])]')[1], { type: 'fetchatt', value: 'BODY', section: [atom('HEADER.FIELDS'), list(atom('X]'))] });
  for (const bad of ['BODY[]<1>', 'BODY[]<1.0>', 'BODY[]<a.b>', 'BODY[]<1.2', 'BODY[]x', 'BODY[', 'BODY[TEXT (a]']) {
    assert.equal(events([`A FETCH 1 ${bad}\r\n`])[0].kind, 'error', bad);
  }
});

test('"[" and "]" are ordinary characters outside sections', () => {
  assert.deepEqual(command('A3 LIST "" [Gmail]/*').args, [str(''), atom('[Gmail]/*')]);
  assert.deepEqual(args('[a] x] XBODY[1]'), [atom('[a]'), atom('x]'), atom('XBODY[1]')]);
});

test('syntax errors answer BAD with the tag when it is known', () => {
  const cases: [string, string | null][] = [
    ['', null], ['+A NOOP', null], ['A+ NOOP', null], ['(A NOOP', null], ['A', 'A'], ['A  NOOP', 'A'],
    ['A NOOP ', 'A'], ['A X  y', 'A'], ['A X (a', 'A'], ['A X a)', 'A'], ['A X (a )', 'A'], ['A X a{3}b', 'A'],
    ['A X \\', 'A'], ['A X a\\b', 'A'], ['A X \x01', 'A'], ['A X é', 'A'], ['A UID', 'A'], ['A UID ', 'A'], ['A X "a"b', 'A'],
  ];
  for (const [line, tag] of cases) {
    const out = events([`${line}\r\n`]);
    assert.equal(out.length, 1, line);
    assertError(out[0], bad(tag, /./));
  }
});

test('the RFC 9051 §7.6 literal example: a continuation per synchronizing literal', () => {
  const reader = new CommandReader(LIMITS);
  assert.deepEqual(reader.push(Buffer.from('A001 LOGIN {11}\r\n')), [invite('A001', 'LOGIN', [], 11)]);
  assert.deepEqual(reader.push(Buffer.from('FRED FOOBAR {7}\r\n')), [invite('A001', 'LOGIN', [lit('FRED FOOBAR')], 7)]);
  assert.deepEqual(reader.push(Buffer.from('fat man\r\n')), [{ kind: 'command', command: { tag: 'A001', name: 'LOGIN', args: [lit('FRED FOOBAR'), lit('fat man')] } }]);
});

test('non-synchronizing literals (RFC 7888 example) and literal8', () => {
  assert.deepEqual(events(['A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n']), [
    { kind: 'command', command: { tag: 'A001', name: 'LOGIN', args: [lit('FRED FOOBAR'), lit('fat man')] } },
  ]);
  const data = Buffer.from([0, 1, 2, 0x0d, 0x0a, 0]);
  const out = events(['A APPEND INBOX ~{6}\r\n', data, '\r\n']);
  assert.deepEqual(out, [invite('A', 'APPEND', [atom('INBOX')], 6), { kind: 'command', command: { tag: 'A', name: 'APPEND', args: [atom('INBOX'), lit(data, true)] } }]);
  assert.deepEqual(events(['A X ~{1+}\r\n\0 {0}\r\n\r\n']).map((e) => e.kind), ['continue', 'command']);
});

test('literals inside lists and sections, empty literals, text after a literal', () => {
  assert.deepEqual(args('({1+}\r\na {0+}\r\n) x'), [list(lit('a'), lit('')), atom('x')]);
  assert.deepEqual(args('1 BODY[HEADER.FIELDS ({4+}\r\nFrom)]<0.5>')[1], {
    type: 'fetchatt', value: 'BODY', section: [atom('HEADER.FIELDS'), list(lit('From'))], partial: { start: 0, length: 5 },
  });
  assertError(events(['A X {1+}\r\nab\r\n'])[0], bad('A', /space/));
});

test('APPEND examples of RFC 9051 §6.3.12, with {n} and {n+}', () => {
  const message = 'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\n\r\nHello Joe\r\n';
  const size = Buffer.byteLength(message);
  const limits = { ...LIMITS, maxLiteralBytes: 1000 };
  const sync = events([`A003 APPEND saved-messages (\\Seen) {${size}}\r\n`, message, '\r\n'], limits);
  const expected = { tag: 'A003', name: 'APPEND', args: [atom('saved-messages'), list(atom('\\Seen')), lit(message)] };
  assert.deepEqual(sync, [invite('A003', 'APPEND', [atom('saved-messages'), list(atom('\\Seen'))], size), { kind: 'command', command: expected }]);
  assert.deepEqual(events([`A003 APPEND saved-messages (\\Seen) {${size}+}\r\n${message}\r\n`], limits), [{ kind: 'command', command: expected }]);
});

test('a command is given out only once complete, whatever the chunking (byte by byte)', () => {
  const stream =
    'A1 LOGIN {5}\r\nalice "s\\"cret"\r\n' +
    'A2 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From {2+}\r\nTo)]<0.10>)\n' +
    'A3 APPEND INBOX ~{3+}\r\n\0\r\n\r\n' +
    'A4 BAD(\r\n' +
    'A5 NOOP\r\n';
  const whole = events([stream]);
  assert.deepEqual(names(whole), ['continue', 'A1 LOGIN', 'A2 FETCH', 'A3 APPEND', 'error', 'A5 NOOP']);
  const bytes = Buffer.from(stream);
  const single = events([...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(single, whole);
  // Each command arrives with the byte that completes it and not before.
  const reader = new CommandReader(LIMITS);
  const complete = Buffer.from('A NOOP\r');
  for (const b of complete) assert.deepEqual(reader.push(Buffer.from([b])), []);
  assert.equal(reader.push(Buffer.from('\n'))[0].kind, 'command');
});

test('CRLF and bare LF both end a line', () => {
  assert.deepEqual(names(events(['A NOOP\nB NOOP\r\nC NOOP\n'])), ['A NOOP', 'B NOOP', 'C NOOP']);
});

test('a line over maxLineBytes is BAD, the stream goes on', () => {
  const long = `A1 X ${'x'.repeat(300)}\r\nA2 NOOP\r\n`;
  const out = events([long]);
  assertError(out[0], bad('A1', /too long/));
  assert.deepEqual(names(out), ['error', 'A2 NOOP']);
  assert.deepEqual(events([...Buffer.from(long)].map((b) => Buffer.from([b]))), out);
  // Exactly at the limit is fine; the limit counts every line of the command, not literal data.
  assert.equal(events([`A X ${'x'.repeat(LIMITS.maxLineBytes - 4)}\r\n`])[0].kind, 'command');
  assert.equal(events([`A X ${'x'.repeat(LIMITS.maxLineBytes - 3)}\r\n`])[0].kind, 'error');
  const split = `A X ${'x'.repeat(100)} {2+}\r\nab ${'y'.repeat(100)}\r\nB NOOP\r\n`;
  assert.deepEqual(names(events([split])), ['error', 'B NOOP']);
});

test('an over-long line ending in a non-synchronizing literal has that literal skipped too', () => {
  const out = events([`A1 X ${'x'.repeat(300)} {5+}\r\nB NOO X\r\nA2 NOOP\r\n`]);
  assert.deepEqual(names(out), ['error', 'A2 NOOP']);
  // ... even when the line was cut down to its tail while arriving in small pieces.
  const stream = Buffer.from(`A1 X ${'x'.repeat(300)} {5+}\r\nB NOO X\r\nA2 NOOP\r\n`);
  assert.deepEqual(names(events([...stream].map((b) => Buffer.from([b])))), ['error', 'A2 NOOP']);
  // A synchronizing one was never sent: the client waits for a "+" that does not come.
  assert.deepEqual(names(events([`A1 X ${'x'.repeat(300)} {5}\r\nA2 NOOP\r\n`])), ['error', 'A2 NOOP']);
});

test('a synchronizing literal over the limit is refused before it is sent (TOOBIG, no continuation)', () => {
  // RFC 9051 §7.6: "A044 BLURDYBLOOP {102856}" is answered before the client sends the octets.
  const reader = new CommandReader(LIMITS);
  const out = reader.push(Buffer.from('A044 BLURDYBLOOP {102856}\r\n'));
  assert.equal(out.length, 1);
  assertError(out[0], bad('A044', /limit/), 'TOOBIG');
  assert.deepEqual(names(reader.push(Buffer.from('A045 NOOP\r\n'))), ['A045 NOOP']);
  // The limit holds for all the literals of a command together.
  const two = events(['A LOGIN {60}\r\n', 'x'.repeat(60), ' {41}\r\n']);
  assert.equal(two[0].kind, 'continue');
  assertError(two[1], bad('A', /limit/), 'TOOBIG');
  assert.deepEqual(names(events([`A X {${LIMITS.maxLiteralBytes}}\r\n`, 'x'.repeat(LIMITS.maxLiteralBytes), '\r\n'])), ['continue', 'A X']);
});

test('a non-synchronizing literal over the limit is read and dropped, then TOOBIG', () => {
  const big = 'z'.repeat(1000);
  const stream = `A1 APPEND INBOX {1000+}\r\n${big} {3+}\r\nabc\r\nA2 NOOP\r\n`;
  const out = events([stream]);
  assert.equal(out.length, 2);
  assertError(out[0], bad('A1', /limit/), 'TOOBIG');
  assert.deepEqual(names(out), ['error', 'A2 NOOP']);
  assert.deepEqual(events([...Buffer.from(stream)].map((b) => Buffer.from([b]))), out);
});

test('a syntax error before a literal: a synchronizing one is never invited, a non-synchronizing one is skipped', () => {
  const sync = events(['A X (a)) {3}\r\n', 'B NOOP\r\n']);
  assert.deepEqual(names(sync), ['error', 'B NOOP']);
  const nonSync = events(['A X (a)) {3+}\r\nB N\r\nC NOOP\r\n']);
  assert.deepEqual(names(nonSync), ['error', 'C NOOP']);
  assertError(nonSync[0], bad('A', /space/));
});

test('a non-synchronizing literal of impossible size cannot be skipped: fatal, nothing read after', () => {
  const reader = new CommandReader(LIMITS);
  const out = reader.push(Buffer.from('A X {99999999999999999999+}\r\nB NOOP\r\n'));
  assert.equal(out.length, 1);
  assertError(out[0], bad('A', /range/, true));
  assert.deepEqual(reader.push(Buffer.from('C NOOP\r\n')), []);
  // The same count on a synchronizing literal is simply refused: the client waits.
  assert.deepEqual(names(events(['A X {99999999999999999999}\r\nB NOOP\r\n'])), ['error', 'B NOOP']);
  // An over-long line cut to its tail that ends in digits and "+}" may hide such a count.
  const hidden = events([`A X ${'x'.repeat(300)}`, `{${'9'.repeat(100)}+}\r\n`]);
  assertError(hidden[0], bad('A', /range/, true));
});

test('NUL only travels in literal8', () => {
  const out = events(['A X {3+}\r\na\0b\r\nB NOOP\r\n']);
  assertError(out[0], bad('A', /NUL/));
  assert.deepEqual(names(out), ['error', 'B NOOP']);
});

test('list nesting is bounded by maxDepth (sections count too)', () => {
  const limits = { ...LIMITS, maxDepth: 2 };
  assert.equal(events(['A X ((a))\r\n'], limits)[0].kind, 'command');
  assertError(events(['A X (((a)))\r\n'], limits)[0], bad('A', /nested/));
  assert.equal(events(['A FETCH 1 (BODY[HEADER.FIELDS (a)])\r\n'], limits)[0].kind, 'error');
});

test('raw lines for AUTHENTICATE and IDLE', () => {
  const reader = new CommandReader(LIMITS);
  assert.deepEqual(names(reader.push(Buffer.from('A1 IDLE\r\n'))), ['A1 IDLE']);
  reader.expectRawLine();
  assert.deepEqual(reader.push(Buffer.from('DON')), []);
  assert.deepEqual(reader.push(Buffer.from('E\r\nA2 AUTHENTICATE PLAIN\r\n')), [
    { kind: 'raw', line: 'DONE' },
    { kind: 'command', command: { tag: 'A2', name: 'AUTHENTICATE', args: [atom('PLAIN')] } },
  ]);
  reader.expectRawLine();
  // Base64 with "+", "/" and "=" and nothing else parsed: a "{5}" at the end is no literal here.
  assert.deepEqual(reader.push(Buffer.from('dGVzdAB0+/ZXN0AHRlc3Q= {5}\n')), [{ kind: 'raw', line: 'dGVzdAB0+/ZXN0AHRlc3Q= {5}' }]);
  reader.expectRawLine();
  const tooLong = reader.push(Buffer.from(`${'x'.repeat(300)}\r\nA3 NOOP\r\n`));
  assertError(tooLong[0], bad(null, /too long/));
  assert.deepEqual(names(tooLong), ['error', 'A3 NOOP']);
});

test('the session may answer a command instead of inviting its literal (RFC 9051 §7.6: A044 BLURDYBLOOP)', () => {
  const limits = { ...LIMITS, maxLiteralBytes: 200000 };
  const reader = new CommandReader(limits);
  assert.deepEqual(reader.push(Buffer.from('A044 BLURDYBLOOP {102856}\r\n')), [invite('A044', 'BLURDYBLOOP', [], 102856)]);
  reader.refuseLiteral();
  assert.deepEqual(names(reader.push(Buffer.from('A045 NOOP\r\n'))), ['A045 NOOP']);
  // {0} too: the client waits for "+" before the rest of the line.
  const empty = new CommandReader(limits);
  assert.equal(empty.push(Buffer.from('A1 APPEND Nowhere {0}\r\n'))[0].kind, 'continue');
  empty.refuseLiteral();
  assert.deepEqual(names(empty.push(Buffer.from('A2 NOOP\r\n'))), ['A2 NOOP']);
  // Once bytes have come after the invitation, the command stands.
  const late = new CommandReader(limits);
  late.push(Buffer.from('A1 LOGIN {3}\r\n'));
  late.push(Buffer.from('a'));
  late.refuseLiteral();
  assert.deepEqual(names(late.push(Buffer.from('bc b\r\n'))), ['A1 LOGIN']);
});

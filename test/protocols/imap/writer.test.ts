import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atom } from '../../../src/protocols/imap/data.ts';
import { ByteSink } from '../../../src/protocols/imap/sink.ts';
import { encode, encodeItems } from '../../../src/protocols/imap/writer.ts';

const ascii = { utf8: false };

test('NIL, numbers, atoms and nested lists', () => {
  assert.equal(encode([null, 42, 10n ** 15n, atom('\\Seen'), [atom('A'), []]], ascii).toString(), '(NIL 42 1000000000000000 \\Seen (A ()))');
  assert.equal(encodeItems([atom('UID'), 7, atom('FLAGS'), [atom('\\Seen')]], ascii).toString(), 'UID 7 FLAGS (\\Seen)');
});

test('strings are quoted with quotes and backslashes escaped; CR, LF or long ones become literals, NUL is refused', () => {
  assert.equal(encode('say "hi" \\o/', ascii).toString(), '"say \\"hi\\" \\\\o/"');
  assert.equal(encode('two\r\nlines', ascii).toString(), '{10}\r\ntwo\r\nlines');
  assert.throws(() => encode(Buffer.from('a\0b'), ascii), /NUL/, 'NUL may only travel in a literal8');
  assert.ok(encode('x'.repeat(2000), ascii).toString().startsWith('{2000}\r\n'));
});

test('8-bit text is a literal unless UTF-8 is enabled and the bytes are valid UTF-8', () => {
  assert.equal(encode('Grüße', ascii).toString(), '{7}\r\nGrüße');
  assert.equal(encode('Grüße', { utf8: true }).toString(), '"Grüße"');
  assert.equal(encode(Buffer.from([0x47, 0xfc]), { utf8: true }).toString('latin1'), '{2}\r\nG\xfc');
});

test('binary data goes as a literal8', () => {
  assert.equal(encode({ binary: Buffer.from('a\0b') }, ascii).toString('latin1'), '~{3}\r\na\0b');
});

test('byte strings (stored header bytes) are quoted when ASCII and sent as literals with their exact bytes otherwise', () => {
  assert.equal(encode({ latin1: 'plain "q"' }, ascii).toString(), '"plain \\"q\\""');
  assert.equal(encode({ latin1: 'caf\xe9' }, { utf8: true }).toString('latin1'), '{4}\r\ncaf\xe9', 'one byte 0xE9: not UTF-8, so a literal even with UTF-8 enabled');
  const utf8 = Buffer.from('Grüße', 'utf8').toString('latin1');
  assert.equal(encode({ latin1: utf8 }, { utf8: true }).toString(), '"Grüße"');
  assert.throws(() => encode({ latin1: 'a\0b' }, ascii), /NUL/);
});

test('a sink keeps long byte runs as their own chunks, in order, and short pieces together', () => {
  const sink = new ByteSink();
  const body = Buffer.alloc(10_000, 0x61);
  sink.latin1('* 1 FETCH (BODY[] {10000}\r\n');
  sink.bytes(body);
  sink.latin1(')\r\n');
  const chunks = sink.take();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], body, 'the body is not copied');
  assert.equal(Buffer.concat(chunks).toString(), `* 1 FETCH (BODY[] {10000}\r\n${'a'.repeat(10_000)})\r\n`);
  assert.equal(sink.take().length, 0, 'taken once');
});

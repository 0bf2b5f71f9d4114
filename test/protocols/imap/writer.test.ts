import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atom } from '../../../src/protocols/imap/data.ts';
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

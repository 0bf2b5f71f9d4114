import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recipientAddress, senderAddress } from '../../../src/protocols/smtp/addresses.ts';
import { SmtpReply } from '../../../src/protocols/smtp/replies.ts';

const rejects = (fn: () => unknown, code: number, enhanced: string) =>
  assert.throws(fn, (err: unknown) => err instanceof SmtpReply && err.code === code && err.enhanced === enhanced);

test('sender: null path allowed, IDN domains leave as A-labels', () => {
  assert.equal(senderAddress('', false), '');
  assert.equal(senderAddress('Bob.Smith+tag@Example.COM', false), 'Bob.Smith+tag@example.com');
  assert.equal(senderAddress('bob@bücher.example', true), 'bob@xn--bcher-kva.example');
  assert.equal(senderAddress('"odd local"@example.com', false), '"odd local"@example.com');
  assert.equal(senderAddress('bob@[192.0.2.1]', false), 'bob@[192.0.2.1]');
});

test('sender: syntax errors are 501 5.1.7, non-ASCII without SMTPUTF8 is 553 5.6.7', () => {
  rejects(() => senderAddress('no-at-sign', false), 501, '5.1.7');
  rejects(() => senderAddress('bob@', false), 501, '5.1.7');
  rejects(() => senderAddress('bob@-bad-.example', false), 501, '5.1.7');
  rejects(() => senderAddress(`bob@${'a'.repeat(64)}.example`, false), 501, '5.1.7');
  rejects(() => senderAddress('b(o)b@example.com', false), 501, '5.1.7');
  rejects(() => senderAddress('b\ufffdb@example.com', true), 501, '5.1.7');
  rejects(() => senderAddress('jürgen@example.com', false), 553, '5.6.7');
  assert.equal(senderAddress('jürgen@example.com', true), 'jürgen@example.com');
});

test('recipient: domainless postmaster means our own; syntax errors are 501 5.1.3', () => {
  assert.equal(recipientAddress('Postmaster', false, 'mx.example.org'), 'postmaster@mx.example.org');
  assert.equal(recipientAddress('alice@Example.Test', false, 'mx'), 'alice@example.test');
  rejects(() => recipientAddress('alice', false, 'mx'), 501, '5.1.3');
  rejects(() => recipientAddress('alice@exa mple.test', false, 'mx'), 501, '5.1.3');
  rejects(() => recipientAddress('élise@example.test', false, 'mx'), 553, '5.6.7');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSha512Crypt, sha512Crypt, verifySha512Crypt } from '../../../src/services/auth/sha-crypt.ts';

// Test vectors from Drepper's "Unix crypt using SHA-256 and SHA-512" specification.
test('SHA-512-crypt matches the specification\'s vectors', () => {
  assert.equal(sha512Crypt('Hello world!', 'saltstring'), '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
  assert.equal(
    sha512Crypt('Hello world!', 'saltstringsaltstring', 10000, true),
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  );
});

test('verify accepts the password of a hash and nothing else, and refuses very costly hashes', () => {
  const hash = sha512Crypt('app secret', 'abcdefgh');
  assert.ok(isSha512Crypt(hash));
  assert.ok(verifySha512Crypt(hash, 'app secret'));
  assert.ok(!verifySha512Crypt(hash, 'app secreT'));
  assert.ok(!verifySha512Crypt('$6$rounds=999999999$abc$' + 'a'.repeat(86), 'x'));
  assert.ok(!isSha512Crypt('$1$abc$def'));
});

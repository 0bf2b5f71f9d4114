import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oauthErrorBody, oauthErrorChallenge, parseOauthBearer, parseOAuthResponse, parseXoauth2, SaslOAuthError } from '../../../src/protocols/shared/sasl-oauth.ts';

const b = (s: string) => Buffer.from(s, 'utf8');

test('OAUTHBEARER: the RFC 7628 §4.1 example message', () => {
  const msg = b('n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01');
  assert.deepEqual(parseOauthBearer(msg), { user: 'user@example.com', token: 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==' });
});

test('OAUTHBEARER: no authzid, "y" flag, and saslname escapes', () => {
  assert.deepEqual(parseOauthBearer(b('n,,\x01auth=Bearer abc.def.ghi\x01\x01')), { user: null, token: 'abc.def.ghi' });
  assert.deepEqual(parseOauthBearer(b('y,a=we=2Cird=3Dname,\x01auth=Bearer t\x01\x01')), { user: 'we,ird=name', token: 't' });
  assert.throws(() => parseOauthBearer(b('n,a=bad=name,\x01auth=Bearer t\x01\x01')), SaslOAuthError);
});

test('OAUTHBEARER: malformed messages are refused', () => {
  for (const bad of [
    'auth=Bearer t\x01\x01', // no GS2 header
    'p=tls-unique,,\x01auth=Bearer t\x01\x01', // channel binding
    'n,,\x01host=x\x01\x01', // no auth
    'n,,\x01auth=Basic dXNlcjpwYXNz\x01\x01', // not a bearer token
    'n,,\x01auth=Bearer t\x01', // one ^A at the end
    'n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01', // repeated key
    'n,,\x01=x\x01auth=Bearer t\x01\x01', // empty key
    '\x01', // the error acknowledgement is not a login
  ]) {
    assert.throws(() => parseOauthBearer(b(bad)), SaslOAuthError, JSON.stringify(bad));
  }
});

test('XOAUTH2: the message Google documents', () => {
  const msg = b('user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01');
  assert.deepEqual(parseXoauth2(msg), { user: 'someuser@example.com', token: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg' });
  assert.deepEqual(parseOAuthResponse('XOAUTH2', msg), parseXoauth2(msg));
  assert.throws(() => parseXoauth2(b('auth=Bearer t\x01\x01')), SaslOAuthError, 'user is required');
  assert.throws(() => parseXoauth2(b('user=a\x01auth=Bearer\x01\x01')), SaslOAuthError, 'empty token');
  assert.throws(() => parseXoauth2(b('')), SaslOAuthError);
});

test('error challenges: RFC 7628 §3.2.2 JSON for OAUTHBEARER, Google\'s for XOAUTH2', () => {
  assert.deepEqual(oauthErrorBody('OAUTHBEARER', { status: 'invalid_token', scope: 'imap', issuer: 'https://mail.example.com' }), {
    status: 'invalid_token',
    scope: 'imap',
    'openid-configuration': 'https://mail.example.com/.well-known/openid-configuration',
  });
  assert.deepEqual(oauthErrorBody('OAUTHBEARER', { status: 'insufficient_scope', scope: 'smtp', issuer: null }), { status: 'insufficient_scope', scope: 'smtp' });
  assert.deepEqual(oauthErrorBody('XOAUTH2', { status: 'invalid_token', scope: 'imap', issuer: null }), { status: '401', schemes: 'Bearer', scope: 'imap' });
  assert.deepEqual(oauthErrorBody('XOAUTH2', { status: 'invalid_request', scope: 'imap', issuer: null }).status, '400');
  const challenge = oauthErrorChallenge('OAUTHBEARER', { status: 'invalid_token', scope: 'imap', issuer: null });
  assert.deepEqual(JSON.parse(Buffer.from(challenge, 'base64').toString('utf8')), { status: 'invalid_token', scope: 'imap' });
});

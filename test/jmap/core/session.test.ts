import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jmapLimits } from '../../../src/protocols/jmap/core/limits.ts';
import { capabilitiesOf, createRegistry, dataTypesOf } from '../../../src/protocols/jmap/core/registry.ts';
import { buildSession, sessionState } from '../../../src/protocols/jmap/core/session.ts';
import { CORE, MAIL } from '../../../src/protocols/jmap/types.ts';
import { principal } from './helpers.ts';

const env = { limits: jmapLimits({ maxMessageSize: 1234 }), maxMessageSize: 1234 };
const noop = async () => ({});
const withMail = () => createRegistry((r) => {
  r.set('Mailbox/get', { capability: MAIL, handler: noop });
  r.set('Email/get', { capability: MAIL, handler: noop });
  r.set('Email/set', { capability: MAIL, handler: noop });
  r.set('Mailbox/changes', { capability: MAIL, handler: noop });
  r.set('Email/changes', { capability: MAIL, handler: noop });
});

test('the core capability carries every limit and the collations', () => {
  const s = buildSession(principal, createRegistry(), env, 'https://mail.example');
  assert.deepEqual(s.capabilities, {
    [CORE]: {
      maxSizeUpload: 1234,
      maxConcurrentUpload: 4,
      maxSizeRequest: 10_000_000,
      maxConcurrentRequests: 8,
      maxCallsInRequest: 64,
      maxObjectsInGet: 1000,
      maxObjectsInSet: 1000,
      collationAlgorithms: ['i;ascii-numeric', 'i;ascii-casemap', 'i;unicode-casemap'],
    },
  });
  assert.deepEqual(s.accounts, { a1: { name: 'alice', isPersonal: true, isReadOnly: false, accountCapabilities: {} } });
  assert.deepEqual(s.primaryAccounts, {});
  assert.equal(s.username, 'alice');
});

test('URLs are absolute templates under the base URL', () => {
  const s = buildSession(principal, createRegistry(), env, 'https://mail.example:8443');
  assert.equal(s.apiUrl, 'https://mail.example:8443/jmap');
  assert.equal(s.downloadUrl, 'https://mail.example:8443/raw/{accountId}/{blobId}/{name}?type={type}');
  assert.equal(s.uploadUrl, 'https://mail.example:8443/upload/{accountId}');
  assert.equal(s.eventSourceUrl, 'https://mail.example:8443/eventsource?types={types}&closeafter={closeafter}&ping={ping}');
});

test('a capability with registered methods appears in capabilities, the account and primaryAccounts', () => {
  const s = buildSession(principal, withMail(), env, 'http://x');
  assert.deepEqual(Object.keys(s.capabilities), [CORE, MAIL]);
  assert.deepEqual(s.capabilities[MAIL], {});
  assert.deepEqual(s.accounts.a1.accountCapabilities[MAIL], {
    maxMailboxesPerEmail: null,
    maxMailboxDepth: 32,
    maxSizeMailboxName: 255,
    maxSizeAttachmentsPerEmail: 1234,
    emailQuerySortOptions: ['receivedAt', 'sentAt', 'size', 'from', 'to', 'subject', 'hasKeyword', 'someInThreadHaveKeyword', 'allInThreadHaveKeyword'],
    mayCreateTopLevelMailbox: true,
  });
  assert.equal(CORE in s.accounts.a1.accountCapabilities, false);
  assert.deepEqual(s.primaryAccounts, { [MAIL]: 'a1' });
  const other = buildSession(principal, createRegistry((r) => r.set('Foo/get', { capability: 'https://example.com/foo', handler: noop })), env, 'http://x');
  assert.deepEqual(other.capabilities['https://example.com/foo'], {});
});

test('the state is a hash of the content: stable, independent of the URL, changed by what the session says', () => {
  const a = buildSession(principal, withMail(), env, 'http://one');
  const b = buildSession(principal, withMail(), env, 'https://two:8443');
  assert.equal(a.state, b.state);
  assert.equal(a.state, sessionState(principal, withMail(), env));
  assert.match(a.state, /^[A-Za-z0-9_-]{8,}$/);
  assert.notEqual(a.state, buildSession(principal, createRegistry(), env, 'http://one').state);
  assert.notEqual(a.state, buildSession({ ...principal, username: 'bob' }, withMail(), env, 'http://one').state);
});

test('capabilitiesOf and dataTypesOf read the registry; only types with /changes, and EmailDelivery, have push state', () => {
  assert.deepEqual(capabilitiesOf(withMail()), [CORE, MAIL]);
  assert.deepEqual(dataTypesOf(withMail()), ['Email', 'EmailDelivery', 'Mailbox']);
  const withBlob = createRegistry((r) => r.set('Blob/get', { capability: 'urn:ietf:params:jmap:blob', handler: noop }));
  assert.deepEqual(dataTypesOf(withBlob), []);
});

test('a proxied account has the capabilities of its upstream account that this server knows', () => {
  const pool = { ...principal, accounts: [...principal.accounts, { id: 'r1', name: 'upstream', kind: 'jmap' as const, isPersonal: true, isReadOnly: false, isPrimary: false }] };
  const upstreamMail = { maxMailboxDepth: 10, emailQuerySortOptions: ['receivedAt'] };
  const proxied = new Map([['r1', { accountCapabilities: { [MAIL]: upstreamMail, 'urn:example:calendars': {} } }]]);
  const s = buildSession(pool, withMail(), env, 'http://x', proxied);
  assert.deepEqual(s.accounts.r1.accountCapabilities, { [MAIL]: upstreamMail });
  assert.equal(s.accounts.a1.accountCapabilities[MAIL].maxMailboxDepth, 32);
  assert.deepEqual(s.primaryAccounts, { [MAIL]: 'a1' });
  assert.equal(s.state, sessionState(pool, withMail(), env, proxied));
  assert.notEqual(s.state, sessionState(pool, withMail(), env, new Map([['r1', { accountCapabilities: {} }]])));
  // A pool whose primary is proxied names it only for what its upstream has.
  const proxiedPrimary = { ...pool, accountId: 'r1' };
  assert.deepEqual(buildSession(proxiedPrimary, withMail(), env, 'http://x', new Map([['r1', { accountCapabilities: {} }]])).primaryAccounts, {});
});

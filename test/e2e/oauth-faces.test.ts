import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { SignJWT } from 'jose';
import nodemailer from 'nodemailer';
import type { Permission } from '../../src/services/auth/permissions.ts';
import { LineClient, registerClient, signIn, type Client, type Tokens } from '../helpers/oauth.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { username: string; password: string; id: string; address: string };
let bob: { username: string; password: string; id: string; address: string };
let app: Client;
let all: Tokens;

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
  bob = await createUser(server, 'bob');
  app = await registerClient(server, 'public');
  all = await signIn(server, app, alice, 'openid imap smtp jmap api');
});
after(() => server.stop());

const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const decode = (s: string) => JSON.parse(Buffer.from(s, 'base64').toString('utf8')) as Record<string, string>;

function imap(accessToken: string, user = 'alice') {
  return new ImapFlow({ host: '127.0.0.1', port: server.listeners.imap.port, secure: false, auth: { user, accessToken }, tls: { rejectUnauthorized: false }, logger: false });
}

// On the server's 334 error challenge nodemailer tries to fetch a new token, which it cannot
// without OAuth2 client settings; an immediate 535 would be the other way to fail.
const REFUSED = /535|Can't create new access token/;

function smtp(accessToken: string) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.listeners.submission.port,
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { type: 'OAuth2', user: alice.address, accessToken },
  });
}

/** Takes permissions away from alice for the duration of fn (until roles can be edited through the API). */
/** Runs fn while alice lacks the permissions (disabled on her principal, as an administrator would). */
async function without(permissions: Permission[], fn: () => Promise<void>) {
  const set = async (disabledPermissions: Permission[]) => {
    const res = await server.api(`/api/v1/principals/${alice.id}`, { method: 'PATCH', json: { disabledPermissions } });
    assert.equal(res.status, 200, await res.text());
  };
  await set(permissions);
  try {
    await fn();
  } finally {
    await set([]);
  }
}

test('JMAP: the access token opens the Session and Mailbox/get', async () => {
  const s = await fetch(`${server.baseUrl}/session`, { headers: bearer(all.access_token) });
  assert.equal(s.status, 200);
  const session = (await s.json()) as { username: string; primaryAccounts: Record<string, string>; apiUrl: string };
  assert.equal(session.username, 'alice');
  const accountId = session.primaryAccounts['urn:ietf:params:jmap:mail'];
  const res = await fetch(session.apiUrl, {
    method: 'POST',
    headers: { ...bearer(all.access_token), 'content-type': 'application/json' },
    body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [['Mailbox/get', { accountId }, '0']] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { methodResponses: [string, { list: { role: string | null }[] }, string][] };
  assert.equal(body.methodResponses[0][0], 'Mailbox/get');
  assert.ok(body.methodResponses[0][1].list.some((m) => m.role === 'inbox'));
});

test('REST: the token works on the native API when its scope has api', async () => {
  const res = await fetch(`${server.baseUrl}/api/v1/users/me/mailboxes`, { headers: bearer(all.access_token) });
  assert.equal(res.status, 200);
});

test('IMAP: imapflow signs in with the token (OAUTHBEARER) and opens INBOX', async () => {
  const client = imap(all.access_token);
  await client.connect();
  // imapflow prefers OAUTHBEARER when offered, and records the mechanism that worked.
  assert.equal((client as unknown as { authCapabilities: Map<string, boolean> }).authCapabilities.get('AUTH=OAUTHBEARER'), true);
  const box = await client.mailboxOpen('INBOX');
  assert.equal(box.path, 'INBOX');
  await client.logout();
});

test('IMAP: XOAUTH2 with SASL-IR; a bad token gets the JSON challenge, then NO [AUTHENTICATIONFAILED]', async () => {
  const c = await LineClient.connect(server.listeners.imap.port);
  await c.line();
  c.send(`a1 AUTHENTICATE XOAUTH2 ${b64(`user=alice\x01auth=Bearer ${all.access_token}\x01\x01`)}`);
  assert.match(await c.until(/^a1 /), /^a1 OK \[CAPABILITY /);
  c.close();

  const d = await LineClient.connect(server.listeners.imap.port);
  await d.line();
  d.send(`b1 AUTHENTICATE OAUTHBEARER ${b64(`n,a=alice,\x01auth=Bearer ${all.access_token.slice(0, -4)}AAAA\x01\x01`)}`);
  const challenge = await d.line();
  assert.match(challenge, /^\+ /);
  assert.deepEqual(decode(challenge.slice(2)), { status: 'invalid_token', scope: 'imap' });
  d.send('AQ==');
  assert.match(await d.line(), /^b1 NO \[AUTHENTICATIONFAILED\]/);
  // The token belongs to alice: it cannot sign in as bob.
  d.send(`b2 AUTHENTICATE XOAUTH2 ${b64(`user=bob\x01auth=Bearer ${all.access_token}\x01\x01`)}`);
  assert.deepEqual(decode((await d.line()).slice(2)), { status: '401', schemes: 'Bearer', scope: 'imap' });
  d.send('');
  assert.match(await d.line(), /^b2 NO \[AUTHENTICATIONFAILED\]/);
  d.close();
});

test('SMTP submission: nodemailer sends with XOAUTH2; OAUTHBEARER works too', async () => {
  const info = await smtp(all.access_token).sendMail({ from: alice.address, to: bob.address, subject: 'via oauth', text: 'Hello Bob' });
  assert.match(info.response, /^250 /);

  const c = await LineClient.connect(server.listeners.submission.port);
  await c.until(/^220 /);
  c.send('EHLO client.test');
  assert.match(await c.until(/^250 /), /^250 /);
  c.send(`AUTH OAUTHBEARER ${b64(`n,a=${alice.address},\x01host=127.0.0.1\x01auth=Bearer nope.nope.nope\x01\x01`)}`);
  const challenge = await c.line();
  assert.match(challenge, /^334 /);
  assert.deepEqual(decode(challenge.slice(4)), { status: 'invalid_token', scope: 'smtp' });
  c.send('AQ==');
  assert.match(await c.line(), /^535 /);
  c.send('AUTH OAUTHBEARER');
  assert.match(await c.line(), /^334/);
  c.send(b64(`n,a=${alice.address},\x01auth=Bearer ${all.access_token}\x01\x01`));
  assert.match(await c.line(), /^235 /);
  c.send('QUIT');
  c.close();
});

test('a token whose scope lacks the face is refused there', async () => {
  const jmapOnly = await signIn(server, app, alice, 'jmap');
  assert.equal((await fetch(`${server.baseUrl}/session`, { headers: bearer(jmapOnly.access_token) })).status, 200);
  assert.equal((await fetch(`${server.baseUrl}/api/v1/users/me/mailboxes`, { headers: bearer(jmapOnly.access_token) })).status, 401);
  await assert.rejects(imap(jmapOnly.access_token).connect());
  await assert.rejects(smtp(jmapOnly.access_token).sendMail({ from: alice.address, to: bob.address, subject: 'no', text: 'no' }), REFUSED);
});

test('an expired token is refused on every face', async () => {
  const key = await server.services.oauth.keys.key();
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ scope: 'imap smtp jmap api', client_id: app.id, sid: (JSON.parse(Buffer.from(all.access_token.split('.')[1], 'base64url').toString()) as { sid: string }).sid })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(server.baseUrl)
    .setSubject(alice.id)
    .setIssuedAt(now - 120)
    .setExpirationTime(now - 60)
    .sign(key.privateKey);
  assert.equal((await fetch(`${server.baseUrl}/session`, { headers: bearer(expired) })).status, 401);
  await assert.rejects(imap(expired).connect());
  await assert.rejects(smtp(expired).sendMail({ from: alice.address, to: bob.address, subject: 'no', text: 'no' }), REFUSED);
  const info = await fetch(`${server.baseUrl}/oauth/userinfo`, { headers: bearer(expired) });
  assert.equal(info.status, 401);
  assert.match(info.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="the access token has expired"/);
});

test('a principal without authenticate-oauth or the face\'s permission is refused', async () => {
  await without(['imap-authenticate'], async () => {
    await assert.rejects(imap(all.access_token).connect());
    assert.equal((await fetch(`${server.baseUrl}/session`, { headers: bearer(all.access_token) })).status, 200, 'JMAP is still allowed');
  });
  await without(['jmap-authenticate'], async () => {
    assert.equal((await fetch(`${server.baseUrl}/session`, { headers: bearer(all.access_token) })).status, 403);
  });
  await without(['smtp-authenticate'], async () => {
    await assert.rejects(smtp(all.access_token).sendMail({ from: alice.address, to: bob.address, subject: 'no', text: 'no' }), REFUSED);
  });
  await without(['authenticate-oauth'], async () => {
    assert.equal((await fetch(`${server.baseUrl}/session`, { headers: bearer(all.access_token) })).status, 403);
    await assert.rejects(imap(all.access_token).connect());
    // Nor can such a principal approve a client.
    const { authorize, pkce } = await import('../helpers/oauth.ts');
    const back = await authorize(server, app, { ...alice, challenge: pkce().challenge });
    assert.equal(back.searchParams.get('error'), 'access_denied');
  });
  // With the permissions back, the same token works again: they are checked on every use.
  const client = imap(all.access_token);
  await client.connect();
  await client.logout();
});

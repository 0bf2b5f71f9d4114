import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { generate } from 'otplib';
import { pkce, postForm, REDIRECT, readForm, registerClient, signIn, type Client } from '../helpers/oauth.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * OAuth and the account's other protections: signing in on the consent page goes through the
 * same AuthService as every login (second factor, auth log), and token logins on the mail
 * protocols are in the auth log too.
 */

let server: TestServer;
let alice: { username: string; password: string; id: string; address: string };
let app: Client;

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
  app = await registerClient(server, 'public');
});
after(() => server.stop());

const asAlice = (path: string, init: { method?: string; json?: unknown } = {}) =>
  server.api(path, { ...init, token: null, headers: { authorization: 'Basic ' + Buffer.from(`${alice.username}:${alice.password}`).toString('base64') } });

async function consent(fields: { totp?: string }): Promise<Response> {
  const { challenge } = pkce();
  const query = new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: REDIRECT, state: 's', scope: 'imap', code_challenge: challenge, code_challenge_method: 'S256' });
  const page = await fetch(`${server.baseUrl}/oauth/authorize?${query}`, { redirect: 'manual' });
  const form = await readForm(page);
  return postForm(`${server.baseUrl}/oauth/authorize`, { ...form.fields, username: alice.username, password: alice.password, totp: fields.totp ?? '', decision: 'approve' }, { cookie: form.cookie });
}

test('a token login over IMAP is in the auth log, and so is a refused one', async () => {
  const tokens = await signIn(server, app, alice, 'imap');
  const client = new ImapFlow({ host: '127.0.0.1', port: server.listeners.imap.port, secure: false, auth: { user: alice.username, accessToken: tokens.access_token }, tls: { rejectUnauthorized: false }, logger: false });
  await client.connect();
  await client.logout();
  const bad = new ImapFlow({ host: '127.0.0.1', port: server.listeners.imap.port, secure: false, auth: { user: alice.username, accessToken: 'a.b.c' }, tls: { rejectUnauthorized: false }, logger: false });
  await assert.rejects(bad.connect());
  const log = await (await asAlice('/api/v1/users/me/authlog?limit=50')).json();
  const imap = log.results.filter((e: { protocol: string; mechanism: string }) => e.protocol === 'imap' && /OAUTH/i.test(e.mechanism ?? ''));
  assert.deepEqual(imap.map((e: { result: string }) => e.result).sort(), ['fail', 'success']);
  assert.ok(imap.every((e: { ip: string }) => e.ip === '127.0.0.1'));
});

test('with 2FA on, the consent page needs the second factor, and the sign-in is logged', async () => {
  const setup = await (await asAlice('/api/v1/users/me/2fa/totp', { method: 'POST', json: {} })).json();
  const now = Date.now();
  assert.equal((await asAlice('/api/v1/users/me/2fa/totp/verify', { method: 'POST', json: { token: await generate({ secret: setup.secret, epoch: Math.floor(now / 1000) - 30 }) } })).status, 200);

  const without = await consent({});
  assert.equal(without.status, 401);
  assert.match(await without.text(), /Two-factor authentication is on/);
  const wrong = await consent({ totp: '000000' === (await generate({ secret: setup.secret })) ? '111111' : '000000' });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /two-factor code is not valid/);
  const right = await consent({ totp: await generate({ secret: setup.secret }) });
  assert.equal(right.status, 302);
  assert.ok(new URL(right.headers.get('location')!).searchParams.get('code'));

  const log = await (await server.api(`/api/v1/users/${alice.id}/authlog?limit=50`)).json();
  const consentLog = log.results.filter((e: { protocol: string }) => e.protocol === 'oauth');
  assert.ok(consentLog.some((e: { result: string; reason: string | null }) => e.result === 'success' && e.reason === null), 'the approved sign-in');
  assert.ok(consentLog.some((e: { result: string }) => e.result === 'fail'), 'the wrong code');
});

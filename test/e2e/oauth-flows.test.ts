import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { authorize, basicOf, pkce, postForm, readForm, REDIRECT, registerClient, signIn, token, type Client } from '../helpers/oauth.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { username: string; password: string; id: string; address: string };
let app: Client;
let web: Client;

before(async () => {
  server = (await startTestServer({ config: { oauthDevicePollInterval: 1 } }))!;
  alice = await createUser(server, 'alice');
  app = await registerClient(server, 'public');
  web = await registerClient(server, 'confidential');
});
after(() => server.stop());

const session = (accessToken: string) => fetch(`${server.baseUrl}/session`, { headers: { authorization: `Bearer ${accessToken}` } });

test('metadata (RFC 8414, OIDC discovery) names this server\'s endpoints', async () => {
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    const res = await fetch(server.baseUrl + path);
    assert.equal(res.status, 200);
    const m = (await res.json()) as Record<string, unknown>;
    assert.equal(m.issuer, server.baseUrl);
    assert.equal(m.authorization_endpoint, `${server.baseUrl}/oauth/authorize`);
    assert.equal(m.token_endpoint, `${server.baseUrl}/oauth/token`);
    assert.equal(m.revocation_endpoint, `${server.baseUrl}/oauth/revoke`);
    assert.equal(m.introspection_endpoint, `${server.baseUrl}/oauth/introspect`);
    assert.equal(m.device_authorization_endpoint, `${server.baseUrl}/oauth/device_authorization`);
    assert.equal(m.jwks_uri, `${server.baseUrl}/oauth/jwks`);
    assert.equal(m.userinfo_endpoint, `${server.baseUrl}/oauth/userinfo`);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.ok((m.grant_types_supported as string[]).includes('urn:ietf:params:oauth:grant-type:device_code'));
  }
});

test('authorization code + PKCE: consent page, code, tokens that the published JWKS verifies', async () => {
  const { verifier, challenge } = pkce();
  const page = await fetch(`${server.baseUrl}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: REDIRECT, state: 'xyz', scope: 'openid email profile jmap', code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n-0S6' })}`, { redirect: 'manual' });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const { html, fields, cookie } = await readForm(page);
  assert.match(html, /Test public app &lt;b&gt;/, 'the client name is escaped');
  assert.ok(fields.csrf && cookie.startsWith('gannet_oauth_csrf='));

  // Without the cookie the form is refused: another site cannot post it for the user.
  const forged = await postForm(`${server.baseUrl}/oauth/authorize`, { ...fields, username: 'alice', password: alice.password, decision: 'approve' });
  assert.equal(forged.status, 403);
  const wrong = await postForm(`${server.baseUrl}/oauth/authorize`, { ...fields, username: 'alice', password: 'nope', decision: 'approve' }, { cookie });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /Wrong user name or password/);

  const res = await postForm(`${server.baseUrl}/oauth/authorize`, { ...fields, username: 'alice', password: alice.password, decision: 'approve' }, { cookie });
  assert.equal(res.status, 302);
  const back = new URL(res.headers.get('location')!);
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
  assert.equal(back.searchParams.get('state'), 'xyz');
  assert.equal(back.searchParams.get('iss'), server.baseUrl);
  const code = back.searchParams.get('code')!;

  const got = await token(server, app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(got.body.token_type, 'Bearer');
  assert.equal(got.body.scope, 'openid email profile jmap');
  assert.equal(got.body.expires_in, 900);

  const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/oauth/jwks`));
  const access = await jwtVerify(got.body.access_token as string, jwks, { issuer: server.baseUrl, typ: 'at+jwt' });
  assert.equal(access.payload.sub, alice.id);
  assert.equal(access.payload.client_id, app.id);
  const id = await jwtVerify(got.body.id_token as string, jwks, { issuer: server.baseUrl, audience: app.id });
  assert.equal(id.payload.nonce, 'n-0S6');
  assert.equal(id.payload.email, 'alice@example.test');
  assert.equal(id.payload.preferred_username, 'alice');

  const info = await fetch(`${server.baseUrl}/oauth/userinfo`, { headers: { authorization: `Bearer ${got.body.access_token}` } });
  assert.deepEqual(await info.json(), { sub: alice.id, preferred_username: 'alice', email: 'alice@example.test', email_verified: true });

  // The code is single use; replaying it also revokes what it was exchanged for.
  assert.equal((await session(got.body.access_token as string)).status, 200);
  const again = await token(server, app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_grant');
  assert.equal((await session(got.body.access_token as string)).status, 401);
  const refreshed = await token(server, app, { grant_type: 'refresh_token', refresh_token: got.body.refresh_token as string });
  assert.equal(refreshed.body.error, 'invalid_grant');
});

test('a wrong PKCE verifier, a missing one, or a verifier for a code without a challenge is invalid_grant', async () => {
  const { challenge } = pkce();
  const code = (await authorize(server, app, { ...alice, challenge })).searchParams.get('code')!;
  const wrong = await token(server, app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce().verifier });
  assert.deepEqual([wrong.status, wrong.body.error], [400, 'invalid_grant']);
  const missing = await token(server, app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
  assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_grant']);

  // A confidential client may go without PKCE, but then may not send a verifier (downgrade).
  const plainCode = (await authorize(server, web, alice)).searchParams.get('code')!;
  const downgrade = await token(server, web, { grant_type: 'authorization_code', code: plainCode, redirect_uri: REDIRECT, code_verifier: pkce().verifier });
  assert.equal(downgrade.body.error, 'invalid_grant');
});

test('authorization errors: a page when the redirect URI is not trusted, a redirect with error= otherwise', async () => {
  const base = { response_type: 'code', client_id: app.id, redirect_uri: REDIRECT, state: 's1' };
  const get = (q: Record<string, string>) => fetch(`${server.baseUrl}/oauth/authorize?${new URLSearchParams(q)}`, { redirect: 'manual' });

  const badUri = await get({ ...base, redirect_uri: 'https://evil.example/cb' });
  assert.equal(badUri.status, 400);
  assert.equal(badUri.headers.get('location'), null);
  assert.equal((await get({ ...base, client_id: 'onope' })).status, 400);

  const expectError = async (q: Record<string, string>, error: string) => {
    const res = await get(q);
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.get('location')!);
    assert.equal(loc.searchParams.get('error'), error, loc.toString());
    assert.equal(loc.searchParams.get('state'), 's1');
  };
  await expectError(base, 'invalid_request'); // a public client without PKCE
  await expectError({ ...base, code_challenge: pkce().challenge, code_challenge_method: 'plain' }, 'invalid_request');
  await expectError({ ...base, response_type: 'token', code_challenge: pkce().challenge, code_challenge_method: 'S256' }, 'unsupported_response_type');
  await expectError({ ...base, scope: 'imap everything', code_challenge: pkce().challenge, code_challenge_method: 'S256' }, 'invalid_scope');

  const denied = await authorize(server, app, { ...alice, challenge: pkce().challenge, decision: 'deny' });
  assert.equal(denied.searchParams.get('error'), 'access_denied');
  assert.equal(denied.searchParams.get('code'), null);
});

test('token endpoint errors are RFC 6749 §5.2 JSON', async () => {
  const badSecret = await token(server, { id: web.id, secret: 'wrong' }, { grant_type: 'refresh_token', refresh_token: 'x' });
  assert.equal(badSecret.status, 401);
  assert.equal(badSecret.body.error, 'invalid_client');
  const unknownGrant = await token(server, app, { grant_type: 'password', username: 'alice', password: alice.password });
  assert.deepEqual([unknownGrant.status, unknownGrant.body.error], [400, 'unsupported_grant_type']);
  const repeated = await fetch(`${server.baseUrl}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&client_id=${app.id}&client_id=${app.id}` });
  assert.equal(repeated.status, 400);
  assert.equal(((await repeated.json()) as { error: string }).error, 'invalid_request');
});

test('refresh tokens rotate; reusing a rotated one revokes the whole family', async () => {
  const first = await signIn(server, web, alice, 'jmap offline_access');
  const second = await token(server, web, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.notEqual(second.body.refresh_token, first.refresh_token);
  assert.equal(second.body.scope, 'jmap offline_access');
  const narrower = await token(server, web, { grant_type: 'refresh_token', refresh_token: second.body.refresh_token as string, scope: 'jmap imap' });
  assert.equal(narrower.body.error, 'invalid_scope', 'a refresh cannot widen the scope');
  const narrowed = await token(server, web, { grant_type: 'refresh_token', refresh_token: second.body.refresh_token as string, scope: 'jmap' });
  assert.equal(narrowed.status, 200, 'the refused request did not use up the token');
  assert.equal(narrowed.body.scope, 'jmap');
  assert.equal(decodeJwt(narrowed.body.access_token as string).scope, 'jmap');
  const widenedBack = await token(server, web, { grant_type: 'refresh_token', refresh_token: narrowed.body.refresh_token as string });
  assert.equal(widenedBack.body.scope, 'jmap offline_access', 'the rotated refresh token keeps the scope of the grant');

  const a = await signIn(server, web, alice, 'jmap');
  const b = await token(server, web, { grant_type: 'refresh_token', refresh_token: a.refresh_token });
  assert.equal(b.status, 200);
  assert.equal((await session(b.body.access_token as string)).status, 200);
  const replay = await token(server, web, { grant_type: 'refresh_token', refresh_token: a.refresh_token });
  assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
  const afterReplay = await token(server, web, { grant_type: 'refresh_token', refresh_token: b.body.refresh_token as string });
  assert.equal(afterReplay.body.error, 'invalid_grant', 'the newest token of the family is revoked too');
  assert.equal((await session(b.body.access_token as string)).status, 401, 'and so are its access tokens');
});

test('client_secret_basic at the token endpoint is the client\'s login, never counted as a person\'s failed one', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await token(server, web, { grant_type: 'refresh_token', refresh_token: `made-up-${i}` });
    assert.deepEqual([r.status, r.body.error], [400, 'invalid_grant']);
  }
  // Tried as a person's login, each would be a logged failure counted against this address
  // (and delayed by up to loginFailureDelayMaxMs, 4 s, before its answer).
  const db = server.store.db;
  assert.deepEqual(await db.selectFrom('authlog').select('login').where('login', '=', web.id.toLowerCase()).execute(), []);
  assert.deepEqual(await db.selectFrom('auth_failures').select('key').where('key', 'like', `%${web.id.toLowerCase()}%`).execute(), []);
});

test('revocation (RFC 7009): either token ends the grant; unknown tokens are no error; another client\'s token is refused', async () => {
  const revoke = (client: Client, form: Record<string, string>) => postForm(`${server.baseUrl}/oauth/revoke`, client.secret ? form : { ...form, client_id: client.id }, basicOf(client));
  const byRefresh = await signIn(server, web, alice, 'jmap');
  const res = await revoke(web, { token: byRefresh.refresh_token, token_type_hint: 'refresh_token' });
  assert.equal(res.status, 200);
  assert.equal((await session(byRefresh.access_token)).status, 401, 'its access token is revoked with it');
  assert.equal((await token(server, web, { grant_type: 'refresh_token', refresh_token: byRefresh.refresh_token })).body.error, 'invalid_grant');

  const byAccess = await signIn(server, web, alice, 'jmap');
  assert.equal((await revoke(web, { token: byAccess.access_token })).status, 200);
  assert.equal((await session(byAccess.access_token)).status, 401);
  assert.equal((await token(server, web, { grant_type: 'refresh_token', refresh_token: byAccess.refresh_token })).body.error, 'invalid_grant', 'and so is the refresh token');

  assert.equal((await revoke(web, { token: 'grt_not-a-token' })).status, 200, 'nothing to revoke is no error (§2.2)');
  assert.equal((await revoke(web, { token: byAccess.access_token })).status, 200, 'nor is revoking twice');
  const others = await signIn(server, app, alice, 'jmap');
  const refused = await revoke(web, { token: others.refresh_token });
  assert.deepEqual([refused.status, ((await refused.json()) as { error: string }).error], [400, 'unauthorized_client']);
  assert.equal((await session(others.access_token)).status, 200, 'the other client\'s grant is untouched');
  assert.equal((await revoke(app, { token: others.refresh_token })).status, 200, 'a public client revokes its own');
  assert.equal((await session(others.access_token)).status, 401);
  assert.equal((await revoke(web, {})).status, 400);
});

test('introspection (RFC 7662): a confidential client learns what its own tokens grant; anything else is inactive', async () => {
  const introspect = (client: Client, form: Record<string, string>) =>
    postForm(`${server.baseUrl}/oauth/introspect`, client.secret ? form : { ...form, client_id: client.id }, basicOf(client)).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const t = await signIn(server, web, alice, 'jmap imap');
  const access = await introspect(web, { token: t.access_token });
  assert.equal(access.status, 200);
  assert.deepEqual(
    [access.body.active, access.body.token_type, access.body.scope, access.body.client_id, access.body.username, access.body.sub],
    [true, 'Bearer', 'jmap imap', web.id, alice.username, alice.id],
  );
  assert.equal(access.body.exp, decodeJwt(t.access_token).exp);
  const refresh = await introspect(web, { token: t.refresh_token, token_type_hint: 'refresh_token' });
  assert.deepEqual([refresh.body.active, refresh.body.scope, refresh.body.client_id], [true, 'jmap imap', web.id]);

  const rotated = await token(server, web, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
  assert.equal(rotated.status, 200);
  assert.deepEqual((await introspect(web, { token: t.refresh_token })).body, { active: false }, 'a used refresh token');
  assert.deepEqual((await introspect(web, { token: 'grt_unknown' })).body, { active: false });
  assert.deepEqual((await introspect(web, { token: 'not.a.jwt' })).body, { active: false });
  const others = await signIn(server, app, alice, 'jmap');
  assert.deepEqual((await introspect(web, { token: others.access_token })).body, { active: false }, 'another client\'s token');
  assert.equal((await introspect(app, { token: others.access_token })).status, 401, 'a public client cannot introspect');
  await postForm(`${server.baseUrl}/oauth/revoke`, { token: rotated.body.access_token as string }, basicOf(web));
  assert.deepEqual((await introspect(web, { token: rotated.body.access_token as string })).body, { active: false }, 'a revoked token');
});

test('device authorization flow (RFC 8628): pending, slow_down, approval, tokens; denial', async () => {
  const start = await postForm(`${server.baseUrl}/oauth/device_authorization`, { client_id: app.id, scope: 'imap smtp' });
  assert.equal(start.status, 200);
  const d = (await start.json()) as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; interval: number; expires_in: number };
  assert.match(d.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(d.verification_uri, `${server.baseUrl}/oauth/device`);
  assert.equal(d.interval, 1);
  const poll = () => token(server, app, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: d.device_code });

  assert.equal((await poll()).body.error, 'authorization_pending');
  assert.equal((await poll()).body.error, 'slow_down', 'polled sooner than the interval');

  const page = await fetch(d.verification_uri_complete);
  const { html, fields, cookie } = await readForm(page);
  assert.match(html, /Test public app/);
  assert.match(html, new RegExp(`value="${d.user_code}"`));
  const typo = await postForm(d.verification_uri, { ...fields, user_code: 'BBBB-BBBB', username: 'alice', password: alice.password, decision: 'approve' }, { cookie });
  assert.equal(typo.status, 400);
  // People type codes in lower case and without the dash.
  const ok = await postForm(d.verification_uri, { ...fields, user_code: d.user_code.replace('-', '').toLowerCase(), username: 'alice', password: alice.password, decision: 'approve' }, { cookie });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /device is connected/);

  // slow_down raised the interval to 1 + 5 seconds.
  await new Promise((r) => setTimeout(r, 6100));
  const done = await poll();
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.scope, 'imap smtp');
  assert.equal(decodeJwt(done.body.access_token as string).sub, alice.id);
  assert.equal((await poll()).body.error, 'invalid_grant', 'a device code is redeemed once');

  const second = (await (await postForm(`${server.baseUrl}/oauth/device_authorization`, { client_id: app.id })).json()) as { device_code: string; user_code: string; verification_uri: string };
  const form = await readForm(await fetch(second.verification_uri));
  await postForm(second.verification_uri, { ...form.fields, user_code: second.user_code, username: 'alice', password: alice.password, decision: 'deny' }, { cookie: form.cookie });
  const denied = await token(server, app, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: second.device_code });
  assert.equal(denied.body.error, 'access_denied');
});

test('admins register, list and delete clients; a user may not', async () => {
  const basic = `Basic ${Buffer.from(`alice:${alice.password}`).toString('base64')}`;
  const asUser = await fetch(`${server.baseUrl}/api/v1/oauth/clients`, { headers: { authorization: basic } });
  assert.equal(asUser.status, 403);
  const bad = await server.api('/api/v1/oauth/clients', { method: 'POST', json: { name: 'x', type: 'public', redirectUris: ['http://example.com/cb'] } });
  assert.equal(bad.status, 400, 'plain http only to loopback');

  const made = await registerClient(server, 'confidential', ['openid', 'imap']);
  assert.match(made.secret ?? '', /^gcs_/);
  const list = (await (await server.api('/api/v1/oauth/clients?limit=250')).json()) as { total: number; results: { id: string; type: string; scopes: string[] }[] };
  const listed = list.results.find((c) => c.id === made.id);
  assert.deepEqual(listed?.scopes, ['openid', 'imap']);
  assert.ok(!JSON.stringify(list).includes(made.secret!), 'the secret is shown only once');

  assert.equal((await server.api(`/api/v1/oauth/clients/${made.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await server.api(`/api/v1/oauth/clients/${made.id}`, { method: 'DELETE' })).status, 404);
  const gone = await token(server, made, { grant_type: 'refresh_token', refresh_token: 'x' });
  assert.equal(gone.body.error, 'invalid_client');
});

test('Stalwart POST /oauth: a signed-in user gets a code to redeem at the token endpoint', async () => {
  const basic = `Basic ${Buffer.from(`alice:${alice.password}`).toString('base64')}`;
  const res = await fetch(`${server.baseUrl}/compat/stalwart/api/oauth`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'code', client_id: web.id, redirect_uri: REDIRECT, nonce: 'ttsaXca3qx' }),
  });
  assert.equal(res.status, 200);
  const { data } = (await res.json()) as { data: { code: string; permissions: string[]; version: string; isEnterprise: boolean } };
  assert.ok(data.permissions.includes('authenticate-oauth'));
  assert.equal(data.isEnterprise, false);
  assert.match(data.version, /^\d+\.\d+\.\d+/);
  const got = await token(server, web, { grant_type: 'authorization_code', code: data.code, redirect_uri: REDIRECT });
  assert.equal(got.status, 200, JSON.stringify(got.body));

  const anonymous = await fetch(`${server.baseUrl}/compat/stalwart/api/oauth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'code', client_id: web.id, redirect_uri: REDIRECT }) });
  assert.equal(anonymous.status, 401);
  const wrongUri = await fetch(`${server.baseUrl}/compat/stalwart/api/oauth`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'code', client_id: web.id, redirect_uri: 'stalwart://auth' }),
  });
  assert.equal(wrongUri.status, 400);
});

test('at rest: the signing key is sealed, client secrets, codes and refresh tokens are only hashes', async () => {
  const tokens = await signIn(server, web, alice, 'jmap');
  const { db } = server.store;
  const [key] = await db.selectFrom('oauth_keys').selectAll().execute();
  assert.match(key.private_key, /^v1:/);
  assert.doesNotMatch(key.private_key, /"d"/);
  const dump = JSON.stringify([
    await db.selectFrom('oauth_clients').selectAll().execute(),
    await db.selectFrom('oauth_grants').selectAll().execute(),
    await db.selectFrom('oauth_refresh_tokens').selectAll().execute(),
  ]);
  assert.ok(!dump.includes(web.secret!), 'no client secret');
  assert.ok(!dump.includes(tokens.refresh_token), 'no refresh token');
  assert.ok(dump.includes(createHash('sha256').update(tokens.refresh_token).digest('hex')), 'its hash is what is kept');
});

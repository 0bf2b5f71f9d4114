import assert from 'node:assert/strict';
import { createDecipheriv, createECDH, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const CORE = 'urn:ietf:params:jmap:core';
const DAY = 86400_000;

type User = { id: string; address: string; password: string };
type Push = { path: string; headers: IncomingHttpHeaders; body: any; raw: Buffer };
let server: TestServer;
let alice: User;
let bob: User;
let accountId: string;
let endpoint: Server;
let endpointUrl: string;
const received: Push[] = [];

const basic = (u: User) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
  bob = await createUser(server, 'bob');
  accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
  endpoint = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      // Encrypted pushes are opaque here; the test holding the keys decrypts them.
      const body = req.headers['content-encoding'] ? null : JSON.parse(raw.toString('utf8'));
      received.push({ path: req.url ?? '', headers: req.headers, body, raw });
      res.writeHead(req.url?.includes('fail') ? 500 : 201).end();
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
});
after(async () => {
  await server.stop();
  await new Promise((resolve) => endpoint.close(resolve));
});

async function jmap(calls: [string, Record<string, unknown>, string][], who = alice) {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(who) },
    body: JSON.stringify({ using: [CORE], methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

const pushesTo = (path: string) => received.filter((p) => p.path === path);

async function waitFor(path: string, count: number, ms = 3000): Promise<Push[]> {
  const end = Date.now() + ms;
  while (pushesTo(path).length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return pushesTo(path);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let mailCount = 0;
async function deliver(): Promise<void> {
  const raw = Buffer.from(`From: bob@example.test\r\nTo: ${alice.address}\r\nSubject: push ${++mailCount}\r\nMessage-ID: <push-${mailCount}@example.test>\r\n\r\nhello\r\n`);
  const res = await server.api(`/api/v1/users/${alice.id}/mailboxes/inbox/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
  assert.ok(res.status < 300, await res.text());
}

/** Creates a subscription whose url ends in `path` and returns its id and the pushed code. */
async function subscribe(path: string, extra: Record<string, unknown> = {}, who = alice): Promise<{ id: string; code: string; created: any }> {
  const [[, set]] = await jmap([['PushSubscription/set', { create: { c: { deviceClientId: 'dev-' + path, url: endpointUrl + path, ...extra } } }, 's']], who);
  assert.ok(set.created?.c, JSON.stringify(set));
  const [verification] = await waitFor(path, 1);
  assert.ok(verification, 'the PushVerification arrives');
  return { id: set.created.c.id, code: verification.body.verificationCode, created: set.created.c };
}

test('create pushes a PushVerification; only after verifying do StateChanges arrive', async () => {
  const { id, code, created } = await subscribe('/a');
  const [verification] = pushesTo('/a');
  assert.deepEqual(verification.body, { '@type': 'PushVerification', pushSubscriptionId: id, verificationCode: code });
  assert.match(code, /^[0-9a-f]{32}$/);
  assert.equal(verification.headers['content-type'], 'application/json');
  assert.ok(Number(verification.headers.ttl) > 0);
  assert.equal(created.verificationCode, null);
  assert.equal(created.types, null);
  assert.ok(!('url' in created));

  // Unverified: nothing but the verification may reach the url.
  await deliver();
  await sleep(300);
  assert.equal(pushesTo('/a').length, 1);

  const [[, got]] = await jmap([['PushSubscription/get', { ids: null }, 'g']]);
  assert.equal(got.list.length, 1);
  assert.deepEqual(Object.keys(got.list[0]).sort(), ['deviceClientId', 'expires', 'id', 'types', 'verificationCode']);
  assert.equal(got.list[0].verificationCode, null);
  assert.ok(!('accountId' in got) && !('state' in got));

  const [[, set]] = await jmap([['PushSubscription/set', { update: { [id]: { verificationCode: code } } }, 's']]);
  assert.deepEqual(set.updated, { [id]: null });
  const [[, after]] = await jmap([['PushSubscription/get', { ids: [id], properties: ['verificationCode'] }, 'g']]);
  assert.deepEqual(after.list, [{ id, verificationCode: code }]);

  await deliver();
  const [, change] = await waitFor('/a', 2);
  assert.ok(change, 'a StateChange arrives');
  assert.equal(change.headers['content-type'], 'application/json');
  assert.ok(Number(change.headers.ttl) > 0);
  assert.equal(change.body['@type'], 'StateChange');
  assert.deepEqual(Object.keys(change.body.changed), [accountId]);
  const modseq = await server.services.changes.current(accountId);
  assert.equal(change.body.changed[accountId].Email, String(modseq));
  assert.ok(!('PushSubscription' in change.body.changed[accountId]), 'subscriptions are not account data');

  await jmap([['PushSubscription/set', { destroy: [id] }, 'd']]);
});

test('a wrong verificationCode is invalidProperties and leaves the subscription unverified', async () => {
  const { id } = await subscribe('/b');
  const [[, set]] = await jmap([['PushSubscription/set', { update: { [id]: { verificationCode: 'guess' } } }, 's']]);
  assert.equal(set.notUpdated[id].type, 'invalidProperties');
  assert.deepEqual(set.notUpdated[id].properties, ['verificationCode']);
  await deliver();
  await sleep(300);
  assert.equal(pushesTo('/b').length, 1);
  await jmap([['PushSubscription/set', { destroy: [id] }, 'd']]);
});

test('urls must be https, or http to a loopback address; malformed keys are refused; immutables stay', async () => {
  const [[, set]] = await jmap([
    [
      'PushSubscription/set',
      {
        create: {
          plain: { deviceClientId: 'd', url: 'http://example.com/push' },
          name: { deviceClientId: 'd', url: 'http://localhost/push' },
          relative: { deviceClientId: 'd', url: '/push' },
          keys: { deviceClientId: 'd', url: endpointUrl + '/k', keys: { p256dh: 'x', auth: 'y' } },
          code: { deviceClientId: 'd', url: endpointUrl + '/k', verificationCode: 'mine' },
          v6: { deviceClientId: 'd', url: 'http://[::2]/push' },
        },
      },
      's',
    ],
  ]);
  assert.deepEqual(set.created, {});
  for (const cid of ['plain', 'name', 'relative', 'v6']) assert.deepEqual([set.notCreated[cid].type, set.notCreated[cid].properties], ['invalidProperties', ['url']], cid);
  assert.deepEqual(set.notCreated.keys.properties, ['keys']);
  assert.deepEqual(set.notCreated.code.properties, ['verificationCode']);
  assert.equal(pushesTo('/k').length, 0, 'nothing is sent for a refused subscription');

  const { id } = await subscribe('/c');
  const [[, upd]] = await jmap([['PushSubscription/set', { update: { [id]: { url: endpointUrl + '/other', deviceClientId: 'x' } } }, 's']]);
  assert.equal(upd.notUpdated[id].type, 'invalidProperties');
  assert.deepEqual(upd.notUpdated[id].properties.sort(), ['deviceClientId', 'url']);
  const [[name, forbidden]] = await jmap([['PushSubscription/get', { properties: ['url'] }, 'g']]);
  assert.deepEqual([name, forbidden.type], ['error', 'forbidden']);
  const [[, withAccount]] = await jmap([['PushSubscription/get', { accountId }, 'g']]);
  assert.equal(withAccount.type, 'invalidArguments');
  await jmap([['PushSubscription/set', { destroy: [id] }, 'd']]);
});

test('expires is clamped to seven days, on create and on update', async () => {
  const before = Date.now();
  const { id, created } = await subscribe('/e', { expires: new Date(before + 30 * DAY).toISOString() });
  const expires = Date.parse(created.expires);
  assert.ok(expires <= Date.now() + 7 * DAY && expires > before + 7 * DAY - 60_000, created.expires);
  assert.match(created.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  const soon = new Date(Math.floor((Date.now() + DAY) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const [[, kept]] = await jmap([['PushSubscription/set', { update: { [id]: { expires: soon } } }, 's']]);
  assert.deepEqual(kept.updated, { [id]: null }, 'an accepted expiry is not echoed');
  const [[, far]] = await jmap([['PushSubscription/set', { update: { [id]: { expires: new Date(Date.now() + 365 * DAY).toISOString() } } }, 's']]);
  assert.ok(Date.parse(far.updated[id].expires) <= Date.now() + 7 * DAY);
  const [[, past]] = await jmap([['PushSubscription/set', { update: { [id]: { expires: '2001-01-01T00:00:00Z' } } }, 's']]);
  assert.deepEqual(past.notUpdated[id].properties, ['expires']);
  const [[, none]] = await jmap([['PushSubscription/set', { create: { n: { deviceClientId: 'n', url: endpointUrl + '/n' } } }, 's']]);
  assert.ok(Date.parse(none.created.n.expires) <= Date.now() + 7 * DAY, 'no expiry asked for still gets one');
  await jmap([['PushSubscription/set', { destroy: [id, none.created.n.id] }, 'd']]);
});

test('types filter StateChanges; destroy stops pushes', async () => {
  const email = await subscribe('/d', { types: ['Email'] });
  const other = await subscribe('/t', { types: ['Identity'] });
  await jmap([['PushSubscription/set', { update: { [email.id]: { verificationCode: email.code }, [other.id]: { verificationCode: other.code } } }, 's']]);
  await deliver();
  const [, change] = await waitFor('/d', 2);
  assert.deepEqual(Object.keys(change.body.changed[accountId]), ['Email']);
  await sleep(300);
  assert.equal(pushesTo('/t').length, 1, 'no Identity change, no push');

  const [[, gone]] = await jmap([['PushSubscription/set', { destroy: [email.id, other.id] }, 'd']]);
  assert.deepEqual(gone.destroyed.sort(), [email.id, other.id].sort());
  await deliver();
  await sleep(300);
  assert.equal(pushesTo('/d').length, 2, 'nothing after destroy');
  const [[, got]] = await jmap([['PushSubscription/get', { ids: [email.id] }, 'g']]);
  assert.deepEqual(got.notFound, [email.id]);
});

test("another user's subscriptions are notFound", async () => {
  const { id, code } = await subscribe('/f');
  const [[, got], [, set]] = await jmap(
    [
      ['PushSubscription/get', { ids: [id] }, 'g'],
      ['PushSubscription/set', { update: { [id]: { verificationCode: code } }, destroy: [id] }, 's'],
    ],
    bob,
  );
  assert.deepEqual(got.list, []);
  assert.deepEqual(got.notFound, [id]);
  assert.equal(set.notUpdated[id].type, 'notFound');
  assert.equal(set.notDestroyed[id].type, 'notFound');
  const [[, all]] = await jmap([['PushSubscription/get', {}, 'g']], bob);
  assert.deepEqual(all.list, []);
  const [[, mine]] = await jmap([['PushSubscription/get', { ids: [id] }, 'g']]);
  assert.equal(mine.list.length, 1, 'still there for its owner');
  await jmap([['PushSubscription/set', { destroy: [id] }, 'd']]);
});

test('a back-reference to a subscription created in the same request', async () => {
  const [[, set], [, got]] = await jmap([
    ['PushSubscription/set', { create: { x: { deviceClientId: 'ref', url: endpointUrl + '/r' } } }, 's'],
    ['PushSubscription/get', { ids: ['#x'], properties: ['deviceClientId'] }, 'g'],
  ]);
  assert.deepEqual(got.list, [{ id: set.created.x.id, deviceClientId: 'ref' }]);
  await waitFor('/r', 1);
  await jmap([['PushSubscription/set', { destroy: [set.created.x.id] }, 'd']]);
});

test('an endpoint that keeps failing is disabled until verified again', async () => {
  const { id, code } = await subscribe('/fail');
  await jmap([['PushSubscription/set', { update: { [id]: { verificationCode: code } } }, 's']]);
  for (let i = 2; i <= 6; i++) {
    await deliver();
    assert.equal((await waitFor('/fail', i)).length, i);
  }
  await sleep(100);
  const [[, got]] = await jmap([['PushSubscription/get', { ids: [id] }, 'g']]);
  assert.equal(got.list[0].verificationCode, null, 'disabled after five failed StateChanges');
  await deliver();
  await sleep(300);
  assert.equal(pushesTo('/fail').length, 6);
  await jmap([['PushSubscription/set', { destroy: [id] }, 'd']]);
});

/** The user agent's side of RFC 8291: what a browser does with the push it receives. */
function decryptPush(raw: Buffer, uaPrivate: ReturnType<typeof createECDH>, auth: Buffer): unknown {
  const salt = raw.subarray(0, 16);
  const idlen = raw[20];
  const asPublic = raw.subarray(21, 21 + idlen);
  const hmac = (key: Buffer, ...data: Buffer[]) => data.reduce((h, d) => h.update(d), createHmac('sha256', key)).digest();
  const expand = (prk: Buffer, info: string | Buffer, n: number) => hmac(prk, Buffer.from(info), Buffer.from([1])).subarray(0, n);
  const uaPublic = uaPrivate.getPublicKey();
  const ikm = expand(hmac(auth, uaPrivate.computeSecret(asPublic)), Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]), 32);
  const prk = hmac(salt, ikm);
  const decipher = createDecipheriv('aes-128-gcm', expand(prk, 'Content-Encoding: aes128gcm\0', 16), expand(prk, 'Content-Encoding: nonce\0', 12));
  const body = raw.subarray(21 + idlen);
  decipher.setAuthTag(body.subarray(body.length - 16));
  const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  assert.equal(plain[plain.length - 1], 2, 'one record, ended by the last-record delimiter');
  return JSON.parse(plain.subarray(0, -1).toString('utf8'));
}

test('with keys, every push is encrypted for the user agent (RFC 8291) and decrypts to the JMAP object', async () => {
  const ua = createECDH('prime256v1');
  ua.generateKeys();
  const auth = randomBytes(16);
  const keys = { p256dh: ua.getPublicKey().toString('base64url'), auth: auth.toString('base64url') };
  const [[, set]] = await jmap([['PushSubscription/set', { create: { e: { deviceClientId: 'browser', url: endpointUrl + '/enc', keys } } }, 's']]);
  const id = set.created.e.id;
  const [verification] = await waitFor('/enc', 1);
  assert.equal(verification.headers['content-encoding'], 'aes128gcm');
  assert.ok(!verification.raw.includes(Buffer.from('PushVerification')), 'nothing readable on the wire');
  const { verificationCode } = decryptPush(verification.raw, ua, auth) as { verificationCode: string };
  assert.deepEqual(decryptPush(verification.raw, ua, auth), { '@type': 'PushVerification', pushSubscriptionId: id, verificationCode });
  await jmap([['PushSubscription/set', { update: { [id]: { verificationCode } } }, 's']]);
  await deliver();
  const [, change] = await waitFor('/enc', 2);
  const state = decryptPush(change.raw, ua, auth) as { '@type': string; changed: Record<string, unknown> };
  assert.equal(state['@type'], 'StateChange');
  assert.deepEqual(Object.keys(state.changed), [accountId]);
  const [[, got]] = await jmap([['PushSubscription/get', { ids: [id] }, 'g']]);
  assert.ok(!('keys' in got.list[0]), 'keys are never returned');
  await jmap([['PushSubscription/set', { destroy: [id] }, 'd']]);
});

test('a subscription covers every account of the pool, including one added after it was verified', async () => {
  const { id, code } = await subscribe('/pool');
  await jmap([['PushSubscription/set', { update: { [id]: { verificationCode: code } } }, 'v']]);
  const team = await server.services.directory.addAccount(alice.id, { name: 'Team' });
  await server.services.ingest.ingest({ accountId: team.id, raw: Buffer.from('Subject: to the team\r\n\r\nhello\r\n') });
  const end = Date.now() + 3000;
  const emailChange = () => pushesTo('/pool').find((p) => p.body?.['@type'] === 'StateChange' && p.body.changed[team.id]?.Email);
  while (!emailChange() && Date.now() < end) await sleep(20);
  const change = emailChange();
  assert.ok(change, 'a StateChange for the new account\'s mail arrives');
  assert.deepEqual(Object.keys(change.body.changed), [team.id]);
  await jmap([['PushSubscription/set', { destroy: [id] }, 'd']]);
});

import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { after, before, test } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { addUser, rawMessage, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';

// a sends for example.test; b is the MX of dest.test, where a's static route takes that mail.
let a: TestServer;
let b: TestServer;
let alice: Mailbox;
let bob: Mailbox;

interface Key {
  domain: string;
  selector: string;
  algorithm: string;
  dnsName: string;
  dnsRecord: string;
  createdAt: string;
}
interface Rec {
  type: string;
  name: string;
  content: string;
}

const MONTH = /^\d{6}[er]$/;

before(async () => {
  // The receiving server checks DKIM against what the sending server publishes.
  b = (await startTestServer({ resolver: (name, rrtype) => resolver(name, rrtype) }))!;
  bob = await addUser(b, 'bob@dest.test');
  a = await startServer({ relayRoutes: `dest.test=127.0.0.1:${b.listeners.smtp.port}` });
  alice = await addUser(a, 'alice@example.test');
  await addUser(a, 'carol@other.test');
});
after(async () => {
  await a?.stop();
  await b?.stop();
});

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (text ? JSON.parse(text) : null) as T;
}

async function problem(res: Response, status: number): Promise<{ type: string; status: number; errors?: { field: string }[] }> {
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  const body = await json<{ type: string; status: number; errors?: { field: string }[] }>(res, status);
  assert.equal(body.status, status);
  return body;
}

const publicKeyBytes = (record: string) => Buffer.from(/; p=([A-Za-z0-9+/=]+)$/.exec(record)![1], 'base64');

test('native API: Ed25519 with the default selector, RSA with a chosen one', async () => {
  const ed = await json<Key>(await a.api('/api/v1/domains/example.test/dkim', { method: 'POST', json: { algorithm: 'ed25519' } }), 201);
  assert.match(ed.selector, MONTH);
  assert.ok(ed.selector.endsWith('e'));
  assert.equal(ed.algorithm, 'ed25519');
  assert.equal(ed.domain, 'example.test');
  assert.equal(ed.dnsName, `${ed.selector}._domainkey.example.test.`);
  assert.match(ed.dnsRecord, /^v=DKIM1; k=ed25519; h=sha256; p=/);
  assert.equal(publicKeyBytes(ed.dnsRecord).length, 32, 'RFC 8463: p= is the raw 32-byte key');

  const rsa = await json<Key>(await a.api('/api/v1/domains/example.test/dkim', { method: 'POST', json: { algorithm: 'rsa', selector: 'Mail-RSA' } }), 201);
  assert.equal(rsa.selector, 'mail-rsa');
  assert.match(rsa.dnsRecord, /^v=DKIM1; k=rsa; h=sha256; p=MIIB/);
  assert.equal(publicKeyBytes(rsa.dnsRecord).length, 294, 'SPKI of a 2048-bit key');

  const list = await json<{ total: number; results: Key[]; next: null }>(await a.api('/api/v1/domains/example.test/dkim'), 200);
  assert.equal(list.total, 2);
  assert.deepEqual(list.results.map((k) => k.selector).sort(), [ed.selector, 'mail-rsa'].sort());
  assert.equal(list.next, null);
});

test('native API: errors are problems', async () => {
  const bad = await problem(await a.api('/api/v1/domains/example.test/dkim', { method: 'POST', json: { algorithm: 'dsa' } }), 400);
  assert.ok(bad.errors?.some((e) => e.field.includes('algorithm')), JSON.stringify(bad));
  await problem(await a.api('/api/v1/domains/example.test/dkim', { method: 'POST', json: { algorithm: 'rsa', selector: 'no spaces' } }), 400);
  await problem(await a.api('/api/v1/domains/nowhere.test/dkim', { method: 'POST', json: { algorithm: 'ed25519' } }), 404);
  await problem(await a.api('/api/v1/domains/nowhere.test/dkim'), 404);
  await problem(await a.api('/api/v1/domains/nowhere.test/dns'), 404);
  await problem(await a.api('/api/v1/domains/example.test/dkim', { method: 'POST', json: { algorithm: 'rsa', selector: 'mail-rsa' } }), 409);
  await problem(await a.api('/api/v1/domains/example.test/dkim', { method: 'POST', json: { algorithm: 'rsa' }, token: null }), 401);
});

test('Stalwart API: POST /dkim as the seed sends it', async () => {
  const created = await json<{ data: null }>(
    await a.api('/compat/stalwart/api/dkim', { method: 'POST', json: { id: null, algorithm: 'Ed25519', domain: 'other.test', selector: null } }),
    200,
  );
  assert.deepEqual(created, { data: null });
  await json(await a.api('/compat/stalwart/api/dkim', { method: 'POST', json: { id: null, algorithm: 'Rsa', domain: 'other.test', selector: 'r1' } }), 200);
  const keys = (await json<{ results: Key[] }>(await a.api('/api/v1/domains/other.test/dkim'), 200)).results;
  assert.deepEqual(keys.map((k) => k.algorithm).sort(), ['ed25519', 'rsa']);
  assert.match(keys.find((k) => k.algorithm === 'ed25519')!.selector, MONTH);

  const bad = await problem(await a.api('/compat/stalwart/api/dkim', { method: 'POST', json: { id: null, algorithm: 'Dsa', domain: 'other.test', selector: null } }), 400);
  assert.ok(bad.errors?.some((e) => e.field === 'algorithm'));
  await problem(await a.api('/compat/stalwart/api/dkim', { method: 'POST', json: { id: null, algorithm: 'Ed25519', domain: 'nowhere.test', selector: null } }), 404);
});

test('private keys are sealed with the server key in the database', async () => {
  const rows = await a.store.db.selectFrom('dkim_keys').selectAll().execute();
  assert.equal(rows.length, 4);
  for (const row of rows) {
    assert.doesNotMatch(row.private_key, /PRIVATE KEY|BEGIN/);
    assert.match(row.private_key, /^v1:/, 'a SecretBox envelope');
    const inner = Buffer.from(row.private_key.slice(3), 'base64');
    assert.throws(() => createPrivateKey({ key: inner, format: 'der', type: 'pkcs8' }));
    assert.throws(() => createPrivateKey(row.private_key));
  }
});

async function records(path: string): Promise<Rec[]> {
  const body = await json<{ records?: Rec[]; data?: Rec[] }>(await a.api(path), 200);
  return body.records ?? body.data!;
}

test('DNS records: native and seed shapes', async () => {
  const native = await records('/api/v1/domains/example.test/dns');
  const seed = await records('/compat/stalwart/api/dns/records/example.test');
  assert.deepEqual(seed, native);
  const find = (type: string, name: string) => native.filter((r) => r.type === type && r.name === name).map((r) => r.content);
  assert.deepEqual(find('MX', 'example.test.'), ['10 mx.test.gannet.']);
  assert.deepEqual(find('TXT', 'example.test.'), ['v=spf1 mx ra=postmaster -all']);
  const keys = (await json<{ results: Key[] }>(await a.api('/api/v1/domains/example.test/dkim'), 200)).results;
  for (const k of keys) assert.deepEqual(find('TXT', `${k.selector}._domainkey.example.test.`), [k.dnsRecord]);
  assert.deepEqual(find('TXT', '_dmarc.example.test.'), ['v=DMARC1; p=quarantine; rua=mailto:postmaster@example.test']);
  assert.match(find('TXT', '_mta-sts.example.test.')[0], /^v=STSv1; id=[0-9a-f]{20}$/);
  assert.deepEqual(find('TXT', '_smtp._tls.example.test.'), ['v=TLSRPTv1; rua=mailto:postmaster@example.test']);
  const c = a.config;
  for (const [service, port] of [
    ['submission', c.submissionPort],
    ['submissions', c.submissionsPort],
    ['imap', c.imapPort],
    ['imaps', c.imapsPort],
    ['jmap', c.httpPort],
  ] as const) {
    assert.deepEqual(find('SRV', `_${service}._tcp.example.test.`), [`0 1 ${port} mx.test.gannet.`], service);
  }
  assert.deepEqual(find('SRV', '_pop3._tcp.example.test.'), ['0 0 0 .'], 'no POP3 listener: RFC 6186 "not offered"');
  assert.deepEqual(find('CNAME', 'autoconfig.example.test.'), ['mx.test.gannet.']);
  assert.deepEqual(find('CNAME', 'autodiscover.example.test.'), ['mx.test.gannet.']);

  // A domain that signs nothing yet asks receivers only to report.
  await a.services.directory.createDomain({ name: 'plain.test' });
  const plain = await records('/compat/stalwart/api/dns/records/plain.test');
  assert.ok(plain.some((r) => r.name === '_dmarc.plain.test.' && r.content.startsWith('v=DMARC1; p=none;')));
  assert.ok(!plain.some((r) => r.name.includes('._domainkey.')));
  assert.equal((await a.api('/compat/stalwart/api/dns/records/nowhere.test')).status, 404);
});

async function arrived(subject: string): Promise<Buffer> {
  const inbox = (await b.services.mailboxes.list(bob.accountId)).find((m) => m.role === 'inbox')!;
  for (let i = 0; i < 200; i++) {
    const hit = (await b.services.messages.list(bob.accountId, inbox.id, { limit: 50 })).results.find((m) => m.subject === subject);
    if (hit) return rawMessage(b, bob.accountId, hit.id);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`"${subject}" never reached ${bob.address} at the second server`);
}

/** Answers TXT queries from a's DNS records endpoint; there is no real DNS in the test. */
async function resolver(name: string, rrtype: string): Promise<string[][]> {
  if (rrtype !== 'TXT') throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
  const published = await records('/api/v1/domains/example.test/dns');
  const found = published.filter((r) => r.type === rrtype && r.name === `${name}.`);
  if (found.length === 0) throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
  return found.map((r) => [r.content]);
}

test('mail sent through submission reaches the other server signed with both keys', async () => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: a.listeners.submission.port,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: alice.address, pass: 'correct horse battery' },
  });
  await transport.sendMail({ from: alice.address, to: bob.address, subject: 'Signed hello', text: 'Hello Bob,\r\nthis is signed.\r\n' });
  transport.close();
  const raw = await arrived('Signed hello');

  const sigs = raw.toString('latin1').match(/^DKIM-Signature:.*(\r\n[ \t].*)*/gim) ?? [];
  assert.equal(sigs.length, 2, 'an Ed25519 and an RSA signature');
  for (const s of sigs) assert.match(s.replace(/\s+/g, ''), /c=relaxed\/relaxed/);

  // Verified at the receiving server, as its Authentication-Results says, and again here.
  const atB = /^Authentication-Results: mx\.test\.gannet;(.*(\r\n[ \t].*)*)/m.exec(raw.toString('latin1'))?.[1] ?? '';
  assert.equal(atB.match(/dkim=pass/g)?.length, 2, atB);
  assert.match(atB, /dmarc=pass/);
  const verdict = await dkimVerify(raw, { resolver });
  // mailauth's results carry `algo`, though its typings call it `algorithm`.
  const results = verdict.results.map((r) => ({ domain: r.signingDomain, algo: (r as unknown as { algo: string }).algo, result: r.status.result }));
  assert.deepEqual(results.sort((x, y) => String(x.algo).localeCompare(String(y.algo))), [
    { domain: 'example.test', algo: 'ed25519-sha256', result: 'pass' },
    { domain: 'example.test', algo: 'rsa-sha256', result: 'pass' },
  ]);
  const forged = Buffer.from(raw.toString('latin1').replace('this is signed', 'this is forged'), 'latin1');
  // mailauth says neutral when the body hash no longer matches.
  assert.deepEqual((await dkimVerify(forged, { resolver })).results.map((r) => r.status.result), ['neutral', 'neutral']);
});

test('a deleted key signs no more and is gone from the records', async () => {
  await json(await a.api('/api/v1/domains/example.test/dkim/mail-rsa', { method: 'DELETE' }), 204);
  await problem(await a.api('/api/v1/domains/example.test/dkim/mail-rsa', { method: 'DELETE' }), 404);
  assert.ok(!(await records('/api/v1/domains/example.test/dns')).some((r) => r.name.startsWith('mail-rsa.')));
  const signed = await a.services.dkim.sign(Buffer.from('From: alice@example.test\r\nSubject: x\r\n\r\nbody\r\n'), '');
  assert.equal(signed.toString('latin1').match(/^DKIM-Signature:/gim)?.length, 1);
  // No From header: the envelope sender's domain; a domain without keys: untouched.
  const bare = Buffer.from('Subject: y\r\n\r\nbody\r\n');
  assert.match((await a.services.dkim.sign(bare, 'carol@other.test')).toString('latin1'), /d=other\.test/);
  assert.equal(await a.services.dkim.sign(bare, 'x@plain.test'), bare);
});

test('a key that cannot be opened makes signing a temporary failure, not unsigned mail', async () => {
  await json(await a.api('/api/v1/domains/plain.test/dkim', { method: 'POST', json: { algorithm: 'ed25519', selector: 'broken' } }), 201);
  // As after secretKey changed: sealed under some other key.
  await a.store.db.updateTable('dkim_keys').set({ private_key: `v1:${Buffer.alloc(60, 7).toString('base64')}` }).where('selector', '=', 'broken').execute();
  await assert.rejects(a.services.dkim.sign(Buffer.from('From: x@plain.test\r\n\r\nbody\r\n'), ''), (err: Error & { code?: string }) => err.code === 'unavailable');
});

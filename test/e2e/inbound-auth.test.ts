import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { authenticate, dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import { CORPUS_DIR } from '../helpers/corpus.ts';
import { staticResolver, type DnsFixture } from '../helpers/dns.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { addUser, rawMessage, splitTrace, type Mailbox } from '../protocols/smtp/fixtures.ts';
import { canonicalize, withFinalCrlf } from '../protocols/smtp/wire.ts';

const HOST = 'mx.test.gannet';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

// The only DNS these servers see. Mail comes from 127.0.0.1, which only sender.test's SPF allows.
const DNS: DnsFixture = {
  'TXT sender.test': [['v=spf1 ip4:127.0.0.1 -all']],
  // Long TXT records arrive as several strings; mailauth joins them.
  'TXT sel._domainkey.sender.test': [['v=DKIM1; k=rsa; p=', publicKey.slice(0, 200), publicKey.slice(200)]],
  'TXT _dmarc.sender.test': [['v=DMARC1; p=reject']],
  // A forwarder that seals with ARC and whose SPF allows 127.0.0.1 too.
  'TXT forward.test': [['v=spf1 ip4:127.0.0.1 -all']],
  'TXT arc._domainkey.forward.test': [['v=DKIM1; k=rsa; p=', publicKey]],
  'TXT bank.test': [['v=spf1 ip4:192.0.2.1 -all']],
  'TXT _dmarc.bank.test': [['v=DMARC1; p=reject; rua=mailto:dmarc@bank.test']],
  'TXT shop.test': [['v=spf1 ip4:192.0.2.1 -all']],
  'TXT _dmarc.shop.test': [['v=DMARC1; p=quarantine']],
  // RFC 8463 Appendix A.2: the keys of the corpus's copy of that RFC's example message.
  'TXT brisbane._domainkey.football.example.com': [['v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=']],
  'TXT test._domainkey.football.example.com': [
    [
      'v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR',
      'iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC',
      'DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3',
      'Ip3G+2kryOTIKT+l/K4w3QIDAQAB',
    ],
  ],
};

let enforce: TestServer;
let reportOnly: TestServer;
let alice: Mailbox;
let aliceReport: Mailbox;

async function start(config: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer({ ...config, resolver: staticResolver(DNS) });
  if (!server) throw new Error('test server did not start');
  return server;
}

before(async () => {
  enforce = await start({});
  reportOnly = await start({ config: { dmarcPolicy: 'report-only' } });
  alice = await addUser(enforce, 'alice@example.test');
  aliceReport = await addUser(reportOnly, 'alice@example.test');
});

after(async () => {
  await enforce?.stop();
  await reportOnly?.stop();
});

let sequence = 0;
function message(from: string, subject: string, extra = ''): Buffer {
  sequence++;
  return Buffer.from(
    `${extra}From: ${from}\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nDate: Sun, 22 Nov 2026 09:00:00 +0000\r\nMessage-ID: <${sequence}.${Date.now()}@test>\r\n\r\nHello,\r\n\r\nthis is ${subject}.\r\n`,
  );
}

async function signed(raw: Buffer): Promise<Buffer> {
  const privateKey = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const signature = { signingDomain: 'sender.test', selector: 'sel', privateKey };
  // mailauth 4.13's types ask for the fields at the top level; its signer reads signatureData.
  // Without signTime it reads the clock once for the signed t= and again for the written one:
  // about one signature in a thousand straddles a half-second and never verifies.
  const result = await dkimSign(raw, { ...signature, signTime: new Date(), signatureData: [signature] });
  assert.deepEqual(result.errors, []);
  return Buffer.concat([Buffer.from(result.signatures), raw]);
}

/** Sends with nodemailer over the MX listener (or LMTP); resolves to the final reply. */
async function send(server: TestServer, mailFrom: string, raw: Buffer, lmtp = false): Promise<string> {
  const port = lmtp ? server.listeners.lmtp.port : server.listeners.smtp.port;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, lmtp, name: 'mail.sender.test' });
  try {
    const info = await transport.sendMail({ envelope: { from: mailFrom, to: ['alice@example.test'] }, raw });
    return info.response;
  } finally {
    transport.close();
  }
}

/** The one message with `subject` in the mailbox with `role`, raw; undefined when there is none. */
async function find(server: TestServer, who: Mailbox, role: string, subject: string): Promise<Buffer | undefined> {
  const mailbox = (await server.services.mailboxes.list(who.accountId)).find((m) => m.role === role);
  assert.ok(mailbox, `${role} mailbox`);
  const page = await server.services.messages.list(who.accountId, mailbox.id, { limit: 250 });
  const found = page.results.filter((m) => m.subject === subject);
  assert.ok(found.length <= 1, `at most one "${subject}"`);
  return found.length ? rawMessage(server, who.accountId, found[0].id) : undefined;
}

async function delivered(server: TestServer, who: Mailbox, role: string, subject: string, sent: Buffer): Promise<string> {
  const raw = await find(server, who, role, subject);
  assert.ok(raw, `"${subject}" in ${role}`);
  const traced = splitTrace(raw, sent.length);
  assert.deepEqual(traced.body, sent, 'everything below the Authentication-Results field is what the client sent');
  return traced.authenticationResults;
}

test('a DKIM-signed message from an SPF-allowed address passes SPF, DKIM and DMARC and lands in INBOX', async () => {
  const raw = await signed(message('News <news@sender.test>', 'signed and allowed'));
  assert.match(await send(enforce, 'bounces@sender.test', raw), /^250 /);
  const ar = await delivered(enforce, alice, 'inbox', 'signed and allowed', raw);
  assert.match(ar, new RegExp(`^${HOST.replaceAll('.', '\\.')}; `));
  assert.match(ar, /\bdkim=pass header\.i=@sender\.test header\.s=sel header\.a=rsa-sha256\b/);
  assert.match(ar, /\bspf=pass \([^)]*\) smtp\.mailfrom=bounces@sender\.test smtp\.helo=mail\.sender\.test\b/);
  assert.match(ar, /\bdmarc=pass \(p=REJECT[^)]*\) header\.from=sender\.test\b/);
  assert.doesNotMatch(ar, /Received-SPF/, 'one field is added, not mailauth\'s Received-SPF too');
  // The field sits right below our Received field and is folded like a header.
  const stored = (await find(enforce, alice, 'inbox', 'signed and allowed'))!.toString('latin1');
  assert.match(stored, new RegExp(`\\+0000\\r\\nAuthentication-Results: ${HOST.replaceAll('.', '\\.')};\\r\\n `));
});

test('a message forwarded with an ARC seal verifies the chain: arc=pass', async () => {
  const original = await signed(message('News <news@sender.test>', 'forwarded with arc'));
  // The forwarder checks what it received (from sender.test's allowed address) and seals it.
  const privateKey = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forwarder = await authenticate(original, {
    ip: '127.0.0.1',
    helo: 'mail.sender.test',
    sender: 'news@sender.test',
    mta: 'lists.forward.test',
    resolver: staticResolver(DNS),
    seal: { signingDomain: 'forward.test', selector: 'arc', privateKey },
  });
  const arcSet = forwarder.headers.slice(0, forwarder.headers.indexOf('Received-SPF:'));
  assert.match(arcSet, /^ARC-Seal: i=1; /);
  const raw = Buffer.concat([Buffer.from(arcSet), original]);
  assert.match(await send(enforce, 'bounces@forward.test', raw), /^250 /);
  const ar = await delivered(enforce, alice, 'inbox', 'forwarded with arc', raw);
  assert.match(ar, /\barc=pass \(i=1 spf=pass dkim=pass dkdomain=sender\.test\b/);
  assert.match(ar, /\bdkim=pass header\.i=@sender\.test\b/);
  assert.match(ar, /\bspf=pass \([^)]*\) smtp\.mailfrom=bounces@forward\.test\b/);
});

test('enforce: a spoofed From of a p=reject domain is refused with 550 5.7.1 at the end of DATA; nothing is stored', async () => {
  const raw = message('CEO <ceo@bank.test>', 'spoofed bank');
  await assert.rejects(send(enforce, 'ceo@bank.test', raw), (err: Error & { responseCode?: number; response?: string }) => {
    assert.equal(err.responseCode, 550);
    assert.match(err.response ?? '', /^550 5\.7\.1 DMARC policy of bank\.test rejects/);
    return true;
  });
  assert.equal(await find(enforce, alice, 'inbox', 'spoofed bank'), undefined);
  assert.equal(await find(enforce, alice, 'junk', 'spoofed bank'), undefined);
});

test('report-only: the same spoof is delivered to INBOX with spf=fail and dmarc=fail', async () => {
  const raw = message('CEO <ceo@bank.test>', 'spoofed bank reported');
  assert.match(await send(reportOnly, 'ceo@bank.test', raw), /^250 /);
  const ar = await delivered(reportOnly, aliceReport, 'inbox', 'spoofed bank reported', raw);
  assert.match(ar, /\bspf=fail\b/);
  assert.match(ar, /\bdkim=none\b/);
  assert.match(ar, /\bdmarc=fail \(p=REJECT[^)]*\) header\.from=bank\.test\b/);
});

test('enforce: a p=quarantine failure goes to Junk, not INBOX', async () => {
  const raw = message('Shop <offers@shop.test>', 'quarantined offer');
  assert.match(await send(enforce, 'offers@shop.test', raw), /^250 /);
  assert.equal(await find(enforce, alice, 'inbox', 'quarantined offer'), undefined);
  const ar = await delivered(enforce, alice, 'junk', 'quarantined offer', raw);
  assert.match(ar, /\bdmarc=fail \(p=QUARANTINE[^)]*\) header\.from=shop\.test\b/);
});

test('an Authentication-Results field from outside claiming our name is kept below ours and changes nothing', async () => {
  const forged = `Authentication-Results: ${HOST}; spf=pass smtp.mailfrom=bank.test; dkim=pass header.d=bank.test; dmarc=pass header.from=bank.test\r\n`;
  const raw = message('CEO <ceo@bank.test>', 'forged results', forged);
  await assert.rejects(send(enforce, 'ceo@bank.test', raw), (err: Error & { responseCode?: number }) => err.responseCode === 550);
  assert.match(await send(reportOnly, 'ceo@bank.test', raw), /^250 /);
  const ar = await delivered(reportOnly, aliceReport, 'inbox', 'forged results', raw);
  assert.match(ar, /\bdmarc=fail\b/);
});

test('LMTP mail is not checked: its peer is a trusted MTA', async () => {
  const raw = message('CEO <ceo@bank.test>', 'spoof over lmtp');
  assert.match(await send(enforce, 'ceo@bank.test', raw, true), /^250 /);
  const stored = await find(enforce, alice, 'inbox', 'spoof over lmtp');
  assert.ok(stored);
  assert.equal(splitTrace(stored, raw.length).authenticationResults, '');
});

test('corpus: the RFC 8463 example verifies with both of its signatures, Ed25519 and RSA, against the RFC\'s published keys', async () => {
  const raw = withFinalCrlf(canonicalize(readFileSync(join(CORPUS_DIR, 'mimekit/dkim/rfc8463-example.msg'))));
  assert.match(await send(enforce, 'joe@football.example.com', raw), /^250 /);
  const ar = await delivered(enforce, alice, 'inbox', 'Is dinner ready?', raw);
  assert.match(ar, /\bdkim=pass header\.i=@football\.example\.com header\.s=brisbane header\.a=ed25519-sha256\b/);
  assert.match(ar, /\bdkim=pass header\.i=@football\.example\.com header\.s=test header\.a=rsa-sha256\b/);
  // football.example.com publishes neither SPF nor DMARC in the fixture.
  assert.match(ar, /\bspf=none\b/);
  assert.match(ar, /\bdmarc=none\b/);
});

test('corpus: James\'s badDkim fixture gives dkim=fail (body hash did not verify), without any key lookup', async () => {
  const raw = withFinalCrlf(canonicalize(readFileSync(join(CORPUS_DIR, 'james-project/server/apps/memory-app/eml/badDkim.eml'))));
  assert.match(await send(enforce, 'comptetest15.linagora@avocat.fr', raw), /^250 /);
  const ar = await delivered(enforce, alice, 'inbox', 'Test DKIM', raw);
  assert.match(ar, /\bdkim=fail \(body hash did not verify\) header\.i=@avocat\.fr header\.s=s2\b/);
});

test('a signed message whose body changed on the way fails DKIM on the body hash but still passes DMARC through SPF', async () => {
  const good = await signed(message('News <news@sender.test>', 'altered body'));
  const raw = Buffer.from(good.toString('latin1').replace('this is altered body.', 'this is an altered body.'), 'latin1');
  assert.match(await send(enforce, 'bounces@sender.test', raw), /^250 /);
  const ar = await delivered(enforce, alice, 'inbox', 'altered body', raw);
  assert.match(ar, /\bdkim=fail \(body hash did not verify\) header\.i=@sender\.test\b/);
  assert.match(ar, /\bdmarc=pass\b/);
});

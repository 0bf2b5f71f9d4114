import assert from 'node:assert/strict';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { after, before, test } from 'node:test';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { httpsPolicyFetcher } from '../../src/services/outbound/mta-sts.ts';
import { staticResolver } from '../helpers/dns.ts';
import { freePort } from '../helpers/ports.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

// Real receivers on loopback, reached the two ways delivery can go:
// - by MX: the static resolver names 127.0.0.1 (a receiver whose certificate the test CA trusts,
//   valid for that address) or 127.0.0.2 (a self-signed certificate the server does not trust), both
//   on the one port the server is told MX hosts listen on; MTA-STS policies come from a local
//   HTTPS server through the policy fetch seam;
// - by static route: a slow receiver (concurrency and reuse) and the troubleshooting ones.

interface Receiver {
  server: SMTPServer;
  port: number;
  received: { to: string[]; secure: boolean }[];
  connections: number;
  open: number;
  maxOpen: number;
}

/** A receiving MX; `nobody@…` is refused with 550 at RCPT, `delayMs` slows DATA down. */
async function receiver(host: string, port: number, opts: { key?: string; cert?: string; delayMs?: number } = {}): Promise<Receiver> {
  const r: Receiver = { server: undefined as unknown as SMTPServer, port, received: [], connections: 0, open: 0, maxOpen: 0 };
  r.server = new SMTPServer({
    authOptional: true,
    logger: false,
    key: opts.key,
    cert: opts.cert,
    onConnect(_s: SMTPServerSession, cb: (err?: Error | null) => void) {
      r.connections++;
      r.maxOpen = Math.max(r.maxOpen, ++r.open);
      cb();
    },
    onClose() {
      r.open--;
    },
    onRcptTo(a: SMTPServerAddress, _s: SMTPServerSession, cb: (err?: Error | null) => void) {
      if (a.address.startsWith('nobody@')) return cb(Object.assign(new Error('5.1.1 no such user here'), { responseCode: 550 }));
      cb();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      stream.resume();
      stream.on('end', () =>
        setTimeout(() => {
          r.received.push({ to: session.envelope.rcptTo.map((x) => x.address), secure: session.secure });
          cb();
        }, opts.delayMs ?? 0),
      );
    },
  });
  await new Promise<void>((resolve) => r.server.listen(port, host, resolve));
  return r;
}

const policies: Record<string, string> = {
  'enforce.test': 'version: STSv1\r\nmode: enforce\r\nmx: 127.0.0.1\r\nmax_age: 86400\r\n',
  'untrusted.test': 'version: STSv1\r\nmode: enforce\r\nmx: 127.0.0.2\r\nmax_age: 86400\r\n',
  'testing.test': 'version: STSv1\r\nmode: testing\r\nmx: mx.elsewhere.test\r\nmax_age: 86400\r\n',
  'mismatch.test': 'version: STSv1\r\nmode: enforce\r\nmx: *.elsewhere.test\r\nmax_age: 86400\r\n',
};

let s: TestServer;
let trusted: Receiver;
let untrusted: Receiver;
let slow: Receiver;
let plain: Receiver;
let https: HttpsServer;
let policyFetches = 0;

before(async () => {
  const pems = await generate([{ name: 'commonName', value: 'gannet test' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, ...Object.keys(policies).map((d) => ({ type: 2 as const, value: `mta-sts.${d}` }))] },
    ],
  });
  // A certificate of its own, valid for 127.0.0.2 but signed by nobody the server trusts
  // (smtp-server's built-in one is too weak for today's OpenSSL).
  const stranger = await generate([{ name: 'commonName', value: 'stranger' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.2' }] }] });
  https = createHttps({ key: pems.private, cert: pems.cert }, (req, res) => {
    policyFetches++;
    const body = policies[(req.headers.host ?? '').replace(/^mta-sts\./, '')];
    res.writeHead(body && req.url === '/.well-known/mta-sts.txt' ? 200 : 404, { 'content-type': 'text/plain' }).end(body ?? '');
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const mxPort = await freePort();
  trusted = await receiver('127.0.0.1', mxPort, { key: pems.private, cert: pems.cert });
  untrusted = await receiver('127.0.0.2', mxPort, { key: stranger.private, cert: stranger.cert });
  slow = await receiver('127.0.0.1', await freePort(), { delayMs: 100, key: pems.private, cert: pems.cert });
  plain = await receiver('127.0.0.1', await freePort(), { key: stranger.private, cert: stranger.cert });
  const mx = (host: string) => [{ exchange: host, priority: 10 }] as unknown as string[];
  const resolver = staticResolver({
    'MX enforce.test': mx('127.0.0.1'),
    'TXT _mta-sts.enforce.test': [['v=STSv1; id=20261122']],
    'MX untrusted.test': mx('127.0.0.2'),
    'TXT _mta-sts.untrusted.test': [['v=STSv1; id=1']],
    'MX testing.test': mx('127.0.0.2'),
    'TXT _mta-sts.testing.test': [['v=STSv1; id=1']],
    'MX mismatch.test': mx('127.0.0.1'),
    'TXT _mta-sts.mismatch.test': [['v=STSv1; ', 'id=7']],
    'MX nosts.test': mx('127.0.0.2'),
  });
  const started = await startTestServer({
    config: { relayRoutes: `slow.test=127.0.0.1:${slow.port},plain.test=127.0.0.1:${plain.port}`, outboundConnectionsPerHost: 3 },
    resolver,
    outbound: { mxPort, ca: pems.cert, fetchPolicy: httpsPolicyFetcher({ ca: pems.cert, connect: { host: '127.0.0.1', port: (https.address() as { port: number }).port } }) },
  });
  if (!started) throw new Error('test server did not start');
  s = started;
});

after(async () => {
  await s?.stop();
  for (const r of [trusted, untrusted, slow, plain]) await new Promise<void>((resolve) => r?.server.close(() => resolve()));
  https?.close();
});

const raw = (to: string, n = 0) => Buffer.from(`From: a@example.test\r\nTo: ${to}\r\nSubject: m${n}\r\nMessage-ID: <m${n}.${to}>\r\n\r\nbody\r\n`);

/** The recipient's state after its first attempt: gone (delivered) or waiting with a reply. */
async function firstAttempt(id: string) {
  return until(async () => {
    const rows = await s.services.queue.recipients(id);
    return rows.length === 0 ? { status: 'delivered', lastResponse: null } : rows[0].attempts > 0 && rows[0];
  }, `an attempt of ${id}`);
}

test('MTA-STS enforce: a matching MX with a certificate valid for it gets the mail over TLS', async () => {
  const id = await s.services.queue.enqueue({ from: 'a@example.test', to: ['x@enforce.test'], raw: raw('x@enforce.test'), origin: 'test' });
  assert.equal((await firstAttempt(id)).status, 'delivered');
  assert.deepEqual(trusted.received.at(-1), { to: ['x@enforce.test'], secure: true });
});

test('MTA-STS enforce with a certificate nobody vouches for: deferred, never sent in plaintext', async () => {
  const before = untrusted.received.length;
  const id = await s.services.queue.enqueue({ from: 'a@example.test', to: ['x@untrusted.test'], raw: raw('x@untrusted.test'), origin: 'test' });
  const r = await firstAttempt(id);
  assert.equal(r.status, 'queued');
  assert.match(String(r.lastResponse), /certificate|self[- ]signed/i);
  assert.equal(untrusted.received.length, before);
});

test('MTA-STS enforce whose mx patterns match no MX: deferred without connecting', async () => {
  const connections = trusted.connections;
  const id = await s.services.queue.enqueue({ from: 'a@example.test', to: ['x@mismatch.test'], raw: raw('x@mismatch.test'), origin: 'test' });
  const r = await firstAttempt(id);
  assert.equal(r.status, 'queued');
  assert.match(String(r.lastResponse), /no MX of mismatch\.test matches its MTA-STS policy \(\*\.elsewhere\.test\)/);
  assert.equal(trusted.connections, connections);
});

test('MTA-STS testing and no policy: delivered as before (opportunistic TLS, any certificate)', async () => {
  for (const to of ['x@testing.test', 'y@nosts.test']) {
    const id = await s.services.queue.enqueue({ from: 'a@example.test', to: [to], raw: raw(to), origin: 'test' });
    assert.equal((await firstAttempt(id)).status, 'delivered');
    assert.deepEqual(untrusted.received.at(-1), { to: [to], secure: true });
  }
});

test('the policy is cached: a second message to the domain fetches nothing', async () => {
  const fetches = policyFetches;
  const id = await s.services.queue.enqueue({ from: 'a@example.test', to: ['z@enforce.test'], raw: raw('z@enforce.test'), origin: 'test' });
  assert.equal((await firstAttempt(id)).status, 'delivered');
  assert.equal(policyFetches, fetches);
});

test('20 messages to one host: at most outboundConnectionsPerHost connections, reused across messages', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(await s.services.queue.enqueue({ from: 'a@example.test', to: [`u${i}@slow.test`], raw: raw(`u${i}@slow.test`, i), origin: 'test' }));
  await until(() => slow.received.length === 20, 'all 20 messages at the slow receiver', 20_000);
  assert.ok(slow.maxOpen <= 3, `at most 3 connections at once, saw ${slow.maxOpen}`);
  assert.ok(slow.maxOpen >= 2, `deliveries ran in parallel, saw ${slow.maxOpen}`);
  assert.ok(slow.connections < 20, `connections were reused: ${slow.connections} for 20 messages`);
  assert.ok(slow.received.every((m) => m.secure));
  // The outcome is committed just after the receiver's reply.
  for (const id of ids) await until(async () => (await s.services.queue.recipients(id)).length === 0, `${id} settled`);
});

test('troubleshooting, native: an accepting and a refusing route, step by step, nothing sent', async () => {
  const sent = plain.received.length;
  const res = await s.api('/api/v1/troubleshoot/delivery/someone@plain.test');
  assert.equal(res.status, 200, await res.clone().text());
  const ok = await res.json();
  assert.equal(ok.recipient, 'someone@plain.test');
  assert.deepEqual(ok.route, { via: 'static', mx: null, mtaSts: null, mtaStsError: null, error: null, elapsedMs: ok.route.elapsedMs });
  assert.equal(ok.hosts.length, 1);
  assert.equal(ok.hosts[0].result, 'accepted');
  assert.deepEqual(ok.hosts[0].steps.map((x: any) => x.step), ['connect', 'greeting', 'ehlo', 'starttls', 'ehlo', 'mailFrom', 'rcptTo', 'quit']);
  assert.ok(ok.hosts[0].steps.every((x: any) => x.ok && Number.isInteger(x.elapsedMs)));
  const tls = ok.hosts[0].steps[3].tls;
  assert.equal(tls.certificateValid, false); // self-signed, and not for 127.0.0.1 either
  assert.ok(tls.protocol);

  const refused = await (await s.api('/api/v1/troubleshoot/delivery/nobody@plain.test')).json();
  assert.equal(refused.hosts[0].result, 'refused');
  const rcpt = refused.hosts[0].steps.find((x: any) => x.step === 'rcptTo');
  assert.equal(rcpt.ok, false);
  assert.match(rcpt.response, /^550 5\.1\.1 no such user here/);
  assert.equal(plain.received.length, sent);
});

test('troubleshooting shows the MX, the MTA-STS policy and the certificate check', async () => {
  const report = await (await s.api('/api/v1/troubleshoot/delivery/x@enforce.test')).json();
  assert.equal(report.route.via, 'mx');
  assert.deepEqual(report.route.mx, [{ host: '127.0.0.1', preference: 10 }]);
  assert.deepEqual(report.route.mtaSts, { id: '20261122', mode: 'enforce', mx: ['127.0.0.1'], maxAge: 86400 });
  assert.equal(report.hosts[0].requireTls, true);
  assert.equal(report.hosts[0].steps.find((x: any) => x.step === 'starttls').tls.certificateValid, true);
  assert.equal(report.hosts[0].result, 'accepted');

  const bad = await (await s.api('/api/v1/troubleshoot/delivery/x@untrusted.test')).json();
  assert.equal(bad.hosts[0].result, 'failed');
  const starttls = bad.hosts[0].steps.find((x: any) => x.step === 'starttls');
  assert.equal(starttls.ok, false);
  assert.equal(starttls.tls.certificateValid, false);
  assert.ok(!bad.hosts[0].steps.some((x: any) => x.step === 'mailFrom'));

  const none = await (await s.api('/api/v1/troubleshoot/delivery/x@mismatch.test')).json();
  assert.match(none.route.error, /matches its MTA-STS policy/);
  assert.deepEqual(none.hosts, []);
});

test('troubleshooting in the Stalwart shape, and problem details for a malformed recipient', async () => {
  const ok = await s.api('/compat/stalwart/api/troubleshoot/delivery/someone@plain.test');
  assert.equal(ok.status, 200);
  const stages = (await ok.json()).data.map((x: any) => x.type);
  assert.deepEqual(stages.slice(0, 3), ['deliveryAttemptStart', 'connectionStart', 'connectionSuccess']);
  assert.ok(stages.includes('rcptToSuccess'));
  assert.equal(stages.at(-1), 'completed');
  const refused = (await (await s.api('/compat/stalwart/api/troubleshoot/delivery/nobody@plain.test')).json()).data;
  const error = refused.find((x: any) => x.type === 'rcptToError');
  assert.match(error.reason, /^550/);
  const mx = (await (await s.api('/compat/stalwart/api/troubleshoot/delivery/x@enforce.test')).json()).data;
  assert.deepEqual(mx.slice(0, 2).map((x: any) => x.type), ['mxLookupStart', 'mxLookupSuccess']);
  assert.equal(mx.find((x: any) => x.type === 'mtaStsFetchSuccess').policy.mode, 'enforce');

  for (const path of ['/api/v1/troubleshoot/delivery/not-an-address', '/compat/stalwart/api/troubleshoot/delivery/not-an-address']) {
    const res = await s.api(path);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = await res.json();
    assert.equal(problem.type, 'urn:gannet:problem:invalid');
    assert.equal(problem.errors[0].field, 'recipient');
  }
  assert.equal((await s.api('/api/v1/troubleshoot/delivery/x@plain.test', { token: null })).status, 401);
});

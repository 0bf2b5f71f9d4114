import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import type { TestServer } from '../helpers/server.ts';
import { addUser, inbox, rawMessage, splitTrace, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';

const run = promisify(execFile);
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const PYTHON = has('python3');
const SWAKS = has('swaks');

let server: TestServer;
let alice: Mailbox;
let bob: Mailbox;
let tight: Mailbox;
let dir: string;

const message = (subject: string, body = 'Plain body.\r\n..two dots in the original\r\n') =>
  Buffer.from(`From: sender@remote.test\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}.${subject.length}@remote.test>\r\n\r\n${body}`);

function file(name: string, content: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function stored(who: Mailbox, subject: string): Promise<Buffer> {
  const found = (await inbox(server, who.accountId)).filter((m) => m.subject === subject);
  assert.equal(found.length, 1, `one "${subject}" for ${who.address}`);
  return rawMessage(server, who.accountId, found[0].id);
}

// Python's smtplib.LMTP reads one reply after DATA; the other recipients' replies follow.
const PY_CLIENT = `
import json, smtplib, sys
proto, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rcpts = sys.argv[4:]
msg = open(path, 'rb').read()
c = smtplib.LMTP('127.0.0.1', port) if proto == 'lmtp' else smtplib.SMTP('127.0.0.1', port)
c.ehlo('py.client.test')
out = {'mail': c.mail('py@remote.test')[0], 'rcpt': [], 'data': []}
accepted = 0
for r in rcpts:
    code = c.rcpt(r)[0]
    out['rcpt'].append(code)
    accepted += code == 250
code, text = c.data(msg)
out['data'].append([code, text.decode()])
if proto == 'lmtp':
    for _ in range(accepted - 1):
        code, text = c.getreply()
        out['data'].append([code, text.decode()])
c.quit()
print(json.dumps(out))
`;

interface PyResult {
  mail: number;
  rcpt: number[];
  data: [number, string][];
}

async function python(proto: 'smtp' | 'lmtp', path: string, rcpts: string[]): Promise<PyResult> {
  const port = proto === 'smtp' ? server.listeners.smtp.port : server.listeners.lmtp.port;
  const { stdout } = await run('python3', ['-c', PY_CLIENT, proto, String(port), path, ...rcpts]);
  return JSON.parse(stdout) as PyResult;
}

// swaks sends CRLF before the final dot even when the data already ends with one.
const swaksFramed = (raw: Buffer) => Buffer.concat([raw, Buffer.from('\r\n')]);

before(async () => {
  server = await startServer();
  alice = await addUser(server, 'alice@example.test');
  bob = await addUser(server, 'bob@example.test');
  tight = await addUser(server, 'tight@example.test', 3000);
  dir = mkdtempSync(join(tmpdir(), 'gannet-smtp-clients-'));
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('nodemailer: refused recipients are reported, the accepted one gets the message', async () => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.listeners.smtp.port, secure: false, ignoreTLS: true });
  const raw = message('nodemailer mixed');
  const info = await transport.sendMail({ envelope: { from: 'sender@remote.test', to: ['nobody@example.test', 'bob@example.test', 'someone@elsewhere.test'] }, raw });
  assert.deepEqual(info.accepted, ['bob@example.test']);
  assert.deepEqual(info.rejected.sort(), ['nobody@example.test', 'someone@elsewhere.test']);
  await assert.rejects(
    transport.sendMail({ envelope: { from: 'sender@remote.test', to: ['someone@elsewhere.test'] }, raw }),
    (err: Error & { responseCode?: number; response?: string }) => err.responseCode === 554 && /5\.7\.1/.test(err.response ?? ''),
  );
  transport.close();
  assert.deepEqual(splitTrace(await stored(bob, 'nodemailer mixed'), raw.length).body, raw);
});

test('Python smtplib.SMTP delivers byte-identical (dot-stuffing round trip)', { skip: !PYTHON && 'skipped: python3 not installed' }, async () => {
  const raw = message('python smtp');
  const result = await python('smtp', file('py-smtp.eml', raw), ['alice@example.test', 'nobody@example.test']);
  assert.equal(result.mail, 250);
  assert.deepEqual(result.rcpt, [250, 550]);
  assert.equal(result.data[0][0], 250);
  assert.match(result.data[0][1], /^2\.0\.0 /);
  assert.deepEqual(splitTrace(await stored(alice, 'python smtp'), raw.length).body, raw);
});

test('Python smtplib.LMTP gets one reply per recipient, over quota in the middle', { skip: !PYTHON && 'skipped: python3 not installed' }, async () => {
  const raw = message('python lmtp', `${'p'.repeat(900)}\r\n`.repeat(5));
  const result = await python('lmtp', file('py-lmtp.eml', raw), ['alice@example.test', 'tight@example.test', 'bob@example.test']);
  assert.deepEqual(result.rcpt, [250, 250, 250]);
  assert.deepEqual(result.data.map(([code]) => code), [250, 452, 250]);
  assert.match(result.data[1][1], /^4\.2\.2 <tight@example\.test>/);
  assert.deepEqual(splitTrace(await stored(alice, 'python lmtp'), raw.length).body, raw);
  assert.deepEqual(splitTrace(await stored(bob, 'python lmtp'), raw.length).body, raw);
  assert.equal((await inbox(server, tight.accountId)).length, 0);
});

test('swaks over SMTP', { skip: !SWAKS && 'skipped: swaks not installed' }, async () => {
  const raw = message('swaks smtp');
  const { stdout } = await run('swaks', ['--server', '127.0.0.1', '--port', String(server.listeners.smtp.port), '--helo', 'swaks.remote.test', '--from', 'sender@remote.test', '--to', 'alice@example.test', '--data', `@${file('swaks-smtp.eml', raw)}`]);
  assert.match(stdout, /<- {2}250 2\.0\.0 Ok: queued as /);
  assert.deepEqual(splitTrace(await stored(alice, 'swaks smtp'), raw.length + 2).body, swaksFramed(raw));
});

test('swaks over LMTP, two recipients', { skip: !SWAKS && 'skipped: swaks not installed' }, async () => {
  const raw = message('swaks lmtp');
  const { stdout } = await run('swaks', ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(server.listeners.lmtp.port), '--helo', 'mta.local', '--from', 'sender@remote.test', '--to', 'alice@example.test,bob@example.test', '--data', `@${file('swaks-lmtp.eml', raw)}`]);
  assert.match(stdout, /<- {2}250 2\.0\.0 <alice@example\.test> /);
  assert.match(stdout, /<- {2}250 2\.0\.0 <bob@example\.test> /);
  assert.deepEqual(splitTrace(await stored(bob, 'swaks lmtp'), raw.length + 2).body, swaksFramed(raw));
});

test('swaks sees 550 5.1.1 for an unknown user and fails', { skip: !SWAKS && 'skipped: swaks not installed' }, async () => {
  await assert.rejects(
    run('swaks', ['--server', '127.0.0.1', '--port', String(server.listeners.smtp.port), '--from', 'sender@remote.test', '--to', 'nobody@example.test']),
    (err: Error & { stdout?: string }) => /<\*\*\s+550 5\.1\.1 /.test(err.stdout ?? ''),
  );
});

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

const run = promisify(execFile);
const hasPython = spawnSync('python3', ['--version']).status === 0;

// Python's imaplib, as a scripting user would drive it: every answer is printed as JSON.
const SCRIPT = `
import imaplib, json, ssl, sys
port, tls_port, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
out = {}
m = imaplib.IMAP4('127.0.0.1', int(port))
out['caps_before'] = list(m.capabilities)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m.starttls(ssl_context=ctx)
out['login'] = m.login(user, password)[0]
out['select'] = m.select('INBOX')[1][0].decode()
out['search'] = m.search(None, 'SUBJECT', '"python"')[1][0].decode()
typ, data = m.fetch('1', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
out['fetch_header'] = data[0][1].decode()
out['store'] = m.store('1', '+FLAGS', '\\\\Seen')[1][0].decode()
out['copy'] = m.copy('1', 'Archive')[0]
out['delete'] = m.store('1', '+FLAGS', '\\\\Deleted')[0]
out['expunge'] = [x.decode() for x in m.expunge()[1] if x]
out['status'] = m.status('Archive', '(MESSAGES UNSEEN)')[1][0].decode()
out['bad'] = None
try:
    m.fetch('99', '(FLAGS)')
except imaplib.IMAP4.error as e:
    out['bad'] = str(e)
m.logout()
s = imaplib.IMAP4_SSL('127.0.0.1', int(tls_port), ssl_context=ctx)
out['ssl_login'] = s.login(user, password)[0]
s.logout()
print(json.dumps(out))
`;

let server: TestServer;
let user: Awaited<ReturnType<typeof createUser>>;

before(async () => {
  server = (await startTestServer())!;
  user = await createUser(server, 'pyuser');
  const accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
  await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'From python land' }) });
});
after(() => server.stop());

test('Python imaplib: STARTTLS, search, fetch, store, copy, expunge, status, errors and IMAPS', async (t) => {
  if (!hasPython) return t.skip('skipped: python3 not installed');
  // Asynchronously: the server it talks to runs in this process.
  const { stdout } = await run('python3', ['-c', SCRIPT, String(server.listeners.imap.port), String(server.listeners.imaps.port), user.username, user.password], { timeout: 30_000 });
  const out = JSON.parse(stdout);
  assert.ok(out.caps_before.includes('STARTTLS'));
  assert.equal(out.login, 'OK');
  assert.equal(out.select, '1');
  assert.equal(out.search, '1');
  assert.equal(out.fetch_header, 'Subject: From python land\r\n\r\n');
  assert.match(out.store, /FLAGS \(\\Seen\)/);
  assert.equal(out.copy, 'OK');
  assert.equal(out.delete, 'OK');
  assert.deepEqual(out.expunge, ['1']);
  assert.match(out.status, /MESSAGES 1 UNSEEN 0/);
  assert.match(out.bad, /FETCH command error: BAD/);
  assert.equal(out.ssl_login, 'OK');
});

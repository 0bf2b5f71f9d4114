import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

const run = promisify(execFile);
const hasMbsync = spawnSync('mbsync', ['-v']).error === undefined;

let server: TestServer;
let user: Awaited<ReturnType<typeof createUser>>;
let accountId: string;
let dir: string;

const maildir = (...p: string[]) => join(dir, 'mail', 'INBOX', ...p);
const localFiles = () => ['cur', 'new'].flatMap((d) => readdirSync(maildir(d)).map((f) => join(d, f)));

/** mbsync as a child process; asynchronously, since the server it talks to runs in this process. */
async function mbsync(): Promise<string> {
  try {
    const { stdout, stderr } = await run('mbsync', ['-c', join(dir, 'mbsyncrc'), '-a', '-V'], { timeout: 60_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`mbsync failed:\n${e.stdout}\n${e.stderr}`);
  }
}

before(async () => {
  if (!hasMbsync) return;
  server = (await startTestServer())!;
  user = await createUser(server, 'sync');
  accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
  dir = mkdtempSync(join(tmpdir(), 'gannet-mbsync-'));
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(maildir(d), { recursive: true });
  writeFileSync(
    join(dir, 'mbsyncrc'),
    `IMAPAccount gannet\nHost 127.0.0.1\nPort ${server.listeners.imap.port}\nUser ${user.username}\nPass "${user.password}"\nSSLType None\nAuthMechs LOGIN\n\n` +
      `IMAPStore gannet-remote\nAccount gannet\n\nMaildirStore local\nPath ${dir}/mail/\nInbox ${dir}/mail/INBOX\n\n` +
      `Channel c\nFar :gannet-remote:\nNear :local:\nPatterns INBOX\nCreate Both\nExpunge Both\nSync All\nSyncState *\n`,
  );
});
after(async () => {
  if (!hasMbsync) return;
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('mbsync: two-way sync with a Maildir, a no-op re-sync, then flags and deletions both ways', async (t) => {
  if (!hasMbsync) return t.skip('skipped: mbsync (isync) not installed');
  const a = await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'server one' }) });
  await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'server two' }) });
  writeFileSync(maildir('new', '1700000000.local1.host'), simpleMessage({ subject: 'local one' }));

  await mbsync();
  const inbox = await server.services.mailboxes.byRole(accountId, 'inbox');
  const list = async () => (await server.services.messages.list(accountId, inbox.id, { limit: 100 })).results;
  assert.deepEqual((await list()).map((m) => m.subject).sort(), ['local one', 'server one', 'server two']);
  assert.equal(localFiles().length, 3);

  // Nothing changed on either side: nothing is copied again.
  const again = await mbsync();
  assert.equal((await list()).length, 3, again);
  assert.equal(localFiles().length, 3);

  // Seen locally; deleted on the server.
  const local = localFiles().find((f) => f.startsWith('cur/') || f.startsWith('new/'))!;
  const name = local.split('/')[1].replace(/:2,.*$/, '');
  renameSync(maildir(local), maildir('cur', `${name}:2,S`));
  await server.services.messages.delete(accountId, a.id);
  await mbsync();
  assert.equal(localFiles().length, 2, 'the deletion reached the Maildir');
  const seen = (await list()).filter((m) => m.keywords.includes('$seen'));
  assert.equal(seen.length, 1, 'the \\Seen flag reached the server');
});

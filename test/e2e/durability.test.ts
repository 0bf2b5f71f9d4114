import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { createServices } from '../../src/services/index.ts';
import { Store } from '../../src/store/store.ts';
import { WireClient } from '../protocols/smtp/wire.ts';

const root = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'gannet-durability-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
// Every listener on a free port: another suite may be running beside this one (CI runs two).
const env = { ...process.env, GANNET_DATA_DIR: dataDir, GANNET_DATABASE_URL: '', GANNET_HTTP_PORT: '0', GANNET_MGMT_PORT: '0', GANNET_SMTP_PORT: '0', GANNET_LMTP_PORT: '0', GANNET_IMAP_PORT: '0', GANNET_IMAPS_PORT: '0', GANNET_SUBMISSION_PORT: '0', GANNET_SUBMISSIONS_PORT: '0', GANNET_LISTEN_ADDRESS: '127.0.0.1', GANNET_ADMIN_TOKEN: 'durability-token-123', GANNET_LOG_LEVEL: 'info' };

/** Starts `gannet serve` as a separate process and learns its SMTP port from the log. */
function startChild(): Promise<{ child: ChildProcess; smtpPort: number }> {
  const child = spawn(process.execPath, [join(root, 'bin/gannet.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const rec = JSON.parse(line);
        if (rec.listener === 'smtp' && rec.port) resolvePort({ child, smtpPort: rec.port });
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
}

/** Sends one message and returns the reply to the end of DATA. */
async function sendAndAwait250(port: number, n: number): Promise<string> {
  const { client } = await WireClient.open(port);
  await client.command('EHLO test.client');
  await client.command('MAIL FROM:<sender@remote.test>');
  await client.command('RCPT TO:<dora@durable.test>');
  const reply = await client.data(Buffer.from(`Subject: durable ${n}\r\nMessage-ID: <durable-${n}@remote.test>\r\n\r\nmust survive a crash\r\n`));
  client.destroy();
  return reply.text;
}

test('a message acknowledged with 250 survives the process being killed at once', async () => {
  const setup = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/gannet.js'), ...args], { env, encoding: 'utf8' });
  assert.equal(setup(['domain', 'add', 'durable.test']).status, 0);
  assert.equal(setup(['user', 'add', 'dora', '--password', 'password123']).status, 0);

  const acknowledged: number[] = [];
  for (let round = 0; round < 3; round++) {
    const { child, smtpPort } = await startChild();
    const exited = new Promise((r) => child.once('exit', r));
    const reply = await sendAndAwait250(smtpPort, round);
    // SIGKILL the moment 250 arrives: no shutdown hooks, no flushing.
    child.kill('SIGKILL');
    await exited;
    assert.match(reply, /^250 /);
    acknowledged.push(round);
  }

  const config = loadConfig({ env });
  const store = await Store.open(config.databaseUrl, config.dataDir);
  try {
    const services = createServices(store, config);
    const { accountId } = await services.directory.accountOfUser('dora');
    const found = await services.messages.search(accountId, { subject: 'durable' });
    assert.equal(found.total, acknowledged.length);
    for (const m of found.results) {
      const { stream } = await services.messages.raw(accountId, m.id);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      assert.match(Buffer.concat(chunks).toString(), /must survive a crash/);
    }
  } finally {
    await store.close();
  }
});

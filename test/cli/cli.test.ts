import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'gannet-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function gannet(args: string[], input?: string) {
  const res = spawnSync(process.execPath, [join(root, 'bin/gannet.js'), ...args], {
    cwd: root,
    env: { ...process.env, GANNET_DATA_DIR: dataDir, GANNET_DATABASE_URL: '' },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

test('domain and user commands manage the directory the server uses', () => {
  assert.equal(gannet(['domain', 'add', 'cli.test']).code, 0);
  const dup = gannet(['domain', 'add', 'cli.test']);
  assert.equal(dup.code, 1);
  assert.match(dup.err, /already exists/);
  assert.match(gannet(['domain', 'list']).out, /cli\.test/);

  const added = gannet(['user', 'add', 'kim', '--password', 'password123', '--name', 'Kim']);
  assert.equal(added.code, 0, added.err);
  assert.match(added.out, /created user kim <kim@cli\.test>/);
  const piped = gannet(['user', 'add', 'lee'], 'password456\n');
  assert.equal(piped.code, 0, piped.err);

  const list = JSON.parse(gannet(['user', 'list', '--json']).out);
  assert.deepEqual(list.map((u: { username: string }) => u.username), ['kim', 'lee']);
  assert.equal(gannet(['user', 'passwd', 'kim', '--password', 'another-pass-1']).code, 0);
  assert.equal(gannet(['user', 'passwd', 'kim', '--password', 'short']).code, 1);
  assert.equal(gannet(['user', 'rm', 'lee']).code, 0);
  assert.equal(gannet(['user', 'rm', 'lee']).code, 1);
  assert.equal(gannet(['domain', 'rm', 'cli.test']).code, 1, 'a domain with users cannot be removed');
});

test('token create --admin prints a usable token; config check validates', () => {
  const t = gannet(['token', 'create', '--admin']);
  assert.equal(t.code, 0);
  assert.match(t.out.trim(), /^gnt_[A-Za-z0-9_-]{43}$/);
  assert.equal(gannet(['token', 'create']).code, 64);

  const ok = gannet(['config', 'check']);
  assert.equal(ok.code, 0);
  assert.match(ok.out, /configuration is valid/);
  const bad = spawnSync(process.execPath, [join(root, 'bin/gannet.js'), 'config', 'check'], { env: { ...process.env, GANNET_HTTP_PORT: 'x' }, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /GANNET_HTTP_PORT/);
  assert.equal(gannet(['frobnicate']).code, 64);
});

test('openapi prints the generated document', () => {
  const res = gannet(['openapi']);
  assert.equal(res.code, 0, res.err);
  const doc = JSON.parse(res.out);
  assert.ok(doc.paths['/api/v1/users/{user}/mailboxes/{mailbox}/messages']);
});

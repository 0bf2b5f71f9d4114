import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, envName, loadConfig } from '../../src/config/load.ts';
import { ConfigSchema } from '../../src/config/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'gannet-config-'));

test('defaults match the documented ones', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.httpPort, 8080);
  assert.equal(c.mgmtPort, 8081);
  assert.equal(c.mgmtAddress, '127.0.0.1');
  assert.equal(c.smtpPort, 2525);
  assert.equal(c.lmtpPort, 2424);
  assert.equal(c.maxMessageSize, 50 * 1024 * 1024);
  assert.ok(c.dataDir.endsWith('/data'));
  assert.equal(c.databaseUrl, '');
});

test('the fixed environment names map onto keys, and the environment wins over the file', () => {
  assert.equal(envName('maxMessageSize'), 'GANNET_MAX_MESSAGE_SIZE');
  assert.equal(envName('databaseUrl'), 'GANNET_DATABASE_URL');
  const file = join(dir, 'gannet.json');
  writeFileSync(file, JSON.stringify({ httpPort: 9000, smtpPort: 2600, hostname: 'file.test' }));
  const c = loadConfig({ env: { GANNET_CONFIG: file, GANNET_HTTP_PORT: '0', GANNET_DATA_DIR: '/tmp/x', GANNET_ADMIN_TOKEN: 'tok' } });
  assert.equal(c.httpPort, 0);
  assert.equal(c.smtpPort, 2600);
  assert.equal(c.hostname, 'file.test');
  assert.equal(c.dataDir, '/tmp/x');
  assert.equal(c.adminToken, 'tok');
});

test('TOML files are read too', () => {
  const file = join(dir, 'gannet.toml');
  writeFileSync(file, 'hostname = "mx.toml.test"\nlmtpPort = 2999\n');
  const c = loadConfig({ path: file, env: {} });
  assert.equal(c.hostname, 'mx.toml.test');
  assert.equal(c.lmtpPort, 2999);
});

test('errors name the key, its variable and the bad value', () => {
  assert.throws(() => loadConfig({ env: { GANNET_HTTP_PORT: 'eighty' } }), (e: Error) => e instanceof ConfigError && /"httpPort" \(GANNET_HTTP_PORT\).*"eighty"/.test(e.message));
  assert.throws(() => loadConfig({ env: { GANNET_SMTP_PORT: '70000' } }), /smtpPort.*65535/);
  assert.throws(() => loadConfig({ env: { GANNET_LOG_LEVEL: 'loud' } }), /logLevel/);
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ httpPrt: 1 }));
  assert.throws(() => loadConfig({ path: file, env: {} }), /unknown key "httpPrt"/);
  writeFileSync(file, '{ not json');
  assert.throws(() => loadConfig({ path: file, env: {} }), /not valid JSON/);
  assert.throws(() => loadConfig({ path: join(dir, 'missing.json'), env: {} }), /cannot read config file/);
});

test('every configuration key is documented in docs/configuration.md', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  for (const key of Object.keys(ConfigSchema.properties)) {
    assert.ok(doc.includes(`\`${key}\``), `${key} missing from docs/configuration.md`);
    assert.ok(doc.includes(envName(key)), `${envName(key)} missing from docs/configuration.md`);
  }
});

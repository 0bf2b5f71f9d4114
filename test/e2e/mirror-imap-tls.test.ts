import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from 'selfsigned';
import { dovecotInstalled } from '../helpers/dovecot.ts';
import { startMirror, type MirrorFixture } from '../helpers/mirror.ts';
import { freePort } from '../helpers/ports.ts';

// The seed's TLS modes against a Dovecot that speaks TLS with a certificate of its own: 2 is TLS
// from the first byte (its imaps port), 3 is STARTTLS on the plain port. The certificate is
// checked: trusted, the mail arrives; not trusted, nothing is sent and the error says why.
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';

let dir = '';
let cert = '';
const started: MirrorFixture[] = [];

before(async () => {
  if (skip) return;
  const pems = await generate([{ name: 'commonName', value: 'upstream.test' }], {
    keyType: 'ec',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  cert = pems.cert;
  dir = mkdtempSync(join(tmpdir(), 'gannet-upstream-tls-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o644 });
});
after(async () => {
  for (const m of started) await m.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function mirror(user: string, tls: 2 | 3, trusted: boolean): Promise<MirrorFixture> {
  const imapsPort = await freePort();
  const m = (await startMirror({
    user,
    // Later settings win: TLS on, and the imaps listener the helper leaves off given a port.
    dovecotConfig: `ssl = yes\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem\nservice imap-login {\n  inet_listener imaps {\n    port = ${imapsPort}\n    ssl = yes\n  }\n}\n`,
    seed: (c) => c.append('INBOX', `Subject: Over TLS\r\n\r\nsealed\r\n`).then(() => undefined),
    imap: (d) => ({ host: '127.0.0.1', port: tls === 2 ? imapsPort : d.port, tls }),
    ca: trusted ? cert : undefined,
  }))!;
  started.push(m);
  return m;
}

test('TLS from the first byte (mode 2), certificate trusted: the mail arrives', { skip }, async () => {
  const m = await mirror('tls@upstream.test', 2, true);
  assert.equal((await m.sync()).messages, 1);
  assert.deepEqual([...(await m.folder('INBOX')).keys()], ['Over TLS']);
  await m.stop();
  started.pop();
});

test('STARTTLS (mode 3), certificate trusted: the mail arrives', { skip }, async () => {
  const m = await mirror('starttls@upstream.test', 3, true);
  assert.equal((await m.sync()).messages, 1);
  await m.stop();
  started.pop();
});

test('a certificate nobody vouches for: the sync fails, before any login, with a certificate error', { skip }, async () => {
  for (const tls of [2, 3] as const) {
    const m = await mirror(`untrusted${tls}@upstream.test`, tls, false);
    const res = await m.server.api(`/api/v1/users/${m.ownerId}/remotes/${m.remoteId}/sync`, { method: 'POST' });
    assert.equal(res.status, 502);
    const view = await m.view();
    assert.equal(view.status, 'error');
    assert.match(view.lastError ?? '', /certificate/i, `mode ${tls}: ${view.lastError}`);
    await m.stop();
    started.pop();
  }
});

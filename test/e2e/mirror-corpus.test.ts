import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { corpusFiles } from '../helpers/corpus.ts';
import { dovecotInstalled, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { rawMessage } from '../protocols/smtp/fixtures.ts';

/**
 * The mirror is an ingest path of its own: every corpus message a real IMAP server holds must
 * arrive through the sync engine exactly as that server serves it.
 */

const UPSTREAM = 'corpus@upstream.test';
const PASSWORD = 'upstream secret';
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let dovecot: Dovecot | null = null;
let server: TestServer;
let refusedByUpstream = 0;

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({ [UPSTREAM]: PASSWORD });
  const c = await dovecot!.client(UPSTREAM);
  for (const file of corpusFiles()) {
    try {
      await c.append('INBOX', readFileSync(file), ['\\Seen']);
    } catch {
      // What the upstream will not store cannot be mirrored; counted below.
      refusedByUpstream++;
    }
  }
  await c.logout();
  server = (await startTestServer({ config: { mirrorPollSeconds: 3600 } }))!;
});

after(async () => {
  await server?.stop();
  await dovecot?.stop();
});

test('every corpus message Dovecot holds is mirrored byte for byte as Dovecot serves it', { skip }, async (t) => {
  const corpus = corpusFiles().length;
  t.diagnostic(`${corpus - refusedByUpstream} of ${corpus} corpus messages stored by Dovecot, ${refusedByUpstream} refused by it`);
  assert.ok(corpus - refusedByUpstream >= 700, 'nearly the whole corpus is upstream');
  const bob = await createUser(server, 'bob');
  const res = await server.api(`/api/v1/users/${bob.id}/remotes`, {
    method: 'POST',
    json: { email: UPSTREAM, password: PASSWORD, imap: { host: '127.0.0.1', port: dovecot!.port, tls: 0 } },
  });
  const created = await res.json();
  assert.equal(res.status, 201, JSON.stringify(created));
  const synced = await (await server.api(`/api/v1/users/${bob.id}/remotes/${created.id}/sync`, { method: 'POST' })).json();
  assert.equal(synced.lastError, null);

  const c = await dovecot!.client(UPSTREAM);
  await c.mailboxOpen('INBOX');
  const upstream: Buffer[] = [];
  for await (const m of c.fetch('1:*', { source: true })) upstream.push(m.source!);
  await c.logout();
  assert.equal(upstream.length, corpus - refusedByUpstream);

  const inbox = (await server.services.mailboxes.list(created.id)).find((b) => b.role === 'inbox')!;
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await server.services.messages.list(created.id, inbox.id, { limit: 250, cursor });
    ids.push(...page.results.map((m) => m.id));
    cursor = page.next ?? undefined;
  } while (cursor);
  assert.equal(ids.length, upstream.length, 'one mirrored email per upstream message, none twice');
  const stored: string[] = [];
  for (const id of ids) stored.push(sha(await rawMessage(server, created.id, id)));
  assert.deepEqual(stored.sort(), upstream.map(sha).sort());
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { corpusFiles } from '../helpers/corpus.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: 4 * 1024 * 1024 } }))!;
});
after(() => server.stop());

type User = { id: string; username: string; password: string };
const basic = (u: User) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** sha256 of every stored message of the account, with its keywords and date, sorted. */
async function fingerprints(u: User): Promise<string[]> {
  const out: string[] = [];
  const boxes = JSON.parse(await (await server.api(`/api/v1/users/${u.id}/mailboxes`)).text()).results as { id: string }[];
  for (const b of boxes) {
    let cursor = '';
    do {
      const page = JSON.parse(await (await server.api(`/api/v1/users/${u.id}/mailboxes/${b.id}/messages?limit=250${cursor ? `&cursor=${cursor}` : ''}`)).text());
      for (const m of page.results as { id: string; keywords: string[]; receivedAt: string }[]) {
        const raw = Buffer.from(await (await server.api(`/api/v1/users/${u.id}/messages/${m.id}/raw`)).arrayBuffer());
        out.push(`${sha(raw)} ${m.keywords.join(',')} ${m.receivedAt}`);
      }
      cursor = page.next ?? '';
    } while (cursor);
  }
  return out.sort();
}

test('every corpus message survives export then import byte for byte', async () => {
  const source = await createUser(server, 'source');
  const files = corpusFiles();
  let stored = 0;
  for (const [i, file] of files.entries()) {
    const query = `?receivedAt=2020-01-01T00:00:${String(i % 60).padStart(2, '0')}Z${i % 3 === 0 ? '&keywords=$seen' : ''}`;
    const res = await server.api(`/api/v1/users/${source.id}/mailboxes/inbox/messages${query}`, { method: 'POST', body: readFileSync(file), headers: { 'content-type': 'message/rfc822' } });
    if (res.status === 201) stored++;
    await res.arrayBuffer();
  }
  assert.ok(stored > files.length * 0.9, `only ${stored} of ${files.length} corpus messages were accepted`);

  const exported = await server.api('/pdpa', { headers: { authorization: basic(source) } });
  assert.equal(exported.status, 200);
  const zip = Buffer.from(await exported.arrayBuffer());

  const target = await createUser(server, 'target');
  const res = await server.api('/pdpa', { method: 'POST', body: zip, headers: { authorization: basic(target), 'content-type': 'application/zip' } });
  assert.equal(res.status, 200, await res.clone().text());
  const summary = JSON.parse(await res.text());
  assert.equal(summary.messagesImported, stored);
  assert.deepEqual(summary.skipped, []);
  assert.deepEqual(await fingerprints(target), await fingerprints(source));
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { corpusFiles } from '../helpers/corpus.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let base: string;
before(async () => {
  server = (await startTestServer())!;
  const u = await createUser(server, 'corpus');
  base = `/api/v1/users/${u.id}`;
});
after(() => server.stop());

test('every corpus message uploads over REST, parses into a detail view and downloads byte-identical', async () => {
  const files = corpusFiles();
  assert.ok(files.length >= 700, `corpus has ${files.length} files`);
  const failures: string[] = [];
  // A few uploads in flight at once, as real clients do; group commit batches them.
  const CONCURRENCY = 8;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const raw = readFileSync(file);
      const res = await server.api(`${base}/mailboxes/inbox/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
      if (res.status !== 201) {
        failures.push(`${file}: upload ${res.status} ${await res.text()}`);
        continue;
      }
      const stored = (await res.json()) as { id: string };
      const back = Buffer.from(await (await server.api(`${base}/messages/${stored.id}/raw`)).arrayBuffer());
      if (!back.equals(raw)) failures.push(`${file}: raw differs (${back.length} vs ${raw.length} bytes)`);
      const detail = await server.api(`${base}/messages/${stored.id}`);
      if (detail.status !== 200) failures.push(`${file}: detail ${detail.status}`);
      else await detail.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  assert.deepEqual(failures, []);
  const inbox = (await (await server.api(`${base}/mailboxes/inbox`)).json()) as { total: number };
  assert.equal(inbox.total, files.length);
});

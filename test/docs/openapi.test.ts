import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => {
  server = (await startTestServer())!;
});
after(() => server.stop());

test('docs/openapi.json is the document the server generates from its route schemas', async () => {
  const served = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
  const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
  assert.deepEqual(committed, served, 'regenerate with: npm run -s openapi > docs/openapi.json');
});

test('every documented operation has a summary, a tag and problem-details error responses', async () => {
  const doc = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
  for (const [path, ops] of Object.entries<Record<string, { summary?: string; tags?: string[]; responses: Record<string, unknown> }>>(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      assert.ok(op.summary, `${method} ${path} has no summary`);
      assert.ok(op.tags?.length, `${method} ${path} has no tag`);
      const errorCodes = Object.keys(op.responses).filter((c) => c.startsWith('4'));
      assert.ok(errorCodes.length > 0, `${method} ${path} documents no errors`);
    }
  }
});

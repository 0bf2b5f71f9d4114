import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { after, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { ParsePool } from '../../../src/services/mail/parse-pool.ts';
import { prepareMessage } from '../../../src/services/mail/prepared-message.ts';
import { FsBlobStore } from '../../../src/store/blobs/fs.ts';
import { corpusFiles } from '../../helpers/corpus.ts';

const corpus = corpusFiles().map((f) => readFileSync(f));
const pool = new ParsePool();
after(() => pool.close());

test('the parse threads prepare every corpus message exactly as the main thread does, in order', async () => {
  // Views into one buffer, as a pack read gives them: each message must be cut out, not the whole buffer sent.
  const all = Buffer.concat(corpus);
  let at = 0;
  const views = corpus.map((m) => all.subarray(at, (at += m.length)));
  assert.ok(views.length >= 200, 'enough messages to be worth a thread');
  const prepared = await pool.prepare(views);
  assert.equal(prepared.length, corpus.length);
  for (const [i, raw] of corpus.entries()) assert.deepEqual(prepared[i], { id: FsBlobStore.hash(raw), message: prepareMessage(raw) }, `corpus message ${i}`);
  assert.deepEqual(await pool.prepare([]), []);
  const threads = (pool as unknown as { workers: Worker[] }).workers.length;
  assert.equal(threads, Math.min(2, availableParallelism() - 1), 'one thread per core the main thread does not use, at most two');
});

test('a parse thread that dies fails the batch it had; later batches are parsed on the main thread', async () => {
  const dying = new ParsePool();
  dying.warm(corpus.length);
  const batch = dying.prepare(corpus);
  for (const w of (dying as unknown as { workers: Worker[] }).workers) void w.terminate();
  await assert.rejects(batch, /parse thread exited/);
  dying.warm(corpus.length);
  assert.equal((dying as unknown as { workers: Worker[] }).workers.length, 0, 'no new thread after one failed');
  const again = await dying.prepare(corpus.slice(0, 3));
  assert.deepEqual(again.map((p) => p.id), corpus.slice(0, 3).map((raw) => FsBlobStore.hash(raw)));
  await dying.close();
});

test('a few messages are parsed on the main thread: no thread is started for them', async () => {
  const small = new ParsePool();
  const got = await small.prepare(corpus.slice(0, 5));
  assert.deepEqual(got, corpus.slice(0, 5).map((raw) => ({ id: FsBlobStore.hash(raw), message: prepareMessage(raw) })));
  assert.equal((small as unknown as { workers: Worker[] }).workers.length, 0);
  await small.close();
});

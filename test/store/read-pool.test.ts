import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ReadPool } from '../../src/store/blobs/read-pool.ts';

const dir = mkdtempSync(join(tmpdir(), 'gannet-reads-'));
const pool = new ReadPool();
after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

test('heads of many files come back in order, split across the threads; short files give what they have, missing ones null', async () => {
  const files = Array.from({ length: 301 }, (_, i) => {
    const path = join(dir, `f${i}`);
    writeFileSync(path, `file ${i} `.repeat(i % 7));
    return { path, length: 12 };
  });
  files.push({ path: join(dir, 'missing'), length: 5 });
  const got = await pool.read(files);
  assert.equal(got.length, 302);
  for (let i = 0; i < 301; i++) assert.deepEqual(got[i], Buffer.from(`file ${i} `.repeat(i % 7)).subarray(0, 12), `file ${i}`);
  assert.equal(got[301], null);
});

test('a read that fails for another reason than a missing file rejects, and the pool keeps working', async () => {
  await assert.rejects(pool.read([{ path: dir, length: 4 }]), /EISDIR|directory/);
  writeFileSync(join(dir, 'after'), 'still here');
  assert.deepEqual(await pool.read([{ path: join(dir, 'after'), length: 100 }]), [Buffer.from('still here')]);
});

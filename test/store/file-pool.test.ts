import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FilePool } from '../../src/store/blobs/file-pool.ts';

const dir = mkdtempSync(join(tmpdir(), 'gannet-reads-'));
const pool = new FilePool();
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

test('a lease reads into a shared slab that is lent again only after it is released, once', async () => {
  // Lengths past half a slab (4 MB), so the reads get full-size slabs, the ones kept for reuse.
  const files = Array.from({ length: 9 }, (_, i) => {
    const path = join(dir, `lease${i}`);
    writeFileSync(path, `lease ${i} `.repeat(i * 100));
    return { path, length: 300_000 };
  });
  files.push({ path: join(dir, 'missing'), length: 5 });
  const first = await pool.lease(files);
  files.slice(0, 9).forEach((_, i) => assert.deepEqual(first.files[i], Buffer.from(`lease ${i} `.repeat(i * 100)), `file ${i}`));
  assert.equal(first.files[9], null);
  const slab = first.files[1]!.buffer;
  assert.ok(slab instanceof SharedArrayBuffer);
  assert.equal(slab.byteLength, 4 * 1024 * 1024);
  const second = await pool.lease(files);
  assert.notEqual(second.files[1]!.buffer, slab, 'a held slab is not lent twice');
  first.release();
  first.release();
  second.release();
  const third = await pool.lease(files);
  const fourth = await pool.lease(files);
  assert.deepEqual(new Set([third.files[1]!.buffer, fourth.files[1]!.buffer]), new Set([slab, second.files[1]!.buffer]), 'released slabs are reused, each by one lease');
  third.release();
  fourth.release();
});

test('a small lease with no slab free gets memory of its own size, not a 4 MB slab', async () => {
  const path = join(dir, 'small');
  writeFileSync(path, 'a few bytes');
  const held = await Promise.all([1, 2, 3, 4, 5].map(() => pool.lease([{ path, length: 1_000 }])));
  // Up to four free slabs may be lent first; the fifth has to be made, at the size asked for.
  assert.ok(held.some((l) => l.files[0]!.buffer.byteLength === 1_000));
  for (const l of held) assert.deepEqual(l.files[0], Buffer.from('a few bytes'));
  for (const l of held) l.release();
});

test('a lease too big for a slab reads into buffers of its own', async () => {
  const path = join(dir, 'big');
  writeFileSync(path, Buffer.alloc(5 * 1024 * 1024, 'x'));
  const lease = await pool.lease([{ path, length: 5 * 1024 * 1024 }]);
  assert.equal(lease.files[0]!.length, 5 * 1024 * 1024);
  assert.ok(!(lease.files[0]!.buffer instanceof SharedArrayBuffer));
  lease.release();
});

test('blobs written by the threads land content-addressed, whole, with no temporary file left; the same bytes twice are one file', async () => {
  const root = join(dir, 'blobs');
  const blobs = Array.from({ length: 23 }, (_, i) => Buffer.from(`blob ${i} `.repeat(i * 50 + 1)));
  blobs.push(blobs[3]);
  const ids = await pool.write(root, blobs);
  assert.equal(ids.length, 24);
  for (let i = 0; i < blobs.length; i++) {
    assert.equal(ids[i], createHash('sha256').update(blobs[i]).digest('hex'));
    assert.deepEqual(readFileSync(join(root, ids[i].slice(0, 2), ids[i].slice(2, 4), ids[i])), blobs[i]);
  }
  assert.equal(ids[23], ids[3]);
  const left = readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(left, []);
  // Written again (a message staged twice): nothing changes, nothing fails.
  assert.deepEqual(await pool.write(root, blobs.slice(0, 2)), ids.slice(0, 2));
});

test('a blob that cannot be written fails the write instead of passing for stored', async () => {
  const root = join(dir, 'not-a-folder');
  writeFileSync(root, 'a file where the blob folder should be');
  await assert.rejects(pool.write(root, [Buffer.from('lost?')]), /ENOTDIR|EEXIST|not a directory/);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PackStore } from '../../src/store/blobs/packs.ts';

const dir = mkdtempSync(join(tmpdir(), 'gannet-packs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a pack holds a batch of messages back to back; each comes back exactly, from any mix of packs', async () => {
  const packs = new PackStore(join(dir, 'staging'));
  const first = [Buffer.from('one\r\n'), Buffer.alloc(70_000, 'b'), Buffer.from('three')];
  const second = [Buffer.from('four')];
  const a = await packs.write(first);
  const b = await packs.write(second);
  assert.deepEqual(a.map((s) => [s.offset, s.size]), [[0, 5], [5, 70_000], [70_005, 5]]);
  assert.notEqual(a[0].pack, b[0].pack);
  assert.deepEqual(await packs.read([b[0], a[2], a[0]]), [second[0], first[2], first[0]]);
  assert.deepEqual(packs.readNow([b[0], a[2], a[0]]), [second[0], first[2], first[0]], 'the same without leaving the thread');
  assert.deepEqual((await packs.list()).sort(), [a[0].pack, b[0].pack].sort());
});

test('missing bytes read as null: a deleted pack, or one cut short', async () => {
  const packs = new PackStore(join(dir, 'cut'));
  const slots = await packs.write([Buffer.from('kept'), Buffer.from('cut off')]);
  truncateSync(join(dir, 'cut', `${slots[0].pack}.pack`), 6);
  assert.deepEqual(await packs.read(slots), [Buffer.from('kept'), null]);
  assert.deepEqual(packs.readNow(slots), [Buffer.from('kept'), null]);
  await packs.remove(slots[0].pack);
  await packs.remove(slots[0].pack);
  assert.deepEqual(await packs.read(slots), [null, null]);
  assert.deepEqual(packs.readNow(slots), [null, null]);
  assert.deepEqual(await packs.list(), []);
});

test('a pack name that is not one of ours is refused, never turned into a path', async () => {
  const packs = new PackStore(join(dir, 'names'));
  await assert.rejects(packs.read([{ pack: '../../etc/passwd', offset: 0, size: 1 }]), /invalid pack name/);
  assert.deepEqual(await new PackStore(join(dir, 'never-made')).list(), []);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteSink } from '../../../src/protocols/imap/sink.ts';

test('ByteSink keeps bytes in order when short pieces and long bodies interleave', () => {
  const sink = new ByteSink();
  const expected: Buffer[] = [];
  const put = (b: Buffer) => {
    sink.bytes(b);
    expected.push(b);
  };
  for (let i = 0; i < 50; i++) {
    sink.latin1(`* ${i} FETCH (BODY[] {${i}}\r\n`);
    expected.push(Buffer.from(`* ${i} FETCH (BODY[] {${i}}\r\n`, 'latin1'));
    // Long bodies become chunks of their own; short ones are copied into the room left after them.
    put(Buffer.alloc(i % 3 === 0 ? 20_000 : 3_000, 0x41 + (i % 26)));
    sink.byte(0x29);
    expected.push(Buffer.from(')'));
  }
  const first = sink.take();
  assert.deepEqual(Buffer.concat(first), Buffer.concat(expected));
  // What was handed out must not change when the sink is written again.
  const copy = Buffer.concat(first);
  sink.latin1('x'.repeat(5000));
  sink.bytes(Buffer.alloc(9000, 0x42));
  sink.take();
  assert.deepEqual(Buffer.concat(first), copy);
  assert.equal(sink.empty, true);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStateEvent, SseParser } from '../../../src/services/remote/jmap/events.ts';

const collect = (chunks: string[]) => {
  const events: [string, string][] = [];
  const parser = new SseParser((event, data) => events.push([event, data]));
  for (const c of chunks) parser.push(c);
  return events;
};

test('events split anywhere across chunks (a CRLF too), with any line end, come out whole', () => {
  const stream = 'event: state\r\nid: 5\r\ndata: {"a":1}\r\n\r\n: a comment\n\nevent: ping\ndata: {"interval":60}\n\rdata: line one\ndata: line two\n\n';
  const whole = collect([stream]);
  assert.deepEqual(whole, [
    ['state', '{"a":1}'],
    ['ping', '{"interval":60}'],
    ['message', 'line one\nline two'],
  ]);
  for (let cut = 1; cut < stream.length; cut++) {
    assert.deepEqual(collect([stream.slice(0, cut), stream.slice(cut)]), whole, `cut at ${cut}`);
  }
});

test('a line without end longer than 1 MiB is refused rather than buffered', () => {
  const parser = new SseParser(() => {});
  assert.throws(() => parser.push('data: ' + 'x'.repeat(1024 * 1024 + 1)), /too long/);
});

test('a StateChange keeps only string states; anything else is no StateChange', () => {
  assert.deepEqual(parseStateEvent('{"@type":"StateChange","changed":{"A":{"Email":"s1","Bad":3},"B":"x"}}'), { A: { Email: 's1' } });
  assert.equal(parseStateEvent('not json'), null);
  assert.equal(parseStateEvent('{"changed":[]}'), null);
});

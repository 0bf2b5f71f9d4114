import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyLimit } from '../../../src/protocols/http/jmap/concurrency.ts';
import { parseEventSourceParams } from '../../../src/protocols/http/jmap/eventsource-params.ts';
import { ServiceError } from '../../../src/services/errors.ts';

test('ConcurrencyLimit counts per key and releases once', () => {
  const limit = new ConcurrencyLimit(2);
  const a1 = limit.tryAcquire('alice')!;
  const a2 = limit.tryAcquire('alice')!;
  assert.equal(limit.tryAcquire('alice'), null);
  assert.ok(limit.tryAcquire('bob'), 'another principal has its own budget');
  a1();
  a1();
  assert.equal(limit.active('alice'), 1, 'a second release of the same slot is a no-op');
  assert.ok(limit.tryAcquire('alice'));
  a2();
});

test('event source parameters: types, closeafter, ping clamped to 1–300 s', () => {
  assert.deepEqual(parseEventSourceParams({ types: '*', closeafter: 'no', ping: '0' }), { types: '*', closeAfterState: false, ping: 0 });
  const p = parseEventSourceParams({ types: 'Mailbox,Email', closeafter: 'state', ping: '30' });
  assert.deepEqual([...(p.types as Set<string>)], ['Mailbox', 'Email']);
  assert.equal(p.closeAfterState, true);
  assert.equal(p.ping, 30);
  assert.equal(parseEventSourceParams({ ping: '100000' }).ping, 300);
  assert.deepEqual(parseEventSourceParams({}), { types: '*', closeAfterState: false, ping: 0 });
  for (const bad of [{ closeafter: 'maybe' }, { ping: '-1' }, { ping: '1.5' }, { ping: 'x' }, { types: '' }, { types: 'Email,,Mailbox' }, { types: 'Em ail' }]) {
    assert.throws(() => parseEventSourceParams(bad), ServiceError, JSON.stringify(bad));
  }
});

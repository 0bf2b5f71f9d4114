import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COALESCE_MS, openStateStream } from '../../../src/protocols/http/jmap/state-stream.ts';
import type { ChangeBatch } from '../../../src/services/mail/changes.ts';
import type { ChangeEvent } from '../../../src/store/bus.ts';

/** A change feed in memory: a modseq, a log and subscribers. */
function fakeFeed(start = 10) {
  let modseq = start;
  const log: ChangeEvent[] = [];
  const listeners = new Set<(e: ChangeEvent) => void>();
  return {
    truncatedBelow: 0,
    async current() {
      return modseq;
    },
    async since(_a: string, from: number): Promise<ChangeBatch> {
      if (from < this.truncatedBelow) return { modseq, events: [], truncated: true };
      const events = log.filter((e) => e.modseq > from);
      return { modseq: events.length ? events[events.length - 1].modseq : from, events, truncated: false };
    },
    subscribe(_a: string, l: (e: ChangeEvent) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    commit(...types: string[]) {
      modseq++;
      const ev = { accountId: 'a1', modseq, changes: types.map((type, i) => ({ type, id: `${type}${i}`, op: 'u' as const })) };
      log.push(ev);
      listeners.forEach((l) => l(ev));
    },
    listeners,
  };
}

function sink() {
  const chunks: string[] = [];
  return { chunks, ended: false, write(c: string) { chunks.push(c); }, end() { this.ended = true; } };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const opts = { accountId: 'a1', types: '*' as const, closeAfterState: false, ping: 0, lastEventId: null, allTypes: ['Email', 'Mailbox', 'Thread'] };

test('changes close together become one StateChange with the latest modseq as id and state', async () => {
  const feed = fakeFeed();
  const out = sink();
  const stop = await openStateStream(feed, out, opts);
  assert.equal(out.chunks.length, 0, 'nothing is sent until something changes');
  feed.commit('Email', 'Thread');
  feed.commit('Mailbox');
  await wait(COALESCE_MS + 50);
  assert.deepEqual(out.chunks, [`event: state\nid: 12\ndata: {"@type":"StateChange","changed":{"a1":{"Email":"12","Mailbox":"12","Thread":"12"}}}\n\n`]);
  stop();
  assert.equal(feed.listeners.size, 0, 'stop unsubscribes');
});

test('types filter what is pushed; a change of only other types sends nothing', async () => {
  const feed = fakeFeed();
  const out = sink();
  const stop = await openStateStream(feed, out, { ...opts, types: new Set(['Mailbox']) });
  feed.commit('Email');
  await wait(COALESCE_MS + 50);
  assert.equal(out.chunks.length, 0);
  feed.commit('Email', 'Mailbox');
  await wait(COALESCE_MS + 50);
  assert.equal(out.chunks.length, 1);
  assert.deepEqual(JSON.parse(out.chunks[0].split('data: ')[1]).changed, { a1: { Mailbox: '12' } });
  stop();
});

test('closeafter=state ends the stream after the first state event', async () => {
  const feed = fakeFeed();
  const out = sink();
  await openStateStream(feed, out, { ...opts, closeAfterState: true });
  feed.commit('Email');
  await wait(COALESCE_MS + 50);
  assert.equal(out.ended, true);
  feed.commit('Email');
  await wait(COALESCE_MS + 50);
  assert.equal(out.chunks.length, 1);
  assert.equal(feed.listeners.size, 0);
});

test('Last-Event-ID: missed changes are sent at once, with only the types that changed', async () => {
  const feed = fakeFeed(0);
  feed.commit('Mailbox');
  feed.commit('Email');
  feed.commit('Email');
  const out = sink();
  const stop = await openStateStream(feed, out, { ...opts, lastEventId: 1 });
  assert.equal(out.chunks.length, 1);
  assert.match(out.chunks[0], /^event: state\nid: 3\n/);
  assert.deepEqual(JSON.parse(out.chunks[0].split('data: ')[1]).changed, { a1: { Email: '3' } });
  stop();
  const current = sink();
  (await openStateStream(feed, current, { ...opts, lastEventId: 3 }))();
  assert.deepEqual(current.chunks, [], 'up to date: nothing to send');
});

test('Last-Event-ID beyond the log horizon, or ahead of the server, pushes every type', async () => {
  const feed = fakeFeed(0);
  feed.commit('Email');
  feed.commit('Email');
  feed.truncatedBelow = 2;
  for (const lastEventId of [1, 99]) {
    const out = sink();
    (await openStateStream(feed, out, { ...opts, lastEventId }))();
    assert.deepEqual(JSON.parse(out.chunks[0].split('data: ')[1]).changed, { a1: { Email: '2', Mailbox: '2', Thread: '2' } }, `from ${lastEventId}`);
  }
});

test('pings: every interval since the last event, with the interval in the data', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const feed = fakeFeed();
  const out = sink();
  const stop = await openStateStream(feed, out, { ...opts, ping: 5 });
  t.mock.timers.tick(4999);
  assert.equal(out.chunks.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(out.chunks, ['event: ping\ndata: {"interval":5}\n\n']);
  feed.commit('Email');
  t.mock.timers.tick(COALESCE_MS);
  assert.equal(out.chunks.length, 2);
  t.mock.timers.tick(4999);
  assert.equal(out.chunks.length, 2, 'the state event restarted the ping clock');
  t.mock.timers.tick(1);
  assert.equal(out.chunks.length, 3);
  assert.doesNotMatch(out.chunks[2], /^id:/m, 'pings set no event id');
  stop();
  t.mock.timers.tick(60_000);
  assert.equal(out.chunks.length, 3, 'no pings after stop');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COALESCE_MS, formatPosition, openStateStream, parsePosition, sseSink } from '../../../src/protocols/http/jmap/state-stream.ts';
import type { ChangeBatch } from '../../../src/services/mail/changes.ts';
import type { ChangeEvent } from '../../../src/store/bus.ts';

/** A change feed in memory: a modseq and a log per account, and subscribers. a1 starts at `start`, others at 0. */
function fakeFeed(start = 10) {
  const modseqs = new Map([['a1', start]]);
  const log: ChangeEvent[] = [];
  const listeners = new Set<{ accountId: string; l: (e: ChangeEvent) => void }>();
  return {
    truncatedBelow: 0,
    async positions(ids: readonly string[]) {
      return new Map(ids.map((a) => [a, modseqs.get(a) ?? 0]));
    },
    async since(accountId: string, from: number): Promise<ChangeBatch> {
      const modseq = modseqs.get(accountId) ?? 0;
      if (from < this.truncatedBelow) return { modseq, events: [], truncated: true };
      const events = log.filter((e) => e.accountId === accountId && e.modseq > from);
      return { modseq: events.length ? events[events.length - 1].modseq : from, events, truncated: false };
    },
    subscribe(accountId: string, l: (e: ChangeEvent) => void) {
      const entry = { accountId, l };
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    commitIn(accountId: string, ...types: string[]) {
      const modseq = (modseqs.get(accountId) ?? 0) + 1;
      modseqs.set(accountId, modseq);
      const ev = { accountId, modseq, changes: types.map((type, i) => ({ type, id: `${type}${i}`, op: 'u' as const })) };
      log.push(ev);
      listeners.forEach((e) => e.accountId === accountId && e.l(ev));
    },
    commit(...types: string[]) {
      this.commitIn('a1', ...types);
    },
    listeners,
  };
}

/** The event source's framing, collected as text. */
function sink() {
  const out = { chunks: [] as string[], ended: false };
  return Object.assign(out, sseSink({ write: (c) => out.chunks.push(c), end: () => (out.ended = true) }));
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const opts = { accountIds: ['a1'], types: '*' as const, closeAfterState: false, ping: 0, resumeFrom: null, allTypes: ['Email', 'Mailbox', 'Thread'] };

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
  const stop = await openStateStream(feed, out, { ...opts, resumeFrom: '1' });
  assert.equal(out.chunks.length, 1);
  assert.match(out.chunks[0], /^event: state\nid: 3\n/);
  assert.deepEqual(JSON.parse(out.chunks[0].split('data: ')[1]).changed, { a1: { Email: '3' } });
  stop();
  const current = sink();
  (await openStateStream(feed, current, { ...opts, resumeFrom: '3' }))();
  assert.deepEqual(current.chunks, [], 'up to date: nothing to send');
});

test('Last-Event-ID beyond the log horizon, or ahead of the server, pushes every type', async () => {
  const feed = fakeFeed(0);
  feed.commit('Email');
  feed.commit('Email');
  feed.truncatedBelow = 2;
  for (const resumeFrom of ['1', '99']) {
    const out = sink();
    (await openStateStream(feed, out, { ...opts, resumeFrom }))();
    assert.deepEqual(JSON.parse(out.chunks[0].split('data: ')[1]).changed, { a1: { Email: '2', Mailbox: '2', Thread: '2' } }, `from ${resumeFrom}`);
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

const pool = { ...opts, accountIds: ['a1', 'a2'] };

test('a pool: changes in several accounts become one StateChange naming each, with a position over all', async () => {
  const feed = fakeFeed();
  const out = sink();
  const stop = await openStateStream(feed, out, pool);
  feed.commitIn('a2', 'Email');
  feed.commit('Mailbox');
  await wait(COALESCE_MS + 50);
  assert.deepEqual(out.chunks, [`event: state\nid: 11,a2:1\ndata: {"@type":"StateChange","changed":{"a2":{"Email":"1"},"a1":{"Mailbox":"11"}}}\n\n`]);
  feed.commitIn('a2', 'Thread');
  await wait(COALESCE_MS + 50);
  assert.equal(out.chunks[1], `event: state\nid: 11,a2:2\ndata: {"@type":"StateChange","changed":{"a2":{"Thread":"2"}}}\n\n`, 'an account without changes is left out');
  stop();
  assert.equal(feed.listeners.size, 0, 'stop unsubscribes from every account');
});

test('a pool: resuming catches up each account from its own modseq; an account the position lacks gets every type', async () => {
  const feed = fakeFeed(0);
  feed.commit('Email');
  feed.commitIn('a2', 'Mailbox');
  feed.commitIn('a2', 'Thread');
  const out = sink();
  (await openStateStream(feed, out, { ...pool, resumeFrom: '1,a2:1' }))();
  assert.deepEqual(out.chunks, [`event: state\nid: 1,a2:2\ndata: {"@type":"StateChange","changed":{"a2":{"Thread":"2"}}}\n\n`]);
  const older = sink();
  (await openStateStream(feed, older, { ...pool, resumeFrom: '1' }))();
  assert.deepEqual(JSON.parse(older.chunks[0].split('data: ')[1]).changed, { a2: { Email: '2', Mailbox: '2', Thread: '2' } });
});

test('positions: the primary bare, the others by id; anything else is not a position', () => {
  const ids = ['a1', 'a2', 'a3'];
  const at = new Map([['a1', 7], ['a2', 0], ['a3', 12]]);
  assert.equal(formatPosition(['a1'], at), '7');
  assert.equal(formatPosition(ids, at), '7,a2:0,a3:12');
  assert.deepEqual(parsePosition(ids, '7,a2:0,a3:12'), at);
  for (const bad of ['', 'x', '7,a2', '7,a2:-1', 'a2:3', '1e3']) assert.equal(parsePosition(ids, bad), null, bad);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { OpenStreams } from '../../../src/protocols/http/open-streams.ts';

test('streams open at shutdown are ended, and one opening after shutdown began is ended at once', async () => {
  const app = Fastify();
  const ended: string[] = [];
  const streams = new OpenStreams<string>(app, (s) => ended.push(s));
  assert.equal(streams.add('early'), true);
  assert.equal(streams.add('gone'), true);
  streams.delete('gone');
  await app.ready();
  await app.close();
  assert.deepEqual(ended, ['early'], 'the open one, not the one already closed');
  assert.equal(streams.add('late'), false, 'a login that finished during shutdown opens nothing');
  assert.deepEqual(ended, ['early', 'late']);
});

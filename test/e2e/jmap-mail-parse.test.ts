import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { messageWithAttachment, simpleMessage } from '../helpers/messages.ts';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture();
});
after(() => f.server.stop());

test('Email/parse renders uploaded blobs without storing them', async () => {
  const msg = await f.blob(simpleMessage({ subject: 'parsed only', from: 'Dora <dora@remote.test>', body: 'the parsed body' }));
  const att = await f.blob(messageWithAttachment());
  const junk = await f.blob(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
  const [[name, res], [, q]] = await f.jmap([
    ['Email/parse', { accountId: f.accountId, blobIds: [msg.blobId, att.blobId, junk.blobId, 'Bmissing'], fetchTextBodyValues: true }, 'p'],
    ['Email/query', { accountId: f.accountId, calculateTotal: true }, 'q'],
  ]);
  assert.equal(name, 'Email/parse');
  const parsed = res.parsed as Record<string, Record<string, unknown>>;
  const e = parsed[msg.blobId];
  assert.equal(e.subject, 'parsed only');
  assert.deepEqual(e.from, [{ name: 'Dora', email: 'dora@remote.test' }]);
  assert.equal(e.preview, 'the parsed body');
  assert.equal(!('id' in e), true);
  const textPart = (e.textBody as { partId: string }[])[0];
  assert.equal((e.bodyValues as Record<string, { value: string }>)[textPart.partId].value.trim(), 'the parsed body');
  assert.equal(parsed[att.blobId].hasAttachment, true);
  assert.equal((parsed[att.blobId].attachments as unknown[]).length, 1);
  assert.deepEqual(res.notParsable, [junk.blobId]);
  assert.deepEqual(res.notFound, ['Bmissing']);
  assert.equal(q.total, 0, 'nothing was stored');
});

test('Email/parse with explicit properties, header forms and errors', async () => {
  const msg = await f.blob(simpleMessage({ subject: 'props' }));
  const [[, res]] = await f.jmap([['Email/parse', { accountId: f.accountId, blobIds: [msg.blobId], properties: ['id', 'blobId', 'mailboxIds', 'size', 'header:Subject:asText'] }, 'p']]);
  assert.deepEqual((res.parsed as Record<string, unknown>)[msg.blobId], { id: null, blobId: msg.blobId, mailboxIds: null, size: msg.size, 'header:Subject:asText': 'props' });
  const [[errName, err]] = await f.jmap([['Email/parse', { accountId: f.accountId, blobIds: [msg.blobId], properties: ['bogus'] }, 'p']]);
  assert.equal(errName, 'error');
  assert.equal(err.type, 'invalidArguments');
});

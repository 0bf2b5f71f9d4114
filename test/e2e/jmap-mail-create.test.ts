import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';

let f: JmapFixture;
let drafts: string;
before(async () => {
  f = await jmapFixture();
  drafts = await f.mailboxId('drafts');
});
after(() => f.server.stop());

test('Email/set create composes MIME from properties and stores it', async () => {
  const att = await f.blob(Buffer.from('%PDF-1.4 attached'));
  const responses = await f.jmap([
    ['Email/set', {
      accountId: f.accountId,
      create: {
        d1: {
          mailboxIds: { [drafts]: true },
          keywords: { $draft: true, $seen: true },
          from: [{ name: 'Alice', email: 'alice@example.test' }],
          to: [{ name: 'Bob', email: 'bob@remote.test' }],
          bcc: [{ email: 'hidden@remote.test' }],
          subject: 'Draft café',
          inReplyTo: ['orig@remote.test'],
          'header:X-Custom:asText': 'custom value',
          bodyValues: { t: { value: 'Plain body' }, h: { value: '<p>HTML body</p>' } },
          textBody: [{ partId: 't', type: 'text/plain' }],
          htmlBody: [{ partId: 'h', type: 'text/html' }],
          attachments: [{ blobId: att.blobId, type: 'application/pdf', name: 'r.pdf' }],
        },
      },
    }, 's'],
    ['Email/get', { accountId: f.accountId, ids: ['#d1'], properties: ['mailboxIds', 'keywords', 'from', 'to', 'bcc', 'subject', 'inReplyTo', 'hasAttachment', 'attachments', 'textBody', 'bodyValues', 'header:X-Custom:asText'], fetchAllBodyValues: true }, 'g'],
  ]);
  const created = (responses[0][1].created as Record<string, Record<string, unknown>>).d1;
  assert.ok(created, JSON.stringify(responses[0][1]));
  assert.match(created.blobId as string, /^M[0-9a-f]{64}$/);
  assert.equal(typeof created.threadId, 'string');
  assert.equal(typeof created.size, 'number');
  const e = (responses[1][1].list as Record<string, unknown>[])[0];
  assert.equal(e.id, created.id);
  assert.deepEqual(e.mailboxIds, { [drafts]: true });
  assert.deepEqual(e.keywords, { $draft: true, $seen: true });
  assert.deepEqual(e.from, [{ name: 'Alice', email: 'alice@example.test' }]);
  assert.deepEqual(e.bcc, [{ name: null, email: 'hidden@remote.test' }]);
  assert.equal(e.subject, 'Draft café');
  assert.deepEqual(e.inReplyTo, ['orig@remote.test']);
  assert.equal(e['header:X-Custom:asText'], 'custom value');
  assert.equal(e.hasAttachment, true);
  assert.equal((e.attachments as { name: string }[])[0].name, 'r.pdf');
  const textPart = (e.textBody as { partId: string }[])[0].partId;
  assert.equal((e.bodyValues as Record<string, { value: string }>)[textPart].value.trim(), 'Plain body');
});

test('Email/set create errors are per record', async () => {
  const [[, res]] = await f.jmap([
    ['Email/set', {
      accountId: f.accountId,
      create: {
        noBox: { subject: 'x', mailboxIds: {} },
        badProp: { mailboxIds: { [drafts]: true }, id: 'nope' },
        noBlob: { mailboxIds: { [drafts]: true }, attachments: [{ blobId: 'Bdeadbeef' }] },
        noValue: { mailboxIds: { [drafts]: true }, textBody: [{ partId: 'missing' }] },
        ok: { mailboxIds: { [drafts]: true }, subject: 'fine' },
      },
    }, 's'],
  ]);
  const notCreated = res.notCreated as Record<string, { type: string; properties?: string[]; notFound?: string[] }>;
  assert.equal(notCreated.noBox.type, 'invalidProperties');
  assert.deepEqual(notCreated.badProp.properties, ['id']);
  assert.equal(notCreated.noBlob.type, 'blobNotFound');
  assert.deepEqual(notCreated.noBlob.notFound, ['Bdeadbeef']);
  assert.deepEqual(notCreated.noValue.properties, ['bodyValues']);
  assert.ok((res.created as Record<string, unknown>).ok);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';
import { messageWithAttachment, simpleMessage } from '../helpers/messages.ts';

/** Every RFC 8621 §4.4.1 FilterCondition, each matching exactly the emails it should. */

let f: JmapFixture;
let inbox: string;
let archive: string;
const ids: Record<string, string> = {};

async function importEmail(raw: Buffer, opts: { mailbox?: string; receivedAt: string; keywords?: string[] }): Promise<string> {
  const { blobId } = await f.blob(raw);
  const keywords = Object.fromEntries((opts.keywords ?? []).map((k) => [k, true]));
  const [[, res]] = await f.jmap([['Email/import', { accountId: f.accountId, emails: { e: { blobId, mailboxIds: { [opts.mailbox ?? inbox]: true }, keywords, receivedAt: opts.receivedAt } } }, 'i']]);
  const created = (res.created as Record<string, { id: string }> | undefined)?.e;
  assert.ok(created, JSON.stringify(res));
  return created.id;
}

// Forty filler words, so a search for the word after them finds words past the first few.
const filler = Array.from({ length: 40 }, (_, i) => `filler${i}`).join(' ');

before(async () => {
  f = await jmapFixture();
  inbox = await f.mailboxId('inbox');
  archive = await f.mailboxId('archive');
  ids.cc = await importEmail(
    simpleMessage({
      subject: 'recipients',
      to: 'alice@example.test',
      headers: ['Cc: Carol Jones <carol@cc.test>', 'Bcc: Dave Hidden <dave@bcc.test>', 'X-Priority: 1 (Highest)'],
      body: `${filler} zanzibar`,
    }),
    { receivedAt: '2026-01-01T10:00:00Z', keywords: ['$seen'] },
  );
  ids.to = await importEmail(simpleMessage({ subject: 'addressed', to: 'Carol Jones <carol@cc.test>', from: 'Erin <erin@from.test>' }), {
    receivedAt: '2026-01-02T10:00:00Z',
    keywords: ['$flagged'],
  });
  ids.list = await importEmail(
    simpleMessage({
      subject: 'list mail',
      headers: [
        'List-Id: Gannet Developers <dev.gannet.example.org>',
        'X-Note: =?UTF-8?Q?Caf=C3=A9_cr=C3=A8me?=',
        'X-Folded: part one',
        '  part two',
      ],
    }),
    { receivedAt: '2026-01-03T10:00:00Z' },
  );
  ids.other = await importEmail(simpleMessage({ subject: 'other list', headers: ['List-Id: <other.example.org>'] }), { receivedAt: '2026-01-04T10:00:00Z' });
  ids.archived = await importEmail(simpleMessage({ subject: 'archived list', headers: ['List-Id: Gannet Developers <dev.gannet.example.org>'] }), {
    mailbox: archive,
    receivedAt: '2026-01-05T10:00:00Z',
  });
  ids.attached = await importEmail(messageWithAttachment(), { receivedAt: '2026-01-06T10:00:00Z' });
});
after(() => f.server.stop());

async function query(filter: unknown, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const [[name, res]] = await f.jmap([['Email/query', { accountId: f.accountId, filter, sort: [{ property: 'receivedAt', isAscending: true }], ...extra }, 'q']]);
  return { name, ...res };
}
async function names(filter: unknown): Promise<(string | undefined)[]> {
  const res = await query(filter);
  assert.equal(res.name, 'Email/query', JSON.stringify(res));
  return (res.ids as string[]).map((id) => Object.keys(ids).find((k) => ids[k] === id));
}

test('to, cc and bcc each match only their own header field, by address or display name', async () => {
  assert.deepEqual(await names({ cc: 'carol' }), ['cc']);
  assert.deepEqual(await names({ to: 'carol' }), ['to']);
  assert.deepEqual(await names({ cc: 'Carol Jones' }), ['cc']);
  assert.deepEqual(await names({ to: 'carol@cc.test' }), ['to']);
  assert.deepEqual(await names({ bcc: 'dave' }), ['cc']);
  assert.deepEqual(await names({ bcc: 'Hidden' }), ['cc']);
  assert.deepEqual(await names({ to: 'dave' }), []);
  assert.deepEqual(await names({ cc: 'dave' }), []);
  assert.deepEqual(await names({ bcc: 'carol' }), []);
  // Two recipient conditions in one FilterCondition must both hold.
  assert.deepEqual(await names({ to: 'alice', cc: 'carol' }), ['cc']);
});

test('text looks in From, To, Cc, Bcc, Subject and the body', async () => {
  assert.deepEqual(await names({ text: 'carol' }), ['cc', 'to', 'attached']);
  assert.deepEqual(await names({ text: 'dave' }), ['cc']);
  assert.deepEqual(await names({ text: 'erin' }), ['to']);
  assert.deepEqual(await names({ text: 'addressed' }), ['to']);
  assert.deepEqual(await names({ text: 'zanzibar' }), ['cc']);
  assert.deepEqual(await names({ text: 'quarterly' }), ['attached']);
});

test('header with a name matches emails that have that field, whatever its case', async () => {
  assert.deepEqual(await names({ header: ['X-Priority'] }), ['cc']);
  assert.deepEqual(await names({ header: ['x-PRIORITY'] }), ['cc']);
  assert.deepEqual(await names({ header: ['List-Id'] }), ['list', 'other', 'archived']);
  assert.deepEqual(await names({ header: ['List-Id', ''] }), ['list', 'other', 'archived']);
  assert.deepEqual(await names({ header: ['X-Missing'] }), []);
  // A name that is only part of a field name matches nothing.
  assert.deepEqual(await names({ header: ['List'] }), []);
});

test('header with a value matches a substring of that field, case-insensitively, and nothing looser', async () => {
  assert.deepEqual(await names({ header: ['List-Id', 'gannet'] }), ['list', 'archived']);
  assert.deepEqual(await names({ header: ['list-id', 'GANNET.EXA'] }), ['list', 'archived']);
  assert.deepEqual(await names({ header: ['List-Id', 'annet.exam'] }), ['list', 'archived']);
  assert.deepEqual(await names({ header: ['List-Id', 'example.org>'] }), ['list', 'other', 'archived']);
  assert.deepEqual(await names({ header: ['List-Id', 'Developers <dev'] }), ['list', 'archived']);
  // Both words are in the field, but not as this text: word matching would say yes.
  assert.deepEqual(await names({ header: ['List-Id', 'developers gannet'] }), []);
  assert.deepEqual(await names({ header: ['List-Id', 'gannet.example.org.uk'] }), []);
  // The text is in the message, but in another field.
  assert.deepEqual(await names({ header: ['X-Priority', 'gannet'] }), []);
  assert.deepEqual(await names({ header: ['Subject', 'list mail'] }), ['list']);
  assert.deepEqual(await names({ header: ['Cc', 'carol@cc'] }), ['cc']);
  // Values are matched unfolded and with RFC 2047 encoded words decoded.
  assert.deepEqual(await names({ header: ['X-Note', 'café crème'] }), ['list']);
  assert.deepEqual(await names({ header: ['X-Folded', 'one  part'] }), ['list']);
});

test('header conditions inside AND, OR and NOT, and beside other conditions', async () => {
  assert.deepEqual(await names({ operator: 'NOT', conditions: [{ header: ['List-Id', 'gannet'] }] }), ['cc', 'to', 'other', 'attached']);
  assert.deepEqual(await names({ operator: 'NOT', conditions: [{ header: ['List-Id'] }] }), ['cc', 'to', 'attached']);
  assert.deepEqual(await names({ operator: 'OR', conditions: [{ header: ['List-Id', 'other'] }, { cc: 'carol' }] }), ['cc', 'other']);
  assert.deepEqual(await names({ inMailbox: inbox, header: ['List-Id', 'gannet'] }), ['list']);
  assert.deepEqual(await names({ operator: 'AND', conditions: [{ inMailbox: archive }, { operator: 'NOT', conditions: [{ header: ['List-Id', 'other'] }] }] }), ['archived']);
  assert.deepEqual(await names({ header: ['List-Id', 'gannet'], subject: 'archived' }), ['archived']);
  assert.deepEqual(await names({ operator: 'AND', conditions: [{ header: ['List-Id', 'example'] }, { header: ['List-Id', 'dev.'] }] }), ['list', 'archived']);
  const counted = await query({ header: ['List-Id', 'example'] }, { calculateTotal: true, limit: 1, position: 1 });
  assert.equal(counted.total, 3);
  assert.equal((counted.ids as string[])[0], ids.other);
});

test('a malformed header condition is invalidArguments', async () => {
  for (const header of ['List-Id', [], ['a', 'b', 'c'], [1], ['List-Id', 2], ['Bad Name'], ['X:Y'], ['']]) {
    const res = await query({ header });
    assert.equal(res.type, 'invalidArguments', JSON.stringify(header));
  }
});

test('the other conditions: mailboxes, dates, sizes, keywords, attachments and fields', async () => {
  const all = ['cc', 'to', 'list', 'other', 'archived', 'attached'];
  assert.deepEqual(await names({ inMailbox: archive }), ['archived']);
  assert.deepEqual(await names({ inMailboxOtherThan: [inbox] }), ['archived']);
  assert.deepEqual(await names({ before: '2026-01-02T10:00:00Z' }), ['cc']);
  assert.deepEqual(await names({ after: '2026-01-05T10:00:00Z' }), ['archived', 'attached']);
  const sizes = await f.jmap([['Email/get', { accountId: f.accountId, ids: [ids.cc], properties: ['size'] }, 'g']]);
  const size = (sizes[0]![1].list as { size: number }[])[0]!.size;
  assert.deepEqual(await names({ minSize: size, maxSize: size + 1 }), ['cc']);
  assert.deepEqual(await names({ hasKeyword: '$seen' }), ['cc']);
  assert.deepEqual(await names({ notKeyword: '$flagged' }), all.filter((n) => n !== 'to'));
  assert.deepEqual(await names({ hasAttachment: true }), ['attached']);
  assert.deepEqual(await names({ from: 'erin' }), ['to']);
  assert.deepEqual(await names({ subject: 'other list' }), ['other']);
  assert.deepEqual(await names({ body: 'zanzibar' }), ['cc']);
  assert.deepEqual(await names({ body: 'recipients' }), []);
  assert.deepEqual(await names({}), all);
});

test('header values past what the index keeps of a message are still found', async () => {
  // More distinct words than the index keeps per message, then the text searched for.
  const many = Array.from({ length: 9000 }, (_, i) => `w${i}`).join(' ');
  const big = await importEmail(simpleMessage({ subject: 'big header', headers: [`X-Big: ${many} needle haystack`] }), { receivedAt: '2026-01-07T10:00:00Z' });
  const long = await importEmail(simpleMessage({ subject: 'long word', headers: [`X-Token: x ${'a'.repeat(3000)}b`] }), { receivedAt: '2026-01-08T10:00:00Z' });
  const found = async (filter: unknown) => ((await query(filter)).ids as string[]).filter((id) => id === big || id === long);
  assert.deepEqual(await found({ header: ['X-Big', 'w8999 needle hay'] }), [big]);
  assert.deepEqual(await found({ header: ['X-Big', 'needle w1'] }), []);
  assert.deepEqual(await found({ header: ['X-Token', 'x aaaa'] }), [long]);
  assert.deepEqual(await found({ header: ['X-Token', 'aab'] }), [long]);
  assert.deepEqual(await found({ header: ['X-Token', 'x ab'] }), []);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../helpers/messages.ts';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';

let f: JmapFixture;
let match: string;
let other: string;

before(async () => {
  f = await jmapFixture();
  match = await f.upload(simpleMessage({ subject: 'Gannet <release> notes', body: `${'filler words here '.repeat(20)}the gannet dives & fishes.` }));
  other = await f.upload(simpleMessage({ subject: 'lunch', body: 'nothing relevant' }));
});
after(() => f.server.stop());

test('SearchSnippet/get marks the filter words in subject and preview', async () => {
  const [, [name, res]] = await f.jmap([
    ['Email/query', { accountId: f.accountId, filter: { text: 'gannet' } }, 'q'],
    ['SearchSnippet/get', { accountId: f.accountId, filter: { text: 'gannet' }, '#emailIds': { resultOf: 'q', name: 'Email/query', path: '/ids' } }, 's'],
  ]);
  assert.equal(name, 'SearchSnippet/get');
  const [s] = res.list as { emailId: string; subject: string | null; preview: string | null }[];
  assert.equal(s.emailId, match);
  assert.equal(s.subject, '<mark>Gannet</mark> &lt;release&gt; notes');
  assert.match(s.preview!, /the <mark>gannet<\/mark> dives &amp; fishes\.$/);
  assert.ok(!s.preview!.startsWith('filler words here filler'), 'the preview is a window near the match');
});

test('no match gives nulls; unknown ids are notFound; words under NOT are not marked', async () => {
  const [[, res]] = await f.jmap([
    ['SearchSnippet/get', { accountId: f.accountId, filter: { operator: 'AND', conditions: [{ body: 'relevant' }, { operator: 'NOT', conditions: [{ subject: 'lunch' }] }] }, emailIds: [other, match, 'nope'] }, 's'],
  ]);
  const list = res.list as { emailId: string; subject: string | null; preview: string | null }[];
  assert.deepEqual(list.find((s) => s.emailId === other), { emailId: other, subject: null, preview: 'nothing <mark>relevant</mark>' });
  assert.deepEqual(list.find((s) => s.emailId === match), { emailId: match, subject: null, preview: null });
  assert.deepEqual(res.notFound, ['nope']);
  const [[errName, err]] = await f.jmap([['SearchSnippet/get', { accountId: f.accountId, filter: { xSpam: 'yes' }, emailIds: [match] }, 's']]);
  assert.equal(errName, 'error');
  assert.equal(err.type, 'unsupportedFilter');
});

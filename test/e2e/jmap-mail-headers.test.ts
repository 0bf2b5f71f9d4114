import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';

let f: JmapFixture;
let id: string;

const RAW = Buffer.from(
  [
    'From: =?UTF-8?Q?Ren=C3=A9?= <rene@remote.test>',
    'To: alice@example.test, "Bob B" <bob@example.test>',
    'Subject: =?UTF-8?Q?caf=C3=A9?= time',
    'Date: Fri, 20 Nov 2026 10:00:00 +0100',
    'Message-ID: <m1@remote.test>',
    'References: <r1@remote.test>',
    ' <r2@remote.test>',
    'List-Unsubscribe: <mailto:leave@list.test>, <https://list.test/leave>',
    'X-Tag: one',
    'X-Tag: two',
    'MIME-Version: 1.0',
    'Content-Type: text/plain',
    '',
    'hi',
    '',
  ].join('\r\n'),
);

before(async () => {
  f = await jmapFixture();
  id = await f.upload(RAW);
});
after(() => f.server.stop());

async function get(properties: string[]) {
  const [[name, res]] = await f.jmap([['Email/get', { accountId: f.accountId, ids: [id], properties }, 'g']]);
  return name === 'error' ? res : (res.list as Record<string, unknown>[])[0];
}

test('header:{name} forms', async () => {
  const e = await get([
    'header:Subject', 'header:subject:asText', 'header:From:asAddresses', 'header:To:asGroupedAddresses',
    'header:References:asMessageIds', 'header:Date:asDate', 'header:List-Unsubscribe:asURLs', 'header:X-Tag', 'header:X-Tag:all',
    'header:X-Missing', 'header:X-Missing:all', 'header:X-Tag:asText:all',
  ]);
  assert.equal(e['header:Subject'], ' =?UTF-8?Q?caf=C3=A9?= time');
  assert.equal(e['header:subject:asText'], 'café time');
  assert.deepEqual(e['header:From:asAddresses'], [{ name: 'René', email: 'rene@remote.test' }]);
  assert.deepEqual(e['header:To:asGroupedAddresses'], [{ name: null, addresses: [{ name: null, email: 'alice@example.test' }, { name: 'Bob B', email: 'bob@example.test' }] }]);
  assert.deepEqual(e['header:References:asMessageIds'], ['r1@remote.test', 'r2@remote.test']);
  assert.equal(e['header:Date:asDate'], '2026-11-20T09:00:00Z');
  assert.deepEqual(e['header:List-Unsubscribe:asURLs'], ['mailto:leave@list.test', 'https://list.test/leave']);
  assert.equal(e['header:X-Tag'], ' two');
  assert.deepEqual(e['header:X-Tag:all'], [' one', ' two']);
  assert.deepEqual(e['header:X-Tag:asText:all'], ['one', 'two']);
  assert.equal(e['header:X-Missing'], null);
  assert.deepEqual(e['header:X-Missing:all'], []);
});

test('invalid header forms are invalidArguments', async () => {
  for (const p of ['header:From:asDate', 'header:Subject:asAddresses', 'header:X-A:asNothing', 'header:X-A:all:asText', 'header:']) {
    const res = await get([p]);
    assert.equal(res.type, 'invalidArguments', p);
  }
});

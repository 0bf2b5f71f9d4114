import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { messageWithAttachment, simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { lieAboutLastEntry, makeZip, unzip } from '../services/pdpa/zip.ts';

// Small enough that a bomb is cheap to build, large enough for the test messages.
const MAX_MESSAGE = 256 * 1024;

type User = { id: string; username: string; password: string };
type Box = { id: string; name: string; path: string; role: string | null; parentId: string | null; subscribed: boolean };
type Summary = { id: string; keywords: string[]; receivedAt: string; mailboxIds: string[] };

let server: TestServer;
let alice: User;

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: MAX_MESSAGE } }))!;
  alice = await createUser(server, 'alice');
});
after(() => server.stop());

const basic = (u: User) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
const json = async (res: Response) => JSON.parse(await res.text());

async function exportZip(u: User): Promise<Buffer> {
  const res = await server.api('/pdpa', { headers: { authorization: basic(u) } });
  assert.equal(res.status, 200, res.status === 200 ? '' : await res.text());
  assert.equal(res.headers.get('content-type'), 'application/zip');
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="pdpa-.+\.zip"/);
  return Buffer.from(await res.arrayBuffer());
}

async function importZip(u: User, zip: Buffer, query = ''): Promise<Response> {
  return server.api(`/pdpa${query}`, { method: 'POST', body: zip, headers: { authorization: basic(u), 'content-type': 'application/zip' } });
}

async function upload(u: User, raw: Buffer, mailbox: string, query = ''): Promise<{ id: string }> {
  const res = await server.api(`/api/v1/users/${u.id}/mailboxes/${mailbox}/messages${query}`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
  assert.equal(res.status, 201, await res.clone().text());
  return json(res);
}

async function mailboxes(u: User): Promise<Box[]> {
  return (await json(await server.api(`/api/v1/users/${u.id}/mailboxes`))).results;
}

async function messagesIn(u: User, box: string): Promise<Summary[]> {
  const out: Summary[] = [];
  let cursor = '';
  do {
    const page = await json(await server.api(`/api/v1/users/${u.id}/mailboxes/${box}/messages?limit=250&order=asc${cursor ? `&cursor=${cursor}` : ''}`));
    out.push(...page.results);
    cursor = page.next ?? '';
  } while (cursor);
  return out;
}

async function raw(u: User, id: string): Promise<Buffer> {
  return Buffer.from(await (await server.api(`/api/v1/users/${u.id}/messages/${id}/raw`)).arrayBuffer());
}

/** path → sorted list of "keywords|receivedAt|sha of raw" for every message, to compare accounts. */
async function snapshot(u: User, under = ''): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const b of await mailboxes(u)) {
    if (under && !b.path.startsWith(`${under}/`)) continue;
    const path = under ? b.path.slice(under.length + 1) : b.path;
    const rows: string[] = [];
    for (const m of await messagesIn(u, b.id)) rows.push(`${m.keywords.join(',')}|${m.receivedAt}|${(await raw(u, m.id)).toString('base64')}`);
    out.set(path, rows.sort());
  }
  return out;
}

let aliceZip: Buffer;
const uploaded = new Map<string, Buffer>();

test('export: layout, archive.json, folder.json with flags and dates, byte-identical .eml', async () => {
  const made = async (name: string, parentId?: string) => json(await server.api(`/api/v1/users/${alice.id}/mailboxes`, { method: 'POST', json: { name, parentId } }));
  const work = await made('Work');
  const y2024 = await made('2024', work.id);
  const odd = await made('a\\b: 1.eml', work.id);
  const plain = simpleMessage({ subject: 'hello' });
  const att = messageWithAttachment();
  uploaded.set('inbox', plain);
  uploaded.set('2024', att);
  await upload(alice, plain, 'inbox', '?keywords=$seen,$flagged,custom&receivedAt=2025-03-04T05:06:07Z');
  await upload(alice, att, y2024.id, '?keywords=$answered&receivedAt=2024-01-02T03:04:05Z');
  await upload(alice, simpleMessage({ subject: 'odd folder' }), odd.id);
  await server.api(`/api/v1/users/${alice.id}/mailboxes/${work.id}`, { method: 'PATCH', json: { subscribed: false } });

  aliceZip = await exportZip(alice);
  const files = await unzip(aliceZip);
  const names = [...files.keys()].sort();
  for (const n of names) assert.doesNotMatch(n, /\\|(^|\/)\.\.(\/|$)|^\//);
  assert.ok(names.includes('contacts/') && names.includes('calendars/'));
  for (const f of ['archive.json', 'mail/Inbox/folder.json', 'mail/Inbox/1.eml', 'mail/Work/folder.json', 'mail/Work/2024/folder.json', 'mail/Work/2024/1.eml', 'mail/Sent/folder.json']) {
    assert.ok(files.has(f), `${f} in ${names.join(' ')}`);
  }
  const meta = JSON.parse(files.get('archive.json')!.toString());
  assert.equal(meta.archive.version, 'PDPA v1.0');
  assert.ok(meta.archive.id && meta.archive.timestamp && meta.archive.generator);
  assert.equal(meta.dataset.extent, 'FULL');
  assert.equal(meta.datasource.account, 'alice');

  const inbox = JSON.parse(files.get('mail/Inbox/folder.json')!.toString());
  assert.equal(inbox.name, 'Inbox');
  assert.equal(inbox.role, 'inbox');
  assert.equal(inbox.is_subscribed, true);
  assert.ok(Number.isInteger(inbox.uidvalidity) && Number.isInteger(inbox.last_uid));
  assert.deepEqual(inbox.items.map((i: { filename: string; flags: string[]; internal_date: string }) => [i.filename, i.flags, i.internal_date]), [['1.eml', ['\\Flagged', '\\Seen', 'custom'], '2025-03-04T05:06:07.000Z']]);
  assert.equal(JSON.parse(files.get('mail/Sent/folder.json')!.toString()).special_use, '\\Sent');
  assert.equal(JSON.parse(files.get('mail/Work/folder.json')!.toString()).is_subscribed, false);
  const oddDir = names.find((n) => n.startsWith('mail/Work/') && n.endsWith('/folder.json') && !n.includes('2024'))!;
  assert.equal(JSON.parse(files.get(oddDir)!.toString()).name, 'a\\b: 1.eml');
  assert.ok(files.get('mail/Inbox/1.eml')!.equals(plain));
  assert.ok(files.get('mail/Work/2024/1.eml')!.equals(att));
});

test('export: admin token and anonymous callers are refused', async () => {
  assert.equal((await server.api('/pdpa')).status, 403);
  assert.equal((await server.api('/pdpa', { token: null })).status, 401);
  assert.equal((await server.api('/pdpa', { method: 'POST', body: aliceZip, headers: { 'content-type': 'application/zip' } })).status, 403);
});

test('import: merges into role mailboxes and recreates the hierarchy, bytes, keywords and dates intact', async () => {
  const bob = await createUser(server, 'bob');
  const res = await importZip(bob, aliceZip);
  assert.equal(res.status, 200, await res.clone().text());
  const summary = await json(res);
  assert.equal(summary.messagesImported, 3);
  assert.equal(summary.mailboxesCreated, 3);
  assert.deepEqual(summary.skipped, []);
  assert.deepEqual(await snapshot(bob), await snapshot(alice));
  const boxes = await mailboxes(bob);
  assert.equal(boxes.find((b) => b.path === 'Work')!.subscribed, false);
  assert.equal(boxes.filter((b) => b.role === 'inbox').length, 1);
});

test('import with prefix: everything under one new folder, roles not duplicated', async () => {
  const carol = await createUser(server, 'carol');
  const before = await mailboxes(carol);
  const res = await importZip(carol, aliceZip, '?prefix=Old%20mail');
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await json(res)).messagesImported, 3);
  const boxes = await mailboxes(carol);
  assert.deepEqual(boxes.filter((b) => b.role).map((b) => b.id).sort(), before.map((b) => b.id).sort());
  assert.deepEqual(await snapshot(carol, 'Old mail'), await snapshot(alice));
  // Importing twice adds alongside: the same folders, twice the messages.
  assert.equal((await importZip(carol, aliceZip, '?prefix=Old%20mail')).status, 200);
  assert.equal((await mailboxes(carol)).length, boxes.length);
  const inbox = boxes.find((b) => b.path === 'Old mail/Inbox')!;
  assert.equal((await messagesIn(carol, inbox.id)).length, 2);
  assert.equal((await importZip(carol, aliceZip, '?prefix=a%2Fb')).status, 400);
});

const ARCHIVE = { archive: { id: 'x', name: 'x', timestamp: '2025-01-01T00:00:00Z', version: 'PDPA v1.0', generator: 'test' }, dataset: { extent: 'FULL' }, datasource: {} };
const folder = (items: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'X', items, ...extra });
const item = { uid: '1', filename: '1.eml', flags: ['\\Seen'] };
const eml = simpleMessage({ subject: 'hostile' });

test('import: hostile or malformed archives are refused with 400 and change nothing', async () => {
  const dave = await createUser(server, 'dave');
  const valid = { 'archive.json': ARCHIVE, 'mail/X/folder.json': folder([item]), 'mail/X/1.eml': eml };
  const bombBody = Buffer.alloc(MAX_MESSAGE * 4, 0x41);
  const cases: Record<string, Buffer> = {
    'not a zip': Buffer.from('this is not a zip file at all'),
    'truncated zip': (await makeZip(valid)).subarray(0, 60),
    traversal: await makeZip({ ...valid, 'mail/X/../../../evil.eml': eml }),
    'traversal in folder': await makeZip({ 'archive.json': ARCHIVE, 'mail/../X/folder.json': folder([]) }),
    absolute: await makeZip({ ...valid, '/etc/x.eml': eml }),
    backslash: await makeZip({ ...valid, 'mail\\X\\2.eml': eml }),
    symlink: await makeZip({ ...valid, 'mail/X/2.eml': '/etc/passwd' }, { symlink: ['mail/X/2.eml'] }),
    'lying header (bomb)': lieAboutLastEntry(await makeZip({ ...valid, 'mail/X/2.eml': bombBody }), 100),
    'total bomb': await makeZip(Object.fromEntries([...Object.entries(valid), ...Array.from({ length: 50 }, (_, i) => [`mail/X/b${i}.eml`, Buffer.alloc(MAX_MESSAGE - 10, 0x41)])])),
    'bad JSON': await makeZip({ ...valid, 'mail/X/folder.json': '{"name": "X", "items": [' }),
    'missing archive.json': await makeZip({ 'mail/X/folder.json': folder([item]), 'mail/X/1.eml': eml }),
    'missing folder.json': await makeZip({ 'archive.json': ARCHIVE, 'mail/X/1.eml': eml }),
    'listed file missing': await makeZip({ 'archive.json': ARCHIVE, 'mail/X/folder.json': folder([item, { uid: '2', filename: '2.eml' }]), 'mail/X/1.eml': eml }),
    'items not an array': await makeZip({ ...valid, 'mail/X/folder.json': { name: 'X', items: {} } }),
    'bad flag': await makeZip({ ...valid, 'mail/X/folder.json': folder([{ ...item, flags: ['bad flag'] }]) }),
    'bad date': await makeZip({ ...valid, 'mail/X/folder.json': folder([{ ...item, internal_date: 'yesterday' }]) }),
    'bad mailbox name': await makeZip({ ...valid, 'mail/X/folder.json': folder([item], { name: 'tab\there' }) }),
    'unknown layout': await makeZip({ ...valid, 'photos/cat.jpg': 'meow' }),
    'stray file in mail': await makeZip({ ...valid, 'mail/X/notes.txt': 'hi' }),
  };
  const before = await snapshot(dave);
  for (const [name, zip] of Object.entries(cases)) {
    const res = await importZip(dave, zip);
    assert.equal(res.status, 400, `${name}: ${res.status} ${await res.clone().text()}`);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, name);
  }
  assert.deepEqual(await snapshot(dave), before);
  // The control case really imports, so the refusals above are not an artefact of the fixture.
  // An honestly declared oversized message is skipped, not a reason to refuse the rest.
  const big = Buffer.concat([eml, Buffer.alloc(MAX_MESSAGE, 0x41)]);
  const ok = await importZip(dave, await makeZip({ ...valid, 'mail/X/folder.json': folder([item, { uid: '2', filename: '2.eml' }]), 'mail/X/2.eml': big }));
  assert.equal(ok.status, 200, await ok.clone().text());
  const summary = await json(ok);
  assert.equal(summary.messagesImported, 1);
  assert.deepEqual(summary.skipped.map((s: { entry: string }) => s.entry), ['mail/X/2.eml']);
  const x = (await mailboxes(dave)).find((b) => b.path === 'X')!;
  assert.deepEqual((await messagesIn(dave, x.id)).map((m) => m.keywords), [['$seen']]);
});

test('export: an email in several mailboxes is written once, in the first of them', async () => {
  const erin = await createUser(server, 'erin');
  const boxes = await mailboxes(erin);
  const archive = boxes.find((b) => b.role === 'archive')!;
  const m = await upload(erin, simpleMessage({ subject: 'twice' }), 'inbox');
  const patched = await server.api(`/api/v1/users/${erin.id}/messages/${m.id}`, { method: 'PATCH', json: { addMailboxIds: [archive.id] } });
  assert.equal(patched.status, 200, await patched.text());
  const files = await unzip(await exportZip(erin));
  const emls = [...files.keys()].filter((n) => n.endsWith('.eml'));
  assert.deepEqual(emls, ['mail/Inbox/1.eml']);
  assert.deepEqual(JSON.parse(files.get('mail/Archive/folder.json')!.toString()).items, []);
});

test('import: a folder tree deeper than the server allows is refused whole', async () => {
  const frank = await createUser(server, 'frank');
  const dir = `mail/${Array.from({ length: 33 }, (_, i) => `L${i}`).join('/')}`;
  const res = await importZip(frank, await makeZip({ 'archive.json': ARCHIVE, [`${dir}/folder.json`]: folder([item]), [`${dir}/1.eml`]: eml }));
  assert.equal(res.status, 400, await res.clone().text());
  assert.equal((await mailboxes(frank)).length, 6);
});

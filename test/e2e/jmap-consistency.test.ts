import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';
import { simpleMessage } from '../helpers/messages.ts';

/**
 * After a random sequence of changes made through JMAP, REST and SMTP, Foo/changes from every
 * earlier state must account for exactly the difference between that state's Foo/get and the
 * current one: nothing changed without being reported, nothing reported created that existed.
 */
let f: JmapFixture;
before(async () => {
  f = await jmapFixture();
});
after(() => f.server.stop());

type Snapshot = { state: string; objects: Record<string, Map<string, string>> };
const TYPES = {
  Email: ['mailboxIds', 'keywords', 'threadId', 'subject'],
  Mailbox: ['name', 'parentId', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'isSubscribed'],
} as const;

function prng(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

async function snapshot(): Promise<Snapshot> {
  const responses = await f.jmap([
    ['Email/query', { accountId: f.accountId, limit: 1000 }, 'q'],
    ['Email/get', { accountId: f.accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: [...TYPES.Email] }, 'e'],
    ['Mailbox/get', { accountId: f.accountId, properties: [...TYPES.Mailbox] }, 'm'],
    ['Thread/get', { accountId: f.accountId, '#ids': { resultOf: 'e', name: 'Email/get', path: '/list/*/threadId' } }, 't'],
  ]);
  const asMap = (list: Record<string, unknown>[]) => new Map(list.map((o) => [o.id as string, JSON.stringify(o)]));
  const email = responses[1][1];
  return {
    state: email.state as string,
    objects: { Email: asMap(email.list as never), Mailbox: asMap(responses[2][1].list as never), Thread: asMap(responses[3][1].list as never) },
  };
}

async function check(past: Snapshot, now: Snapshot, op = 'all steps'): Promise<void> {
  for (const type of ['Email', 'Mailbox', 'Thread'] as const) {
    const [[, changes]] = await f.jmap([[`${type}/changes`, { accountId: f.accountId, sinceState: past.state, maxChanges: 100000 }, 'c']]);
    assert.equal(changes.hasMoreChanges, false);
    const created = new Set(changes.created as string[]);
    const updated = new Set(changes.updated as string[]);
    const destroyed = new Set(changes.destroyed as string[]);
    const before = past.objects[type];
    const after = now.objects[type];
    const where = `${type}/changes since ${past.state} (${op})`;
    for (const id of created) assert.ok(!before.has(id), `${where}: ${id} reported created but existed`);
    for (const id of destroyed) assert.ok(before.has(id) && !after.has(id), `${where}: ${id} reported destroyed wrongly`);
    const rebuilt = new Set([...before.keys()].filter((id) => !destroyed.has(id)));
    for (const id of created) rebuilt.add(id);
    assert.deepEqual([...rebuilt].sort(), [...after.keys()].sort(), `${where}: ids do not add up`);
    for (const [id, json] of after) {
      if (before.has(id) && before.get(id) !== json) assert.ok(updated.has(id), `${where}: ${id} changed but was not reported`);
    }
  }
}

test('Foo/changes from every earlier state reproduces the current Foo/get', async () => {
  const rnd = prng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: f.server.listeners.smtp.port, secure: false, ignoreTLS: true });
  const snapshots: Snapshot[] = [await snapshot()];
  const inbox = await f.mailboxId('inbox');
  const subjects = ['alpha', 'beta', 'gamma'];

  for (let step = 0; step < 40; step++) {
    const current = snapshots[snapshots.length - 1];
    const emailIds = [...current.objects.Email.keys()];
    const mailboxIds = [...current.objects.Mailbox.keys()];
    const op = pick(['smtp', 'rest-upload', 'rest-patch', 'jmap-keywords', 'jmap-move', 'jmap-destroy', 'mailbox-create', 'mailbox-rename', 'rest-delete', 'reply']);
    const subject = pick(subjects);
    switch (op) {
      case 'smtp':
        await transport.sendMail({ envelope: { from: 'x@remote.test', to: ['alice@example.test'] }, raw: simpleMessage({ subject, messageId: `m${step}@remote.test` }) });
        break;
      case 'reply':
        await f.upload(simpleMessage({ subject: `Re: ${subject}`, inReplyTo: `m${step - 1}@remote.test` }));
        break;
      case 'rest-upload':
        await f.upload(simpleMessage({ subject }), pick(['inbox', 'archive']));
        break;
      case 'rest-patch':
        if (emailIds.length) {
          await f.server.api(`/api/v1/users/me/messages/${pick(emailIds)}`, { method: 'PATCH', json: { flagged: rnd() < 0.5 }, headers: { authorization: 'Basic ' + Buffer.from('alice@example.test:correct horse battery').toString('base64') } });
        }
        break;
      case 'rest-delete':
        if (emailIds.length) await f.server.api(`/api/v1/users/me/messages/${pick(emailIds)}`, { method: 'DELETE', headers: { authorization: 'Basic ' + Buffer.from('alice@example.test:correct horse battery').toString('base64') } });
        break;
      case 'jmap-keywords':
        if (emailIds.length) await f.jmap([['Email/set', { accountId: f.accountId, update: { [pick(emailIds)]: { 'keywords/$seen': rnd() < 0.5 ? true : null } } }, 's']]);
        break;
      case 'jmap-move':
        if (emailIds.length) await f.jmap([['Email/set', { accountId: f.accountId, update: { [pick(emailIds)]: { mailboxIds: { [pick(mailboxIds)]: true } } } }, 's']]);
        break;
      case 'jmap-destroy':
        if (emailIds.length) await f.jmap([['Email/set', { accountId: f.accountId, destroy: [pick(emailIds)] }, 's']]);
        break;
      case 'mailbox-create':
        await f.jmap([['Mailbox/set', { accountId: f.accountId, create: { c: { name: `Folder ${step}`, parentId: rnd() < 0.3 ? inbox : null } } }, 's']]);
        break;
      case 'mailbox-rename': {
        const own = mailboxIds.filter((id) => JSON.parse(current.objects.Mailbox.get(id)!).name.startsWith('Folder'));
        if (own.length) await f.jmap([['Mailbox/set', { accountId: f.accountId, update: { [pick(own)]: { name: `Renamed ${step}` } } }, 's']]);
        break;
      }
    }
    const next = await snapshot();
    // Step by step, so a change missing from the log cannot hide behind a later one.
    await check(current, next, op);
    snapshots.push(next);
  }
  transport.close();

  // And from every earlier state to the end.
  const now = snapshots[snapshots.length - 1];
  for (const past of snapshots) await check(past, now);
});

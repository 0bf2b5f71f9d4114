import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const SUBMISSION = 'urn:ietf:params:jmap:submission';

type User = { id: string; address: string; password: string; accountId: string };
let server: TestServer;
let alice: User;
let bob: User;
let carol: User;
let identityId: string;
let boxes: Record<string, string>;

const basic = (u: User) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

async function jmap(calls: [string, Record<string, unknown>, string][], who = alice) {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(who) },
    body: JSON.stringify({ using: [CORE, MAIL, SUBMISSION], methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

async function user(name: string): Promise<User> {
  const u = await createUser(server, name);
  return { ...u, accountId: (await server.services.directory.accountOfUser(u.id)).accountId };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const got = await probe();
    if (got) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not after 5 s`);
}

/** The email with this subject in the user's inbox, once delivery brought it. */
async function received(who: User, subject: string) {
  return until(`"${subject}" in ${who.address}'s inbox`, async () => {
    const [[, q], [, g]] = await jmap(
      [
        ['Email/query', { accountId: who.accountId, filter: { subject } }, 'q'],
        ['Email/get', { accountId: who.accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'bcc', 'to', 'blobId'] }, 'g'],
      ],
      who,
    );
    return q.ids.length ? g.list[0] : null;
  });
}

function draft(subject: string, extra: Record<string, unknown> = {}) {
  return {
    mailboxIds: { [boxes.drafts]: true },
    keywords: { $draft: true, $seen: true },
    from: [{ name: 'Alice', email: alice.address }],
    to: [{ email: bob.address }],
    bcc: [{ email: carol.address }],
    subject,
    bodyValues: { b: { value: 'Hello from JMAP' } },
    textBody: [{ partId: 'b', type: 'text/plain' }],
    ...extra,
  };
}

before(async () => {
  server = (await startTestServer())!;
  alice = await user('alice');
  bob = await user('bob');
  carol = await user('carol');
  const [[, ids], [, mb]] = await jmap([
    ['Identity/get', { accountId: alice.accountId }, 'i'],
    ['Mailbox/get', { accountId: alice.accountId }, 'm'],
  ]);
  identityId = ids.list[0].id;
  boxes = Object.fromEntries(mb.list.filter((m: any) => m.role).map((m: any) => [m.role, m.id]));
});
after(() => server.stop());

test('a draft sent with onSuccessUpdateEmail: delivered without Bcc, filed in Sent, status per recipient', async () => {
  const [[, before]] = await jmap([['EmailSubmission/get', { accountId: alice.accountId, ids: [] }, 'g']]);
  const responses = await jmap([
    ['Email/set', { accountId: alice.accountId, create: { d: draft('JMAP round trip') } }, 'e'],
    [
      'EmailSubmission/set',
      {
        accountId: alice.accountId,
        create: { s: { identityId, emailId: '#d' } },
        onSuccessUpdateEmail: { '#s': { [`mailboxIds/${boxes.drafts}`]: null, [`mailboxIds/${boxes.sent}`]: true, 'keywords/$draft': null } },
      },
      's',
    ],
  ]);
  assert.deepEqual(responses.map((r) => [r[0], r[2]]), [['Email/set', 'e'], ['EmailSubmission/set', 's'], ['Email/set', 's']]);
  const emailId = responses[0][1].created.d.id;
  const made = responses[1][1].created.s;
  assert.match(made.id, /^s/);
  assert.equal(made.undoStatus, 'final');
  assert.equal(made.threadId, responses[0][1].created.d.threadId);
  assert.deepEqual(made.envelope, { mailFrom: { email: alice.address, parameters: null }, rcptTo: [bob.address, carol.address].map((email) => ({ email, parameters: null })) });
  assert.deepEqual(responses[2][1].updated, { [emailId]: null });

  const atBob = await received(bob, 'JMAP round trip');
  assert.equal(atBob.bcc, null, 'Bcc removed from the sent bytes');
  const raw = await server.services.messages.rawBytes((await server.services.messages.records(bob.accountId, [atBob.id]))[0].blob_id);
  assert.doesNotMatch(raw.toString('latin1'), /^Bcc:/im);
  const atCarol = await received(carol, 'JMAP round trip');
  assert.equal(atCarol.bcc, null);

  const [[, email]] = await jmap([['Email/get', { accountId: alice.accountId, ids: [emailId], properties: ['mailboxIds', 'keywords', 'bcc'] }, 'g']]);
  assert.deepEqual(email.list[0].mailboxIds, { [boxes.sent]: true });
  assert.deepEqual(email.list[0].keywords, { $seen: true });
  assert.deepEqual(email.list[0].bcc, [{ name: null, email: carol.address }], 'the stored email keeps its Bcc');
  const [[, sentBox]] = await jmap([['Email/query', { accountId: alice.accountId, filter: { inMailbox: boxes.sent } }, 'q']]);
  assert.deepEqual(sentBox.ids, [emailId], 'no second Sent copy');

  const status = await until('both recipients delivered', async () => {
    const [[, got]] = await jmap([['EmailSubmission/get', { accountId: alice.accountId, ids: [made.id] }, 'g']]);
    const s = got.list[0].deliveryStatus;
    return Object.values(s).every((d: any) => d.delivered === 'yes') ? got.list[0] : null;
  });
  assert.deepEqual(Object.keys(status.deliveryStatus), [bob.address, carol.address]);
  assert.match(status.deliveryStatus[bob.address].smtpReply, /^250 /);
  assert.equal(status.deliveryStatus[bob.address].displayed, 'unknown');
  assert.equal(status.emailId, emailId);
  assert.equal(status.identityId, identityId);
  assert.deepEqual(status.dsnBlobIds, []);

  const [[, changes]] = await jmap([['EmailSubmission/changes', { accountId: alice.accountId, sinceState: before.state }, 'c']]);
  assert.deepEqual(changes.created, [made.id]);
  const [[, query], [, byEmail], [, none], [, bad]] = await jmap([
    ['EmailSubmission/query', { accountId: alice.accountId, sort: [{ property: 'sentAt', isAscending: false }], calculateTotal: true }, 'q'],
    ['EmailSubmission/query', { accountId: alice.accountId, filter: { emailIds: [emailId], undoStatus: 'final', after: '2000-01-01T00:00:00Z' } }, 'q'],
    ['EmailSubmission/query', { accountId: alice.accountId, filter: { identityIds: ['i-none'], before: '2000-01-01T00:00:00Z' } }, 'q'],
    ['EmailSubmission/query', { accountId: alice.accountId, sort: [{ property: 'size' }] }, 'q'],
  ]);
  assert.ok(query.ids.includes(made.id));
  assert.equal(query.total, query.ids.length);
  assert.equal(query.canCalculateChanges, true);
  assert.deepEqual(byEmail.ids, [made.id]);
  assert.deepEqual(none.ids, []);
  assert.equal(bad.type, 'unsupportedSort');
  const [[, qc]] = await jmap([['EmailSubmission/queryChanges', { accountId: alice.accountId, sinceQueryState: before.state, filter: { emailIds: [emailId] } }, 'q']]);
  assert.deepEqual(qc.added, [{ id: made.id, index: 0 }]);
  assert.ok(qc.removed.includes(made.id));

  const [[, cancel]] = await jmap([['EmailSubmission/set', { accountId: alice.accountId, update: { [made.id]: { undoStatus: 'canceled' } } }, 'u']]);
  assert.equal(cancel.notUpdated[made.id].type, 'cannotUnsend');

  const [[, destroyed]] = await jmap([['EmailSubmission/set', { accountId: alice.accountId, destroy: [made.id] }, 'd']]);
  assert.deepEqual(destroyed.destroyed, [made.id]);
});

test('onSuccessDestroyEmail and an explicit envelope', async () => {
  const [[, set], [, sub], [, implicit]] = await jmap([
    ['Email/set', { accountId: alice.accountId, create: { d: draft('JMAP envelope', { to: [{ email: 'nobody@example.test' }], bcc: null }) } }, 'e'],
    [
      'EmailSubmission/set',
      {
        accountId: alice.accountId,
        create: { s: { identityId, emailId: '#d', envelope: { mailFrom: { email: alice.address, parameters: null }, rcptTo: [{ email: bob.address, parameters: null }] } } },
        onSuccessDestroyEmail: ['#s'],
      },
      's',
    ],
  ]);
  assert.ok(sub.created.s, JSON.stringify(sub.notCreated));
  assert.equal('envelope' in sub.created.s, false, 'the client sent it');
  assert.deepEqual(implicit.destroyed, [set.created.d.id]);
  await received(bob, 'JMAP envelope');
});

test('refusals: an identity not owned, no recipients, a foreign envelope sender, bad recipients, unknown email', async () => {
  // An identity whose address was taken away from the user afterwards.
  const added = await server.api(`/api/v1/users/${alice.id}/addresses`, { method: 'POST', json: { address: 'old@example.test' } });
  assert.equal(added.status, 201, await added.text());
  const [[, idSet]] = await jmap([['Identity/set', { accountId: alice.accountId, create: { o: { email: 'old@example.test' } } }, 'i']]);
  const oldIdentity = idSet.created.o.id;
  assert.equal((await server.api(`/api/v1/users/${alice.id}/addresses/old@example.test`, { method: 'DELETE' })).status, 204);

  const [[, set], [, sub]] = await jmap([
    ['Email/set', { accountId: alice.accountId, create: { ok: draft('JMAP refusals'), empty: draft('JMAP nobody', { to: null, bcc: null }) } }, 'e'],
    [
      'EmailSubmission/set',
      {
        accountId: alice.accountId,
        create: {
          notOwned: { identityId: oldIdentity, emailId: '#ok' },
          noRcpt: { identityId, emailId: '#empty' },
          mailFrom: { identityId, emailId: '#ok', envelope: { mailFrom: { email: bob.address }, rcptTo: [{ email: bob.address }] } },
          badRcpt: { identityId, emailId: '#ok', envelope: { mailFrom: { email: alice.address }, rcptTo: [{ email: 'not an address' }] } },
          noEmail: { identityId, emailId: 'e-missing' },
          pending: { identityId, emailId: '#ok', undoStatus: 'pending' },
        },
        onSuccessUpdateEmail: { '#notOwned': { 'keywords/$draft': null } },
      },
      's',
    ],
  ]);
  assert.equal(Object.keys(set.created).length, 2);
  assert.deepEqual(sub.created, {});
  const types = Object.fromEntries(Object.entries(sub.notCreated).map(([k, v]: [string, any]) => [k, v.type]));
  assert.deepEqual(types, {
    notOwned: 'forbiddenFrom',
    noRcpt: 'noRecipients',
    mailFrom: 'forbiddenMailFrom',
    badRcpt: 'invalidRecipients',
    noEmail: 'invalidProperties',
    pending: 'invalidProperties',
  });
  assert.deepEqual(sub.notCreated.badRcpt.invalidRecipients, ['not an address']);
  assert.deepEqual(sub.notCreated.noEmail.properties, ['emailId']);
});

test('the capability is required, and another user sees nothing', async () => {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(alice) },
    body: JSON.stringify({ using: [CORE, MAIL], methodCalls: [['EmailSubmission/get', { accountId: alice.accountId }, 'g']] }),
  });
  assert.equal((await res.json()).methodResponses[0][1].type, 'unknownMethod');
  const [[, other]] = await jmap([['EmailSubmission/get', { accountId: alice.accountId }, 'g']], bob);
  assert.equal(other.type, 'accountNotFound');
  const [[, mine]] = await jmap([['EmailSubmission/get', { accountId: bob.accountId }, 'g']], bob);
  assert.deepEqual(mine.list, []);
});

import assert from 'node:assert/strict';
import { createUser, startTestServer, type TestServer } from './server.ts';

/** A server with one user and a JMAP caller, shared by the jmap-mail-* tests. */
export interface JmapFixture {
  server: TestServer;
  accountId: string;
  userId: string;
  /** The Authorization header value of the fixture's user. */
  auth: string;
  jmap(calls: Call[], using?: string[]): Promise<Call[]>;
  /** Stores a raw message through REST; returns its JMAP email id. */
  upload(raw: Buffer, mailbox?: string): Promise<string>;
  blob(raw: Buffer): Promise<{ blobId: string; size: number }>;
  mailboxId(role: string): Promise<string>;
}

export type Call = [string, Record<string, unknown>, string];
export const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

export async function jmapFixture(): Promise<JmapFixture> {
  const server = (await startTestServer())!;
  const alice = await createUser(server, 'alice');
  const accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
  const auth = 'Basic ' + Buffer.from(`${alice.address}:${alice.password}`).toString('base64');
  const jmap = async (calls: Call[], using = USING) => {
    const res = await fetch(`${server.baseUrl}/jmap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({ using, methodCalls: calls }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).methodResponses as Call[];
  };
  const upload = async (raw: Buffer, mailbox = 'inbox') => {
    const res = await server.api(`/api/v1/users/${alice.id}/mailboxes/${mailbox}/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
    const body = (await res.json()) as { id: string };
    assert.ok(body.id, JSON.stringify(body));
    return body.id;
  };
  const blob = async (raw: Buffer) => {
    const res = await fetch(`${server.baseUrl}/upload/${accountId}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'message/rfc822' }, body: new Uint8Array(raw) });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as { blobId: string; size: number };
  };
  const mailboxId = async (role: string) => {
    const [[, res]] = await jmap([['Mailbox/query', { accountId, filter: { role } }, 'm']]);
    return (res.ids as string[])[0];
  };
  return { server, accountId, userId: alice.id, auth, jmap, upload, blob, mailboxId };
}

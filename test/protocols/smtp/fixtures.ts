import type { Config } from '../../../src/config/schema.ts';
import { ServiceError } from '../../../src/services/errors.ts';
import type { MessageSummary } from '../../../src/services/mail/views.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';

export async function startServer(config: Partial<Config> = {}): Promise<TestServer> {
  const server = await startTestServer({ config });
  if (!server) throw new Error('test server did not start');
  return server;
}

export interface Mailbox {
  userId: string;
  accountId: string;
  address: string;
}

/** A user with one address, creating the domain on first use. */
export async function addUser(server: TestServer, address: string, quota?: number): Promise<Mailbox> {
  const [local, domain] = address.split('@');
  try {
    await server.services.directory.createDomain({ name: domain });
  } catch (err) {
    if (!(err instanceof ServiceError && err.code === 'conflict')) throw err;
  }
  const user = await server.services.directory.createUser({ username: `${local}.${domain}`, password: 'correct horse battery', address, quota });
  const { accountId } = await server.services.directory.accountOfUser(user.id);
  return { userId: user.id, accountId, address };
}

export async function inboxId(server: TestServer, accountId: string): Promise<string> {
  const inbox = (await server.services.mailboxes.list(accountId)).find((m) => m.role === 'inbox');
  if (!inbox) throw new Error('no inbox');
  return inbox.id;
}

/** Every message in the INBOX, newest first. */
export async function inbox(server: TestServer, accountId: string): Promise<MessageSummary[]> {
  const mailboxId = await inboxId(server, accountId);
  const out: MessageSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await server.services.messages.list(accountId, mailboxId, { limit: 250, cursor });
    out.push(...page.results);
    cursor = page.next ?? undefined;
  } while (cursor);
  return out;
}

export async function rawMessage(server: TestServer, accountId: string, emailId: string): Promise<Buffer> {
  const { stream } = await server.services.messages.raw(accountId, emailId);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface Traced {
  returnPath: string;
  deliveredTo: string;
  received: string;
  /** The MX's Authentication-Results field below Received, unfolded to one line; '' over LMTP and submission. */
  authenticationResults: string;
  /** What follows the trace fields Gannet prepends: must be what the client sent. */
  body: Buffer;
}

const TRACE = /^Return-Path: <([^>\r\n]*)>\r\nDelivered-To: ([^\r\n]*)\r\nReceived: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n(?:Authentication-Results: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n)?/;

/**
 * Splits off the trace fields. With `bodyLength` (the length of what the client sent) the
 * trace must be exactly everything before it, so a body that starts with folded-looking
 * lines cannot be mistaken for part of the Received field.
 */
export function splitTrace(raw: Buffer, bodyLength?: number): Traced {
  // latin1 keeps byte offsets equal to string offsets; the fields are UTF-8 (SMTPUTF8 senders).
  const head = bodyLength === undefined ? raw.subarray(0, 4096) : raw.subarray(0, raw.length - bodyLength);
  const m = TRACE.exec(head.toString('latin1'));
  if (!m || (bodyLength !== undefined && m[0].length !== head.length)) {
    throw new Error(`no trace headers at the start of: ${raw.subarray(0, 300).toString('latin1')}`);
  }
  const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
  const ar = utf8(m[4] ?? '').replace(/\r\n[ \t]+/g, ' ');
  return { returnPath: utf8(m[1]), deliveredTo: utf8(m[2]), received: utf8(m[3]), authenticationResults: ar, body: raw.subarray(m[0].length) };
}

import assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { simpleMessage } from './messages.ts';
import { createUser, startTestServer, type TestServer } from './server.ts';
import type { ServerSettings } from '../../src/services/remote/settings.ts';

/** A throwaway Dovecot with one account, mirrored into a fresh Gannet (not synced yet). */
export interface MirrorFixture {
  dovecot: Dovecot;
  server: TestServer;
  ownerId: string;
  /** The mirrored account (its id is the remote's). */
  remoteId: string;
  /** A sync asked for through the API: its answer, once the pass is done. */
  sync(): Promise<{ messages: number; lastError: string | null; status: string }>;
  /** The remote as the API shows it. */
  view(): Promise<{ status: string; lastError: string | null; progress: { path: string; done: number; total: number; indexed?: number }[] | null }>;
  /** Subject → keywords of the mirrored mail in a top-level folder. */
  folder(name: string): Promise<Map<string | null, string[]>>;
  /** Stores a small message upstream, as another client of the provider would. */
  append(folder: string, subject: string, flags?: string[]): Promise<void>;
  /** An imapflow session on the upstream account. */
  upstream(): Promise<ImapFlow>;
  stop(): Promise<void>;
}

export interface MirrorOptions {
  user: string;
  /** Added to Dovecot's configuration. */
  dovecotConfig?: string;
  /** The server's mirrorPollSeconds: an hour unless given, so no pass runs unasked. */
  pollSeconds?: number;
  seed?: (c: ImapFlow) => Promise<void>;
  /** The upstream as the remote is told of it: plain IMAP on Dovecot's port unless given. */
  imap?: (dovecot: Dovecot) => ServerSettings;
  /** Certificates the server trusts for its upstream connections, instead of Node's roots. */
  ca?: string;
}

/** Null when Dovecot is not installed. */
export async function startMirror(opts: MirrorOptions): Promise<MirrorFixture | null> {
  const password = `${opts.user} secret`;
  const dovecot = await startDovecot({ [opts.user]: password }, opts.dovecotConfig);
  if (!dovecot) return null;
  const upstream = () => dovecot.client(opts.user);
  const message = (subject: string) => simpleMessage({ from: 'carol@upstream.test', to: opts.user, subject, body: `${subject} body` });
  if (opts.seed) {
    const c = await upstream();
    await opts.seed(c);
    await c.logout();
  }
  const server = (await startTestServer({ config: { mirrorPollSeconds: opts.pollSeconds ?? 3600 }, outbound: opts.ca ? { ca: opts.ca } : undefined }))!;
  const owner = await createUser(server, `owner${Math.random().toString(36).slice(2, 8)}`);
  const res = await server.api(`/api/v1/users/${owner.id}/remotes`, {
    method: 'POST',
    json: { email: opts.user, password, name: 'Upstream', imap: opts.imap?.(dovecot) ?? { host: '127.0.0.1', port: dovecot.port, tls: 0 } },
  });
  assert.equal(res.status, 201);
  const remoteId = ((await res.json()) as { id: string }).id;
  const remote = `/api/v1/users/${owner.id}/remotes/${remoteId}`;
  const fixture: MirrorFixture = {
    dovecot,
    server,
    ownerId: owner.id,
    remoteId,
    async sync() {
      const res = await server.api(`${remote}/sync`, { method: 'POST' });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      return body;
    },
    view: async () => (await server.api(remote)).json(),
    async folder(name) {
      const box = (await server.services.mailboxes.list(remoteId)).find((b) => b.name === name)!;
      const page = await server.services.messages.list(remoteId, box.id, { limit: 250 });
      return new Map(page.results.map((m) => [m.subject, m.keywords]));
    },
    async append(folder, subject, flags = []) {
      const c = await upstream();
      await c.append(folder, message(subject), flags);
      await c.logout();
    },
    upstream,
    async stop() {
      await server.stop();
      await dovecot.stop();
    },
  };
  return fixture;
}

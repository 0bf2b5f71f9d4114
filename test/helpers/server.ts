import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import type { ServiceDependencies } from '../../src/services/index.ts';
import type { DNSResolver } from '../../src/services/delivery/inbound-auth.ts';
import { staticResolver } from './dns.ts';
import { freshPostgresDatabase, postgresServer } from './postgres.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export type Backend = 'sqlite' | 'postgres';

/** Which backend the suite runs on: GANNET_TEST_BACKEND=postgres runs everything on PostgreSQL. */
export function defaultBackend(): Backend {
  return process.env.GANNET_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';
}

export interface TestServer extends RunningServer {
  baseUrl: string;
  mgmtUrl: string;
  backend: Backend;
  /** fetch against the HTTP port with the admin token unless headers say otherwise. */
  api(path: string, init?: Omit<RequestInit, 'body'> & { body?: BodyInit | Buffer; json?: unknown; token?: string | null }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real Gannet on ephemeral loopback ports with a temporary data dir, on SQLite or a fresh
 * PostgreSQL database. Returns null only when PostgreSQL was asked for and is not installed.
 * Given the dataDir and databaseUrl of a server that was close()d (not stop()ped), it starts
 * again on that data: a restart. DNS (inbound authentication, MX, MTA-STS) is `resolver`, by
 * default one that knows no names: tests never depend on (or wait for) real DNS. `outbound`
 * points remote delivery at test receivers (MX port, policy fetch, trusted CA).
 */
export async function startTestServer(opts: { backend?: Backend; config?: Partial<Config>; resolver?: DNSResolver; outbound?: ServiceDependencies['outbound'] } = {}): Promise<TestServer | null> {
  const backend = opts.backend ?? defaultBackend();
  let databaseUrl = opts.config?.databaseUrl ?? '';
  if (backend === 'postgres' && opts.config?.databaseUrl === undefined) {
    const server = await postgresServer();
    if (!server) return null;
    databaseUrl = await freshPostgresDatabase(server);
  }
  const dataDir = opts.config?.dataDir ?? mkdtempSync(join(tmpdir(), 'gannet-test-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      databaseUrl,
      hostname: 'mx.test.gannet',
      adminToken: ADMIN_TOKEN,
      listenAddress: '127.0.0.1',
      httpPort: 0,
      mgmtPort: 0,
      smtpPort: 0,
      lmtpPort: 0,
      imapPort: 0,
      imapsPort: 0,
      submissionPort: 0,
      submissionsPort: 0,
      plaintextAuth: 'loopback',
      logLevel: 'silent',
      ...opts.config,
    },
  });
  const running = await startServer(config, pino({ level: process.env.GANNET_TEST_LOG ?? 'silent' }), { resolver: opts.resolver ?? staticResolver(), outbound: opts.outbound });
  const baseUrl = `http://127.0.0.1:${running.listeners.http.port}`;
  return {
    ...running,
    backend,
    baseUrl,
    mgmtUrl: `http://127.0.0.1:${running.listeners.mgmt.port}`,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      const token = init.token === undefined ? ADMIN_TOKEN : init.token;
      if (token !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      let body: BodyInit | undefined = Buffer.isBuffer(init.body) ? new Uint8Array(init.body) : (init.body ?? undefined);
      if (init.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(baseUrl + path, { ...init, headers, body });
    },
    async stop() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a domain and a user through the API and returns the user's id and credentials. */
export async function createUser(server: TestServer, username = 'alice', domain = 'example.test', password = 'correct horse battery'): Promise<{ id: string; address: string; password: string; username: string }> {
  const d = await server.api('/api/v1/domains', { method: 'POST', json: { name: domain } });
  if (d.status !== 201 && d.status !== 409) throw new Error(`domain create failed: ${d.status} ${await d.text()}`);
  const u = await server.api('/api/v1/users', { method: 'POST', json: { username, password, address: `${username}@${domain}` } });
  if (u.status !== 201) throw new Error(`user create failed: ${u.status} ${await u.text()}`);
  const user = (await u.json()) as { id: string };
  return { id: user.id, address: `${username}@${domain}`, password, username };
}

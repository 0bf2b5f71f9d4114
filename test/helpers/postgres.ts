import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

/**
 * A throwaway PostgreSQL for tests (STACK.md): initdb in a temp folder as the postgres user,
 * started on a free loopback port, removed at exit. GANNET_TEST_PG_URL points at an existing
 * server instead. Returns null when PostgreSQL is not installed, so callers can skip.
 */
let running: Promise<string | null> | undefined;

function pgBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : null;
}

async function start(): Promise<string | null> {
  if (process.env.GANNET_TEST_PG_URL) return process.env.GANNET_TEST_PG_URL;
  const bin = pgBin();
  if (!bin) return null;
  const dir = mkdtempSync(join(tmpdir(), 'gannet-pg-'));
  chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    if (asRoot) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', [full, ...args].map((a) => `'${a}'`).join(' ')], { stdio: 'pipe' });
    else execFileSync(full, args, { stdio: 'pipe' });
  };
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const port = await freePort();
  run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '-N']);
  run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`, 'start']);
  process.on('exit', () => {
    const stop = [join(bin, 'pg_ctl'), '-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'];
    if (asRoot) spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', stop.map((a) => `'${a}'`).join(' ')]);
    else spawnSync(stop[0], stop.slice(1));
    rmSync(dir, { recursive: true, force: true });
  });
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** The URL of a server to create test databases on, or null when PostgreSQL is unavailable. */
export function postgresServer(): Promise<string | null> {
  running ??= start();
  return running;
}

/** A fresh, empty database on the test server. */
export async function freshPostgresDatabase(serverUrl: string): Promise<string> {
  const name = `gannet_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export const postgresSkipReason = 'skipped: not installed (PostgreSQL server binaries not found under /usr/lib/postgresql)';

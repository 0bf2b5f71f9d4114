/**
 * REST read-path benchmark: for each mailbox size, a fresh server on SQLite in a temp dir, an
 * inbox seeded through the real ingest pipeline, then sequential HTTP requests for the list and
 * search cases. Run: npx tsx bench/rest.ts   (BENCH_SIZES=10000,100000  BENCH_REQUESTS=300)
 */
import { rmSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../src/server.ts';
import { ADMIN_TOKEN, startTestServer } from '../test/helpers/server.ts';
import { formatTable, percentile } from './lib/stats.ts';
import { loadTemplates, SEARCH_WORDS, seedInbox, type SeedResult, type Template } from './lib/seed.ts';

const PAGE_DEPTH = 10;

function intList(value: string | undefined, fallback: number[]): number[] {
  if (!value) return fallback;
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new Error(`expected positive integers separated by commas, got "${value}"`);
  return list;
}

const SIZES = intList(process.env.BENCH_SIZES, [10_000, 100_000]);
const REQUESTS = intList(process.env.BENCH_REQUESTS, [300])[0];
// Enough to fill SQLite's page cache and JIT-compile the route handlers, not enough to matter.
const WARMUP = Math.min(30, Math.max(5, Math.ceil(REQUESTS / 10)));

// Removed on Ctrl-C too: a 100k run leaves ~1 GB behind otherwise.
const liveDirs = new Set<string>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

interface CaseResult {
  name: string;
  matches: number | null;
  expected: number | null;
  latencies: number[];
  perSecond: number;
}

interface PageBody {
  total: number;
  results: { id: string; receivedAt: string | number }[];
  next: string | null;
}

class Client {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** One request, body fully read; returns the time to last byte and the raw body. */
  async get(path: string): Promise<{ ms: number; body: string }> {
    const started = performance.now();
    const res = await fetch(this.baseUrl + path, { headers: { authorization: `Bearer ${this.token}` } });
    const body = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${body.slice(0, 500)}`);
    return { ms, body };
  }

  async page(path: string): Promise<PageBody> {
    return JSON.parse((await this.get(path)).body) as PageBody;
  }
}


/** Sequential requests over `paths` (cycled), after a warm-up over the same paths. */
async function measure(client: Client, name: string, paths: string[], expected: number | null): Promise<CaseResult> {
  for (let i = 0; i < WARMUP; i++) await client.get(paths[i % paths.length]);
  const latencies: number[] = [];
  let matches: number | null = null;
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const { ms, body } = await client.get(paths[i % paths.length]);
    latencies.push(ms);
    if (i === 0) matches = (JSON.parse(body) as PageBody).total;
  }
  const elapsed = performance.now() - started;
  return { name, matches, expected, latencies: latencies.sort((a, b) => a - b), perSecond: REQUESTS / (elapsed / 1000) };
}

async function treeSize(dir: string): Promise<{ files: number; bytes: number; allocated: number }> {
  const out = { files: 0, bytes: 0, allocated: 0 };
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    const s = await stat(join(e.parentPath, e.name));
    out.files++;
    out.bytes += s.size;
    out.allocated += s.blocks * 512;
  }
  return out;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function printTable(size: number, rows: CaseResult[]): void {
  const header = ['case', 'matches (expected)', 'p50 ms', 'p95 ms', 'p99 ms', 'req/s'];
  const lines = rows.map((r) => [
    r.name,
    r.matches === null ? '-' : r.expected === null ? String(r.matches) : `${r.matches} (${r.expected})`,
    fmt(percentile(r.latencies, 0.5)),
    fmt(percentile(r.latencies, 0.95)),
    fmt(percentile(r.latencies, 0.99)),
    fmt(r.perSecond),
  ]);
  console.log(`\n${size} messages, ${REQUESTS} sequential requests per case after ${WARMUP} warm-up`);
  console.log(formatTable(header, lines));
}

async function seed(server: RunningServer, size: number, templates: Template[]): Promise<{ userId: string; result: SeedResult }> {
  const { directory, ingest } = server.services;
  await directory.createDomain({ name: 'bench.test' });
  const user = await directory.createUser({ username: 'bench', password: 'bench-password-123', address: 'bench@bench.test' });
  const { accountId } = await directory.accountOfUser(user.id);
  const result = await seedInbox(ingest, accountId, size, templates, {
    concurrency: 64,
    onProgress: (done, ms) => console.error(`  seeded ${done}/${size} (${(done / (ms / 1000)).toFixed(0)} msg/s)`),
  });
  return { userId: user.id, result };
}

async function runSize(size: number, templates: Template[]): Promise<void> {
  const server = await startTestServer({ backend: 'sqlite', config: { logLevel: 'silent' } });
  if (!server) throw new Error('server did not start');
  const dataDir = server.config.dataDir;
  liveDirs.add(dataDir);
  try {
    {
      console.error(`\n[${size}] seeding into ${dataDir}`);
      const { userId, result } = await seed(server, size, templates);
      const t = result.tally;
      console.log(
        `\n[${size}] seeded ${t.messages} messages (${mb(t.bytes)} raw) in ${(result.elapsedMs / 1000).toFixed(1)} s: ${result.perSecond.toFixed(0)} messages/s`,
      );

      const client = new Client(`http://127.0.0.1:${server.listeners.http.port}`, ADMIN_TOKEN);
      const base = `/api/v1/users/${userId}`;
      const list = `${base}/mailboxes/inbox/messages?limit=50`;
      const search = (q: string) => `${base}/search?q=${encodeURIComponent(q)}&limit=50`;

      // Cursors are opaque and depend on the data, so the deep pages are found by walking.
      const deep: string[] = [];
      let next = (await client.page(list)).next;
      for (let p = 2; p <= PAGE_DEPTH && next; p++) {
        const path = `${list}&cursor=${encodeURIComponent(next)}`;
        deep.push(path);
        next = (await client.page(path)).next;
      }

      const { rare, common } = SEARCH_WORDS;
      const rows: CaseResult[] = [];
      rows.push(await measure(client, 'list inbox, newest 50', [list], size));
      if (deep.length > 0) rows.push(await measure(client, `list inbox, pages 2-${deep.length + 1} by cursor`, deep, size));
      rows.push(await measure(client, 'list inbox, newest 50 unseen=true', [`${list}&unseen=true`], t.unseen));
      rows.push(await measure(client, `search "${rare.word}" (~${rare.share * 100}%)`, [search(rare.word)], t.rare));
      rows.push(await measure(client, `search "${common.word}" (~${common.share * 100}%)`, [search(common.word)], t.common));
      rows.push(await measure(client, `search "${common.word}" + unseen=true`, [`${search(common.word)}&unseen=true`], t.commonUnseen));
      rows.push(await measure(client, `search "${rare.word}" + unseen=true`, [`${search(rare.word)}&unseen=true`], t.rareUnseen));
      // Every seeded message is in the inbox, so scoping to it must not change the counts.
      rows.push(await measure(client, `search "${rare.word}" in mailbox=inbox`, [`${search(rare.word)}&mailbox=inbox`], t.rare));
      rows.push(await measure(client, `search "${common.word}" in inbox + unseen`, [`${search(common.word)}&mailbox=inbox&unseen=true`], t.commonUnseen));
      printTable(size, rows);

      const dbPath = join(dataDir, 'gannet.db');
      const [db, wal, shm, blobs] = await Promise.all([fileSize(dbPath), fileSize(`${dbPath}-wal`), fileSize(`${dbPath}-shm`), treeSize(join(dataDir, 'blobs'))]);
      const mem = process.memoryUsage();
      console.log(
        `RSS ${mb(mem.rss)} (peak ${mb(process.resourceUsage().maxRSS * 1024)}, heap used ${mb(mem.heapUsed)}; server and client share this process)`,
      );
      // Other work on the machine skews sequential latencies, so the table says how busy it was.
      console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min)`);
      console.log(`database ${mb(db + wal + shm)} (db ${mb(db)}, wal ${mb(wal)}, shm ${mb(shm)}); blobs ${mb(blobs.bytes)} in ${blobs.files} files (${mb(blobs.allocated)} on disk)`);
    }
  } finally {
    console.error(`[${size}] removing ${dataDir}`);
    await server.stop();
    liveDirs.delete(dataDir);
  }
}

const templates = await loadTemplates();
console.log(`templates: ${templates.length} corpus messages; sizes: ${SIZES.join(', ')}; node ${process.version}`);
for (const size of SIZES) await runSize(size, templates);

import { loadavg } from 'node:os';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { queueRepo } from '../src/store/repos/queue.ts';
import type { Db } from '../src/store/db/connect.ts';
import { newId } from '../src/util/ids.ts';
import { bulkCorpus } from '../test/helpers/corpus.ts';
import { createUser, startTestServer, type TestServer } from '../test/helpers/server.ts';
import { runIngest } from './lib/ingest-client.ts';
import { SmtpSink } from './lib/smtp-sink.ts';
import { formatTable, summary } from './lib/stats.ts';

/**
 * The outbound queue. 1) Submission to remote delivery: 4 submission connections (client in a
 * child process) send corpus messages to recipients at remote.test, which a relay route sends to
 * a counting SMTP server (another child process); submit rate, and end-to-end rate from the first
 * submission to the last message received. 2) The cost of the queue scan and of an enqueue with
 * BENCH_DEFERRED deferred recipients in the queue (rows inserted directly, worker stopped).
 * Usage: npx tsx bench/outbound.ts
 * BENCH_MESSAGES (default 2000) messages to submit; BENCH_DEFERRED (default 100000); BENCH_DUE (default 1000).
 */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const DEFERRED = Number(process.env.BENCH_DEFERRED ?? 100_000);
const DUE = Number(process.env.BENCH_DUE ?? 1000);
const CONNECTIONS = 4;
const PASSWORD = 'bench password';
// The worker's batch (src/services/outbound/queue.ts BATCH) and lease length.
const BATCH = 50;
const LEASE_MS = 10 * 60_000;
const SAMPLES = 200;

const ms = (n: number) => n.toFixed(n < 1 ? 3 : 2);
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
};

async function throughput(): Promise<void> {
  const sink = await SmtpSink.start();
  const server = await startTestServer({ config: { logLevel: 'warn', relayRoutes: `remote.test=127.0.0.1:${sink.port}`, submissionRecipientsPerHour: 0 } });
  if (!server) throw new Error('server did not start');
  try {
    const user = await createUser(server, 'sender', 'bench.test', PASSWORD);
    const recipients = Array.from({ length: 10 }, (_, i) => `rcpt${i}@remote.test`);
    const load = loadavg()[0];
    const cpu = process.cpuUsage();
    const arrived = sink.waitFor(MESSAGES, 30 * 60_000);
    const submission = {
      port: server.listeners.submission.port,
      lmtp: false,
      connections: CONNECTIONS,
      messages: MESSAGES,
      recipients,
      distinct: true,
      submit: { user: user.username, password: PASSWORD, address: user.address },
    };
    const sent = await runIngest(submission);
    const got = await arrived;
    const endToEnd = (got.lastAt - sent.startedAt) / 1000;
    const gannetCpu = cpuSeconds(cpu);

    // The same again with the queue stopped until everything is submitted: delivery alone.
    await server.services.queue.stop();
    const again = await runIngest(submission);
    const drainCpu = process.cpuUsage();
    const drainStart = Date.now();
    const drained = sink.waitFor(2 * MESSAGES, 30 * 60_000);
    server.services.queue.start();
    const all = await drained;
    const drainSeconds = (all.lastAt - drainStart) / 1000;
    const drainGannetCpu = cpuSeconds(drainCpu);

    const row = (name: string, seconds: number, bytes: number) => [name, String(MESSAGES), seconds.toFixed(2), (MESSAGES / seconds).toFixed(0), (bytes / seconds / 1e6).toFixed(1)];
    const share = (cpu: number, seconds: number) => `${cpu.toFixed(1)} s CPU (${((cpu / seconds) * 100).toFixed(0)}% of one core)`;
    console.log(`\nSubmission → remote delivery, ${CONNECTIONS} connections, ${MESSAGES} messages (load average ${load.toFixed(2)} before)`);
    console.log(
      formatTable(
        ['case', 'messages', 'seconds', 'msg/s', 'MB/s'],
        [
          row('submitted (250 to the client)', sent.seconds, sent.bytes),
          row('delivered, first submit → last received', endToEnd, got.bytes),
          row('submitted, queue stopped', again.seconds, again.bytes),
          row('delivery alone (queue started after)', drainSeconds, all.bytes - got.bytes),
        ],
      ),
    );
    console.log(`last delivery ${(endToEnd - sent.seconds).toFixed(2)} s after the last 250; received ${(got.bytes / 1e6).toFixed(1)} MB`);
    console.log(`Gannet: ${share(gannetCpu, endToEnd)} end to end, ${share(drainGannetCpu, drainSeconds)} delivering alone; receiver ${all.cpuSeconds.toFixed(1)} s CPU in all`);
  } finally {
    sink.stop();
    await server.stop();
  }
}

/**
 * Records every query run through the returned Db, to explain it afterwards. Only those with a
 * result: the plugin also sees subqueries, built on their own, that never run by themselves.
 */
function capturing(db: Db): { db: Db; queries: RootOperationNode[] } {
  const queries: RootOperationNode[] = [];
  const built = new Map<unknown, RootOperationNode>();
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      built.set(args.queryId, args.node);
      return args.node;
    },
    transformResult: async (args) => {
      const node = built.get(args.queryId);
      if (node) queries.push(node);
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), queries };
}

async function explain(db: Db, node: RootOperationNode): Promise<string> {
  const compiled = db.getExecutor().compileQuery(node, { queryId: 'explain' });
  const plan = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]));
  return `${compiled.sql}\n${plan.rows.map((r) => `  ${r.detail}`).join('\n')}`;
}

async function timed(fn: () => Promise<unknown>, samples = SAMPLES): Promise<{ p50: number; p95: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return summary(times);
}

/** DEFERRED messages of one recipient each, due in an hour to a day, as after failed attempts. */
async function fillQueue(server: TestServer, count: number): Promise<void> {
  const now = Date.now();
  const chunk = 500;
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done);
    await server.store.write(async (w) => {
      const recipients = [];
      for (let i = 0; i < n; i++) {
        const id = newId('q');
        await queueRepo.insertMessage(w.trx, { id, mail_from: 'sender@bench.test', blob_id: `bench-${done + i}`, size: 24_000, origin: 'bench', account_id: null, created_at: now, expires_at: now + 5 * 86_400_000, dsn_ret: null, dsn_envid: null });
        recipients.push({
          id: newId('r'),
          message_id: id,
          address: `rcpt${(done + i) % 1000}@deferred${(done + i) % 50}.test`,
          domain: `deferred${(done + i) % 50}.test`,
          status: 'queued' as const,
          attempts: 1 + ((done + i) % 5),
          next_attempt_at: now + 3_600_000 + Math.floor(((done + i) / count) * 82_800_000),
          lease_until: 0,
          lease_owner: null,
          last_response: '451 4.3.0 try again later',
          updated_at: now,
          dsn_notify: null,
          dsn_orcpt: null,
          delay_notified: 0,
        });
      }
      await queueRepo.insertRecipients(w.trx, recipients);
    });
  }
}

async function queueScan(): Promise<void> {
  const server = await startTestServer({ config: { logLevel: 'warn', relayRoutes: 'remote.test=127.0.0.1:9' } });
  if (!server) throw new Error('server did not start');
  try {
    // Stopped: the worker takes nothing, and enqueue() does not wake it.
    await server.services.queue.stop();
    const db = server.store.db;
    const dialect = server.store.dialect;
    const owner = 'bench';
    const raw = bulkCorpus()[0];
    const enqueue = () => server.services.queue.enqueue({ from: 'sender@bench.test', to: ['someone@remote.test'], raw, origin: 'bench' });
    const lease = (on: Db = db) => {
      const now = Date.now();
      return queueRepo.lease(on, dialect, owner, now, now + LEASE_MS, BATCH);
    };
    // Enqueued messages are due now; they are moved an hour ahead so they stay out of the scans.
    const deferEnqueued = () => db.updateTable('queue_recipients').set({ next_attempt_at: Date.now() + 3_600_000 }).where('attempts', '=', 0).execute();

    const rows: string[][] = [];
    const measure = async (label: string) => {
      const idle = await timed(() => lease());
      const next = await timed(() => queueRepo.nextDue(db));
      const enq = await timed(async () => {
        await enqueue();
      }, 100);
      await deferEnqueued();
      rows.push([`lease, nothing due (${label})`, ms(idle.p50), ms(idle.p95), ms(idle.p99)]);
      rows.push([`nextDue (${label})`, ms(next.p50), ms(next.p95), ms(next.p99)]);
      rows.push([`enqueue 1 message (${label})`, ms(enq.p50), ms(enq.p95), ms(enq.p99)]);
    };
    await measure('empty queue');

    const fillStart = performance.now();
    await fillQueue(server, DEFERRED);
    const fillSeconds = (performance.now() - fillStart) / 1000;
    await measure(`${DEFERRED} deferred`);

    // DUE of the deferred become due; the worker would lease them BATCH at a time.
    const makeDue = () =>
      db
        .updateTable('queue_recipients')
        .set({ next_attempt_at: Date.now() - 1000, lease_until: 0, lease_owner: null })
        .where('id', 'in', db.selectFrom('queue_recipients').select('id').where('status', '=', 'queued').orderBy('next_attempt_at').limit(DUE))
        .execute();
    const first: number[] = [];
    const drain: number[] = [];
    for (let run = 0; run < 20; run++) {
      await makeDue();
      let t = performance.now();
      let got = (await lease()).length;
      first.push(performance.now() - t);
      t = performance.now();
      let total = got;
      while (got > 0) {
        got = (await lease()).length;
        total += got;
      }
      drain.push(performance.now() - t + first[first.length - 1]);
      if (total !== DUE) throw new Error(`leased ${total} of ${DUE}`);
      // Leased rows are next due when their lease ends; they go back to the deferred.
      await db.updateTable('queue_recipients').set({ next_attempt_at: Date.now() + 3_600_000, lease_until: 0, lease_owner: null }).where('lease_owner', '=', owner).execute();
    }
    const f = summary(first);
    const d = summary(drain);
    rows.push([`lease ${BATCH} of ${DUE} due (${DEFERRED} deferred)`, ms(f.p50), ms(f.p95), ms(f.p99)]);
    rows.push([`lease all ${DUE} due, ${DUE / BATCH} calls`, ms(d.p50), ms(d.p95), ms(d.p99)]);

    console.log(`\nOutbound queue scan (worker stopped; ${DEFERRED} deferred recipients inserted in ${fillSeconds.toFixed(1)} s)`);
    console.log(formatTable(['case', 'p50 ms', 'p95 ms', 'p99 ms'], rows));

    if (dialect === 'sqlite') {
      await makeDue();
      const seen = capturing(db);
      await lease(seen.db);
      await queueRepo.nextDue(seen.db);
      console.log('\nEXPLAIN QUERY PLAN of the queries one scan runs:');
      for (const node of seen.queries) console.log(await explain(db, node));
    }
  } finally {
    await server.stop();
  }
}

await throughput();
await queueScan();

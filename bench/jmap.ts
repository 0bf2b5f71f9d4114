/**
 * JMAP read path and push latency: an inbox seeded through the real ingest pipeline, then
 * (a) one request doing Email/query (inMailbox, receivedAt desc, limit 50) + Email/get of those
 * 50 with list properties, (b) the same with text and header filters, (c) time from SMTP `250`
 * to the EventSource StateChange. Run: npx tsx bench/jmap.ts   (BENCH_SIZE=100000 BENCH_REQUESTS=200)
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createUser, startTestServer } from '../test/helpers/server.ts';
import { loadTemplates, SEARCH_WORDS, seedInbox } from './lib/seed.ts';
import { summary } from './lib/stats.ts';
import { WireClient } from '../test/protocols/smtp/wire.ts';

const SIZE = Number(process.env.BENCH_SIZE ?? 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const PUSH_SAMPLES = Number(process.env.BENCH_PUSH_SAMPLES ?? 100);
const LIST_PROPERTIES = ['id', 'threadId', 'mailboxIds', 'keywords', 'from', 'subject', 'receivedAt', 'size', 'preview', 'hasAttachment'];

// apiRateLimit 0: the benchmark's thousands of requests from one user are not a client to slow down.
const server = await startTestServer({ backend: 'sqlite', config: { logLevel: 'silent', apiRateLimit: 0 } });
if (!server) throw new Error('server did not start');
try {
  const user = await createUser(server, 'bench', 'bench.test', 'bench-password-123');
  const { accountId } = await server.services.directory.accountOfUser(user.id);
  const seeded = await seedInbox(server.services.ingest, accountId, SIZE, await loadTemplates(), { concurrency: 64 });
  console.log(`seeded ${SIZE} messages in ${(seeded.elapsedMs / 1000).toFixed(1)} s (${seeded.perSecond.toFixed(0)}/s)`);

  const auth = 'Basic ' + Buffer.from(`${user.address}:${user.password}`).toString('base64');
  const inbox = (await server.services.mailboxes.byRole(accountId, 'inbox')).id;
  const jmap = async (filter: Record<string, unknown>) => {
    const started = performance.now();
    const res = await fetch(`${server.baseUrl}/jmap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({
        using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
        methodCalls: [
          ['Email/query', { accountId, filter, sort: [{ property: 'receivedAt', isAscending: false }], limit: 50 }, 'q'],
          ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: LIST_PROPERTIES }, 'g'],
        ],
      }),
    });
    const body = await res.json();
    const ms = performance.now() - started;
    if (body.methodResponses?.[1]?.[0] !== 'Email/get') throw new Error(JSON.stringify(body).slice(0, 300));
    return { ms, count: body.methodResponses[1][1].list.length as number };
  };
  const time = async (name: string, filter: Record<string, unknown>, requests = REQUESTS) => {
    for (let i = 0; i < Math.min(20, requests); i++) await jmap(filter);
    const lat: number[] = [];
    let count = 0;
    for (let i = 0; i < requests; i++) {
      const r = await jmap(filter);
      lat.push(r.ms);
      count = r.count;
    }
    const s = summary(lat);
    console.log(`${name.padEnd(44)} ${String(count).padStart(3)} emails  p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms`);
  };
  console.log(`\n${SIZE} messages, ${REQUESTS} sequential requests per case`);
  await time('query inMailbox newest 50 + get', { inMailbox: inbox });
  await time(`query text "${SEARCH_WORDS.rare.word}" (1%) + get`, { text: SEARCH_WORDS.rare.word });
  await time(`query text "${SEARCH_WORDS.common.word}" (10%) + get`, { text: SEARCH_WORDS.common.word });
  // Corpus headers survive seeding: X-Mailer is on ~14% of messages, Received ~35%, From ~85%.
  await time('query header X-Mailer + get', { header: ['X-Mailer'] });
  await time('query header X-Mailer "outlook express 6" + get', { header: ['X-Mailer', 'outlook express 6'] });
  await time(`query text "${SEARCH_WORDS.common.word}" + header Received "by" + get`, { text: SEARCH_WORDS.common.word, header: ['Received', 'by'] });
  // One word, so the index narrows by field name only: every X-Mailer or From field is read.
  await time('query header X-Mailer "outlook" + get', { header: ['X-Mailer', 'outlook'] }, 20);
  await time('query header From "com" + get', { header: ['From', 'com'] }, 5);

  // Push latency: EventSource open for Email changes; one SMTP delivery at a time.
  const events: number[] = [];
  const sse = request(`${server.baseUrl}/eventsource?types=Email&closeafter=no&ping=0`, { headers: { authorization: auth } }, (res) => {
    res.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('event: state')) events.push(performance.now());
    });
  });
  sse.end();
  await new Promise((r) => setTimeout(r, 300));
  const latencies: number[] = [];
  for (let i = 0; i < PUSH_SAMPLES; i++) {
    const before = events.length;
    const acked = await smtpDeliver(server.listeners.smtp.port, user.address, i);
    while (events.length === before) await new Promise((r) => setTimeout(r, 1));
    latencies.push(Math.max(0, events[before] - acked));
    await new Promise((r) => setTimeout(r, 150)); // past the 100 ms coalescing window
  }
  sse.destroy();
  const p = summary(latencies);
  console.log(`SMTP 250 → EventSource StateChange (${PUSH_SAMPLES} samples)  p50 ${p.p50.toFixed(2)} ms  p95 ${p.p95.toFixed(2)} ms  p99 ${p.p99.toFixed(2)} ms`);
} finally {
  await server.stop();
}

/** Sends one message and resolves with the time its 250 arrived. */
async function smtpDeliver(port: number, to: string, n: number): Promise<number> {
  const { client } = await WireClient.open(port);
  await client.command('EHLO bench');
  await client.command('MAIL FROM:<bench@remote.test>');
  await client.command(`RCPT TO:<${to}>`);
  const reply = await client.data(Buffer.from(`Subject: push ${n}\r\n\r\nping\r\n`));
  const at = performance.now();
  client.destroy();
  if (reply.code !== 250) throw new Error(reply.text);
  return at;
}

import { startTestServer } from '../test/helpers/server.ts';
import { runIngest } from './lib/ingest-client.ts';
import { formatTable } from './lib/stats.ts';

/**
 * Ingest rate over SMTP and LMTP: the corpus sent over and over, one recipient per message,
 * with 1 and 4 connections. Usage: npx tsx bench/ingest.ts
 * BENCH_MESSAGES (default 2000) messages per case; BENCH_USERS (default 10) recipients.
 */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const USERS = Number(process.env.BENCH_USERS ?? 10);

const server = await startTestServer({ config: { logLevel: 'warn' } });
if (!server) throw new Error('server did not start');
try {
  await server.services.directory.createDomain({ name: 'bench.test' });
  const recipients: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const address = `user${i}@bench.test`;
    await server.services.directory.createUser({ username: `user${i}`, password: 'bench password', address });
    recipients.push(address);
  }

  const rows: string[][] = [];
  for (const lmtp of [false, true]) {
    for (const connections of [1, 4]) {
      const port = lmtp ? server.listeners.lmtp.port : server.listeners.smtp.port;
      const r = await runIngest({ port, lmtp, connections, messages: MESSAGES, recipients });
      const name = `${lmtp ? 'LMTP' : 'SMTP'} × ${connections}`;
      rows.push([name, String(r.messages), r.seconds.toFixed(2), (r.messages / r.seconds).toFixed(0), (r.bytes / r.seconds / 1e6).toFixed(1)]);
      console.error(`${name}: done`);
    }
  }
  console.log(formatTable(['case', 'messages', 'seconds', 'msg/s', 'MB/s'], rows));
} finally {
  await server.stop();
}

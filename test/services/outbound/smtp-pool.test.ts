import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { SmtpPool } from '../../../src/services/outbound/smtp-client.ts';
import { until } from '../../helpers/until.ts';

// A plain receiver that counts connections; it drops a connection idle for 300 ms, as real
// servers do after their own timeout.
let connections = 0;
let open = 0;
let maxOpen = 0;
let messages = 0;
const mx = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  socketTimeout: 300,
  onConnect(_s, cb) {
    connections++;
    maxOpen = Math.max(maxOpen, ++open);
    cb();
  },
  onClose() {
    open--;
  },
  onData(stream: SMTPServerDataStream, _s, cb) {
    stream.resume();
    stream.on('end', () => setTimeout(() => (messages++, cb()), 20));
  },
});
await new Promise<void>((resolve) => mx.listen(0, '127.0.0.1', resolve));
const hop = { host: '127.0.0.1', port: (mx.server.address() as { port: number }).port };
after(() => new Promise<void>((resolve) => mx.close(() => resolve())));

const msg = (i: number) => ({ from: 'a@example.test', to: [`r${i}@example.test`], raw: Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`) });

test('messages one after another share one connection, which is closed after idleMs', async () => {
  const pool = new SmtpPool({ clientName: 'client.test', perHost: 2, idleMs: 150 });
  for (let i = 0; i < 5; i++) assert.equal((await pool.transfer(hop, msg(i))).get(`r${i}@example.test`)?.kind, 'delivered');
  assert.equal(connections, 1);
  await until(() => open === 0, 'the idle connection closed');
});

test('parallel messages open at most perHost connections; a connection the server dropped is replaced', async () => {
  connections = 0;
  maxOpen = 0;
  const pool = new SmtpPool({ clientName: 'client.test', perHost: 2, idleMs: 5000 });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.transfer(hop, msg(i))));
  assert.ok(results.every((r) => [...r.values()].every((o) => o.kind === 'delivered')));
  assert.equal(maxOpen, 2);
  assert.equal(connections, 2);
  // The receiver times the idle connections out; the pool notices and connects again.
  await until(() => open === 0, 'the receiver dropping idle connections');
  assert.equal((await pool.transfer(hop, msg(9))).get('r9@example.test')?.kind, 'delivered');
  assert.equal(connections, 3);
  pool.closeIdle();
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import type { PassDeps } from '../../../src/services/remote/imap/account-sync.ts';
import type { UpstreamError } from '../../../src/services/remote/imap/connect.ts';
import { ImapWorker } from '../../../src/services/remote/imap/worker.ts';
import { DEFAULT_SYNC } from '../../../src/services/remote/settings.ts';
import { freePort } from '../../helpers/ports.ts';

const BACKOFF = 40;
const MAX_BACKOFF = 320;

/** Runs a worker against 127.0.0.1:port until it has failed `count` times: when and how each failure came. */
async function failures(port: number, count: number): Promise<{ at: number; err: UpstreamError }[]> {
  const seen: { at: number; err: UpstreamError }[] = [];
  let enough!: () => void;
  const done = new Promise<void>((resolve) => (enough = resolve));
  const worker = new ImapWorker(
    'acct',
    // Never reached: no connection gets as far as a pass.
    {} as PassDeps,
    {
      load: async () => ({
        settings: { imap: { host: '127.0.0.1', port, tls: 0 }, smtp: null, username: 'u', sync: DEFAULT_SYNC },
        login: { server: { host: '127.0.0.1', port, tls: 0 }, username: 'u', password: 'p' },
      }),
      passStarted: async () => assert.fail('no pass can start'),
      progress: () => undefined,
      passDone: async () => assert.fail('no pass can end'),
      failed: async (err) => {
        seen.push({ at: performance.now(), err });
        if (seen.length === count) enough();
      },
    },
    { pollMs: 60_000, backoffMs: BACKOFF, maxBackoffMs: MAX_BACKOFF },
  );
  await done;
  await worker.stop();
  return seen;
}

test('an unreachable upstream is retried after delays that double up to the maximum', async () => {
  const seen = await failures(await freePort(), 7);
  assert.ok(seen.every((f) => f.err.kind === 'network'), seen.map((f) => f.err.message).join('; '));
  const gaps = seen.slice(1).map((f, i) => f.at - seen[i].at);
  const expected = [40, 80, 160, 320, 320, 320];
  for (const [i, gap] of gaps.entries()) {
    // A timer never fires early (allowing for rounding); a loaded machine may make it late.
    assert.ok(gap >= expected[i] - 2, `retry ${i + 1} came after ${gap.toFixed(0)} ms, before its ${expected[i]} ms`);
    assert.ok(gap < expected[i] + 250, `retry ${i + 1} came after ${gap.toFixed(0)} ms, far past its ${expected[i]} ms`);
  }
});

test('a refused login waits the longest delay at once, rather than trying the password again soon', async () => {
  // An IMAP server that greets, then refuses every login.
  const server: Server = createServer((sock) => {
    sock.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
    sock.on('data', (d) => {
      for (const line of d.toString().split('\r\n').filter(Boolean)) {
        const [tag, command] = line.split(' ');
        if (/^(login|authenticate)$/i.test(command)) sock.write(`${tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n`);
        else if (/^capability$/i.test(command)) sock.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        else if (/^logout$/i.test(command)) sock.end(`* BYE\r\n${tag} OK bye\r\n`);
        else sock.write(`${tag} BAD unexpected\r\n`);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const seen = await failures((server.address() as { port: number }).port, 3);
    assert.ok(seen.every((f) => f.err.kind === 'auth'), seen.map((f) => f.err.message).join('; '));
    for (const [i, f] of seen.slice(1).entries()) assert.ok(f.at - seen[i].at >= MAX_BACKOFF - 2, `retry ${i + 1} after ${(f.at - seen[i].at).toFixed(0)} ms`);
  } finally {
    server.close();
  }
});

import { bulkCorpus, seqHeader } from '../../test/helpers/corpus.ts';
import { canonicalize, frameData, WireClient } from '../../test/protocols/smtp/wire.ts';
import { BenchChild, isMainModule, serveRequests } from './child.ts';
import { stripFields } from './seed.ts';

/** One benchmark case, run in a child process so client work does not take the server's event loop. */
export interface IngestCase {
  port: number;
  lmtp: boolean;
  connections: number;
  messages: number;
  recipients: string[];
  /**
   * Starts message i with a header `X-Bench-Seq: i`, so every message is distinct, as in a real
   * mailbox (repeating the same few hundred files would measure deduplication).
   */
  distinct?: boolean;
  /**
   * Submission instead of relay: AUTH PLAIN as this user (plain text, allowed on loopback), who is
   * the envelope sender and, in place of the corpus's own, every message's From.
   */
  submit?: { user: string; password: string; address: string };
}

export interface IngestResult {
  messages: number;
  bytes: number;
  seconds: number;
  /** When the first message went out (ms since the epoch, as Date.now()), to compare with another process's clock. */
  startedAt: number;
}

/** A canonical (CRLF) message with its From fields replaced by one for `address`. */
function fromAddress(canonical: Buffer, address: string): Buffer {
  // A few corpus messages start with white space, which would make their first field (From)
  // a continuation line that stripFields keeps.
  const text = canonical.toString('latin1').replace(/^[ \t]+/, '');
  // The header block ends at the first empty line; a message without one is all header.
  const blank = text.startsWith('\r\n') ? 0 : text.indexOf('\r\n\r\n') + 2;
  const end = blank === 1 ? text.length : blank;
  const head = text.slice(0, end);
  const body = blank === 1 ? '\r\n' : text.slice(end);
  return Buffer.from(`From: <${address}>\r\n${stripFields(head, new Set(['from', 'sender']))}${body}`, 'latin1');
}

async function run(c: IngestCase): Promise<IngestResult> {
  // Framed once up front: the clock measures the server, not dot-stuffing (seqHeader needs none).
  const submit = c.submit;
  const corpus = bulkCorpus().map((raw) => frameData(submit ? fromAddress(canonicalize(raw), submit.address) : canonicalize(raw)));
  const sender = submit?.address ?? 'bench@sender.test';
  const clients = await Promise.all(
    Array.from({ length: c.connections }, async () => {
      const { client } = await WireClient.open(c.port);
      const hello = await client.command(c.lmtp ? 'LHLO bench.test' : 'EHLO bench.test');
      if (hello.code !== 250) throw new Error(hello.text);
      if (submit) {
        const auth = await client.command(`AUTH PLAIN ${Buffer.from(`\0${submit.user}\0${submit.password}`).toString('base64')}`);
        if (auth.code !== 235) throw new Error(auth.text);
      }
      return client;
    }),
  );
  let next = 0;
  let bytes = 0;
  const startedAt = Date.now();
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < c.messages) {
        const i = next++;
        const framed = c.distinct ? Buffer.concat([seqHeader(i), corpus[i % corpus.length]]) : corpus[i % corpus.length];
        client.write(`MAIL FROM:<${sender}>\r\nRCPT TO:<${c.recipients[i % c.recipients.length]}>\r\nDATA\r\n`);
        for (const expected of [250, 250, 354]) {
          const r = await client.reply();
          if (r.code !== expected) throw new Error(`message ${i}: ${r.text}`);
        }
        client.write(framed);
        const r = await client.reply(60_000);
        if (r.code !== 250) throw new Error(`message ${i}: ${r.text}`);
        bytes += framed.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.quit()));
  return { messages: c.messages, bytes, seconds, startedAt };
}

/** Runs one case from a client in a child process (this module, started anew). */
export async function runIngest(c: IngestCase): Promise<IngestResult> {
  const child = BenchChild.fork(new URL(import.meta.url));
  try {
    return await child.request<IngestResult>(c);
  } finally {
    child.kill();
  }
}

if (isMainModule(import.meta.url)) serveRequests(run);

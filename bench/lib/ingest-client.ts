import { bulkCorpus, seqHeader } from '../../test/helpers/corpus.ts';
import { canonicalize, frameData, WireClient } from '../../test/protocols/smtp/wire.ts';
import { BenchChild, isMainModule, serveRequests } from './child.ts';

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
}

export interface IngestResult {
  messages: number;
  bytes: number;
  seconds: number;
}

async function run(c: IngestCase): Promise<IngestResult> {
  // Framed once up front: the clock measures the server, not dot-stuffing (seqHeader needs none).
  const corpus = bulkCorpus().map((raw) => frameData(canonicalize(raw)));
  const clients = await Promise.all(
    Array.from({ length: c.connections }, async () => {
      const { client } = await WireClient.open(c.port);
      const hello = await client.command(c.lmtp ? 'LHLO bench.test' : 'EHLO bench.test');
      if (hello.code !== 250) throw new Error(hello.text);
      return client;
    }),
  );
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < c.messages) {
        const i = next++;
        const framed = c.distinct ? Buffer.concat([seqHeader(i), corpus[i % corpus.length]]) : corpus[i % corpus.length];
        client.write(`MAIL FROM:<bench@sender.test>\r\nRCPT TO:<${c.recipients[i % c.recipients.length]}>\r\nDATA\r\n`);
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
  return { messages: c.messages, bytes, seconds };
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

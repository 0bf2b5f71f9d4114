import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { prepareMessage } from './prepared-message.ts';
import type { ParseBatch, ParseResult } from './parse-pool.ts';

/** The body of a parse thread: each message of a batch, hashed and prepared for storing. */
parentPort!.on('message', (batch: ParseBatch) => {
  let result: ParseResult;
  try {
    let at = 0;
    const prepared = batch.lengths.map((length) => {
      const raw = Buffer.from(batch.data, at, length);
      at += length;
      return { id: createHash('sha256').update(raw).digest('hex'), message: prepareMessage(raw) };
    });
    result = { id: batch.id, prepared };
  } catch (err) {
    result = { id: batch.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(result);
});

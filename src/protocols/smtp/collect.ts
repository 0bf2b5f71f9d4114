import type { SMTPServerDataStream } from 'smtp-server';

export interface CollectedMessage {
  /** The message as received after dot-unstuffing; empty when it went over the limit. */
  data: Buffer;
  size: number;
  exceeded: boolean;
}

/**
 * Reads the DATA stream into memory, keeping at most `limit` bytes: past the limit the
 * chunks are dropped but the stream is still drained, so the client reaches the final dot
 * and can be told 552 instead of being cut off. Rejects when the client goes away before
 * the end of the data (nothing may be stored then).
 */
export function collectMessage(stream: SMTPServerDataStream, limit: number): Promise<CollectedMessage> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit || stream.sizeExceeded) chunks = [];
      else chunks.push(chunk);
    });
    stream.once('end', () => {
      ended = true;
      const exceeded = size > limit || stream.sizeExceeded;
      resolve({ data: exceeded ? Buffer.alloc(0) : Buffer.concat(chunks, size), size, exceeded });
    });
    stream.once('error', reject);
    stream.once('close', () => {
      if (!ended) reject(new Error('connection closed during DATA'));
    });
  });
}

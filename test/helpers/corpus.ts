import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CORPUS_DIR = resolve(import.meta.dirname, '../../../shared/corpus/messages');

/** Every message file of the shared corpus, sorted for stable test order. */
export function corpusFiles(dir = CORPUS_DIR): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...corpusFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/**
 * Corpus messages for filling mailboxes in bulk (benchmarks): none over maxBytes, which would
 * turn a mail benchmark into a disk one, and none with a NUL byte, which servers refuse or
 * rewrite differently, so two servers would not hold the same mailbox.
 */
export function bulkCorpus(maxBytes = 4 * 1024 * 1024): Buffer[] {
  return corpusFiles()
    .map((f) => readFileSync(f))
    .filter((b) => b.length <= maxBytes && !b.includes(0));
}

/**
 * A header line that makes copy i of a corpus message distinct, as messages in a real mailbox
 * are: repeating the same few hundred files would measure deduplication. Ends with CRLF and
 * needs no dot-stuffing, so it can go in front of a framed message.
 */
export const seqHeader = (i: number) => Buffer.from(`X-Bench-Seq: ${i}\r\n`);

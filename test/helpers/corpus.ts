import { readdirSync } from 'node:fs';
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

import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { ServiceError } from '../errors.ts';
import type { PdpaLimits } from './limits.ts';

/** Every rejection of an archive is the same 400: the detail says what was wrong. */
export const bad = (message: string) => new ServiceError('invalid', `archive: ${message}`, [{ field: 'archive', message }]);

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Entry names as written; anything that could escape an extraction directory is refused. */
export function checkEntryName(name: string): void {
  if (name.length === 0 || name.length > 4096) throw bad('an entry has an empty or overlong name');
  if (name.includes('\\')) throw bad(`entry "${name.slice(0, 80)}" uses a backslash`);
  if (name.startsWith('/') || /^[a-z]:/i.test(name)) throw bad(`entry "${name.slice(0, 80)}" has an absolute path`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw bad('an entry name holds control characters');
  const segs = name.replace(/\/$/, '').split('/');
  if (segs.some((s) => s === '..' || s === '.' || s === '')) throw bad(`entry "${name.slice(0, 80)}" has an empty, "." or ".." path segment`);
}

export interface ZipEntryInfo {
  entry: yauzl.Entry;
  name: string;
  isDir: boolean;
}

export async function openZip(body: Buffer): Promise<yauzl.ZipFile> {
  try {
    // strictFileNames keeps yauzl from silently turning `\` into `/` before we can refuse it.
    return await yauzl.fromBufferPromise(body, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    throw bad(`not a readable zip file (${(err as Error).message})`);
  }
}

/** Walks the central directory, refusing what no honest export contains. */
export async function listEntries(zip: yauzl.ZipFile, limits: PdpaLimits): Promise<ZipEntryInfo[]> {
  const out: ZipEntryInfo[] = [];
  const seen = new Set<string>();
  let declared = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (out.length >= limits.maxEntries) throw bad(`more than ${limits.maxEntries} entries`);
      const name = entry.fileName;
      checkEntryName(name);
      if (seen.has(name)) throw bad(`entry "${name.slice(0, 80)}" appears twice`);
      seen.add(name);
      const isDir = name.endsWith('/');
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (mode === S_IFLNK) throw bad(`entry "${name.slice(0, 80)}" is a symbolic link`);
      if (entry.isEncrypted()) throw bad(`entry "${name.slice(0, 80)}" is encrypted`);
      if (!entry.canDecodeFileData()) throw bad(`entry "${name.slice(0, 80)}" uses an unsupported compression method`);
      declared += entry.uncompressedSize;
      if (declared > limits.maxTotalBytes) throw bad(`inflates to more than ${limits.maxTotalBytes} bytes`);
      out.push({ entry, name, isDir });
    }
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    throw bad(`malformed zip (${(err as Error).message})`);
  }
  return out;
}

/**
 * Inflates one entry, counting the bytes that really come out: a header may lie about its size,
 * so the limit is enforced on the stream (yauzl also checks the declared size afterwards).
 */
export async function readEntry(zip: yauzl.ZipFile, e: ZipEntryInfo, limit: number, budget: { left: number }): Promise<Buffer> {
  if (e.entry.uncompressedSize > limit) throw bad(`entry "${e.name.slice(0, 80)}" is larger than ${limit} bytes`);
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(e.entry);
  } catch (err) {
    throw bad(`entry "${e.name.slice(0, 80)}" cannot be read (${(err as Error).message})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const c = chunk as Buffer;
      size += c.length;
      budget.left -= c.length;
      if (size > limit) throw bad(`entry "${e.name.slice(0, 80)}" inflates beyond ${limit} bytes`);
      if (budget.left < 0) throw bad('the archive inflates beyond the total size limit');
      chunks.push(c);
    }
  } catch (err) {
    stream.destroy();
    if (err instanceof ServiceError) throw err;
    throw bad(`entry "${e.name.slice(0, 80)}" is corrupt (${(err as Error).message})`);
  }
  return Buffer.concat(chunks, size);
}

export function parseJson(buf: Buffer, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch (err) {
    throw bad(`${name} is not valid UTF-8 JSON (${(err as Error).message.slice(0, 120)})`);
  }
}

import yauzl from 'yauzl';
import yazl from 'yazl';

/** Every entry of a zip, by name; directories map to empty buffers. */
export async function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true });
  const out = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) {
      out.set(entry.fileName, Buffer.alloc(0));
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
    out.set(entry.fileName, Buffer.concat(chunks));
  }
  return out;
}

/** A zip from name → content (string, Buffer or JSON value); names are written as given. */
export async function makeZip(files: Record<string, unknown>, opts: { symlink?: string[] } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    const buf = Buffer.isBuffer(content) ? content : Buffer.from(typeof content === 'string' ? content : JSON.stringify(content));
    const mode = opts.symlink?.includes(name) ? 0o120777 : 0o100644;
    // yazl refuses unsafe names itself; write a placeholder and patch the bytes afterwards.
    zip.addBuffer(buf, safeName(name), { mode });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  let out: Buffer = Buffer.concat(chunks);
  for (const name of Object.keys(files)) if (safeName(name) !== name) out = replaceAll(out, Buffer.from(safeName(name)), Buffer.from(name));
  return out;
}

const safeName = (name: string) => (/^\/|\\|(^|\/)\.\.(\/|$)/.test(name) ? name.replace(/[\\/.]/g, (c) => (c === '/' ? '/' : c === '.' ? '_' : '~')).replace(/^\//, 'Z') : name);

function replaceAll(buf: Buffer, from: Buffer, to: Buffer): Buffer {
  if (from.length !== to.length) throw new Error('patched names must keep their length');
  for (let i = buf.indexOf(from); i >= 0; i = buf.indexOf(from, i + 1)) to.copy(buf, i);
  return buf;
}

/** Rewrites the declared uncompressed size of the last entry (local header and central directory): a lying header. */
export function lieAboutLastEntry(buf: Buffer, size: number): Buffer {
  const out = Buffer.from(buf);
  const local = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  const central = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  out.writeUInt32LE(size, local + 22);
  out.writeUInt32LE(size, central + 24);
  return out;
}

/**
 * A batch of reads: the first `lengths[i]` bytes of the i-th file. The paths travel as one
 * NUL-separated string (no path holds a NUL): cloning a thousand small objects for postMessage
 * cost more than reading the files. With a slab, the files are read into it one after another
 * from `offset`; without, each into a buffer of its own.
 */
export interface ReadBatch {
  kind: 'read';
  id: number;
  paths: string;
  lengths: number[];
  slab: SharedArrayBuffer | null;
  offset: number;
}

/**
 * A batch of blobs to store: consecutive parts of `data` from `offset`, `lengths[i]` bytes each,
 * copied into one shared buffer so a batch is one message however many blobs it holds.
 */
export interface WriteBatch {
  kind: 'write';
  id: number;
  root: string;
  data: SharedArrayBuffer;
  offset: number;
  lengths: number[];
}

/**
 * Per file read: its bytes (or, read into the slab, how many), null when it does not exist, or
 * the error met reading it. Per blob written: its sha256 in hex, or the error.
 */
export type FileResult = { id: number; files: (ArrayBuffer | number | string | null | { error: string })[] };

/**
 * The body of a file thread. It runs from its source text (a worker made with eval), so it must
 * not use anything from outside itself: no imports, no closures. Synchronous system calls are the
 * point: a whole batch in one thread, no round trip per call.
 */
export function fileWorkerMain(): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const { createHash, randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const { dirname, join } = require('node:path') as typeof import('node:path');
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fsyncPath = (path: string) => {
    const fd = fs.openSync(path, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  };
  // Folders whose entry in their parent this thread has made durable. One it did not make itself
  // may have been made a moment ago by another thread that has not fsynced the parent yet, so
  // the first time this thread sees a folder it fsyncs the parent whoever created it.
  const durable = new Set<string>();
  /** Makes `dir` and its parents up to `root` exist; the parents whose entries need an fsync go in `unsynced`. */
  const makeDir = (dir: string, root: string, unsynced: Set<string>) => {
    if (durable.has(dir)) return;
    if (dir !== root) makeDir(dirname(dir), root, unsynced);
    fs.mkdirSync(dir, { recursive: true });
    if (dir !== root) unsynced.add(dirname(dir));
  };
  /**
   * Content-addressed as FsBlobStore lays it out, durably, in phases over the whole batch: every
   * new file written to a temporary name, then each fsynced, renamed into place, and each folder
   * touched fsynced once. A file is renamed only once its bytes are on disk, and a folder shared
   * by several blobs of the batch is fsynced once for all of them.
   */
  const writeBlobs = (batch: WriteBatch) => {
    const folders = new Set<string>();
    const made = new Set<string>();
    const pending: { fd: number; tmp: string; path: string }[] = [];
    let at = batch.offset;
    const files = batch.lengths.map((length): string | { error: string } => {
      const bytes = new Uint8Array(batch.data, at, length);
      at += length;
      let fd: number | null = null;
      try {
        const id = createHash('sha256').update(bytes).digest('hex');
        const dir = join(batch.root, id.slice(0, 2), id.slice(2, 4));
        makeDir(dir, batch.root, made);
        const path = join(dir, id);
        // Same bytes already there: the put that created the file may not have fsynced its folder yet.
        folders.add(dir);
        if (fs.existsSync(path)) return id;
        const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        fd = fs.openSync(tmp, 'w');
        fs.writeSync(fd, bytes);
        pending.push({ fd, tmp, path });
        return id;
      } catch (err) {
        if (fd !== null) fs.closeSync(fd);
        return { error: err instanceof Error ? err.message : String(err) };
      }
    });
    try {
      for (const f of pending) fs.fsyncSync(f.fd);
    } finally {
      for (const f of pending) fs.closeSync(f.fd);
    }
    for (const f of pending) fs.renameSync(f.tmp, f.path);
    for (const dir of [...folders, ...made]) fsyncPath(dir);
    for (const dir of folders) durable.add(dir);
    for (const dir of made) durable.add(dir);
    return files;
  };
  const readInto = (path: string, into: Uint8Array): number | null => {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return fs.readSync(fd, into, 0, into.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  };
  const own = (path: string, length: number): ArrayBuffer | null => {
    // Not zero-filled first: every byte is about to be read over.
    const bytes = Buffer.allocUnsafeSlow(length);
    const n = readInto(path, bytes);
    if (n === null) return null;
    return n === length ? bytes.buffer : bytes.buffer.slice(0, n);
  };
  const readFiles = (batch: ReadBatch) => {
    let at = batch.offset;
    const files = batch.paths.split('\0').map((path, i) => {
      const length = batch.lengths[i]!;
      try {
        if (!batch.slab) return own(path, length);
        const n = readInto(path, new Uint8Array(batch.slab, at, length));
        at += length;
        return n;
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
    });
    return files;
  };
  parentPort!.on('message', (batch: ReadBatch | WriteBatch) => {
    let files: FileResult['files'];
    try {
      files = batch.kind === 'read' ? readFiles(batch) : writeBlobs(batch);
    } catch (err) {
      // An fsync or rename that failed: no blob of the batch can be called durable.
      files = batch.lengths.map(() => ({ error: err instanceof Error ? err.message : String(err) }));
    }
    const result: FileResult = { id: batch.id, files };
    parentPort!.postMessage(result, files.filter((f): f is ArrayBuffer => f instanceof ArrayBuffer));
  });
}

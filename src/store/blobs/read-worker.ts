/**
 * A batch of reads: the first `lengths[i]` bytes of the i-th file. The paths travel as one
 * NUL-separated string (no path holds a NUL): cloning a thousand small objects for postMessage
 * cost more than reading the files. With a slab, the files are read into it one after another
 * from `offset`; without, each into a buffer of its own.
 */
export interface ReadBatch {
  id: number;
  paths: string;
  lengths: number[];
  slab: SharedArrayBuffer | null;
  offset: number;
}

/**
 * Per file: its bytes (or, read into the slab, how many), null when it does not exist, or the
 * error met reading it.
 */
export type ReadResult = { id: number; files: (ArrayBuffer | number | null | { error: string })[] };

/**
 * The body of a reading thread. It runs from its source text (a worker made with eval), so it
 * must not use anything from outside itself: no imports, no closures. Synchronous reads are the
 * point: a whole batch in one thread, no round trip per system call.
 */
export function readWorkerMain(): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
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
  parentPort!.on('message', (batch: ReadBatch) => {
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
    const result: ReadResult = { id: batch.id, files };
    parentPort!.postMessage(result, files.filter((f): f is ArrayBuffer => f instanceof ArrayBuffer));
  });
}

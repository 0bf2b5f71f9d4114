/**
 * A batch of reads: the first `lengths[i]` bytes of the i-th file. The paths travel as one
 * NUL-separated string (no path holds a NUL): cloning a thousand small objects for postMessage
 * cost more than reading the files.
 */
export interface ReadBatch {
  id: number;
  paths: string;
  lengths: number[];
}

/** Per file: its bytes, null when it does not exist, or the error met reading it. */
export type ReadResult = { id: number; files: (ArrayBuffer | null | { error: string })[] };

/**
 * The body of a reading thread. It runs from its source text (a worker made with eval), so it
 * must not use anything from outside itself: no imports, no closures. Synchronous reads are the
 * point: a whole batch in one thread, no round trip per system call.
 */
export function readWorkerMain(): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const head = (path: string, length: number): ArrayBuffer | null => {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      // Not zero-filled first: every byte is about to be read over.
      const bytes = Buffer.allocUnsafeSlow(length);
      const n = fs.readSync(fd, bytes, 0, length, 0);
      return n === length ? bytes.buffer : bytes.buffer.slice(0, n);
    } finally {
      fs.closeSync(fd);
    }
  };
  parentPort!.on('message', (batch: ReadBatch) => {
    const files = batch.paths.split('\0').map((path, i) => {
      try {
        return head(path, batch.lengths[i]!);
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
    });
    const result: ReadResult = { id: batch.id, files };
    parentPort!.postMessage(result, files.filter((f): f is ArrayBuffer => f instanceof ArrayBuffer));
  });
}

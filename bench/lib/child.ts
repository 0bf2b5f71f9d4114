import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Reply = { result?: unknown; error?: string };

/**
 * A benchmark client in a child process, so its work takes neither the server's event loop nor
 * its memory (the server runs in the benchmark's own process). The parent sends one request at a
 * time and waits for its reply; the child answers with `serveRequests`.
 */
export class BenchChild {
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: Reply) => {
      const p = this.pending;
      this.pending = null;
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    const fail = (err: Error) => {
      this.pending?.reject(err);
      this.pending = null;
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`benchmark client exited with ${code}`)));
  }

  /** Starts a TypeScript module (through tsx) that calls serveRequests. */
  static fork(module: URL): BenchChild {
    return new BenchChild(fork(fileURLToPath(module), [], { execArgv: ['--import', 'tsx'] }));
  }

  request<T>(message: unknown): Promise<T> {
    if (this.pending) throw new Error('one request at a time');
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (v: unknown) => void, reject };
      this.child.send(message as object);
    });
  }

  kill(): void {
    this.child.removeAllListeners('exit');
    this.child.kill();
  }
}

/** The child's side: answers each request with the handler's result, or its error. */
export function serveRequests<T>(handler: (request: T) => Promise<unknown>): void {
  process.on('message', (m: T) => {
    handler(m).then(
      (result) => process.send?.({ result }),
      (err: Error) => process.send?.({ error: err.stack ?? err.message }),
    );
  });
}

/** Whether the module of this URL is the one the process was started with (and not imported). */
export const isMainModule = (url: string) => process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === url;

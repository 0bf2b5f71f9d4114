export interface WorkerLoopOptions {
  /** One pass of the work; it should return when nothing is left to do now. */
  run: () => Promise<void>;
  /** When work is next due (epoch ms), or null when nothing is scheduled. */
  nextDue: () => Promise<number | null>;
  /** Longest sleep between passes, so work left by other nodes is seen. */
  pollMs: number;
  onError: (err: unknown) => void;
}

/**
 * The scheduling of a background worker: a pass runs when woken (or right after the pass in
 * progress, never two at once), and otherwise at the next due time, at most pollMs away.
 */
export class WorkerLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private halted = true;

  constructor(private readonly options: WorkerLoopOptions) {}

  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.halted = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs a pass now (or right after the current one). */
  wake(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.options
      .run()
      .catch((err) => this.options.onError(err))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else void this.sleep();
      });
  }

  private async sleep(): Promise<void> {
    if (this.halted) return;
    const poll = this.options.pollMs;
    const due = await this.options.nextDue().catch(() => null);
    const delay = due === null ? poll : Math.max(0, Math.min(poll, due - Date.now()));
    if (this.halted || this.running) return;
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }
}

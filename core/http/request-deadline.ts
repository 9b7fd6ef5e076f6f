/**
 * The timeout of one HTTP attempt, joined with the caller's signal. `restart` starts the clock
 * again (a stream that keeps sending is alive); `expired` tells a timeout from the caller's abort.
 */
export class RequestDeadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(
    private readonly timeoutMs: number,
    callerSignal?: AbortSignal,
  ) {
    this.signal = callerSignal
      ? AbortSignal.any([this.controller.signal, callerSignal])
      : this.controller.signal;
    this.restart();
  }

  get expired(): boolean {
    return this.timedOut;
  }

  restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException(`timed out after ${this.timeoutMs} ms`, 'TimeoutError'));
    }, this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

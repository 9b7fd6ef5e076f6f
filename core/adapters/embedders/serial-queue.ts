/**
 * Runs tasks one at a time, in call order. In-process engines (tfjs, ONNX Runtime) are not
 * promised to be re-entrant, and running one batch at a time keeps memory flat.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The chain must survive a failed task; callers still see the rejection through `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}

import { Semaphore } from '../../core/concurrency/semaphore.ts';
import type { Clock } from './clock.ts';

type HostState = { slots: Semaphore; lastStartedAt: number; delayMs: number };

export type HostSchedulerLimits = { concurrency: number; perHostConcurrency: number; perHostDelayMs: number };

/**
 * Politeness: at most `concurrency` requests at once overall, `perHostConcurrency` per host, and
 * request starts to one host spaced by at least its delay (`perHostDelayMs`, or a larger robots.txt
 * Crawl-delay).
 */
export class HostScheduler {
  private readonly global: Semaphore;
  private readonly hosts = new Map<string, HostState>();

  constructor(
    private readonly limits: HostSchedulerLimits,
    private readonly clock: Clock,
  ) {
    this.global = new Semaphore(limits.concurrency);
  }

  /** Raises the spacing for one host (never lowers it below the configured delay). */
  setHostDelay(host: string, delayMs: number): void {
    const state = this.state(host);
    state.delayMs = Math.max(this.limits.perHostDelayMs, delayMs);
  }

  hostDelay(host: string): number {
    return this.state(host).delayMs;
  }

  /** Waits for a slot to `host` and its turn; call the returned function when the request ends. */
  async acquire(host: string, signal?: AbortSignal): Promise<() => void> {
    const state = this.state(host);
    await state.slots.acquire(signal);
    let holdsGlobal = false;
    try {
      // Wait out the spacing before taking a global slot, so a paced host does not hold one idle.
      await this.waitForTurn(state, signal);
      await this.global.acquire(signal);
      holdsGlobal = true;
      // Another request to this host may have started meanwhile. The last check of this loop and
      // the claim below run with no await between them, so no other request slips in.
      for (let wait = this.turnIn(state); wait > 0; wait = this.turnIn(state))
        await this.clock.sleep(wait, signal);
    } catch (error) {
      if (holdsGlobal) this.global.release();
      state.slots.release();
      throw error;
    }
    state.lastStartedAt = this.clock.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.global.release();
      state.slots.release();
    };
  }

  private async waitForTurn(state: HostState, signal?: AbortSignal): Promise<void> {
    for (let wait = this.turnIn(state); wait > 0; wait = this.turnIn(state))
      await this.clock.sleep(wait, signal);
  }

  private turnIn(state: HostState): number {
    return state.lastStartedAt + state.delayMs - this.clock.now();
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = {
        slots: new Semaphore(this.limits.perHostConcurrency),
        lastStartedAt: Number.NEGATIVE_INFINITY,
        delayMs: this.limits.perHostDelayMs,
      };
      this.hosts.set(host, state);
    }
    return state;
  }
}

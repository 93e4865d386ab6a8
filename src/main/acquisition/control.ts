/** Pause / resume of a running acquisition (cancel is the AbortSignal). */
export class AcquisitionControl {
  private pausedFlag = false;
  private waiters: (() => void)[] = [];

  get paused(): boolean {
    return this.pausedFlag;
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    this.pausedFlag = false;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when not paused (immediately if running) or when the signal aborts. */
  waitWhilePaused(signal?: AbortSignal): Promise<void> {
    if (!this.pausedFlag || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

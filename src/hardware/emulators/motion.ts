/**
 * One emulated motor axis in native units: moves take time at a set speed, can be stopped
 * midway, and tell waiting replies (ProScan "R", blocking Sangaboard "done") when they end.
 */
export class MotionAxis {
  private move: { from: number; to: number; t0: number; durationMs: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];

  constructor(
    private pos: number,
    /** Native units per second; Infinity moves instantly. */
    public speed: number,
  ) {}

  position(now = Date.now()): number {
    const m = this.move;
    if (!m) return this.pos;
    if (m.durationMs <= 0) return m.to;
    const f = Math.min(1, (now - m.t0) / m.durationMs);
    return m.from + (m.to - m.from) * f;
  }

  isMoving(now = Date.now()): boolean {
    const m = this.move;
    return m !== null && now - m.t0 < m.durationMs;
  }

  target(): number {
    return this.move ? this.move.to : this.pos;
  }

  /** Starts a move; `onEnd` runs when it ends or is stopped. Returns the move's duration (ms). */
  moveTo(target: number, onEnd?: () => void): number {
    const from = this.position();
    this.settle(from);
    const distance = Math.abs(target - from);
    const durationMs = this.speed === Infinity || distance === 0 ? 0 : (distance / this.speed) * 1000;
    this.move = { from, to: target, t0: Date.now(), durationMs };
    if (onEnd) this.waiters.push(onEnd);
    this.timer = setTimeout(() => this.finish(), durationMs);
    return durationMs;
  }

  /** Stops where the axis is now. */
  stop(): void {
    this.settle(this.position());
  }

  /** Redefines the current position (zero / here commands). */
  setPosition(value: number): void {
    this.settle(this.position());
    this.pos = value;
  }

  private finish(): void {
    if (!this.move) return;
    this.settle(this.move.to);
  }

  private settle(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.move = null;
    this.pos = at;
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }
}

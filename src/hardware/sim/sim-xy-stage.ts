/** Simulated XY stage: soft limits per axis, straight-line moves at a speed (um/s), settle time, faults. */
import { assertWithinLimits, HardwareError, type AxisLimits, type XYPosition, type XYStage } from '../types';
import { simSleep, type FaultInjector } from './faults';

export interface SimXYStageOptions {
  name?: string;
  limits: { x: AxisLimits; y: AxisLimits };
  speedUmPerS: number;
  settleMs: number;
  start?: XYPosition;
  timeScale: number;
  timeoutMs?: number;
  faults: FaultInjector;
}

interface Motion {
  from: XYPosition;
  to: XYPosition;
  t0: number;
  durationMs: number;
  timer: ReturnType<typeof setTimeout>;
  resolve: (p: XYPosition) => void;
}

export class SimXYStage implements XYStage {
  readonly name: string;
  private connected = false;
  private pos: XYPosition;
  private motion: Motion | undefined;

  constructor(private readonly o: SimXYStageOptions) {
    this.name = o.name ?? 'Simulated XY stage';
    this.pos = { ...(o.start ?? { xUm: 0, yUm: 0 }) };
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (this.motion) this.stopNow();
    this.connected = false;
  }

  isConnected(): boolean {
    return this.connected;
  }

  limits(): { x: AxisLimits; y: AxisLimits } {
    return { x: { ...this.o.limits.x }, y: { ...this.o.limits.y } };
  }

  settleMs(): number {
    return this.o.settleMs;
  }

  async position(): Promise<XYPosition> {
    this.assertConnected();
    return this.positionNow();
  }

  /** Simulator truth without the connection check (the camera reads it). */
  positionNow(): XYPosition {
    const m = this.motion;
    if (!m) return { ...this.pos };
    const elapsed = this.o.timeScale === 0 ? m.durationMs : (performance.now() - m.t0) / this.o.timeScale;
    const f = m.durationMs <= 0 ? 1 : Math.min(1, elapsed / m.durationMs);
    return { xUm: m.from.xUm + (m.to.xUm - m.from.xUm) * f, yUm: m.from.yUm + (m.to.yUm - m.from.yUm) * f };
  }

  async moveTo(p: XYPosition): Promise<XYPosition> {
    this.assertConnected();
    assertWithinLimits(p?.xUm, this.o.limits.x, 'X');
    assertWithinLimits(p?.yUm, this.o.limits.y, 'Y');
    await this.injectFaults();
    if (this.motion) this.stopNow();
    const from = this.positionNow();
    const to = { xUm: p.xUm, yUm: p.yUm };
    const durationMs = (Math.hypot(to.xUm - from.xUm, to.yUm - from.yUm) / this.o.speedUmPerS) * 1000;
    return new Promise<XYPosition>((resolve) => {
      const m: Motion = {
        from,
        to,
        t0: performance.now(),
        durationMs,
        resolve,
        timer: setTimeout(() => {
          if (this.motion !== m) return;
          this.motion = undefined;
          this.pos = { ...to };
          resolve({ ...to });
        }, durationMs * this.o.timeScale),
      };
      this.motion = m;
    });
  }

  async moveBy(d: XYPosition): Promise<XYPosition> {
    this.assertConnected();
    const base = this.motion ? this.motion.to : this.pos;
    return this.moveTo({ xUm: base.xUm + d.xUm, yUm: base.yUm + d.yUm });
  }

  async isBusy(): Promise<boolean> {
    this.assertConnected();
    return this.motion !== undefined;
  }

  async stop(): Promise<void> {
    this.assertConnected();
    if (this.motion) this.stopNow();
  }

  private stopNow(): void {
    const m = this.motion;
    if (!m) return;
    clearTimeout(m.timer);
    this.pos = this.positionNow();
    this.motion = undefined;
    m.resolve({ ...this.pos });
  }

  private assertConnected(): void {
    if (!this.connected) throw new HardwareError('disconnected', `${this.name} is not connected`);
  }

  private async injectFaults(): Promise<void> {
    const f = this.o.faults;
    if (f.fires('xy.disconnect')) {
      if (this.motion) this.stopNow();
      this.connected = false;
      throw new HardwareError('disconnected', `${this.name}: connection lost (simulated)`);
    }
    if (f.fires('xy.refuse'))
      throw new HardwareError('device', `${this.name} refused the move (simulated controller error)`);
    if (f.fires('xy.timeout')) {
      const ms = this.o.timeoutMs ?? 2000;
      await simSleep(ms, this.o.timeScale);
      throw new HardwareError('timeout', `${this.name} did not answer within ${ms} ms (simulated)`);
    }
  }
}

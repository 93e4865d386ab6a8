/**
 * Simulated Z stage (optical convention: +z moves the objective away from the sample).
 * - Soft limits, speed (um/s), settle time; moves take |dz|/speed (times the simulator's timeScale).
 * - Backlash (play B um): the mechanics lag the command by up to B when the direction reverses. The controller
 *   reports the COMMANDED position (like an encoderless stepper controller); the optics see the MECHANICAL one.
 *   Approaching from below leaves the mechanics B um short; approaching from above is exact.
 * - Settle: right after a move the mechanics ring with a damped oscillation (amplitude settleAmplitudeUm, decaying
 *   to ~1 % within settleMs), so a frame snapped before settleMs has a little extra defocus.
 * - Faults: timeout, dropped connection, refused move (see faults.ts).
 */
import { assertWithinLimits, HardwareError, type AxisLimits, type ZStage } from '../types';
import { simSleep, type FaultInjector } from './faults';

export interface SimZStageOptions {
  name?: string;
  limits: AxisLimits;
  speedUmPerS: number;
  settleMs: number;
  settleAmplitudeUm?: number;
  backlashUm?: number;
  startUm?: number;
  timeScale: number;
  timeoutMs?: number;
  faults: FaultInjector;
}

interface Motion {
  from: number;
  to: number;
  /** Mechanical position when the motion started. */
  mechFrom: number;
  t0: number;
  durationMs: number;
  timer: ReturnType<typeof setTimeout>;
  resolve: (z: number) => void;
}

export class SimZStage implements ZStage {
  readonly name: string;
  private connected = false;
  private commanded: number;
  private mechanical: number;
  private motion: Motion | undefined;
  private lastStopAt = -Infinity;
  private lastStepUm = 0;

  constructor(private readonly o: SimZStageOptions) {
    this.name = o.name ?? 'Simulated Z stage';
    this.commanded = o.startUm ?? 0;
    this.mechanical = this.commanded;
    assertWithinLimits(this.commanded, o.limits);
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.abortMotion();
    this.connected = false;
  }

  isConnected(): boolean {
    return this.connected;
  }

  limits(): AxisLimits {
    return { ...this.o.limits };
  }

  settleMs(): number {
    return this.o.settleMs;
  }

  async position(): Promise<number> {
    this.assertConnected();
    return this.commandedAt(performance.now());
  }

  async moveTo(zUm: number): Promise<number> {
    this.assertConnected();
    assertWithinLimits(zUm, this.o.limits);
    await this.injectFaults();
    if (this.motion) this.stopNow();
    const now = performance.now();
    const from = this.commanded;
    const durationMs = (Math.abs(zUm - from) / this.o.speedUmPerS) * 1000;
    return new Promise<number>((resolve) => {
      const m: Motion = {
        from,
        to: zUm,
        mechFrom: this.mechanical,
        t0: now,
        durationMs,
        resolve,
        timer: setTimeout(() => this.finish(m), durationMs * this.o.timeScale),
      };
      this.motion = m;
    });
  }

  async moveBy(dzUm: number): Promise<number> {
    this.assertConnected();
    if (!Number.isFinite(dzUm))
      throw new HardwareError('limit', `Z step ${dzUm} is not a finite number of micrometres`);
    const base = this.motion ? this.motion.to : this.commanded;
    return this.moveTo(base + dzUm);
  }

  async isBusy(): Promise<boolean> {
    this.assertConnected();
    return this.motion !== undefined;
  }

  async stop(): Promise<void> {
    this.assertConnected();
    if (this.motion) this.stopNow();
  }

  /** Simulator truth: the mechanical z (um) the optics see now, including backlash and settle ringing. */
  mechanicalPosition(): number {
    const now = performance.now();
    if (this.motion) {
      const c = this.commandedAt(now);
      return play(c, this.motion.mechFrom, this.o.backlashUm ?? 0);
    }
    return this.mechanical + this.ringing(now);
  }

  private ringing(now: number): number {
    const amp = (this.o.settleAmplitudeUm ?? 0) * Math.min(1, Math.abs(this.lastStepUm));
    if (amp === 0 || this.o.settleMs <= 0 || this.o.timeScale === 0) return 0;
    const t = (now - this.lastStopAt) / this.o.timeScale; // simulated ms since the motion ended
    if (t >= 2 * this.o.settleMs) return 0;
    const tau = this.o.settleMs / 4.6; // exp(-4.6) = 1 % at settleMs
    return amp * Math.exp(-t / tau) * Math.cos((2 * Math.PI * t) / (this.o.settleMs / 3));
  }

  private commandedAt(now: number): number {
    const m = this.motion;
    if (!m) return this.commanded;
    const elapsed = this.o.timeScale === 0 ? m.durationMs : (now - m.t0) / this.o.timeScale;
    const f = m.durationMs <= 0 ? 1 : Math.min(1, elapsed / m.durationMs);
    return m.from + (m.to - m.from) * f;
  }

  private finish(m: Motion): void {
    if (this.motion !== m) return;
    this.settleAt(m.to, m);
    m.resolve(m.to);
  }

  private stopNow(): void {
    const m = this.motion;
    if (!m) return;
    clearTimeout(m.timer);
    const z = this.commandedAt(performance.now());
    this.settleAt(z, m);
    m.resolve(z);
  }

  private settleAt(z: number, m: Motion): void {
    this.motion = undefined;
    this.lastStepUm = z - m.from;
    this.commanded = z;
    this.mechanical = play(z, m.mechFrom, this.o.backlashUm ?? 0);
    this.lastStopAt = performance.now();
  }

  private abortMotion(): void {
    if (this.motion) this.stopNow();
  }

  private assertConnected(): void {
    if (!this.connected) throw new HardwareError('disconnected', `${this.name} is not connected`);
  }

  private async injectFaults(): Promise<void> {
    const f = this.o.faults;
    if (f.fires('z.disconnect')) {
      this.abortMotion();
      this.connected = false;
      throw new HardwareError('disconnected', `${this.name}: connection lost (simulated)`);
    }
    if (f.fires('z.refuse'))
      throw new HardwareError('device', `${this.name} refused the move (simulated controller error)`);
    if (f.fires('z.timeout')) {
      const ms = this.o.timeoutMs ?? 2000;
      await simSleep(ms, this.o.timeScale);
      throw new HardwareError('timeout', `${this.name} did not answer within ${ms} ms (simulated)`);
    }
  }
}

/** Play (backlash) operator: the mechanics follow the command x with a dead band of width b below it. */
export function play(x: number, yPrev: number, b: number): number {
  return Math.max(x - b, Math.min(x, yPrev));
}

/**
 * ZStage over any native Z driver: soft limits checked before a byte is sent, um <-> native
 * mapping, and the direction of the last move (for backlash-aware approaches).
 */
import { assertWithinLimits, HardwareError, type AxisLimits, type ZStage } from '../types';
import { checkLimits, checkMapping, nativeToUm, quantizeWithinLimits, type AxisMapping } from './mapping';
import type { NativeZAxis } from './native';

export interface LimitedZStageOptions {
  limits: AxisLimits;
  /** Native units per um; when absent the driver's own report (e.g. Prior RES,Z) is used after connect. */
  nativePerUm?: number;
  direction?: 1 | -1;
  settleMs?: number;
  /** Mechanical backlash (um) measured by calibration; approach() overshoots by at least this. */
  backlashUm?: number;
}

export type MoveDirection = 'up' | 'down' | 'none';

export class LimitedZStage implements ZStage {
  readonly name: string;
  private readonly softLimits: AxisLimits;
  private mapping: AxisMapping | null = null;
  private lastDirection: MoveDirection = 'none';
  /** Serialises moves so two callers cannot interleave a read-check-move sequence. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly axis: NativeZAxis,
    private readonly options: LimitedZStageOptions,
  ) {
    this.name = axis.name;
    checkLimits(options.limits, 'Z');
    this.softLimits = { ...options.limits };
    if (options.nativePerUm !== undefined) this.mapping = this.makeMapping(options.nativePerUm);
  }

  async connect(): Promise<void> {
    await this.axis.connect();
    if (!this.mapping) {
      const reported = this.axis.reportedNativePerUm?.();
      if (reported === undefined) {
        throw new HardwareError(
          'config',
          `${this.name}: steps per um is not configured and the controller does not report it`,
        );
      }
      this.mapping = this.makeMapping(reported);
    }
  }

  disconnect(): Promise<void> {
    return this.axis.disconnect();
  }

  isConnected(): boolean {
    return this.axis.isConnected();
  }

  limits(): AxisLimits {
    return { ...this.softLimits };
  }

  settleMs(): number {
    return this.options.settleMs ?? 0;
  }

  backlashUm(): number {
    return this.options.backlashUm ?? 0;
  }

  /** Direction of the last commanded move in um (optical convention). */
  lastMoveDirection(): MoveDirection {
    return this.lastDirection;
  }

  async position(): Promise<number> {
    const m = this.requireMapping();
    return nativeToUm(await this.axis.readZ(), m);
  }

  moveTo(zUm: number): Promise<number> {
    // Checked before queueing too, so a bad request fails at once and never waits behind a move.
    try {
      assertWithinLimits(zUm, this.softLimits, 'Z');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.serialise(() => this.moveToChecked(zUm, null));
  }

  moveBy(dzUm: number): Promise<number> {
    if (!Number.isFinite(dzUm)) {
      return Promise.reject(
        new HardwareError('limit', `Z step ${dzUm} is not a finite number of micrometres; nothing was moved`),
      );
    }
    return this.serialise(async () => {
      const from = await this.position();
      const target = from + dzUm;
      assertWithinLimits(target, this.softLimits, 'Z');
      return this.moveToChecked(target, from);
    });
  }

  isBusy(): Promise<boolean> {
    return this.axis.isZBusy();
  }

  /** Stops at once: never queued behind the move it is meant to stop. */
  stop(): Promise<void> {
    return this.axis.stopZ();
  }

  async home(): Promise<number> {
    if (!this.axis.homeZ) throw new HardwareError('config', `${this.name} has no homing command`);
    await this.serialise(() => this.axis.homeZ!());
    this.lastDirection = 'none';
    return this.position();
  }

  async zero(): Promise<number> {
    if (!this.axis.zeroZ) throw new HardwareError('config', `${this.name} cannot set its zero`);
    await this.serialise(() => this.axis.zeroZ!());
    return this.position();
  }

  private async moveToChecked(zUm: number, knownFrom: number | null): Promise<number> {
    assertWithinLimits(zUm, this.softLimits, 'Z');
    const m = this.requireMapping();
    const native = quantizeWithinLimits(zUm, m, this.softLimits);
    if (native === null) {
      throw new HardwareError(
        'limit',
        `Z target ${zUm} um cannot be reached in whole controller steps inside the soft limits; nothing was moved`,
      );
    }
    // The check above is on the um target; this one is on what will actually be sent.
    assertWithinLimits(nativeToUm(native, m), this.softLimits, 'Z');
    const from = knownFrom ?? (await this.position());
    await this.axis.moveZTo(native);
    const reached = await this.position();
    if (zUm > from) this.lastDirection = 'up';
    else if (zUm < from) this.lastDirection = 'down';
    return reached;
  }

  private requireMapping(): AxisMapping {
    if (!this.mapping) throw new HardwareError('disconnected', `${this.name} is not connected`);
    return this.mapping;
  }

  private makeMapping(nativePerUm: number): AxisMapping {
    const m: AxisMapping = {
      nativePerUm,
      direction: this.options.direction ?? 1,
      resolutionNative: this.axis.resolutionNative,
    };
    checkMapping(m, 'Z');
    return m;
  }

  private serialise<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

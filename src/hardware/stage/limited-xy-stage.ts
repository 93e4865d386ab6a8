/** XYStage over a native XY driver, with soft limits on both axes checked before a byte is sent. */
import { assertWithinLimits, HardwareError, type AxisLimits, type XYPosition, type XYStage } from '../types';
import { checkLimits, checkMapping, nativeToUm, quantizeWithinLimits, type AxisMapping } from './mapping';
import type { NativeXYAxes } from './native';

export interface LimitedXYStageOptions {
  limits: { x: AxisLimits; y: AxisLimits };
  nativePerUm: { x: number; y: number };
  direction?: { x: 1 | -1; y: 1 | -1 };
  settleMs?: number;
}

export class LimitedXYStage implements XYStage {
  readonly name: string;
  private readonly mx: AxisMapping;
  private readonly my: AxisMapping;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly axes: NativeXYAxes,
    private readonly options: LimitedXYStageOptions,
  ) {
    this.name = axes.name;
    checkLimits(options.limits.x, 'X');
    checkLimits(options.limits.y, 'Y');
    this.mx = {
      nativePerUm: options.nativePerUm.x,
      direction: options.direction?.x ?? 1,
      resolutionNative: axes.resolutionNative,
    };
    this.my = {
      nativePerUm: options.nativePerUm.y,
      direction: options.direction?.y ?? 1,
      resolutionNative: axes.resolutionNative,
    };
    checkMapping(this.mx, 'X');
    checkMapping(this.my, 'Y');
  }

  connect(): Promise<void> {
    return this.axes.connect();
  }
  disconnect(): Promise<void> {
    return this.axes.disconnect();
  }
  isConnected(): boolean {
    return this.axes.isConnected();
  }
  limits(): { x: AxisLimits; y: AxisLimits } {
    return { x: { ...this.options.limits.x }, y: { ...this.options.limits.y } };
  }
  settleMs(): number {
    return this.options.settleMs ?? 0;
  }

  async position(): Promise<XYPosition> {
    const p = await this.axes.readXY();
    return { xUm: nativeToUm(p.x, this.mx), yUm: nativeToUm(p.y, this.my) };
  }

  moveTo(p: XYPosition): Promise<XYPosition> {
    try {
      assertWithinLimits(p.xUm, this.options.limits.x, 'X');
      assertWithinLimits(p.yUm, this.options.limits.y, 'Y');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.serialise(() => this.moveChecked(p));
  }

  moveBy(d: XYPosition): Promise<XYPosition> {
    if (!Number.isFinite(d.xUm) || !Number.isFinite(d.yUm)) {
      return Promise.reject(
        new HardwareError('limit', `XY step (${d.xUm}, ${d.yUm}) is not finite; nothing was moved`),
      );
    }
    return this.serialise(async () => {
      const from = await this.position();
      return this.moveChecked({ xUm: from.xUm + d.xUm, yUm: from.yUm + d.yUm });
    });
  }

  isBusy(): Promise<boolean> {
    return this.axes.isXYBusy();
  }
  stop(): Promise<void> {
    return this.axes.stopXY();
  }

  private async moveChecked(p: XYPosition): Promise<XYPosition> {
    assertWithinLimits(p.xUm, this.options.limits.x, 'X');
    assertWithinLimits(p.yUm, this.options.limits.y, 'Y');
    const x = quantizeWithinLimits(p.xUm, this.mx, this.options.limits.x);
    const y = quantizeWithinLimits(p.yUm, this.my, this.options.limits.y);
    if (x === null || y === null) {
      throw new HardwareError(
        'limit',
        `XY target cannot be reached in whole controller steps inside the soft limits; nothing was moved`,
      );
    }
    await this.axes.moveXYTo({ x, y });
    return this.position();
  }

  private serialise<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

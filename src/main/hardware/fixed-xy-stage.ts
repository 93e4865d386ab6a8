/**
 * The XY "stage" of a microscope without a motorised XY axis: it reports where the field is (0, 0) and accepts a
 * move only to where it already is, so single-position acquisitions and autofocus work and a grid says clearly
 * that it needs an XY stage.
 */
import { HardwareError, type AxisLimits, type XYPosition, type XYStage } from '../../hardware/types';

export class FixedXYStage implements XYStage {
  readonly name = 'No XY stage (fixed field)';
  private connected = true;

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  isConnected(): boolean {
    return this.connected;
  }

  limits(): { x: AxisLimits; y: AxisLimits } {
    return { x: { minUm: 0, maxUm: 0 }, y: { minUm: 0, maxUm: 0 } };
  }

  settleMs(): number {
    return 0;
  }

  async position(): Promise<XYPosition> {
    return { xUm: 0, yUm: 0 };
  }

  async moveTo(p: XYPosition): Promise<XYPosition> {
    if (Math.abs(p.xUm) > 1e-6 || Math.abs(p.yUm) > 1e-6) {
      throw new HardwareError(
        'config',
        `This hardware profile has no XY stage: cannot move to X ${p.xUm} um, Y ${p.yUm} um (only a single field)`,
      );
    }
    return { xUm: 0, yUm: 0 };
  }

  moveBy(d: XYPosition): Promise<XYPosition> {
    return this.moveTo(d);
  }

  async isBusy(): Promise<boolean> {
    return false;
  }

  async stop(): Promise<void> {}
}

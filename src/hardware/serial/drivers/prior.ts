/**
 * Prior ProScan driver (Z focus drive, and the XY stage). Native unit: steps; the controller
 * reports its um per step ("RES,Z"), used when the profile gives no steps per um.
 * Z only moves relatively (U/D), each answered by "R" when the move has ended.
 */
import type { NativeXY, NativeXYAxes, NativeZAxis } from '../../stage/native';
import { asHardwareError } from '../transport';
import {
  parsePriorXY,
  PRIOR_Z_MOVING_BIT,
  priorMoveXY,
  priorMoveZ,
  priorNumber,
  priorProtocol,
  priorZeroAck,
} from '../protocols/prior';
import { singleLine } from '../protocol';
import { SerialDriverBase, type SerialDriverOptions } from './base';

export class PriorDriver extends SerialDriverBase implements NativeZAxis, NativeXYAxes {
  readonly resolutionNative = 1;
  private zStepUm: number | undefined;
  /** A U/D/G command is waiting for its "R": the stage is moving, and a "$" query would queue behind it. */
  private movesInFlight = 0;

  constructor(options: SerialDriverOptions) {
    super(priorProtocol, options);
  }

  protected async setup(): Promise<void> {
    // Standard (not compatibility) mode: replies and "R" at the end of moves as documented.
    await this.request(priorZeroAck('COMP 0'));
    try {
      const res = await this.request(priorNumber('RES,Z', 'the Z resolution'));
      this.zStepUm = res > 0 ? res : undefined;
    } catch (err) {
      // A controller without a focus drive answers an error; the XY stage is still usable.
      if (asHardwareError(err).kind !== 'device') throw err;
      this.zStepUm = undefined;
    }
  }

  reportedNativePerUm(): number | undefined {
    return this.zStepUm ? 1 / this.zStepUm : undefined;
  }

  readZ(): Promise<number> {
    return this.request(priorNumber('PZ', 'the Z position'));
  }

  readXY(): Promise<NativeXY> {
    return this.request({ line: 'PS', collect: singleLine(parsePriorXY) });
  }

  async moveZTo(target: number): Promise<void> {
    const delta = Math.round(target - (await this.readZ()));
    if (delta !== 0) await this.trackMove(() => this.request(priorMoveZ(delta)));
    await this.waitUntil(
      async () => !(await this.isZBusy()),
      'the Z move',
      () => this.stopZ(),
    );
  }

  async moveXYTo(target: NativeXY): Promise<void> {
    await this.trackMove(() => this.request(priorMoveXY(Math.round(target.x), Math.round(target.y))));
    await this.waitUntil(
      async () => !(await this.isXYBusy()),
      'the XY move',
      () => this.stopXY(),
    );
  }

  async isZBusy(): Promise<boolean> {
    if (this.movesInFlight > 0) return true;
    return ((await this.request(priorNumber('$', 'the motion status'))) & PRIOR_Z_MOVING_BIT) !== 0;
  }

  async isXYBusy(): Promise<boolean> {
    if (this.movesInFlight > 0) return true;
    return ((await this.request(priorNumber('$', 'the motion status'))) & 3) !== 0;
  }

  /** "I" must reach the controller while a U/D command still waits for its "R": it bypasses the queue. */
  async stopZ(): Promise<void> {
    await this.live().sendUrgentLine('I');
  }

  stopXY(): Promise<void> {
    return this.stopZ();
  }

  private async trackMove(send: () => Promise<void>): Promise<void> {
    this.movesInFlight++;
    try {
      await send();
    } finally {
      this.movesInFlight--;
    }
  }

  async zeroZ(): Promise<void> {
    await this.request(priorZeroAck('PZ,0'));
  }
}

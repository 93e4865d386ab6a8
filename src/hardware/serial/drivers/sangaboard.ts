/**
 * OpenFlexure Sangaboard driver (Z, and XY). Native unit: motor steps. The board only moves
 * relatively, so an absolute target becomes "read p?, send the difference". Moves are
 * non-blocking ("blocking_moves false") so "stop" can reach the board while it moves.
 */
import type { NativeXY, NativeXYAxes, NativeZAxis } from '../../stage/native';
import {
  parseSangaboardMoving,
  parseSangaboardPosition,
  sangaboardAck,
  sangaboardProtocol,
} from '../protocols/sangaboard';
import { singleLine } from '../protocol';
import { SerialDriverBase, type SerialDriverOptions } from './base';

export class SangaboardDriver extends SerialDriverBase implements NativeZAxis, NativeXYAxes {
  readonly resolutionNative = 1;

  constructor(options: SerialDriverOptions) {
    super(sangaboardProtocol, options);
  }

  protected async setup(): Promise<void> {
    await this.request(sangaboardAck('blocking_moves false'));
  }

  private readAll(): Promise<[number, number, number]> {
    return this.request({ line: 'p?', collect: singleLine(parseSangaboardPosition) });
  }

  async readZ(): Promise<number> {
    return (await this.readAll())[2];
  }

  async readXY(): Promise<NativeXY> {
    const p = await this.readAll();
    return { x: p[0], y: p[1] };
  }

  async moveZTo(target: number): Promise<void> {
    const delta = Math.round(target - (await this.readAll())[2]);
    if (delta === 0) return;
    await this.request(sangaboardAck(`mrz ${delta}`, true));
    await this.waitForStop();
  }

  async moveXYTo(target: NativeXY): Promise<void> {
    const p = await this.readAll();
    const dx = Math.round(target.x - p[0]);
    const dy = Math.round(target.y - p[1]);
    if (dx === 0 && dy === 0) return;
    await this.request(sangaboardAck(`mr ${dx} ${dy} 0`, true));
    await this.waitForStop();
  }

  isZBusy(): Promise<boolean> {
    return this.request({ line: 'moving?', collect: singleLine(parseSangaboardMoving) });
  }

  isXYBusy(): Promise<boolean> {
    return this.isZBusy();
  }

  async stopZ(): Promise<void> {
    await this.request(sangaboardAck('stop'));
  }

  stopXY(): Promise<void> {
    return this.stopZ();
  }

  /** "zero" zeroes all three axes of the board. */
  async zeroZ(): Promise<void> {
    await this.request(sangaboardAck('zero'));
  }

  private waitForStop(): Promise<void> {
    return this.waitUntil(
      async () => !(await this.isZBusy()),
      'the move',
      () => this.stopZ(),
    );
  }
}

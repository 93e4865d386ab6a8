/**
 * Ludl MAC 5000/6000 driver (Z, and XY). Native unit: steps. Moves answer ":A" at once; the end
 * of the move is polled with "STATUS Z" (a bare B/N).
 */
import type { NativeXY, NativeXYAxes, NativeZAxis } from '../../stage/native';
import { colonA, colonANumbers } from '../protocols/asi';
import { ludlProtocol, ludlStatus } from '../protocols/ludl';
import { SerialDriverBase, type SerialDriverOptions } from './base';

export class LudlDriver extends SerialDriverBase implements NativeZAxis, NativeXYAxes {
  readonly resolutionNative = 1;

  constructor(options: SerialDriverOptions) {
    super(ludlProtocol, options);
  }

  protected async setup(): Promise<void> {
    await this.readZ();
  }

  async readZ(): Promise<number> {
    return (await this.request(colonANumbers('WHERE Z', 1)))[0];
  }

  async readXY(): Promise<NativeXY> {
    const [x, y] = await this.request(colonANumbers('WHERE X Y', 2));
    return { x, y };
  }

  async moveZTo(target: number): Promise<void> {
    await this.request({ ...colonA(`MOVE Z=${Math.round(target)}`), isMove: true });
    await this.waitUntil(
      async () => !(await this.isZBusy()),
      'the Z move',
      () => this.stopZ(),
    );
  }

  async moveXYTo(target: NativeXY): Promise<void> {
    await this.request({ ...colonA(`MOVE X=${Math.round(target.x)} Y=${Math.round(target.y)}`), isMove: true });
    await this.waitUntil(
      async () => !(await this.isXYBusy()),
      'the XY move',
      () => this.stopXY(),
    );
  }

  isZBusy(): Promise<boolean> {
    return this.request(ludlStatus('Z'));
  }

  async isXYBusy(): Promise<boolean> {
    return (await this.request(ludlStatus('X'))) || (await this.request(ludlStatus('Y')));
  }

  async stopZ(): Promise<void> {
    await this.request(colonA('HALT'));
  }

  stopXY(): Promise<void> {
    return this.stopZ();
  }

  async zeroZ(): Promise<void> {
    await this.request(colonA('HERE Z=0'));
  }
}

/**
 * ASI MS-2000 driver (Z, and XY). Native unit: tenths of a micrometre. Moves answer ":A" at once;
 * the end of the move is polled with "/".
 */
import type { NativeXY, NativeXYAxes, NativeZAxis } from '../../stage/native';
import { asiBusy, asiProtocol, colonA, colonANumbers, formatAsi } from '../protocols/asi';
import { SerialDriverBase, type SerialDriverOptions } from './base';

export class AsiDriver extends SerialDriverBase implements NativeZAxis, NativeXYAxes {
  readonly resolutionNative = 0.1;

  constructor(options: SerialDriverOptions) {
    super(asiProtocol, options);
  }

  protected async setup(): Promise<void> {
    await this.readZ();
  }

  async readZ(): Promise<number> {
    return (await this.request(colonANumbers('W Z', 1)))[0];
  }

  async readXY(): Promise<NativeXY> {
    const [x, y] = await this.request(colonANumbers('W X Y', 2));
    return { x, y };
  }

  async moveZTo(target: number): Promise<void> {
    await this.request({ ...colonA(`M Z=${formatAsi(target)}`), isMove: true });
    await this.waitIdle('the Z move');
  }

  async moveXYTo(target: NativeXY): Promise<void> {
    await this.request({ ...colonA(`M X=${formatAsi(target.x)} Y=${formatAsi(target.y)}`), isMove: true });
    await this.waitIdle('the XY move');
  }

  isZBusy(): Promise<boolean> {
    return this.request(asiBusy());
  }

  isXYBusy(): Promise<boolean> {
    return this.request(asiBusy());
  }

  /** HALT ("\") stops every axis. */
  async stopZ(): Promise<void> {
    await this.request(colonA('\\'));
  }

  stopXY(): Promise<void> {
    return this.stopZ();
  }

  async zeroZ(): Promise<void> {
    await this.request(colonA('H Z'));
  }

  private waitIdle(what: string): Promise<void> {
    return this.waitUntil(
      async () => !(await this.request(asiBusy())),
      what,
      () => this.stopZ(),
    );
  }
}

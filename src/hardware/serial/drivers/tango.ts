/**
 * Marzhauser Tango driver (Z, and XY). Native unit: um ("!dim <axis> 1"). Setting commands are
 * silent, so every move is followed by "?err"; the end of a move is polled with "?statusaxis".
 */
import type { NativeXY, NativeXYAxes, NativeZAxis } from '../../stage/native';
import { formatTango, tangoErrorFor, tangoNumber, tangoProtocol, tangoQuery, tangoSet } from '../protocols/tango';
import { SerialDriverBase, type SerialDriverOptions } from './base';

const AXIS_INDEX = { x: 0, y: 1, z: 2 } as const;

export class TangoDriver extends SerialDriverBase implements NativeZAxis, NativeXYAxes {
  readonly resolutionNative = 1e-3;

  constructor(options: SerialDriverOptions) {
    super(tangoProtocol, options);
  }

  protected async setup(): Promise<void> {
    await this.request(tangoSet('!autostatus 0'));
    // Read away any error code left from before we connected, so it is not blamed on our commands.
    await this.request(tangoNumber('?err', 'the error code'));
    await this.checked('!dim z 1');
  }

  readZ(): Promise<number> {
    return this.request(tangoNumber('?pos z', 'the Z position'));
  }

  async readXY(): Promise<NativeXY> {
    await this.checked('!dim x 1');
    await this.checked('!dim y 1');
    const x = await this.request(tangoNumber('?pos x', 'the X position'));
    const y = await this.request(tangoNumber('?pos y', 'the Y position'));
    return { x, y };
  }

  async moveZTo(target: number): Promise<void> {
    await this.checked(`!moa z ${formatTango(target)}`);
    await this.waitUntil(
      async () => !(await this.isZBusy()),
      'the Z move',
      () => this.stopZ(),
    );
  }

  async moveXYTo(target: NativeXY): Promise<void> {
    await this.checked('!dim x 1');
    await this.checked('!dim y 1');
    await this.checked(`!moa ${formatTango(target.x)} ${formatTango(target.y)}`);
    await this.waitUntil(
      async () => !(await this.isXYBusy()),
      'the XY move',
      () => this.stopXY(),
    );
  }

  async isZBusy(): Promise<boolean> {
    return (await this.axisStatus()).z === 'M';
  }

  async isXYBusy(): Promise<boolean> {
    const s = await this.axisStatus();
    return s.x === 'M' || s.y === 'M';
  }

  async stopZ(): Promise<void> {
    await this.request(tangoSet('a z'));
  }

  async stopXY(): Promise<void> {
    await this.request(tangoSet('a x'));
    await this.request(tangoSet('a y'));
  }

  async zeroZ(): Promise<void> {
    await this.checked('!pos z 0');
  }

  private async axisStatus(): Promise<{ x: string; y: string; z: string }> {
    const s = await this.request(tangoQuery('?statusaxis'));
    return { x: s[AXIS_INDEX.x] ?? '-', y: s[AXIS_INDEX.y] ?? '-', z: s[AXIS_INDEX.z] ?? '-' };
  }

  /** Sends a silent "!" command and reads "?err" so a rejected command is never mistaken for success. */
  private async checked(line: string): Promise<void> {
    await this.request(tangoSet(line));
    const code = await this.request(tangoNumber('?err', 'the error code'));
    const err = tangoErrorFor(code, line);
    if (err) throw err;
  }
}

/**
 * GRBL 1.1 stage driver (Z, and XY on the same board). Native unit: mm (work coordinates).
 * Moves are absolute jogs ($J=G90 ...) so a jog cancel (0x85) stops them cleanly without losing
 * position; the end of a move is seen in the realtime status report.
 */
import { HardwareError } from '../../types';
import type { NativeXY, NativeXYAxes, NativeZAxis } from '../../stage/native';
import {
  GRBL_ALARMS,
  GRBL_REALTIME,
  grblJogTo,
  grblOk,
  grblProtocol,
  parseGrblStatus,
  type GrblStatus,
} from '../protocols/grbl';
import { SerialDriverBase, type SerialDriverOptions } from './base';

export interface GrblDriverOptions extends SerialDriverOptions {
  /** Jog feed rate (mm/min). */
  feedMmPerMin?: number;
}

/** 0.1 um: finer than any GRBL-driven focus stage resolves, coarse enough to keep command text short. */
const GRBL_RESOLUTION_MM = 1e-4;
const AT_TARGET_MM = 6e-4;
const REPORT_HALF_DIGIT_MM = 5e-4 + 1e-9;

export class GrblDriver extends SerialDriverBase implements NativeZAxis, NativeXYAxes {
  readonly resolutionNative = GRBL_RESOLUTION_MM;
  private wco: [number, number, number] = [0, 0, 0];
  private stopRequested = false;
  private lastAlarm: string | null = null;
  /** Last commanded work position per axis (mm): status reports carry only 3 decimals (1 um). */
  private commanded: [number | null, number | null, number | null] = [null, null, null];

  constructor(private readonly grblOptions: GrblDriverOptions) {
    super(grblProtocol, grblOptions);
  }

  protected async setup(): Promise<void> {
    this.live().onPush((line) => {
      const m = /^ALARM:(\d+)/.exec(line);
      if (m) this.lastAlarm = `ALARM:${m[1]} (${GRBL_ALARMS[Number(m[1])] ?? 'see the GRBL alarm codes'})`;
    });
    const status = await this.status();
    if (status.state === 'Alarm') this.lastAlarm ??= 'Alarm state at connect (home with $H or unlock with $X)';
  }

  /** One realtime status report; '?' bypasses the line queue. */
  async status(): Promise<GrblStatus> {
    const t = this.live();
    let cleanup = () => {};
    const report = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A vanished device closes the transport, whose close listener reports the disconnect.
        if (!t.checkPresence()) return;
        cleanup();
        reject(
          new HardwareError('timeout', `${this.name}: no status report within ${this.protocol.defaultTimeoutMs} ms`),
        );
      }, this.protocol.defaultTimeoutMs);
      const offPush = t.onPush((line) => {
        if (!line.startsWith('<')) return;
        cleanup();
        resolve(line);
      });
      const offClose = t.onClose((reason) => {
        cleanup();
        reject(new HardwareError('disconnected', `${this.name}: ${reason}`));
      });
      cleanup = () => {
        clearTimeout(timer);
        offPush();
        offClose();
      };
    });
    try {
      await t.sendRealtime(GRBL_REALTIME.status);
    } catch (err) {
      cleanup();
      report.catch(() => undefined);
      throw err;
    }
    const s = parseGrblStatus(await report);
    if (s.wco) this.wco = s.wco;
    return s;
  }

  async readZ(): Promise<number> {
    return this.workPosition(await this.status())[2];
  }

  async readXY(): Promise<NativeXY> {
    const p = this.workPosition(await this.status());
    return { x: p[0], y: p[1] };
  }

  async moveZTo(targetMm: number): Promise<void> {
    await this.jog({ z: targetMm });
  }

  async moveXYTo(target: NativeXY): Promise<void> {
    await this.jog({ x: target.x, y: target.y });
  }

  async isZBusy(): Promise<boolean> {
    return isMoving((await this.status()).state);
  }

  isXYBusy(): Promise<boolean> {
    return this.isZBusy();
  }

  async stopZ(): Promise<void> {
    this.stopRequested = true;
    await this.live().sendRealtime(GRBL_REALTIME.jogCancel);
  }

  stopXY(): Promise<void> {
    return this.stopZ();
  }

  async homeZ(): Promise<void> {
    await this.request(grblOk('$H', this.protocol.moveTimeoutMs));
    this.lastAlarm = null;
  }

  async zeroZ(): Promise<void> {
    await this.request(grblOk('G10 L20 P1 Z0'));
    this.commanded[2] = 0;
    await this.status();
  }

  private async jog(target: { x?: number; y?: number; z?: number }): Promise<void> {
    if (this.lastAlarm) {
      throw new HardwareError('device', `${this.name} is in alarm (${this.lastAlarm}); nothing was moved`);
    }
    this.stopRequested = false;
    this.commanded = [target.x ?? this.commanded[0], target.y ?? this.commanded[1], target.z ?? this.commanded[2]];
    const feed = this.grblOptions.feedMmPerMin ?? 100;
    await this.request(grblOk(grblJogTo(target, feed)));
    let sawMotion = false;
    const idleSince = Date.now();
    await this.waitUntil(
      async () => {
        const s = await this.status();
        if (s.state === 'Alarm') {
          throw new HardwareError(
            'device',
            `${this.name} went into alarm during the move (${this.lastAlarm ?? 'Alarm'})`,
          );
        }
        if (isMoving(s.state)) {
          sawMotion = true;
          return false;
        }
        const p = this.workPosition(s);
        const arrived = (['x', 'y', 'z'] as const).every(
          (a, i) => target[a] === undefined || Math.abs(p[i] - target[a]!) <= AT_TARGET_MM,
        );
        if (arrived || this.stopRequested || sawMotion) return true;
        // The planner may not have started yet; give it a moment before calling the jog lost.
        if (Date.now() - idleSince > 1000) {
          throw new HardwareError('device', `${this.name} accepted the jog but never moved`);
        }
        return false;
      },
      'the jog',
      () => this.stopZ(),
    );
  }

  private workPosition(s: GrblStatus): [number, number, number] {
    let p: [number, number, number];
    if (s.wpos) p = s.wpos;
    else if (s.mpos) p = [s.mpos[0] - this.wco[0], s.mpos[1] - this.wco[1], s.mpos[2] - this.wco[2]];
    else throw new HardwareError('protocol', `${this.name}: status report has neither MPos nor WPos`);
    // A report that agrees with the commanded target to its 3 decimals means the target was reached.
    return p.map((v, i) => {
      const c = this.commanded[i];
      return !isMoving(s.state) && c !== null && Math.abs(v - c) <= REPORT_HALF_DIGIT_MM ? c : v;
    }) as [number, number, number];
  }
}

function isMoving(state: string): boolean {
  return state === 'Run' || state === 'Jog' || state === 'Home';
}

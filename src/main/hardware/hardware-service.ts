/**
 * The app's view of the microscope in use: status, jogging, absolute moves, stop and the live preview, plus the
 * link state (connected, disconnected on purpose, or lost when a device dropped).
 * Every stage move goes through the device's own soft-limit check; jogs that arrive while the stage is moving
 * are merged into one follow-up move, so a held key never queues a runaway list of moves.
 */
import type { Axis, HardwareConnection, HardwareStatus, Preview, StagePosition } from '../../shared/schemas/hardware';
import { AppError } from '../../shared/errors';
import { depthOfFieldUm } from '../../shared/optics';
import { HardwareError } from '../../hardware/types';
import type { EventBus } from '../events';
import { logger } from '../log';
import { disconnectedMicroscope, NOT_CONNECTED } from './disconnected-microscope';
import type { Microscope } from './microscope';
import { makePreview } from './preview';
import { watchDevice } from './watch-device';

/** Who the devices came from, as the service reports it. */
export interface LinkInfo {
  profileId: string | null;
  builtin: boolean;
  /** A note for the operator (e.g. the fallback to the virtual microscope at start). */
  message?: string | null;
}

export class HardwareService {
  private pending: Record<Axis, number> = { z: 0, x: 0, y: 0 };
  private moving: Partial<Record<Axis, Promise<StagePosition>>> = {};
  private microscope: Microscope;
  private link: HardwareConnection;
  private lastPosition: StagePosition = { zUm: 0, xUm: 0, yUm: 0, busy: false };

  constructor(
    microscope: Microscope,
    private readonly bus: EventBus,
    link: LinkInfo = { profileId: null, builtin: false },
  ) {
    this.microscope = this.watched(microscope);
    this.link = this.linkOf('connected', microscope.profileName, link);
  }

  get devices(): Microscope {
    return this.microscope;
  }

  connection(): HardwareConnection {
    return { ...this.link };
  }

  /** Replace the devices (another hardware profile); the old ones are closed. */
  async replace(next: Microscope, link: LinkInfo = { profileId: null, builtin: false }): Promise<void> {
    const old = this.microscope;
    this.microscope = this.watched(next);
    this.pending = { z: 0, x: 0, y: 0 };
    this.setLink(this.linkOf('connected', next.profileName, link));
    await old.close().catch((err: unknown) => logger.warn({ err }, 'closing the previous devices failed'));
    await this.publishPosition().catch(() => undefined);
  }

  /** Close the devices; until the next replace() every device call says "not connected". */
  async disconnect(): Promise<void> {
    const old = this.microscope;
    this.microscope = disconnectedMicroscope(old);
    this.pending = { z: 0, x: 0, y: 0 };
    this.setLink({ ...this.link, state: 'disconnected', since: Date.now(), message: null });
    await old.close().catch((err: unknown) => logger.warn({ err }, 'closing the devices failed'));
  }

  /** Announce a connect in progress (the devices in use stay until it succeeds). */
  connecting(profileName: string, link: LinkInfo): void {
    this.bus.emit('hardware.connection', { ...this.linkOf('connecting', profileName, link), message: null });
  }

  /** Repeat the current state (after a failed connect the UI must leave "connecting"). */
  announce(): void {
    this.bus.emit('hardware.connection', this.connection());
  }

  async status(): Promise<HardwareStatus> {
    const { camera, zStage, xyStage } = this.microscope;
    const info = camera.info();
    return {
      connected: this.link.state === 'connected' && camera.isOpen() && zStage.isConnected() && xyStage.isConnected(),
      profile: this.microscope.profileName,
      camera: { ...info, exposureMs: camera.getExposureMs() },
      zStage: { name: zStage.name, limits: zStage.limits(), settleMs: zStage.settleMs() },
      xyStage: { name: xyStage.name, limits: xyStage.limits() },
      position: await this.position(),
      setupId: this.microscope.setupId,
      optics: this.microscope.setup ?? null,
      depthOfFieldUm: this.microscope.setup ? depthOfFieldUm(this.microscope.setup) : null,
      connection: this.connection(),
    };
  }

  /** The stage position; while the link is down, the last one known (busy false). */
  async position(): Promise<StagePosition> {
    if (this.link.state === 'disconnected') return { ...this.lastPosition, busy: false };
    try {
      const { zStage, xyStage } = this.microscope;
      const [zUm, xy, zBusy, xyBusy] = await Promise.all([
        zStage.position(),
        xyStage.position(),
        zStage.isBusy(),
        xyStage.isBusy(),
      ]);
      this.lastPosition = { zUm, xUm: xy.xUm, yUm: xy.yUm, busy: zBusy || xyBusy };
      return { ...this.lastPosition };
    } catch (err) {
      if (err instanceof HardwareError && err.kind === 'disconnected') return { ...this.lastPosition, busy: false };
      throw err;
    }
  }

  /** Relative move; merged with jogs that arrive while the axis is still moving. */
  async jog(axis: Axis, deltaUm: number): Promise<StagePosition> {
    this.assertLinked();
    this.pending[axis] += deltaUm;
    while (this.moving[axis]) await this.moving[axis];
    const delta = this.pending[axis];
    this.pending[axis] = 0;
    if (delta === 0) return this.position();
    return this.track(axis, async () => {
      const { zStage, xyStage } = this.microscope;
      if (axis === 'z') await zStage.moveBy(delta);
      else await xyStage.moveBy(axis === 'x' ? { xUm: delta, yUm: 0 } : { xUm: 0, yUm: delta });
    });
  }

  async moveTo(axis: Axis, targetUm: number): Promise<StagePosition> {
    this.assertLinked();
    while (this.moving[axis]) await this.moving[axis];
    return this.track(axis, async () => {
      const { zStage, xyStage } = this.microscope;
      if (axis === 'z') {
        await zStage.moveTo(targetUm);
      } else {
        const here = await xyStage.position();
        await xyStage.moveTo(axis === 'x' ? { ...here, xUm: targetUm } : { ...here, yUm: targetUm });
      }
    });
  }

  /** Stops every axis; never refused, whatever the link state (a stop must always be safe to press). */
  async stop(): Promise<StagePosition> {
    this.pending = { z: 0, x: 0, y: 0 };
    const { zStage, xyStage } = this.microscope;
    await Promise.allSettled([zStage.stop(), xyStage.stop()]);
    return this.publishPosition();
  }

  async preview(maxSize: number, quality: number): Promise<Preview> {
    if (this.link.state === 'disconnected') throw new AppError('CONFLICT', NOT_CONNECTED);
    const { camera } = this.microscope;
    if (!camera.isOpen()) throw new AppError('CONFLICT', 'The camera is not open: connect the hardware first');
    const frame = await camera.snap();
    if (frame.zUm === undefined) frame.zUm = await this.microscope.zStage.position().catch(() => this.lastPosition.zUm);
    return makePreview(frame, maxSize, quality);
  }

  async setExposure(ms: number): Promise<void> {
    this.assertLinked();
    await this.microscope.camera.setExposureMs(ms);
  }

  private assertLinked(): void {
    if (this.link.state === 'disconnected') throw new AppError('CONFLICT', NOT_CONNECTED);
  }

  /** The devices, wrapped so that a dropped link is noticed whoever is calling. */
  private watched(m: Microscope): Microscope {
    const onLost = (err: HardwareError) => {
      if (this.microscope === watched) this.deviceLost(err);
    };
    const watched: Microscope = {
      ...m,
      camera: watchDevice(m.camera, onLost),
      zStage: watchDevice(m.zStage, onLost),
      xyStage: watchDevice(m.xyStage, onLost),
    };
    return watched;
  }

  private deviceLost(err: HardwareError): void {
    if (this.link.state !== 'connected') return;
    this.setLink({ ...this.link, state: 'lost', since: Date.now(), message: err.message });
    this.bus.emit('notice', {
      level: 'error',
      message: `Hardware connection lost: ${err.message}. Reconnect on the Hardware page.`,
    });
  }

  private linkOf(state: HardwareConnection['state'], profileName: string, link: LinkInfo): HardwareConnection {
    return {
      state,
      profileId: link.profileId,
      profileName,
      builtin: link.builtin,
      since: Date.now(),
      message: link.message ?? null,
    };
  }

  private setLink(link: HardwareConnection): void {
    this.link = link;
    this.bus.emit('hardware.connection', { ...link });
  }

  private async track(axis: Axis, move: () => Promise<void>): Promise<StagePosition> {
    const run = (async () => {
      try {
        await move();
      } finally {
        delete this.moving[axis];
      }
      return this.publishPosition();
    })();
    this.moving[axis] = run.catch(() => this.position());
    return run;
  }

  private async publishPosition(): Promise<StagePosition> {
    const position = await this.position();
    this.bus.emit('stage.position', position);
    return position;
  }
}

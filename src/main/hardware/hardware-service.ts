/**
 * The app's view of the microscope in use: status, jogging, absolute moves, stop and the live preview.
 * Every stage move goes through the device's own soft-limit check; jogs that arrive while the stage is moving
 * are merged into one follow-up move, so a held key never queues a runaway list of moves.
 */
import type { Axis, HardwareStatus, Preview, StagePosition } from '../../shared/schemas/hardware';
import { AppError } from '../../shared/errors';
import { depthOfFieldUm } from '../../shared/optics';
import type { EventBus } from '../events';
import type { Microscope } from './microscope';
import { makePreview } from './preview';

export class HardwareService {
  private pending: Record<Axis, number> = { z: 0, x: 0, y: 0 };
  private moving: Partial<Record<Axis, Promise<StagePosition>>> = {};

  constructor(
    private microscope: Microscope,
    private readonly bus: EventBus,
  ) {}

  get devices(): Microscope {
    return this.microscope;
  }

  /** Replace the devices (another hardware profile); the old ones are closed first. */
  async replace(next: Microscope): Promise<void> {
    const old = this.microscope;
    this.microscope = next;
    await old.close();
    await this.publishPosition();
  }

  async status(): Promise<HardwareStatus> {
    const { camera, zStage, xyStage } = this.microscope;
    const info = camera.info();
    return {
      connected: camera.isOpen() && zStage.isConnected() && xyStage.isConnected(),
      profile: this.microscope.profileName,
      camera: { ...info, exposureMs: camera.getExposureMs() },
      zStage: { name: zStage.name, limits: zStage.limits(), settleMs: zStage.settleMs() },
      xyStage: { name: xyStage.name, limits: xyStage.limits() },
      position: await this.position(),
      setupId: this.microscope.setupId,
      optics: this.microscope.setup ?? null,
      depthOfFieldUm: this.microscope.setup ? depthOfFieldUm(this.microscope.setup) : null,
    };
  }

  async position(): Promise<StagePosition> {
    const { zStage, xyStage } = this.microscope;
    const [zUm, xy, zBusy, xyBusy] = await Promise.all([
      zStage.position(),
      xyStage.position(),
      zStage.isBusy(),
      xyStage.isBusy(),
    ]);
    return { zUm, xUm: xy.xUm, yUm: xy.yUm, busy: zBusy || xyBusy };
  }

  /** Relative move; merged with jogs that arrive while the axis is still moving. */
  async jog(axis: Axis, deltaUm: number): Promise<StagePosition> {
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

  async stop(): Promise<StagePosition> {
    this.pending = { z: 0, x: 0, y: 0 };
    const { zStage, xyStage } = this.microscope;
    await Promise.allSettled([zStage.stop(), xyStage.stop()]);
    return this.publishPosition();
  }

  async preview(maxSize: number, quality: number): Promise<Preview> {
    const { camera } = this.microscope;
    if (!camera.isOpen()) throw new AppError('CONFLICT', 'The camera is not open: connect the hardware first');
    const frame = await camera.snap();
    if (frame.zUm === undefined) frame.zUm = await this.microscope.zStage.position();
    return makePreview(frame, maxSize, quality);
  }

  async setExposure(ms: number): Promise<void> {
    await this.microscope.camera.setExposureMs(ms);
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

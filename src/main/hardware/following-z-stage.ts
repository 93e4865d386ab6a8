/**
 * A real (serial) Z stage seen through the virtual microscope's camera: every position the controller reports is
 * mirrored onto the simulator's Z axis, so the simulated camera renders the defocus of the real stage. This is the
 * demo mode of `focus-station emulate` (a controller emulator on a pseudo-terminal plus the virtual camera) and lets
 * tests drive real serial I/O with real images.
 */
import type { SimZStage } from '../../hardware/sim';
import type { LimitedZStage, MoveDirection } from '../../hardware/stage/limited-z-stage';
import type { AxisLimits, ZStage } from '../../hardware/types';

export class FollowingZStage implements ZStage {
  readonly name: string;

  constructor(
    readonly stage: LimitedZStage,
    private readonly follower: SimZStage,
  ) {
    this.name = stage.name;
  }

  async connect(): Promise<void> {
    await this.stage.connect();
    await this.follow(await this.stage.position());
  }

  disconnect(): Promise<void> {
    return this.stage.disconnect();
  }

  isConnected(): boolean {
    return this.stage.isConnected();
  }

  limits(): AxisLimits {
    return this.stage.limits();
  }

  settleMs(): number {
    return this.stage.settleMs();
  }

  backlashUm(): number {
    return this.stage.backlashUm();
  }

  /** For backlash-aware approaches (stage/approach.ts). */
  lastMoveDirection(): MoveDirection {
    return this.stage.lastMoveDirection();
  }

  async position(): Promise<number> {
    return this.follow(await this.stage.position());
  }

  async moveTo(zUm: number): Promise<number> {
    return this.follow(await this.stage.moveTo(zUm));
  }

  async moveBy(dzUm: number): Promise<number> {
    return this.follow(await this.stage.moveBy(dzUm));
  }

  isBusy(): Promise<boolean> {
    return this.stage.isBusy();
  }

  async stop(): Promise<void> {
    await this.stage.stop();
    await this.follow(await this.stage.position());
  }

  private async follow(zUm: number): Promise<number> {
    const l = this.follower.limits();
    await this.follower.moveTo(Math.min(l.maxUm, Math.max(l.minUm, zUm)));
    return zUm;
  }
}

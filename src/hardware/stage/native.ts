/**
 * What a stage driver speaks: positions in the controller's own units ("native": steps, mm,
 * tenths of um...) and its own axis direction. Only the limited stages (limited-z-stage.ts,
 * limited-xy-stage.ts) talk to these, after the soft-limit check and the unit mapping.
 */

export interface NativeAxisInfo {
  /** Smallest native increment the controller accepts (1 for step counts, 1e-4 for GRBL mm). */
  readonly resolutionNative: number;
  /** Native units per um the controller reported itself (Prior RES,Z), when it can. */
  reportedNativePerUm?(): number | undefined;
}

export interface NativeZAxis extends NativeAxisInfo {
  readonly name: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  readZ(): Promise<number>;
  /** Moves to an absolute native position; resolves once the controller reports the move has ended. */
  moveZTo(targetNative: number): Promise<void>;
  isZBusy(): Promise<boolean>;
  stopZ(): Promise<void>;
  /** Runs the controller's homing cycle, where it has one. */
  homeZ?(): Promise<void>;
  /** Declares the current position native 0, where the controller supports it. */
  zeroZ?(): Promise<void>;
}

export interface NativeXY {
  x: number;
  y: number;
}

export interface NativeXYAxes extends NativeAxisInfo {
  readonly name: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  readXY(): Promise<NativeXY>;
  moveXYTo(target: NativeXY): Promise<void>;
  isXYBusy(): Promise<boolean>;
  stopXY(): Promise<void>;
}

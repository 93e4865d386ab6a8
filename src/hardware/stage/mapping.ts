/**
 * um <-> native unit mapping for one axis: native = direction * um * nativePerUm.
 * direction -1 maps a controller whose positive direction brings the objective towards the sample
 * (DESIGN.md: +z moves the objective away from the sample).
 */
import { HardwareError, type AxisLimits } from '../types';

export interface AxisMapping {
  /** Native units per micrometre (steps per um, 0.001 for GRBL mm, 10 for ASI tenths of um). */
  nativePerUm: number;
  direction: 1 | -1;
  /** Smallest native increment. */
  resolutionNative: number;
}

export function checkMapping(m: AxisMapping, axis: string): void {
  if (!Number.isFinite(m.nativePerUm) || m.nativePerUm <= 0) {
    throw new HardwareError(
      'config',
      `${axis} axis: native units per um must be a positive number, got ${m.nativePerUm}`,
    );
  }
  if (m.direction !== 1 && m.direction !== -1) {
    throw new HardwareError('config', `${axis} axis: direction must be +1 or -1, got ${String(m.direction)}`);
  }
  if (!Number.isFinite(m.resolutionNative) || m.resolutionNative <= 0) {
    throw new HardwareError('config', `${axis} axis: resolution must be positive, got ${m.resolutionNative}`);
  }
}

export function checkLimits(l: AxisLimits, axis: string): void {
  if (!Number.isFinite(l.minUm) || !Number.isFinite(l.maxUm) || l.minUm > l.maxUm) {
    throw new HardwareError('config', `${axis} soft limits must be finite with min <= max, got ${l.minUm}..${l.maxUm}`);
  }
}

export function nativeToUm(native: number, m: AxisMapping): number {
  return (m.direction * native) / m.nativePerUm;
}

export function umToNativeExact(um: number, m: AxisMapping): number {
  return m.direction * um * m.nativePerUm;
}

/**
 * The native target for a checked um target, snapped to the controller's resolution. When snapping
 * to the nearest increment would cross a soft limit, it snaps towards the inside instead.
 * Returns null when no representable position lies within the limits near the target.
 */
export function quantizeWithinLimits(um: number, m: AxisMapping, limits: AxisLimits): number | null {
  const exact = umToNativeExact(um, m);
  const r = m.resolutionNative;
  const candidates = [Math.round(exact / r) * r, Math.floor(exact / r) * r, Math.ceil(exact / r) * r];
  for (const c of candidates) {
    const back = nativeToUm(c, m);
    if (back >= limits.minUm - 1e-9 && back <= limits.maxUm + 1e-9) return cleanFloat(c, r);
  }
  return null;
}

/** Removes float noise like 0.30000000000000004 so command text stays short and exact. */
function cleanFloat(value: number, resolution: number): number {
  const decimals = Math.max(0, Math.min(12, Math.ceil(-Math.log10(resolution)) + 1));
  return Number(value.toFixed(decimals));
}

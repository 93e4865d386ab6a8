/** Progress and cancellation shared by the calibration steps. */
import { HardwareError } from '../types';

export interface CalibrationProgress {
  step: 'direction' | 'um-per-step' | 'backlash' | 'settle' | 'depth-of-field';
  /** 0..1 within this step. */
  fraction: number;
  message: string;
}

export interface StepOptions {
  onProgress?: (p: CalibrationProgress) => void;
  signal?: AbortSignal;
}

export function checkAborted(signal: AbortSignal | undefined, step: string): void {
  if (signal?.aborted) throw new HardwareError('config', `The ${step} calibration was cancelled`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

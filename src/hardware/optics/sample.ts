/**
 * Thin sample model: complex transmission t_c = exp(-a_c + i*phi_c) per colour channel, from the slide's optical
 * density OD_c = -ln(I_c / I_white) (natural-log Beer-Lambert absorbance of INTENSITY):
 *   |t_c|^2 = exp(-s_a * OD'_c)                  (amplitude absorption a_c = s_a * OD'_c / 2)
 *   phi_c  = s_phi * (0.55 / lambda_c) * mean(OD')  (phase tracks tissue mass; optical path is what is fixed,
 *                                                   so the phase in radians scales with 1/lambda)
 * where OD' = M * OD (M: optional 3x3 stain-colour matrix, identity by default) and s_a, s_phi come from the sample
 * options (stained: s_a = 1, s_phi = 0.3 rad; unstained: s_a = 0.15, s_phi = 1 rad). With s_a = 1 and no defocus,
 * the rendered frame reproduces the slide's transmittance.
 */
import { SAMPLE_DEFAULTS, type SampleOptions } from '../../shared/optics';
import { mirrorIndex, type SlideRaster } from './slide';

export const PHASE_REFERENCE_WAVELENGTH_UM = 0.55;

export interface ResolvedSample {
  absorptionScale: number;
  phaseScaleRad: number;
  stainMatrix?: number[];
  /**
   * Textbook weak-object linearisation (|t|^2 -> 1 - 2a, phase unweighted). Only for comparing models: it is wrong
   * for stained tissue, where a > 1.
   */
  weakObject?: boolean;
}

export function resolveSample(s: SampleOptions | undefined): ResolvedSample {
  const kind = s?.kind ?? 'stained';
  const d = SAMPLE_DEFAULTS[kind];
  return {
    absorptionScale: s?.absorptionScale ?? d.absorptionScale,
    phaseScaleRad: s?.phaseScaleRad ?? d.phaseScaleRad,
    ...(s?.stainMatrix ? { stainMatrix: [...s.stainMatrix] } : {}),
  };
}

export function sampleKey(s: ResolvedSample): string {
  return `${s.absorptionScale}|${s.phaseScaleRad}|${s.stainMatrix?.join(',') ?? 'I'}|${s.weakObject ? 'weak' : ''}`;
}

/** Where a field window sits on the mirror-tiled slide raster: grid index of the window's (0,0). */
export interface FieldWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/**
 * Fills, for each requested channel, the intensity transmission |t|^2 and the product |t|^2*phi over a window of
 * the mirror-tiled slide. Channel indices: 0 = R, 1 = G, 2 = B.
 */
export function fillSampleMaps(
  raster: SlideRaster,
  win: FieldWindow,
  sample: ResolvedSample,
  channels: number[],
  wavelengths: number[],
  out: { m: Float32Array; n: Float32Array }[],
): void {
  const { width: W, height: H } = win;
  const colIdx = new Int32Array(W);
  for (let x = 0; x < W; x++) colIdx[x] = mirrorIndex(win.x0 + x, raster.width);
  const M = sample.stainMatrix;
  const sa = sample.absorptionScale;
  const plainAbsorption = !M && sa === 1;
  const weak = sample.weakObject === true;
  const phaseK = channels.map((_, i) => (sample.phaseScaleRad * PHASE_REFERENCE_WAVELENGTH_UM) / wavelengths[i]);
  const [o0, o1, o2] = raster.od;
  const od = [0, 0, 0];
  for (let y = 0; y < H; y++) {
    const rowBase = mirrorIndex(win.y0 + y, raster.height) * raster.width;
    const outBase = y * W;
    for (let x = 0; x < W; x++) {
      const si = rowBase + colIdx[x];
      let d0 = o0[si];
      let d1 = o1[si];
      let d2 = o2[si];
      if (M) {
        const e0 = M[0] * d0 + M[1] * d1 + M[2] * d2;
        const e1 = M[3] * d0 + M[4] * d1 + M[5] * d2;
        const e2 = M[6] * d0 + M[7] * d1 + M[8] * d2;
        d0 = e0 > 0 ? e0 : 0;
        d1 = e1 > 0 ? e1 : 0;
        d2 = e2 > 0 ? e2 : 0;
      }
      od[0] = d0;
      od[1] = d1;
      od[2] = d2;
      const meanOd = (d0 + d1 + d2) / 3;
      for (let k = 0; k < channels.length; k++) {
        const c = channels[k];
        if (weak) {
          out[k].m[outBase + x] = 1 - sa * od[c];
          out[k].n[outBase + x] = phaseK[k] * meanOd;
          continue;
        }
        const m = plainAbsorption ? raster.t[c][si] : Math.exp(-sa * od[c]);
        out[k].m[outBase + x] = m;
        out[k].n[outBase + x] = m * phaseK[k] * meanOd;
      }
    }
  }
}

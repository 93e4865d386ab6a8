/**
 * Reference values of the TypeScript virtual microscope for training/test/test_optics.py, which checks the PyTorch
 * port (training/focusnet/optics) against them. Regenerate with:
 *   node_modules/.bin/tsx training/parity/optics-reference.ts > training/test/fixtures/optics-reference.json
 */
import { bestFocusShiftUm } from '../../src/main/acquisition/bestFocus';
import { loadFftModule } from '../../src/hardware/optics/fft';
import { radialTransfer } from '../../src/hardware/optics/pupil';

const mod = await loadFftModule();
const optics = { na: 0.75, immersionIndex: 1, condenserSigma: 0.7, wavelengthUm: 0.54, sphericalAberrationWaves: 0.3 };
const dr = 0.02;
const bins = 160;
const transfer = [-6, -2, 0, 2, 6].map((z) => {
  const tf = radialTransfer(mod, optics, z, dr, bins);
  const round = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 1e5) / 1e5);
  return { z, ha: round(tf.ha), hp: round(tf.hp) };
});
const shifts = [-0.2, 0.1, 0.3, 0.55].map((w) => ({
  w040: w,
  shiftUm: bestFocusShiftUm({ na: 0.75, immersionIndex: 1, sphericalAberrationWaves: w, wavelengthUm: 0.54 }),
}));
console.log(JSON.stringify({ optics, dr, bins, transfer, shifts }));

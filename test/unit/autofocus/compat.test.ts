import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModelForSetup, mismatchMessage } from '../../../src/main/autofocus/compat';
import { parseModelCardJson } from '../../../src/shared/model-card';
import { SETUP_PRESETS, samplePixelSizeUm } from '../../../src/shared/optics';

const card20x = parseModelCardJson(readFileSync(join(__dirname, '../../fixtures/models/mean-net.json'), 'utf8'));
const setupOf = (id: '20x' | '40x') => {
  const p = SETUP_PRESETS[id];
  return {
    setupId: id,
    pixelSizeUm: samplePixelSizeUm(p),
    magnification: p.magnification,
    na: p.na,
    immersionIndex: p.immersionIndex,
  };
};

describe('model vs optical setup', () => {
  it('a 20x model fits the 20x setup', () => {
    const m = checkModelForSetup(card20x, setupOf('20x'));
    expect(m.ok).toBe(true);
    expect(m.problems).toEqual([]);
    expect(m.pixelRatio).toBeCloseTo(1, 6);
  });

  it('a 20x model on the 40x setup does not match (pixel size, magnification, NA) and says so', () => {
    const setup = setupOf('40x');
    const m = checkModelForSetup(card20x, setup);
    expect(m.ok).toBe(false);
    expect(m.problems.join(' ')).toMatch(/pixel size/);
    expect(m.problems.join(' ')).toMatch(/magnification 40x/);
    expect(mismatchMessage(card20x, setup, m)).toMatch(/^model does not match this setup: mean-net/);
  });

  it('resampling bridges another camera behind the same objective, up to 3x either way', () => {
    expect(checkModelForSetup(card20x, { ...setupOf('20x'), pixelSizeUm: 0.2 }).ok).toBe(true);
    // a 6.5 um sCMOS behind the 20x objective: 0.325 um per pixel, 1.88x the model's
    expect(checkModelForSetup(card20x, { ...setupOf('20x'), pixelSizeUm: 6.5 / 20 }).ok).toBe(true);
    expect(checkModelForSetup(card20x, { ...setupOf('20x'), pixelSizeUm: 0.1725 / 2.9 }).ok).toBe(true);
    expect(checkModelForSetup(card20x, { ...setupOf('20x'), pixelSizeUm: 0.1725 * 3.2 }).ok).toBe(false);
    expect(checkModelForSetup(card20x, { ...setupOf('20x'), pixelSizeUm: 0.1725 / 3.2 }).problems[0]).toMatch(
      /more than resampling should bridge: x3/,
    );
  });

  it('the same sampling with another NA or immersion does not match', () => {
    expect(checkModelForSetup(card20x, { ...setupOf('20x'), na: 0.5 }).problems[0]).toMatch(
      /NA 0.5 vs the model's 0.75/,
    );
    expect(checkModelForSetup(card20x, { ...setupOf('20x'), immersionIndex: 1.515 }).ok).toBe(false);
  });

  it('unknown optics (a camera-only setup) are judged on the pixel size alone; a different id is only a note', () => {
    const m = checkModelForSetup(card20x, { setupId: 'bench', pixelSizeUm: 0.18 });
    expect(m.ok).toBe(true);
    expect(m.notes[0]).toMatch(/made for setup 20x/);
  });
});

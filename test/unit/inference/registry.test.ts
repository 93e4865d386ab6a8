import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceError } from '../../../src/main/inference/errors';
import { ModelRegistry, defaultModelDirs, looksLikePath } from '../../../src/main/inference/registry';
import { shippedModelsDir } from '../../../src/main/paths';
import { FIXTURES, fixture, scratchDir } from './helpers';

describe('ModelRegistry', () => {
  it('lists every card with its validity and error code', async () => {
    const entries = await new ModelRegistry([FIXTURES]).list();
    const byId = Object.fromEntries(entries.map((e) => [e.id, e]));
    expect(byId['mean-net']).toMatchObject({ valid: true, path: fixture('mean-net.onnx') });
    expect(byId['mean-net'].card?.architecture).toBe('ldse-net');
    expect(byId['bad-sha']).toMatchObject({ valid: false, error: { code: 'card-mismatch' } });
    expect(byId['future-card']).toMatchObject({ valid: false, error: { code: 'card-version' } });
    expect(byId['future-card'].card).toBeUndefined();
  });

  it('lists an ONNX file without a card, and flags a duplicate id', async () => {
    const user = scratchDir('registry-user');
    const shipped = scratchDir('registry-shipped');
    copyFileSync(fixture('mean-net.onnx'), join(user, 'orphan.onnx'));
    for (const dir of [user, shipped]) {
      copyFileSync(fixture('mean-net.onnx'), join(dir, 'mean-net.onnx'));
      copyFileSync(fixture('mean-net.json'), join(dir, 'mean-net.json'));
    }
    const entries = await new ModelRegistry([user, shipped]).list();
    expect(entries.find((e) => e.id === 'orphan')).toMatchObject({ valid: false, error: { code: 'card-invalid' } });
    const means = entries.filter((e) => e.id === 'mean-net');
    expect(means.map((e) => [e.dir, e.valid])).toEqual([
      [user, true],
      [shipped, false],
    ]);
    expect(await new ModelRegistry([user, shipped]).resolve('mean-net')).toBe(join(user, 'mean-net.json'));
  });

  it('resolves ids, card paths and ONNX paths, and names what is available when an id is unknown', async () => {
    const registry = new ModelRegistry([FIXTURES]);
    expect(await registry.resolve('mean-net')).toBe(fixture('mean-net.json'));
    expect(await registry.resolve(fixture('mean-net.onnx'))).toBe(fixture('mean-net.json'));
    expect(await registry.resolve(fixture('mean-net.json'))).toBe(fixture('mean-net.json'));
    const err = await registry.resolve('ldse-net-99x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect(err).toMatchObject({ code: 'model-not-found' });
    expect((err as Error).message).toContain('mean-net');
    await expect(registry.resolve('/nowhere/model.onnx')).rejects.toMatchObject({ code: 'model-not-found' });
  });

  it('finds a card whose id differs from its file stem', async () => {
    const dir = scratchDir('registry-stem');
    copyFileSync(fixture('mean-net.onnx'), join(dir, 'mean-net.onnx'));
    copyFileSync(fixture('mean-net.json'), join(dir, 'renamed-card.json'));
    expect(await new ModelRegistry([dir]).resolve('mean-net')).toBe(join(dir, 'renamed-card.json'));
  });

  it('tells paths from ids, and finds the project models folder', () => {
    expect(looksLikePath('ldse-net-20x')).toBe(false);
    expect(looksLikePath('models/x.onnx')).toBe(true);
    expect(looksLikePath('x.json')).toBe(true);
    expect(shippedModelsDir()).toMatch(/resources[\\/]models$/);
    expect(defaultModelDirs('/home/u/models')[0]).toBe('/home/u/models');
  });

  it('survives a folder that does not exist and an unreadable card', async () => {
    const dir = scratchDir('registry-broken');
    writeFileSync(join(dir, 'broken.json'), '{');
    const entries = await new ModelRegistry([join(dir, 'missing'), dir]).list();
    expect(entries).toEqual([
      expect.objectContaining({ id: 'broken', valid: false, error: expect.objectContaining({ code: 'card-invalid' }) }),
    ]);
  });
});

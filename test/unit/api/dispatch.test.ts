import { describe, expect, it, vi } from 'vitest';
import { METHODS, procedures, type Handlers } from '../../../src/shared/api';
import { createDispatcher } from '../../../src/main/api/dispatch';
import { AppError } from '../../../src/shared/errors';
import { HardwareError } from '../../../src/hardware/types';
import { createServices } from '../../../src/main/services/container';

function handlersWith(overrides: Partial<Handlers>): Handlers {
  const base = Object.fromEntries(METHODS.map((m) => [m, vi.fn(async () => ({}))])) as unknown as Handlers;
  return { ...base, ...overrides };
}

describe('dispatch: the contract guards every front door', () => {
  it('rejects an unknown method without calling anything', async () => {
    const handlers = handlersWith({});
    const r = await createDispatcher(handlers)('stage.teleport', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    for (const m of METHODS) expect(handlers[m]).not.toHaveBeenCalled();
  });

  it.each([
    ['a string where a number belongs', { deltaUm: 'five' }],
    ['NaN', { deltaUm: Number.NaN }],
    ['Infinity', { deltaUm: Number.POSITIVE_INFINITY }],
    ['a zero jog', { deltaUm: 0 }],
    ['an unknown axis', { axis: 'w', deltaUm: 1 }],
    ['no payload fields', {}],
    ['null', null],
    ['an array', [1, 2]],
  ])('answers a malformed stage.jog payload (%s) with INVALID_INPUT and never moves', async (_label, payload) => {
    const jog = vi.fn(async () => ({ zUm: 0, xUm: 0, yUm: 0, busy: false }));
    const r = await createDispatcher(handlersWith({ 'stage.jog': jog }))('stage.jog', payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_INPUT');
      expect(r.error.message).toMatch(/stage\.jog/);
    }
    expect(jog).not.toHaveBeenCalled();
  });

  it('rejects extra fields on a strict empty input', async () => {
    const r = await createDispatcher(handlersWith({}))('info', { evil: true });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('passes parsed input with defaults applied', async () => {
    const jog = vi.fn(async () => ({ zUm: 1, xUm: 0, yUm: 0, busy: false }));
    const r = await createDispatcher(handlersWith({ 'stage.jog': jog }))('stage.jog', { deltaUm: 1 });
    expect(r).toEqual({ ok: true, result: { zUm: 1, xUm: 0, yUm: 0, busy: false } });
    expect(jog).toHaveBeenCalledWith({ axis: 'z', deltaUm: 1 });
  });

  it('maps thrown errors to one clear shape', async () => {
    const d = createDispatcher(
      handlersWith({
        'stage.jog': async () => {
          throw new HardwareError('limit', 'Z target 900 um is outside the soft limits');
        },
        'stage.stop': async () => {
          throw new AppError('CONFLICT', 'busy');
        },
        'stage.position': async () => {
          throw Object.assign(new Error('No space left on device'), { code: 'ENOSPC' });
        },
        'hardware.status': async () => {
          throw new TypeError('x is undefined');
        },
      }),
    );
    expect(await d('stage.jog', { deltaUm: 900 })).toMatchObject({
      ok: false,
      error: { code: 'HARDWARE', message: /soft limits/, details: { kind: 'limit' } },
    });
    expect(await d('stage.stop', {})).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: 'busy' } });
    expect(await d('stage.position', {})).toMatchObject({
      ok: false,
      error: { code: 'FAILED', details: { reason: 'ENOSPC' } },
    });
    expect(await d('hardware.status', {})).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: /hardware\.status failed: x is undefined/ },
    });
  });

  it('every procedure has a summary, an input schema that accepts or rejects {}, and an output schema', () => {
    for (const m of METHODS) {
      const p = procedures[m];
      expect(p.summary.length).toBeGreaterThan(5);
      expect(typeof p.input.safeParse({}).success).toBe('boolean');
      expect(p.output).toBeDefined();
    }
  });
});

describe('the real handlers behind the contract', () => {
  it('answers info and validates its own output against the contract', async () => {
    const s = await createServices({ frontDoor: 'cli' });
    try {
      const r = await s.dispatch('info', {});
      expect(r.ok).toBe(true);
      if (r.ok) expect(procedures.info.output.safeParse(r.result).success).toBe(true);
      const jog = await s.dispatch('stage.jog', { deltaUm: 2.5 });
      expect(jog).toMatchObject({ ok: true, result: { zUm: 2.5 } });
      const far = await s.dispatch('stage.moveTo', { targetUm: 1e6 });
      expect(far).toMatchObject({ ok: false, error: { code: 'HARDWARE', details: { kind: 'limit' } } });
      const pos = await s.dispatch('stage.position', {});
      expect(pos).toMatchObject({ ok: true, result: { zUm: 2.5 } });
      const preview = await s.dispatch('camera.preview', { maxSize: 128 });
      expect(preview.ok).toBe(true);
      if (preview.ok) expect(procedures['camera.preview'].output.safeParse(preview.result).success).toBe(true);
    } finally {
      await s.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import {
  MODEL_CARD_VERSION,
  ModelCardFormatError,
  parseModelCard,
  parseModelCardJson,
} from '../../../src/shared/model-card';
import { fixtureCard } from './helpers';

function errorOf(fn: () => unknown): ModelCardFormatError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModelCardFormatError) return err;
    throw err;
  }
  throw new Error('expected a ModelCardFormatError');
}

describe('model card schema', () => {
  it('accepts the fixture card and keeps its fields', () => {
    const card = parseModelCard(fixtureCard('mean-net'));
    expect(card.card_version).toBe(MODEL_CARD_VERSION);
    expect(card.id).toBe('mean-net');
    expect(card.input.channels).toEqual(['R', 'G', 'B']);
    expect(card.optics.pixel_size_um).toBeCloseTo(0.1725);
    expect(card.output.shape).toEqual([-1, 1]);
  });

  it('keeps extra fields (training side may add more)', () => {
    const card = parseModelCard({ ...fixtureCard('mean-net'), notes: 'hello' });
    expect((card as Record<string, unknown>).notes).toBe('hello');
  });

  it('reads the sign-error rate of a signed model, and refuses one outside 0..1', () => {
    const base = fixtureCard('mean-net') as Record<string, unknown> & { metrics: Record<string, unknown> };
    const withRate = { ...base, metrics: { ...base.metrics, test_sign_error_rate: 0.125 } };
    expect(parseModelCard(withRate).metrics.test_sign_error_rate).toBe(0.125);
    expect(parseModelCard(base).metrics.test_sign_error_rate).toBeUndefined();
    const bad = { ...base, metrics: { ...base.metrics, test_sign_error_rate: 12.5 } };
    expect(errorOf(() => parseModelCard(bad)).message).toMatch(/test_sign_error_rate/);
  });

  it('reads which camera the test patches were read as, and refuses an unknown one', () => {
    const base = fixtureCard('mean-net') as Record<string, unknown> & { metrics: Record<string, unknown> };
    const mono = { ...base, metrics: { ...base.metrics, frames: 'monochrome' } };
    expect(parseModelCard(mono).metrics.frames).toBe('monochrome');
    expect(parseModelCard(base).metrics.frames).toBeUndefined();
    const bad = { ...base, metrics: { ...base.metrics, frames: 'infrared' } };
    expect(errorOf(() => parseModelCard(bad)).message).toMatch(/frames/);
  });

  it('rejects an unknown card_version with a message naming both versions', () => {
    const err = errorOf(() => parseModelCard(fixtureCard('future-card')));
    expect(err.code).toBe('card-version');
    expect(err.message).toContain('card_version 2');
    expect(err.message).toContain('card_version 1');
  });

  it('rejects a card without card_version', () => {
    const { card_version: _, ...rest } = fixtureCard('mean-net');
    expect(errorOf(() => parseModelCard(rest)).code).toBe('card-version');
  });

  it('names the bad field of an invalid card', () => {
    const card = fixtureCard('mean-net');
    const input = { ...(card.input as object), height: -3 };
    const err = errorOf(() => parseModelCard({ ...card, input }));
    expect(err.code).toBe('card-invalid');
    expect(err.message).toContain('input.height');
  });

  it('rejects channels that repeat a colour, a file path that leaves the folder, and a bad sha256', () => {
    const card = fixtureCard('mean-net');
    expect(
      errorOf(() => parseModelCard({ ...card, input: { ...(card.input as object), channels: ['R', 'R', 'B'] } }))
        .message,
    ).toContain('channels');
    expect(errorOf(() => parseModelCard({ ...card, file: '../x.onnx' })).message).toContain('file');
    expect(errorOf(() => parseModelCard({ ...card, sha256: 'abc' })).message).toContain('sha256');
  });

  it('reports JSON syntax errors and non-objects as card-invalid', () => {
    expect(errorOf(() => parseModelCardJson('{"card_version": 1,')).code).toBe('card-invalid');
    expect(errorOf(() => parseModelCard([1, 2])).code).toBe('card-invalid');
  });
});

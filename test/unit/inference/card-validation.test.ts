import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelCard } from '../../../src/shared/model-card';
import {
  checkFileAgainstCard,
  checkSessionAgainstCard,
  readModelCard,
  type SessionInfo,
} from '../../../src/main/inference/card-validation';
import { InferenceError } from '../../../src/main/inference/errors';
import { fixture, fixtureCard, scratchDir } from './helpers';

const card = parseModelCard(fixtureCard('mean-net'));

function session(inputShape: Array<number | string>, inputName = 'patch', outputName = 'defocus_um'): SessionInfo {
  return {
    inputs: [{ name: inputName, isTensor: true, type: 'float32', shape: inputShape }],
    outputs: [{ name: outputName, isTensor: true, type: 'float32', shape: ['batch', 1] }],
  };
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(InferenceError);
    return (err as InferenceError).code;
  }
  return 'no error';
}

describe('card against session', () => {
  it('accepts [batch, 3, 224, 224] with the card names', () => {
    expect(() => checkSessionAgainstCard(card, session(['batch', 3, 224, 224]))).not.toThrow();
    expect(() => checkSessionAgainstCard(card, session([-1, 3, 224, 224]))).not.toThrow();
  });

  it('rejects wrong input and output names', async () => {
    expect(await codeOf(() => checkSessionAgainstCard(card, session(['batch', 3, 224, 224], 'image')))).toBe(
      'io-mismatch',
    );
    expect(await codeOf(() => checkSessionAgainstCard(card, session(['batch', 3, 224, 224], 'patch', 'out')))).toBe(
      'io-mismatch',
    );
  });

  it('rejects wrong dims and a fixed batch axis', async () => {
    expect(await codeOf(() => checkSessionAgainstCard(card, session(['batch', 3, 112, 112])))).toBe('input-shape');
    expect(await codeOf(() => checkSessionAgainstCard(card, session(['batch', 1, 224, 224])))).toBe('input-shape');
    expect(await codeOf(() => checkSessionAgainstCard(card, session(['batch', 224, 224, 3])))).toBe('input-shape');
    expect(await codeOf(() => checkSessionAgainstCard(card, session([8, 3, 224, 224])))).toBe('input-shape');
  });

  it('says what the model has and what the card needs', () => {
    expect(() => checkSessionAgainstCard(card, session(['batch', 3, 112, 112]))).toThrow(
      /\[batch, 3, 112, 112\].*\[batch, 3, 224, 224\]/,
    );
  });
});

describe('card against file', () => {
  it('accepts the fixture file', async () => {
    await expect(checkFileAgainstCard(card, fixture('mean-net.onnx'))).resolves.toBeUndefined();
  });

  it('rejects a sha256 mismatch, a size mismatch and a missing file', async () => {
    const bad = parseModelCard(fixtureCard('bad-sha'));
    expect(await codeOf(checkFileAgainstCard(bad, fixture('bad-sha.onnx')))).toBe('card-mismatch');
    const dir = scratchDir('card-validation');
    const truncated = join(dir, 'mean-net.onnx');
    copyFileSync(fixture('mean-net.onnx'), truncated);
    writeFileSync(truncated, Buffer.alloc(10));
    expect(await codeOf(checkFileAgainstCard(card, truncated))).toBe('card-mismatch');
    expect(await codeOf(checkFileAgainstCard(card, join(dir, 'absent.onnx')))).toBe('model-not-found');
  });

  it('reads cards and maps card problems to codes', async () => {
    expect((await readModelCard(fixture('mean-net.json'))).id).toBe('mean-net');
    expect(await codeOf(readModelCard(fixture('future-card.json')))).toBe('card-version');
    expect(await codeOf(readModelCard(fixture('nothing-here.json')))).toBe('model-not-found');
    const dir = scratchDir('card-validation-json');
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    expect(await codeOf(readModelCard(join(dir, 'broken.json')))).toBe('card-invalid');
  });
});

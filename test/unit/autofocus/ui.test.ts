import { describe, expect, it } from 'vitest';
import {
  divergingColour,
  isAutofocusKey,
  mapScaleUm,
  resultToast,
} from '../../../src/renderer/src/components/autofocus/autofocus-ui';
import type { AutofocusResult } from '../../../src/shared/autofocus';

const key = (o: Partial<KeyboardEvent> & { tag?: string }) =>
  ({
    key: '',
    code: '',
    ctrlKey: false,
    altKey: false,
    metaKey: false,
    shiftKey: false,
    target: o.tag ? ({ tagName: o.tag, isContentEditable: false } as unknown as EventTarget) : null,
    ...o,
  }) as KeyboardEvent;

describe('autofocus UI helpers', () => {
  it('the shortcut is F or Ctrl+Space, never while typing', () => {
    expect(isAutofocusKey(key({ key: 'f' }))).toBe(true);
    expect(isAutofocusKey(key({ key: 'F' }))).toBe(true);
    expect(isAutofocusKey(key({ key: ' ', code: 'Space', ctrlKey: true }))).toBe(true);
    expect(isAutofocusKey(key({ key: ' ', code: 'Space' }))).toBe(false);
    expect(isAutofocusKey(key({ key: 'f', ctrlKey: true }))).toBe(false); // Ctrl+F is the browser's find
    expect(isAutofocusKey(key({ key: 'f', altKey: true }))).toBe(false);
    expect(isAutofocusKey(key({ key: 'f', tag: 'INPUT' }))).toBe(false);
    expect(isAutofocusKey(key({ key: 'ArrowUp' }))).toBe(false);
  });

  it('diverging palette: blue below focus, white at focus, red above, saturating at the scale', () => {
    expect(divergingColour(0, 2, 1)).toBe('rgba(240, 240, 240, 1)');
    expect(divergingColour(-2, 2, 1)).toBe('rgba(49, 130, 220, 1)');
    expect(divergingColour(5, 2, 1)).toBe('rgba(214, 68, 60, 1)');
    expect(divergingColour(1, 2, 1)).toBe('rgba(227, 154, 150, 1)');
  });

  it('map scale: the largest |value| rounded up to a readable step', () => {
    expect(mapScaleUm([0.1, -0.3, null])).toBe(0.5);
    expect(mapScaleUm([1.2, -0.3])).toBe(2);
    expect(mapScaleUm([null, -7.9])).toBe(10);
    expect(mapScaleUm([null])).toBe(0.5);
    expect(mapScaleUm([130])).toBe(150);
  });

  it('the result toast says the move, the confidence and the time', () => {
    const r = {
      outcome: 'focused',
      message: 'In focus: residual +0.05 um after 1 move',
      method: 'net',
      decidedBy: 'net',
      startZUm: 10,
      finalZUm: 6.79,
      images: 2,
      elapsedMs: 1430,
      confidence: 0.874,
    } as AutofocusResult;
    expect(resultToast(r)).toEqual({
      level: 'success',
      message:
        'Autofocus: moved −3.21 um, confidence 0.87, 2 images in 1.4 s. In focus: residual +0.05 um after 1 move',
    });
    expect(resultToast({ ...r, outcome: 'stage-error', message: 'Stage error: refused' }).level).toBe('error');
    expect(resultToast({ ...r, decidedBy: 'net+fallback', outcome: 'step-limit' }).message).toMatch(
      /^Autofocus \(classic fallback decided\)/,
    );
    // The hint about the glass in view ends it, with where to act on it.
    const hint = 'the glass in view is dimmer and bluer than the models were trained on (gains 1.80 / 1.50 / 0.90)';
    expect(resultToast({ ...r, hint }).message).toMatch(
      /residual \+0\.05 um after 1 move Hint: the glass in view is dimmer and bluer .* \(Autofocus page, White reference\)\.$/,
    );
  });
});

/** Argument checks of `focus-station stage` (the serial I/O itself is covered by the integration tests). */
import { describe, expect, it } from 'vitest';
import { limitsOf, parseAction } from '../../../src/main/cli/commands/stage';

describe('stage CLI arguments', () => {
  it('parses actions and their values in um, negative ones included', () => {
    expect(parseAction('position', undefined)).toEqual({ command: 'position' });
    expect(parseAction('stop', undefined)).toEqual({ command: 'stop' });
    expect(parseAction('move-by', '-5.25')).toEqual({ command: 'move-by', valueUm: -5.25 });
    expect(parseAction('move-to', '12')).toEqual({ command: 'move-to', valueUm: 12 });
  });

  it('refuses what it cannot do, with exit code 2', () => {
    for (const [action, value, message] of [
      ['jump', undefined, /unknown action "jump"/],
      ['move-by', undefined, /needs a distance in um/],
      ['move-to', 'ten', /must be a number/],
      ['move-to', 'Infinity', /must be a number/],
      ['position', '3', /takes no value/],
    ] as const) {
      expect(() => parseAction(action, value)).toThrow(message);
      try {
        parseAction(action, value);
      } catch (err) {
        expect((err as { exitCode: number }).exitCode).toBe(2);
      }
    }
  });

  it('takes soft limits as both --min and --max, the lower below the upper', () => {
    expect(limitsOf({})).toBeUndefined();
    expect(limitsOf({ min: -10, max: 20 })).toEqual({ minUm: -10, maxUm: 20 });
    expect(() => limitsOf({ min: -10 })).toThrow(/both --min and --max/);
    expect(() => limitsOf({ min: 5, max: 5 })).toThrow(/must be below/);
  });
});

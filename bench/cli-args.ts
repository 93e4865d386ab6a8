/**
 * Option parsers for the benchmark scripts' commander programs: a value that is not a number, or out of range, ends
 * the script with commander's one-line error ("error: option '--n <count>' argument 'abc' is invalid. ...", exit 1)
 * before any work starts, instead of NaN running through a benchmark.
 */
import { InvalidArgumentError } from 'commander';

/** " 1..100", " >= 1", " <= 10" or "" (no limit): the range in an error message. */
function range(min: number, max: number): string {
  if (min === -Infinity) return max === Infinity ? '' : ` <= ${max}`;
  return max === Infinity ? ` >= ${min}` : ` ${min}..${max}`;
}

/** An integer in min..max. */
export function integerArg(min = -Infinity, max = Infinity): (value: string) => number {
  return (value) => {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected an integer${range(min, max)}.`);
    }
    return n;
  };
}

/** A finite number in min..max; `above` makes the minimum exclusive (a positive number: above 0). */
export function numberArg(min: number, max = Infinity, opts: { above?: boolean } = {}): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n) || n > max || (opts.above ? n <= min : n < min)) {
      const limits = opts.above ? ` > ${min}${max === Infinity ? '' : ` and <= ${max}`}` : range(min, max);
      throw new InvalidArgumentError(`Expected a number${limits}.`);
    }
    return n;
  };
}

/** A comma-separated list of integers in min..max ("1,2"). */
export function integerListArg(min = -Infinity, max = Infinity): (value: string) => number[] {
  const one = integerArg(min, max);
  return (value) => {
    try {
      return value.split(',').map(one);
    } catch {
      throw new InvalidArgumentError(`Expected a comma-separated list of integers${range(min, max)}.`);
    }
  };
}

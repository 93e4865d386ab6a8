/**
 * The benchmark scripts' command lines (commander): --help prints the usage and exits 0, an unknown option or a value
 * that is not a number (or out of range) ends with commander's one-line error and a non-zero exit code. None of these
 * starts any benchmark work, so each run takes about a second; a script that started a benchmark instead would run
 * into CHILD_TIMEOUT_MS and fail on its exit code.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD_TIMEOUT_MS = 30_000;

interface Result {
  /** null when the child was killed (it ran past CHILD_TIMEOUT_MS). */
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(script: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', script), ...args],
      { cwd: ROOT, timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A script's --help: it must exit 0 with nothing on stderr; the text comes back with its line wrapping undone. */
async function helpOf(script: string): Promise<string> {
  const r = await runBench(script, ['--help']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout.replace(/\s+/g, ' ');
}

/** An invalid value: commander's one-line error naming the option, exit code 1, nothing on stdout. */
function expectInvalid(r: Result, option: string, value: string): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(new RegExp(`^error: option '${option} <[^>]+>' argument '${value}' is invalid\\.`));
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

/** An unknown option: commander's message naming it, exit code 1, nothing on stdout. */
function expectUnknown(r: Result, option: string): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`error: unknown option '${option}'`);
}

describe('bench/autofocus.ts command line', () => {
  it('--help prints the options with their defaults and exits 0 without starting a run', async () => {
    const help = await helpOf('autofocus.ts');
    expect(help).toContain('Usage: bench:autofocus [options]');
    for (const option of [
      '--net-only',
      '--no-timing',
      '--timing-only',
      '--oracle <sigma>',
      '--pixel-pitch <um>',
      '--lamp <kelvin>',
      '--white-reference',
      '--keep-exposure',
    ])
      expect(help).toContain(option);
    expect(help).toMatch(/--exposure <factor> .*\(default: 1\)/s);
    expect(help).toMatch(/--n <count> random starts \(default: 40\)/);
    expect(help).toMatch(/--setup <id> .*\(choices: "20x", "40x", default: "20x"\)/);
    expect(help).toMatch(/--seed <int> .*\(default: 1\)/);
    expect(help).toMatch(/--tolerance <um> .*\(default: 0\.25\)/);
    expect(help).toMatch(/--max-patches <count> .*\(default: 16\)/);
    expect(help).toMatch(/--bit-depth <bits> .*\(default: 8\)/s);
    expect(help).toContain('held-out slides listed in docs/training.md');
  });

  it("rejects an unknown option with commander's message", async () => {
    const r = await runBench('autofocus.ts', ['--setpu', '40x']);
    expectUnknown(r, '--setpu');
    expect(r.stderr).toContain('Did you mean --setup?');
  });

  it.each([
    ['--n', 'abc'],
    ['--n', '0'],
    ['--n', '2.5'],
    ['--jpeg', '150'],
    ['--lamp', '500'],
    ['--exposure', '0'],
    ['--tolerance', '0'],
    ['--threads', 'two'],
    ['--roi', '1280x'],
    ['--bit-depth', '10'],
  ])('rejects %s %s', async (option, value) => {
    expectInvalid(await runBench('autofocus.ts', [option, value, '--net-only']), option, value);
  });

  it('rejects a setup that is not a preset, naming the choices', async () => {
    const r = await runBench('autofocus.ts', ['--setup', '60x']);
    expectInvalid(r, '--setup', '60x');
    expect(r.stderr).toContain('Allowed choices are 20x, 40x.');
  });
});

describe('bench/sim.ts command line', () => {
  it('--help prints the options and exits 0 without rendering', async () => {
    const help = await helpOf('sim.ts');
    expect(help).toMatch(/--frames <n> .*\(default: 7\)/);
    expect(help).toContain('--json');
  });

  it('rejects --frames abc', async () => {
    expectInvalid(await runBench('sim.ts', ['--frames', 'abc']), '--frames', 'abc');
  });

  it('rejects an unknown option', async () => {
    expectUnknown(await runBench('sim.ts', ['--frame', '9']), '--frame');
  });
});

describe('bench/store.ts command line', () => {
  it('--help prints the options and exits 0 without storing', async () => {
    const help = await helpOf('store.ts');
    for (const option of ['--frames <n>', '--concurrency <list>', '--formats <list>', '--engine <list>', '--json'])
      expect(help).toContain(option);
    expect(help).toMatch(/--frames <n> .*\(default: 16\)/);
  });

  it.each([
    ['--frames', 'abc'],
    ['--concurrency', '1,x'],
    ['--engine', '0'],
    ['--formats', 'png1,png9'],
  ])('rejects %s %s', async (option, value) => {
    expectInvalid(await runBench('store.ts', [option, value]), option, value);
  });

  it('rejects an unknown option', async () => {
    expectUnknown(await runBench('store.ts', ['--formt', 'png1']), '--formt');
  });
});

describe('bench/inference.ts command line', () => {
  it.each([
    ['--threads', 'abc'],
    ['--batches', '16,x'],
    ['--repeats', '0'],
  ])('rejects %s %s', async (option, value) => {
    expectInvalid(await runBench('inference.ts', [option, value]), option, value);
  });
});

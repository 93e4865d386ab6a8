/**
 * `focus-station stage ... move-by 5 --json` as a child process against controller emulators speaking the real
 * protocols on socat pseudo-terminals (all six), and `focus-station emulate` driven by `focus-station stage`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulatorOnPty, type PtyEmulator } from '../../../src/hardware/emulators';
import { PROTOCOL_NAMES } from '../../../src/hardware/serial/protocol';
import { interrupt, runCli, startCli } from './cli-helpers';
import { tempHardwareDir } from './services';

let running: PtyEmulator | null = null;
afterEach(async () => {
  await running?.cleanup();
  running = null;
});

describe.each(PROTOCOL_NAMES)('focus-station stage --driver %s', (driver) => {
  it('moves by 5 um and reports the new position as JSON', async () => {
    running = await startEmulatorOnPty(driver, { speedUmPerS: 2000, initialUm: { z: 3 } });
    const base = [
      'stage',
      '--driver',
      driver,
      '--port',
      running.hostPath,
      '--steps-per-um',
      String(running.emulator.nativePerUm),
    ];
    const moved = await runCli([...base, 'move-by', '5', '--json']);
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(JSON.parse(moved.stdout)).toEqual({ z_um: expect.closeTo(8, 3) });
    // The controller really moved: its own position, in its own units.
    expect(running.emulator.positionUm()).toBeCloseTo(8, 3);
  });
});

describe('focus-station stage: refusals and sentences', () => {
  it('a negative move-by, a sentence without --json, and a soft-limit refusal that sends nothing', async () => {
    running = await startEmulatorOnPty('asi', { speedUmPerS: 5000 });
    const base = ['stage', '--driver', 'asi', '--port', running.hostPath];
    const back = await runCli([...base, 'move-by', '-2.5']);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^Z moved by -2\.5 um to -2\.500 um \(asi on /);
    const moves = () => running!.emulator.received.filter((l) => /^[MR] /.test(l));
    expect(moves()).toEqual(['M Z=-25']); // tenths of um
    const refused = await runCli([...base, '--min', '-10', '--max', '10', 'move-to', '50', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/outside the soft limits -10\.\.10 um; nothing was moved/);
    expect(moves()).toEqual(['M Z=-25']);
    expect(running.emulator.positionUm()).toBeCloseTo(-2.5, 3);
  });

  it('usage errors exit with 2 and say what is wrong', async () => {
    const noValue = await runCli(['stage', '--driver', 'grbl', '--port', '/dev/null', 'move-by']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toMatch(/"move-by" needs a distance in um/);
    const badDriver = await runCli(['stage', '--driver', 'marlin', '--port', '/dev/null', 'position']);
    expect(badDriver.code).toBe(2);
    expect(badDriver.stderr).toMatch(/Allowed choices are grbl, sangaboard, prior, asi, tango, ludl/);
    const missingPort = await runCli([
      'stage',
      '--driver',
      'ludl',
      '--port',
      '/dev/no-such-port-7',
      'position',
      '--json',
    ]);
    expect(missingPort.code).toBe(1);
    expect(missingPort.stderr).toMatch(/Cannot open serial port \/dev\/no-such-port-7/);
  });
});

describe('focus-station emulate + focus-station stage', () => {
  it('the emulator CLI makes a pty pair, logs commands with --verbose and stops on Ctrl-C', async () => {
    const emu = await startCli(['emulate', 'tango', '--json', '--verbose', '--start-z', '1']);
    try {
      const { port, protocol } = JSON.parse(emu.firstLine) as { port: string; protocol: string };
      expect(protocol).toBe('tango');
      const moved = await runCli(['stage', '--driver', 'tango', '--port', port, 'move-by', '5', '--json']);
      expect(moved.code).toBe(0);
      expect(JSON.parse(moved.stdout).z_um).toBeCloseTo(6, 3);
      const where = await runCli(['stage', '--driver', 'tango', '--port', port, 'position', '--json']);
      expect(JSON.parse(where.stdout).z_um).toBeCloseTo(6, 3);
      await expect.poll(() => emu.stderr()).toMatch(/< !mo[ar] z 6/);
    } finally {
      expect(await interrupt(emu.child)).toBe(0);
    }
    expect(emu.stderr()).toMatch(/emulator stopped/);
  });
});

describe('focus-station hardware', () => {
  it('lists the profiles and auto-detects an emulated controller, as JSON', async () => {
    const env = { FOCUS_STATION_DATA_DIR: tempHardwareDir('cli-data') };
    const profiles = await runCli(['hardware', 'profiles', '--json'], env);
    expect(profiles.code).toBe(0);
    expect(JSON.parse(profiles.stdout).profiles.map((p: { id: string }) => p.id)).toEqual([
      'virtual-microscope-20x',
      'virtual-microscope-40x',
    ]);

    running = await startEmulatorOnPty('prior');
    const detected = await runCli(
      [
        'hardware',
        'detect',
        '--port',
        running.hostPath,
        '--no-cameras',
        '--boot-wait',
        '0',
        '--timeout',
        '300',
        '--json',
      ],
      env,
      120_000,
    );
    expect(detected.code).toBe(0);
    const r = JSON.parse(detected.stdout);
    const mine = r.stages.find((s: { port: string }) => s.port === running!.hostPath);
    expect(mine.found.protocol).toBe('prior');
    expect(
      r.candidates.map((c: { profile: { stage: { driver: string; port: string } } }) => c.profile.stage),
    ).toContainEqual(expect.objectContaining({ driver: 'prior', port: running.hostPath }));
  }, 150_000);
});

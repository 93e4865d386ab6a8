/** `focus-station hardware list|detect|profiles`: what is plugged in, what answers, and the saved profiles. */
import type { Command } from 'commander';
import type { DetectResult, ProfileList } from '../../../shared/procedures/profiles';
import { CliError, printJson, withApi } from '../context';
import { runTask } from '../task-progress';

function ms(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a whole number of ms, not "${v}"`, 2);
    return n;
  };
}

const out = (line = '') => process.stdout.write(`${line}\n`);

export function registerHardware(program: Command): void {
  const hardware = program
    .command('hardware')
    .description('serial ports, cameras, auto-detection and hardware profiles');

  hardware
    .command('list')
    .description('serial ports and cameras found on this machine (nothing is probed)')
    .option('--no-cameras', 'skip the camera listing')
    .option('--json', 'print JSON')
    .action(async (opts: { cameras: boolean; json?: boolean }) => {
      const devices = await withApi(({ api }) => api.invoke('hardware.devices', { cameras: opts.cameras }));
      if (opts.json) return printJson(devices);
      out(`Serial ports (${devices.method}):`);
      if (!devices.ports.length) out('  none');
      for (const p of devices.ports) out(`  ${p.path}${p.manufacturer ? `  ${p.manufacturer}` : ''}`);
      out('Cameras:');
      if (!devices.cameras.length) out('  none');
      for (const c of devices.cameras) out(`  ${c.device}  ${c.name} (${c.kind})`);
      for (const n of devices.notes) out(`note: ${n}`);
    });

  hardware
    .command('detect')
    .description('probe every serial port for a known controller, list cameras, and propose profiles')
    .option('--port <path...>', 'probe these paths too (e.g. a pseudo-terminal of `focus-station emulate`)')
    .option('--no-cameras', 'skip the camera listing')
    .option('--timeout <ms>', 'reply timeout per protocol tried', ms('--timeout'))
    .option(
      '--boot-wait <ms>',
      'wait for Arduino boards (GRBL, Sangaboard) that reset when the port opens',
      ms('--boot-wait'),
    )
    .option('--json', 'print JSON')
    .action(
      async (opts: { port?: string[]; cameras: boolean; timeout?: number; bootWait?: number; json?: boolean }) => {
        const task = await withApi((run) =>
          runTask(
            run,
            'profiles.detect',
            {
              extraPorts: opts.port ?? [],
              cameras: opts.cameras,
              ...(opts.timeout !== undefined ? { probeTimeoutMs: Math.max(50, opts.timeout) } : {}),
              ...(opts.bootWait !== undefined ? { bootWaitMs: opts.bootWait } : {}),
            },
            { quiet: opts.json },
          ),
        );
        const r = task.result as DetectResult;
        if (opts.json) return printJson(r);
        for (const s of r.stages) {
          out(
            s.found
              ? `${s.port}: ${s.found.protocol} at ${s.found.baud} baud ("${s.found.identity}")`
              : `${s.port}: no known controller answered`,
          );
        }
        for (const s of r.skipped) out(`${s.port}: skipped (${s.reason})`);
        for (const c of r.cameras) out(`camera ${c.device}: ${c.name}`);
        if (r.candidates.length) {
          out('Candidate profiles (save one with the Hardware page or `focus-station call profiles.save`):');
          for (const c of r.candidates) out(`  ${c.profile.name}: ${c.reason}`);
        }
        for (const n of r.notes) out(`note: ${n}`);
      },
    );

  hardware
    .command('profiles')
    .description('the built-in and saved hardware profiles')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list: ProfileList = await withApi(({ api }) => api.invoke('profiles.list'));
      if (opts.json) return printJson(list);
      for (const { id, builtin, profile } of list.profiles) {
        const stage =
          profile.stage.driver === 'sim' ? 'simulated stage' : `${profile.stage.driver} on ${profile.stage.port}`;
        out(
          `${id.padEnd(32)} ${builtin ? '(built in) ' : ''}${profile.name}: ${profile.camera.kind} camera, ${stage}, setup ${profile.opticalSetupId}`,
        );
      }
      for (const bad of list.invalid) out(`INVALID ${bad.file}: ${bad.error}`);
    });
}

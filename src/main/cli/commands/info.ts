import type { Command } from 'commander';
import { printJson, withApi } from '../context';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('versions, models found and the hardware profile in use')
    .option('--json', 'print JSON (the same as GET /api/info in browser mode)')
    .action(async (opts: { json?: boolean }) => {
      const info = await withApi(({ api }) => api.invoke('info'));
      if (opts.json) return printJson(info);
      const lines = [
        `${info.app.name} ${info.app.version}`,
        `versions: ${Object.entries(info.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
        `platform: ${info.platform.os}/${info.platform.arch}, ${info.platform.cpus} CPUs`,
        `hardware: ${info.hardware.profile} (camera: ${info.hardware.camera}; Z: ${info.hardware.zStage}; XY: ${info.hardware.xyStage}; setup ${info.hardware.setup})`,
        `data folder: ${info.paths.dataDir}`,
        `models (${info.models.length}) in ${info.paths.modelDirs.join(', ')}:`,
        ...info.models.map((m) => `  ${m.valid ? 'ok ' : 'BAD'} ${m.id}${m.error ? `: ${m.error}` : ''}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

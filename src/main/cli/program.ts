/** The `focus-station` command line: one commander program, a file per command. */
import { Command } from 'commander';
import { registerCall } from './commands/call';
import { registerInfo } from './commands/info';
import { registerServe } from './commands/serve';
import { registerEvaluate } from './commands/evaluate';
import { registerModels } from './commands/models';
import { registerPredict } from './commands/predict';
import { registerAutofocus } from './commands/autofocus';
import { registerSimulateStack } from './commands/simulate-stack';
import { registerAcquire } from './commands/acquire';
import { registerExport } from './commands/export';
import { registerImport } from './commands/import';
import { registerDataset } from './commands/dataset';
import { registerStage } from './commands/stage';
import { registerEmulate } from './commands/emulate';
import { registerHardware } from './commands/hardware';

export function buildProgram(version: string): Command {
  const program = new Command('focus-station')
    .description(
      'FocusStation: defocus-stack acquisition, single-shot autofocus and dataset export for brightfield microscopes.\nAll lengths are in micrometres (um); defocus d = z - z_focus, +z moves the objective away from the sample.',
    )
    .version(version)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true })
    .exitOverride();
  registerInfo(program);
  registerServe(program);
  registerCall(program);
  registerEvaluate(program);
  registerModels(program);
  registerPredict(program);
  registerAutofocus(program);
  registerSimulateStack(program);
  registerAcquire(program);
  registerExport(program);
  registerImport(program);
  registerDataset(program);
  registerStage(program);
  registerEmulate(program);
  registerHardware(program);
  return program;
}

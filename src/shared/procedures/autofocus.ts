/** Autofocus: one-click runs (a task on the stage and camera), the live estimate, the history and the settings. */
import { z } from 'zod';
import { procedure } from '../contract';
import {
  AutofocusEstimateInput,
  AutofocusHistoryInput,
  AutofocusHistoryRow,
  AutofocusRunInput,
  AutofocusSettings,
  AutofocusSettingsPatch,
  Estimate,
} from '../autofocus';
import { TaskStarted } from '../schemas/task';
import { Empty } from './common';

export const AutofocusSettingsView = z.object({
  settings: AutofocusSettings,
  /** Why the saved settings file was not used (invalid JSON...), until the next save. */
  problem: z.string().nullable(),
  file: z.string(),
});

export const autofocusProcedures = {
  'autofocus.run': procedure({
    summary:
      'Autofocus now (network with verify and classic fallback, or a classic sweep); the task result is the AutofocusResult',
    input: AutofocusRunInput,
    output: TaskStarted,
    task: true,
  }),
  'autofocus.estimate': procedure({
    summary: 'Snap one frame and estimate its defocus with the model (no move): combined d, confidence, 3x3 region map',
    input: AutofocusEstimateInput,
    output: Estimate,
  }),
  'autofocus.history': procedure({
    summary: 'Past autofocus runs from the dataset, newest first',
    input: AutofocusHistoryInput,
    output: z.array(AutofocusHistoryRow),
  }),
  'autofocus.settings.get': procedure({
    summary: 'Autofocus settings: tolerance, max move, step limit, model, fallback, confidence threshold',
    input: Empty,
    output: AutofocusSettingsView,
  }),
  'autofocus.whiteReference.take': procedure({
    summary:
      'Snap blank glass (an empty area of the slide) as the white reference, first setting the exposure for the glass unless setExposure is false: frames are then balanced to the glass colour and level the models were trained on; clear it with autofocus.settings.set {"whiteReference": null}',
    input: z.object({ setExposure: z.boolean().default(true) }).strict(),
    output: AutofocusSettingsView.extend({
      /** The camera's exposure before and after, when it was changed for the glass. */
      exposure: z.object({ fromMs: z.number(), toMs: z.number() }).nullable(),
    }),
  }),
  'autofocus.whiteReference.fromGlass': procedure({
    summary:
      'Make the white reference of the glass last seen between the sample near focus (by autofocus.estimate or a run), at the exposure it was seen at, and save it: what a hint about the glass in view offers without moving to blank glass; refused when no glass was seen with this camera',
    input: Empty,
    output: AutofocusSettingsView,
  }),
  'autofocus.settings.set': procedure({
    summary: 'Change autofocus settings (validated, saved in the data folder); returns them all',
    input: AutofocusSettingsPatch,
    output: AutofocusSettingsView,
  }),
};

import type { HandlersOf } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import { formatSignedUm, type AutofocusResult } from '../../../shared/autofocus';
import type { autofocusProcedures } from '../../../shared/procedures/autofocus';
import { AutofocusError } from '../../autofocus/errors';
import type { Services } from '../../services/container';

/** AutofocusError -> the contract's error codes (no-content has its own; the rest keep their reason). */
function asAppError(err: unknown): unknown {
  if (!(err instanceof AutofocusError)) return err;
  if (err.code === 'no-content') return new AppError('NO_CONTENT', err.message);
  if (err.code === 'bad-settings') return new AppError('INVALID_INPUT', err.message);
  if (err.code === 'bad-reference') return new AppError('FAILED', err.message, { reason: err.code });
  if (err.code === 'model-mismatch' || err.code === 'no-model') {
    return new AppError('MODEL', err.message, { reason: err.code, ...(err.details ?? {}) });
  }
  return err;
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asAppError(err);
  }
}

function title(method: string): string {
  return method === 'net'
    ? 'Autofocus'
    : method === 'sweep'
      ? 'Autofocus (classic sweep)'
      : 'Autofocus (coarse-to-fine)';
}

/** One line for the task's final message: the move, the confidence, the time. */
export function summarise(r: AutofocusResult): string {
  const moved = r.finalZUm - r.startZUm;
  const conf = r.confidence !== null ? `, confidence ${r.confidence.toFixed(2)}` : '';
  return `${r.message} (moved ${formatSignedUm(moved)}${conf}, ${r.images} images, ${(r.elapsedMs / 1000).toFixed(1)} s)`;
}

export function autofocusHandlers(s: Services): HandlersOf<typeof autofocusProcedures> {
  const view = async () => ({
    settings: await s.autofocus.getSettings(),
    problem: s.autofocus.settingsProblem,
    file: s.autofocus.settingsFile,
  });
  return {
    'autofocus.run': async ({ method, settings }) => {
      const task = s.tasks.start(
        { kind: 'autofocus', title: title(method), uses: ['stage', 'camera'], total: 1 },
        async (ctx) => {
          const result = await s.autofocus.run(
            { method, settings },
            { signal: ctx.signal, onProgress: (p) => ctx.progress(p.images, Math.max(p.images, 1), p.message) },
          );
          if (result.outcome === 'cancelled') throw new AppError('CANCELLED', 'Autofocus was cancelled');
          ctx.progress(result.images, Math.max(result.images, 1), summarise(result));
          return result;
        },
      );
      return { taskId: task.id };
    },
    'autofocus.estimate': (input) => guard(() => s.autofocus.estimate(input)),
    'autofocus.history': ({ limit }) => guard(() => s.autofocus.history(limit)),
    'autofocus.settings.get': () => view(),
    'autofocus.whiteReference.take': ({ setExposure }) =>
      guard(async () => {
        // it snaps and may set the exposure: never under a run or an acquisition
        const holder = s.tasks.holderOf('camera');
        if (holder) {
          throw new AppError('CONFLICT', `Cannot take a white reference: "${holder.title}" is using the camera`, {
            taskId: holder.id,
          });
        }
        const { exposure } = await s.autofocus.takeWhiteReference(setExposure);
        return { ...(await view()), exposure };
      }),
    'autofocus.whiteReference.fromGlass': () =>
      guard(async () => {
        await s.autofocus.whiteReferenceFromGlass();
        return view();
      }),
    'autofocus.settings.set': (patch) =>
      guard(async () => {
        await s.autofocus.setSettings(patch);
        return view();
      }),
  };
}

/**
 * Autofocus in the UI: start a run (a task), wait for its end, keep the last result and the live estimate for the
 * region map, toast the outcome.
 */
import type { AutofocusMethod, AutofocusResult, Estimate, RegionMap } from '../../../../shared/autofocus';
import type { TaskInfo } from '../../../../shared/schemas/task';
import { api, app, attempt } from '../../lib/app-state.svelte';
import { resultToast } from './autofocus-ui';

function waitForTask(taskId: string): Promise<TaskInfo> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (t: TaskInfo) => {
      if (done || t.id !== taskId || t.state === 'running' || t.state === 'paused') return;
      done = true;
      off();
      clearInterval(poll);
      resolve(t);
    };
    const off = api.on('task.progress', finish);
    // Events can be missed across a reconnect: ask now and then as well.
    const poll = setInterval(() => {
      api.invoke('tasks.get', { taskId }).then(finish, () => undefined);
    }, 1000);
  });
}

class AutofocusUi {
  running = $state(false);
  result = $state<AutofocusResult | null>(null);
  estimate = $state<Estimate | null>(null);
  /** The map to show: the last run's, or the live estimate's when newer. */
  regions = $state<RegionMap | null>(null);
  /** Show the map over the live image. */
  showMap = $state(true);
  /** Re-estimate (no move) every few seconds for the map. */
  liveMap = $state(false);

  async run(method: AutofocusMethod = 'net'): Promise<AutofocusResult | null> {
    if (this.running) return null;
    this.running = true;
    try {
      const { taskId } = await api.invoke('autofocus.run', { method });
      const end = await waitForTask(taskId);
      if (end.state !== 'done') {
        if (end.state === 'cancelled') app.toast('warning', 'Autofocus was cancelled');
        return null; // a failure is toasted by the app state
      }
      const r = end.result as AutofocusResult;
      this.result = r;
      // A classic run has no map: clear the old one rather than leave a stale map over a refocused image.
      this.regions = r.regions;
      const t = resultToast(r);
      app.toast(t.level, t.message, 8000);
      void app.refresh();
      return r;
    } catch (err) {
      app.error(err);
      return null;
    } finally {
      this.running = false;
    }
  }

  /**
   * The glass seen between the sample near focus becomes the white reference (autofocus.whiteReference.fromGlass):
   * what the hint offers without moving to blank glass. The settings view, or undefined when refused (toasted).
   */
  async useGlassInView() {
    const view = await attempt(() => api.invoke('autofocus.whiteReference.fromGlass', {}));
    if (view) {
      app.toast('success', 'White reference made of the glass in view: frames are now balanced to it');
      this.forgetGlassHint();
    }
    return view;
  }

  /** A white reference was taken: the hint of the readings before it no longer holds. */
  forgetGlassHint(): void {
    if (this.estimate?.hint) this.estimate = { ...this.estimate, hint: undefined };
    if (this.result?.hint) this.result = { ...this.result, hint: undefined };
  }

  async estimateNow(): Promise<Estimate | null> {
    try {
      const e = await api.invoke('autofocus.estimate', {});
      this.estimate = e;
      this.regions = e.regions;
      return e;
    } catch (err) {
      // One message, not one every 2 s: the live map switches itself off (no model, model for another setup...).
      this.liveMap = false;
      app.error(err);
      return null;
    }
  }
}

export const autofocusUi = new AutofocusUi();

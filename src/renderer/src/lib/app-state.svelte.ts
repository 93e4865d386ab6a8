/**
 * UI-wide state: the API client, connection, stage position, running tasks and toasts. Components read it
 * directly; only the API changes the backend.
 */
import { createApiClient } from '../../../shared/client';
import { ApiCallError } from '../../../shared/errors';
import type { HardwareConnection, StagePosition } from '../../../shared/schemas/hardware';
import type { TaskInfo } from '../../../shared/schemas/task';
import type { AppInfo } from '../../../shared/schemas/app';
import { createTransport, type ConnectionState } from './transport';

const transport = createTransport();
export const api = createApiClient(transport);

export type ToastLevel = 'info' | 'success' | 'warning' | 'error';
export interface Toast {
  id: number;
  level: ToastLevel;
  message: string;
}

class AppState {
  connection = $state<ConnectionState>('connecting');
  position = $state<StagePosition | null>(null);
  /** The hardware link (profile in use; connected, disconnected or lost). */
  hardware = $state<HardwareConnection | null>(null);
  info = $state<AppInfo | null>(null);
  tasks = $state<TaskInfo[]>([]);
  toasts = $state<Toast[]>([]);
  private nextToast = 1;

  constructor() {
    transport.onConnection((s) => {
      this.connection = s;
      if (s === 'connected') void this.refresh();
    });
    api.on('stage.position', (p) => (this.position = p));
    api.on('task.progress', (t) => this.upsertTask(t));
    api.on('notice', (n) => this.toast(n.level, n.message));
    api.on('hardware.connection', (c) => {
      this.hardware = c;
      // The profile name in the status bar comes with `info`.
      if (c.state === 'connected')
        void api.invoke('info').then(
          (i) => (this.info = i),
          () => undefined,
        );
    });
  }

  async refresh(): Promise<void> {
    try {
      const [info, position, tasks] = await Promise.all([
        api.invoke('info'),
        api.invoke('stage.position'),
        api.invoke('tasks.list'),
      ]);
      this.info = info;
      this.position = position;
      this.tasks = tasks;
      const hardware = await api.invoke('hardware.connection');
      // A note from the start (e.g. the last profile could not be reopened) is shown once.
      if (hardware.message && hardware.since !== this.hardware?.since) this.toast('warning', hardware.message, 12000);
      this.hardware = hardware;
    } catch (err) {
      this.error(err);
    }
  }

  toast(level: ToastLevel, message: string, ttlMs = level === 'error' ? 8000 : 4000): void {
    const id = this.nextToast++;
    this.toasts = [...this.toasts, { id, level, message }];
    setTimeout(() => this.dismiss(id), ttlMs);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** One clear message for any failed call. */
  error(err: unknown): void {
    const message = err instanceof ApiCallError || err instanceof Error ? err.message : String(err);
    this.toast('error', message);
  }

  get activeTasks(): TaskInfo[] {
    return this.tasks.filter((t) => t.state === 'running' || t.state === 'paused');
  }

  private upsertTask(t: TaskInfo): void {
    const i = this.tasks.findIndex((x) => x.id === t.id);
    if (i >= 0) this.tasks[i] = t;
    else this.tasks = [...this.tasks, t];
    if (t.state === 'failed' && t.error) this.toast('error', `${t.title}: ${t.error.message}`);
    if (t.state === 'done') this.toast('success', `${t.title}: done`);
  }
}

export const app = new AppState();

/** Run an API call and toast its error instead of throwing; returns undefined on failure. */
export async function attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    app.error(err);
    return undefined;
  }
}

export function formatEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '';
  if (s < 60) return `${Math.ceil(s)} s left`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.ceil(s % 60)} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}

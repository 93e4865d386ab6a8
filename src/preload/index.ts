/**
 * The preload bridge: exposes exactly the typed API (a call and an event subscription) to the renderer, nothing
 * else. Method names are checked against the contract here too, so the renderer cannot reach another channel.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNELS, isMethod, type ApiEvent } from '../shared/api';
import type { ApiResponse } from '../shared/errors';

const bridge = {
  call(method: string, payload: unknown): Promise<ApiResponse> {
    if (!isMethod(method)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'UNKNOWN_METHOD', message: `Unknown API method "${method}"` },
      });
    }
    return ipcRenderer.invoke(IPC_CHANNELS.invoke, method, payload);
  },
  subscribe(listener: (event: ApiEvent) => void): () => void {
    const handler = (_e: IpcRendererEvent, event: ApiEvent) => listener(event);
    ipcRenderer.on(IPC_CHANNELS.event, handler);
    return () => ipcRenderer.removeListener(IPC_CHANNELS.event, handler);
  },
};

export type FocusStationBridge = typeof bridge;

contextBridge.exposeInMainWorld('focusStation', bridge);

/**
 * How the UI reaches the backend: the Electron preload bridge when it is there, otherwise a WebSocket back to the
 * browser-mode server (same origin, authenticated by the session cookie). Both carry the same contract.
 */
import type { ApiEvent } from '../../../shared/api';
import { WS_PATH } from '../../../shared/api';
import type { ApiTransport } from '../../../shared/client';
import type { ApiResponse } from '../../../shared/errors';

declare global {
  interface Window {
    focusStation?: ApiTransport;
  }
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface UiTransport extends ApiTransport {
  kind: 'ipc' | 'websocket';
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

export function createTransport(): UiTransport {
  if (window.focusStation) {
    const bridge = window.focusStation;
    return {
      kind: 'ipc',
      call: (m, p) => bridge.call(m, p),
      subscribe: (l) => bridge.subscribe(l),
      onConnection: (l) => {
        l('connected');
        return () => {};
      },
    };
  }
  return createWebSocketTransport();
}

const CALL_TIMEOUT_MS = 120_000;

function createWebSocketTransport(): UiTransport {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
  const eventListeners = new Set<(e: ApiEvent) => void>();
  const connectionListeners = new Set<(s: ConnectionState) => void>();
  const pending = new Map<number, (r: ApiResponse) => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let opened: Promise<WebSocket>;
  let retryMs = 500;

  const setState = (s: ConnectionState) => {
    state = s;
    for (const l of connectionListeners) l(s);
  };

  const connect = (): Promise<WebSocket> =>
    new Promise((resolve) => {
      setState('connecting');
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        retryMs = 500;
        setState('connected');
        resolve(ws);
      };
      ws.onmessage = (msg) => {
        const data = JSON.parse(String(msg.data));
        if ('event' in data) for (const l of eventListeners) l(data as ApiEvent);
        else if (typeof data.id === 'number') {
          pending.get(data.id)?.(data.response as ApiResponse);
          pending.delete(data.id);
        }
      };
      ws.onclose = () => {
        socket = null;
        setState('disconnected');
        for (const [id, settle] of pending) {
          settle({ ok: false, error: { code: 'INTERNAL', message: 'Lost the connection to the FocusStation server' } });
          pending.delete(id);
        }
        setTimeout(() => {
          opened = connect();
          void opened.then(resolve);
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    });
  opened = connect();

  return {
    kind: 'websocket',
    async call(method, payload) {
      const ws = socket ?? (await opened);
      const id = nextId++;
      return new Promise<ApiResponse>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'INTERNAL', message: `${method} timed out` } });
        }, CALL_TIMEOUT_MS);
        pending.set(id, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        ws.send(JSON.stringify({ id, method, payload }));
      });
    },
    subscribe(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
  };
}

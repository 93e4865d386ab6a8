/**
 * The one client every front end uses. A transport moves a (method, payload) pair to the backend and brings back an
 * ApiResponse; this turns it into a typed promise and typed event subscriptions.
 */
import type { ApiEvent, EventName, Events, Invoke } from './api';
import { isMethod } from './api';
import type { EventPayload } from './contract';
import { ApiCallError, type ApiResponse } from './errors';

export interface ApiTransport {
  call(method: string, payload: unknown): Promise<ApiResponse>;
  /** Returns an unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

export interface ApiClient {
  invoke: Invoke;
  on<K extends EventName>(event: K, listener: (data: EventPayload<Events, K>) => void): () => void;
}

export function createApiClient(transport: ApiTransport): ApiClient {
  const invoke = (async (method: string, input?: unknown) => {
    if (!isMethod(method)) {
      throw new ApiCallError(method, { code: 'UNKNOWN_METHOD', message: `Unknown API method "${method}"` });
    }
    const response = await transport.call(method, input ?? {});
    if (!response.ok) throw new ApiCallError(method, response.error);
    return response.result;
  }) as Invoke;

  function on<K extends EventName>(event: K, listener: (data: EventPayload<Events, K>) => void): () => void {
    return transport.subscribe((e) => {
      if (e.event === event) listener(e.data as EventPayload<Events, K>);
    });
  }

  return { invoke, on };
}

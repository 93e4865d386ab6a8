/** The backend's event bus: services publish contract events, every front door forwards them to its clients. */
import type { ApiEvent, EventName, Events } from '../shared/api';
import type { EventPayload } from '../shared/contract';

export type EventListener = (event: ApiEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<K extends EventName>(event: K, data: EventPayload<Events, K>): void {
    const envelope = { event, data } as ApiEvent;
    for (const listener of this.listeners) {
      try {
        listener(envelope);
      } catch {
        // A broken subscriber (a closed socket) must not stop the others.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}

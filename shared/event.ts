/** Unsubscribes a listener. Always call it when the subscriber goes away. */
export type Disposer = () => void;

/** A subscription function, named `onDidX` by convention. */
export type Event<T> = (listener: (value: T) => void) => Disposer;

/** A minimal typed event source: `event` is handed out, `fire` stays with the owner. */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /** `onListenerError` sees what a listener throws; a broken listener must not break the owner. */
  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Calls every listener; one that throws does not stop the others. */
  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** Collects a stream's events (from an Observable) and lets a test wait for a condition on them. */
import type { Observable, Subscription } from 'rxjs';
import type { AffectEvent, StatusEvent, StreamEvent } from '../../src/core/events.js';
import { Conditions } from '../../src/tools/harness/condition.js';

export class EventLog {
  readonly events: Array<StreamEvent & { at: number }> = [];
  readonly #subscription: Subscription;
  readonly #conditions = new Conditions();
  #done = false;

  constructor(events$: Observable<StreamEvent>) {
    this.#subscription = events$.subscribe({
      next: (event) => {
        this.events.push({ ...event, at: performance.now() });
        this.#wake();
      },
      complete: () => {
        this.#done = true;
        this.#wake();
      },
      error: () => {
        this.#done = true;
        this.#wake();
      },
    });
  }

  get done(): boolean {
    return this.#done;
  }

  affect(): Array<AffectEvent & { at: number }> {
    return this.events.filter((e): e is AffectEvent & { at: number } => e.type === 'affect');
  }

  status(state?: StatusEvent['state']): Array<StatusEvent & { at: number }> {
    return this.events.filter((e): e is StatusEvent & { at: number } => e.type === 'status' && (state === undefined || e.state === state));
  }

  waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
    return this.#conditions.waitFor(what, predicate, timeoutMs, () => this.summary());
  }

  summary(): string {
    return JSON.stringify(this.events.map((e) => (e.type === 'affect' ? [e.seq, e.start, e.gap ? 'gap' : e.faces.length] : e.type === 'status' ? [e.state, e.error?.message ?? e.gap ?? ''] : [e.code, e.message])));
  }

  stop(): void {
    this.#subscription.unsubscribe();
  }

  #wake(): void {
    this.#conditions.wake();
  }

}

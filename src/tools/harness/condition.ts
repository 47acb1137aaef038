/** Waiting in tests for a condition on data that arrives asynchronously: re-checked on every arrival, with a timeout that says what was seen. */
export class Conditions {
  #waiters: Array<() => void> = [];

  /** Re-checks every pending condition; call it whenever new data arrives. */
  wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  waitFor(what: string, predicate: () => boolean, timeoutMs: number, seen: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return false;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve();
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(new Error(`timed out waiting for ${what}; events: ${seen()}`));
      }, timeoutMs);
      if (!check()) this.#waiters.push(wake);
    });
  }
}

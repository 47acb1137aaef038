/**
 * Lets a downstream stage hold an offline source's pulls while it catches up, so a file that
 * decodes faster than it can be analysed never piles windows up in memory. Live sources never wait
 * on it: they drop instead.
 */
export class FlowGate {
  #open = true;
  #waiting: Array<() => void> = [];

  get isOpen(): boolean {
    return this.#open;
  }

  setOpen(open: boolean): void {
    this.#open = open;
    if (!open) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resume of waiting) resume();
  }

  /** Runs `resume` now if the gate is open, otherwise as soon as it opens. */
  whenOpen(resume: () => void): void {
    if (this.#open) resume();
    else this.#waiting.push(resume);
  }
}

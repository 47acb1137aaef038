/** What every scenario gets and gives back, so the `bench` command can run any of them the same way. */
import { cpuSnapshot, machineFacts, otherLoad, type MachineFacts, type OtherLoad } from './machine.js';
import { ownPids } from './child.js';

export interface BenchContext {
  /** Where JSON results and plots go. */
  readonly resultsDir: string;
  /** Where generated clips and frames are kept between runs. */
  readonly cacheDir: string;
  /** Progress lines (stderr), so the table stays the last thing on stdout. */
  readonly progress: (line: string) => void;
  /** One name for this run's files: `<scenario>-<stamp>`. */
  readonly stamp: string;
}

export interface ScenarioOutcome {
  readonly table: string;
  readonly files: string[];
}

export interface Measured<T> {
  readonly value: T;
  /** What else the machine did meanwhile. */
  readonly load: OtherLoad;
}

/** Runs `work` and reports, beside its result, how busy the machine was with other processes meanwhile. */
export async function withLoad<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const before = cpuSnapshot();
  const value = await work();
  return { value, load: otherLoad(before, cpuSnapshot(), ownPids()) };
}

export function header(scenario: string): { scenario: string; measuredAt: string; machine: MachineFacts } {
  return { scenario, measuredAt: new Date().toISOString(), machine: machineFacts() };
}

/** A line on whether other work shared the machine, for the tables. */
export function loadNote(loads: readonly OtherLoad[]): string {
  const worst = Math.max(0, ...loads.map((l) => l.otherCores));
  const names = [...new Set(loads.flatMap((l) => l.others.map((o) => o.command)))].slice(0, 5);
  const who = names.length > 0 ? ` (${names.join(', ')}${names.length === 5 ? ', …' : ''})` : ' (short-lived processes)';
  return worst < 0.1 ? `other load: none (≤ ${worst.toFixed(2)} cores)` : `other load: up to ${worst.toFixed(2)} cores${who}`;
}

/**
 * What a benchmark result must say about where it was measured: the machine, the runtime, and how
 * busy the machine was with other work while it ran (a figure taken beside a training job is not
 * the same figure).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface MachineFacts {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly onnxruntime: string;
  readonly platform: string;
  readonly loadAverage: number[];
}

const require = createRequire(import.meta.url);

export function machineFacts(): MachineFacts {
  const ort = require('onnxruntime-node/package.json') as { version: string };
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    onnxruntime: ort.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** ONNX Runtime's name for where the models ran. */
export function providerName(device: string): string {
  return device === 'cpu' ? 'CPUExecutionProvider' : `${device.toUpperCase()}ExecutionProvider`;
}

interface ProcessTicks {
  readonly comm: string;
  readonly ticks: number;
}

export interface CpuSnapshot {
  readonly atMs: number;
  readonly busyTicks: number;
  readonly totalTicks: number;
  /** This process's CPU ticks plus those of its children that have ended (the kernel adds them on reaping). */
  readonly ownTicks: number;
  readonly processes: Map<number, ProcessTicks>;
}

export interface OtherLoad {
  /** Cores the whole machine was busy, on average, over the interval. */
  readonly machineCores: number;
  /** Cores this process and its ended children used. */
  readonly ownCores: number;
  /**
   * machineCores − ownCores: everything else, processes that came and went during the interval
   * included (a per-process sum would miss those).
   */
  readonly otherCores: number;
  /** Processes outside `own`, alive at the end, that used ≥ 0.05 cores over the interval: who the others were. */
  readonly others: Array<{ pid: number; command: string; cores: number }>;
}

/** Reads /proc (Linux); elsewhere the load is reported as unknown (NaN). */
export function cpuSnapshot(): CpuSnapshot {
  const processes = new Map<number, ProcessTicks>();
  let busyTicks = Number.NaN;
  let totalTicks = Number.NaN;
  let ownTicks = Number.NaN;
  try {
    const self = readFileSync('/proc/self/stat', 'utf8');
    const mine = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    // utime, stime, cutime, cstime: fields 14–17 of stat, 12–15 after the command.
    ownTicks = mine[11]! + mine[12]! + mine[13]! + mine[14]!;
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    totalTicks = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    busyTicks = totalTicks - (fields[3] ?? 0) - (fields[4] ?? 0);
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // The command sits in parentheses and may itself hold spaces or parentheses.
        const close = stat.lastIndexOf(')');
        const rest = stat.slice(close + 2).split(' ');
        processes.set(Number(name), { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(rest[11]) + Number(rest[12]) });
      } catch {
        // The process ended between the listing and the read.
      }
    }
  } catch {
    // Not Linux.
  }
  return { atMs: performance.now(), busyTicks, totalTicks, ownTicks, processes };
}

/** How busy the machine was between two snapshots, and with what, leaving out the `own` process ids. */
export function otherLoad(a: CpuSnapshot, b: CpuSnapshot, own: ReadonlySet<number>): OtherLoad {
  const cores = availableParallelism();
  const machineCores = ((b.busyTicks - a.busyTicks) / (b.totalTicks - a.totalTicks)) * cores;
  // USER_HZ is 100 on every Linux the project runs on.
  const seconds = (b.atMs - a.atMs) / 1000;
  const others: OtherLoad['others'] = [];
  for (const [pid, end] of b.processes) {
    if (own.has(pid)) continue;
    const start = a.processes.get(pid)?.ticks ?? 0;
    const used = (end.ticks - start) / 100 / seconds;
    if (used >= 0.05) others.push({ pid, command: end.comm, cores: Math.round(used * 100) / 100 });
  }
  const ownCores = (b.ownTicks - a.ownTicks) / 100 / seconds;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { machineCores: r(machineCores), ownCores: r(ownCores), otherCores: r(Math.max(0, machineCores - ownCores)), others: others.sort((x, y) => y.cores - x.cores) };
}

/**
 * Each measured run goes in a fresh Node process: its CPU time and peak RSS are then that run's own,
 * and one run's leftovers (threads, pools, JIT state) cannot help or hurt the next. The child prints
 * one JSON line last; anything else it writes to stderr is kept for the error message.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD_MAIN = fileURLToPath(new URL('./child-main.js', import.meta.url));
const own = new Set<number>([process.pid]);

/** This process and the children it started: their CPU is the benchmark's, not other load. */
export function ownPids(): ReadonlySet<number> {
  return own;
}

export interface ChildOptions {
  /** Killed after this long (a run that hangs must not hang the suite). */
  readonly timeoutMs: number;
  /** libuv threads: each GStreamer pipeline holds some while it waits on its sinks and bus. */
  readonly uvThreads?: number;
}

export function runChild<T>(mode: string, params: unknown, options: ChildOptions): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_MAIN, mode, JSON.stringify(params)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UV_THREADPOOL_SIZE: String(options.uvThreads ?? 64) },
    });
    if (child.pid !== undefined) own.add(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as T);
      else reject(new Error(`bench run "${mode}" failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

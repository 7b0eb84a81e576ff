// Both cores on one kernel call: the main thread runs the first part of a kernel's range and a worker
// (sharing the same WebAssembly.Memory, with its own instance of the kernels) runs the rest. A call is
// posted through a control block in shared memory; the worker spins on it for a while before sleeping,
// since waking a sleeping worker costs 23-42 microseconds (measured in the trial issue 8 reports), a lot beside a small kernel. Ranges are
// split at fixed points, and every kernel computes each output element the same way whatever its range,
// so results do not depend on the number of threads.

/** Layout of the control block (Int32 slots), followed by the arguments (Float64 slots). */
export const CONTROL = { seq: 0, done: 1, kernel: 2, argc: 3, quit: 4, failed: 5, slots: 16 } as const;
export const MAX_ARGS = 32;
export const CONTROL_BYTES = CONTROL.slots * 4 + MAX_ARGS * 8;

/** Iterations a waiting worker spins before it sleeps (a few milliseconds). */
export const SPIN_LIMIT = 200_000;

export interface WorkerPort {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/** Time and calls per kernel while a profile is on (engine profileKernels). */
export type KernelProfile = Map<string, { ms: number; calls: number }>;

export class ThreadPool {
  private seq = 0;
  profile: KernelProfile | undefined;
  private readonly control: Int32Array;
  private readonly args: Float64Array;

  constructor(memory: WebAssembly.Memory, controlAt: number, private readonly worker: WorkerPort | undefined, private readonly kernelIds: Map<string, number>) {
    this.control = new Int32Array(memory.buffer, controlAt, CONTROL.slots);
    this.args = new Float64Array(memory.buffer, controlAt + CONTROL.slots * 4, MAX_ARGS);
  }

  get threads(): number {
    return this.worker ? 2 : 1;
  }

  /**
   * Runs kernel(...args, lo, hi) over [0, extent): split in two at a multiple of `align` when there is a
   * worker and each part would get at least `grain` items, else on this thread alone.
   */
  run(kernel: (...a: number[]) => unknown, name: string, args: number[], extent: number, grain: number, align = 1): void {
    if (extent <= 0) return;
    if (this.profile) {
      const started = performance.now();
      const profile = this.profile;
      this.profile = undefined;
      try {
        this.run(kernel, name, args, extent, grain, align);
      } finally {
        this.profile = profile;
        const entry = profile.get(name) ?? { ms: 0, calls: 0 };
        profile.set(name, { ms: entry.ms + performance.now() - started, calls: entry.calls + 1 });
      }
      return;
    }
    if (!this.worker || extent < 2 * grain) {
      kernel(...args, 0, extent);
      return;
    }
    const split = Math.min(extent, Math.max(align, Math.round(extent / 2 / align) * align));
    const c = this.control;
    for (let i = 0; i < args.length; i++) this.args[i] = args[i];
    this.args[args.length] = split;
    this.args[args.length + 1] = extent;
    c[CONTROL.kernel] = this.kernelIds.get(name)!;
    c[CONTROL.argc] = args.length + 2;
    const seq = ++this.seq;
    Atomics.store(c, CONTROL.seq, seq);
    Atomics.notify(c, CONTROL.seq, 1);
    try {
      kernel(...args, 0, split);
    } finally {
      while (Atomics.load(c, CONTROL.done) !== seq) {
        // spin: the worker's part takes about as long as ours
      }
    }
    if (c[CONTROL.failed]) {
      c[CONTROL.failed] = 0;
      throw new Error(`kernel ${name} failed in the worker thread`);
    }
  }

  close(): void {
    if (!this.worker) return;
    Atomics.store(this.control, CONTROL.quit, 1);
    Atomics.store(this.control, CONTROL.seq, ++this.seq);
    Atomics.notify(this.control, CONTROL.seq, 1);
    this.worker.terminate();
  }
}

/**
 * The worker's side: waits for calls and runs its part. Shared by the Node worker and a browser Web Worker
 * (each wraps it in its own entry file); `exports` are the worker's own instance of the kernels.
 */
export function serveCalls(memory: WebAssembly.Memory, controlAt: number, exports: ((...a: number[]) => unknown)[]): void {
  const c = new Int32Array(memory.buffer, controlAt, CONTROL.slots);
  const args = new Float64Array(memory.buffer, controlAt + CONTROL.slots * 4, MAX_ARGS);
  // Calls are numbered from 1; one may already be posted before this loop starts, so start from 0.
  let seen = 0;
  for (;;) {
    let spins = 0;
    while (Atomics.load(c, CONTROL.seq) === seen) {
      if (++spins > SPIN_LIMIT) {
        Atomics.wait(c, CONTROL.seq, seen);
        spins = 0;
      }
    }
    seen = Atomics.load(c, CONTROL.seq);
    if (Atomics.load(c, CONTROL.quit)) return;
    try {
      exports[c[CONTROL.kernel]](...Array.from(args.subarray(0, c[CONTROL.argc])));
    } catch {
      c[CONTROL.failed] = 1;
    }
    Atomics.store(c, CONTROL.done, seen);
  }
}

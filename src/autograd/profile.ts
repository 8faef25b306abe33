/**
 * Where a training step spends its time (`senet train --profile`): wall time of every layer's
 * forward and backward, the loss, the optimizer update and waiting for data, summed over the
 * profiled steps. Kernels run synchronously (the calling thread waits for the pool), so the time
 * around a call is the time of its kernels.
 *
 * A module call opens a frame (Module.call); a frame's forward row gets the time of the ops it
 * ran itself (its child modules' frames are subtracted), and each op it recorded times its
 * backward into the same row name. So any container is profiled, and a module's own ops (a
 * residual block's addition) are counted where they run. Containers that run no op of their own
 * get no row.
 */
export type Pass = 'forward' | 'backward' | 'update' | 'wait';

export interface ProfileRow {
  /** The layer's state-dict path (`features.0`), or what ran (`loss`, `optimizer`, `data`). */
  name: string;
  /** The layer's type (`Conv2d`, `BatchNorm2d+ReLU`), or the same as `name`. */
  op: string;
  pass: Pass;
  /** Input shape of the first call. */
  shape: number[];
  calls: number;
  milliseconds: number;
}

/** A module call being profiled: the module's path and type, and what its own ops did. */
export interface ProfileFrame {
  readonly profiler: Profiler;
  readonly path: string;
  readonly op: string;
  /** Ops this call ran itself. */
  ops: number;
  /** Milliseconds spent in child frames. */
  childMilliseconds: number;
}

const frames: ProfileFrame[] = [];

/** The innermost module call being profiled, if any. */
export function currentFrame(): ProfileFrame | undefined {
  return frames.at(-1);
}

/** Counts an op toward the innermost frame (its forward time is then reported). */
export function noteOp(): void {
  const frame = frames.at(-1);
  if (frame) frame.ops++;
}

export class Profiler {
  private readonly rows = new Map<string, ProfileRow>();

  /** Runs `work`, adding its wall time to the row of (`name`, `pass`); `countCall` false adds time only. */
  time<T>(name: string, op: string, pass: Pass, shape: readonly number[], work: () => T, countCall = true): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.add(name, op, pass, shape, performance.now() - started, countCall);
    }
  }

  /** Runs a module's forward `work` as a frame named `path` of type `op` (see the file comment). */
  frame<T>(path: string, op: string, shape: readonly number[], work: () => T): T {
    const frame: ProfileFrame = { profiler: this, path, op, ops: 0, childMilliseconds: 0 };
    const parent = frames.at(-1);
    frames.push(frame);
    const started = performance.now();
    try {
      return work();
    } finally {
      frames.pop();
      const elapsed = performance.now() - started;
      if (parent) parent.childMilliseconds += elapsed;
      if (frame.ops > 0) this.add(path, op, 'forward', shape, elapsed - frame.childMilliseconds);
    }
  }

  add(name: string, op: string, pass: Pass, shape: readonly number[], milliseconds: number, countCall = true): void {
    const key = `${name}\u0000${pass}`;
    const row = this.rows.get(key) ?? { name, op, pass, shape: [...shape], calls: 0, milliseconds: 0 };
    if (countCall || row.calls === 0) row.calls++;
    row.milliseconds += milliseconds;
    this.rows.set(key, row);
  }

  /** The rows in the order they first ran. */
  report(): ProfileRow[] {
    return [...this.rows.values()].map((row) => ({ ...row, shape: [...row.shape] }));
  }
}

/**
 * A table of `rows`: per row its milliseconds per step and share of the total, then totals per
 * op type and pass, largest first.
 */
export function formatProfile(rows: readonly ProfileRow[], steps: number): string {
  const total = rows.reduce((sum, r) => sum + r.milliseconds, 0);
  const perStep = (ms: number) => (ms / Math.max(1, steps)).toFixed(1).padStart(9);
  const share = (ms: number) => `${((100 * ms) / total).toFixed(1)}%`.padStart(7);
  const lines = [
    `per step, mean of ${steps} steps (${(total / Math.max(1, steps)).toFixed(0)} ms a step)`,
    `${'layer'.padEnd(14)}${'op'.padEnd(20)}${'pass'.padEnd(10)}${'input'.padEnd(20)}${'ms/step'.padStart(9)}${'share'.padStart(7)}`,
  ];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(14)}${r.op.padEnd(20)}${r.pass.padEnd(10)}${`[${r.shape.join(',')}]`.padEnd(20)}${perStep(r.milliseconds)}${share(r.milliseconds)}`);
  }
  const byOp = new Map<string, number>();
  for (const r of rows) byOp.set(`${r.op} ${r.pass}`, (byOp.get(`${r.op} ${r.pass}`) ?? 0) + r.milliseconds);
  lines.push('', `${'op and pass'.padEnd(64)}${'ms/step'.padStart(9)}${'share'.padStart(7)}`);
  for (const [op, ms] of [...byOp].sort((a, b) => b[1] - a[1])) lines.push(`${op.padEnd(64)}${perStep(ms)}${share(ms)}`);
  return lines.join('\n');
}

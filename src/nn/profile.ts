/**
 * Where a training step spends its time (`senet train --profile`): wall time of every layer's
 * forward and backward, the loss, the optimizer update and waiting for data, summed over the
 * profiled steps. Kernels run synchronously (the calling thread waits for the pool), so the time
 * around a call is the time of its kernels.
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

export class Profiler {
  private readonly rows = new Map<string, ProfileRow>();

  /** Runs `work`, adding its wall time to the row of (`name`, `pass`). */
  time<T>(name: string, op: string, pass: Pass, shape: readonly number[], work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.add(name, op, pass, shape, performance.now() - started);
    }
  }

  add(name: string, op: string, pass: Pass, shape: readonly number[], milliseconds: number): void {
    const key = `${name}\u0000${pass}`;
    const row = this.rows.get(key) ?? { name, op, pass, shape: [...shape], calls: 0, milliseconds: 0 };
    row.calls++;
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

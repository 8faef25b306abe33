/**
 * Learning-rate schedules, as functions of the optimizer step (0-based) and the run's length.
 * They match torch.optim.lr_scheduler's curves: StepLR and CosineAnnealingLR stepped once per
 * epoch, OneCycleLR stepped per batch (cosine annealing, pct_start 0.3, div_factor 25,
 * final_div_factor 1e4). `triangle` is the fast recipe's (airbench's), per batch: a LambdaLR of
 * `np.interp(step, [0, int(0.23 * total), total], [0.2, 1, 0.07])`, total the run's steps.
 */
export type ScheduleName = 'constant' | 'step' | 'cosine' | 'one-cycle' | 'triangle';
export const SCHEDULES: readonly ScheduleName[] = ['constant', 'step', 'cosine', 'one-cycle', 'triangle'];

/** The knots of the `triangle` schedule, as fractions of the run and multipliers of the rate. */
export const TRIANGLE = { warmup: 0.23, start: 0.2, end: 0.07 } as const;

export interface ScheduleContext {
  /** The base (or, for one-cycle, the maximum) learning rate. */
  lr: number;
  stepsPerEpoch: number;
  epochs: number;
}

export function learningRate(name: ScheduleName, step: number, ctx: ScheduleContext): number {
  const { lr, stepsPerEpoch, epochs } = ctx;
  const epoch = Math.floor(step / stepsPerEpoch);
  switch (name) {
    case 'constant':
      return lr;
    case 'step': {
      // StepLR(step_size = max(1, epochs / 3), gamma 0.1)
      const stepSize = Math.max(1, Math.floor(epochs / 3));
      return lr * 0.1 ** Math.floor(epoch / stepSize);
    }
    case 'cosine':
      // CosineAnnealingLR(T_max = epochs, eta_min 0)
      return (lr * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
    case 'one-cycle': {
      const total = stepsPerEpoch * epochs;
      const up = 0.3 * total - 1;
      const [initial, min] = [lr / 25, lr / 25 / 1e4];
      const anneal = (from: number, to: number, pct: number) => to + ((from - to) * (1 + Math.cos(Math.PI * pct))) / 2;
      if (step <= up) return anneal(initial, lr, up > 0 ? step / up : 1);
      return anneal(lr, min, Math.min(1, (step - up) / (total - 1 - up)));
    }
    case 'triangle': {
      const total = Math.round(stepsPerEpoch * epochs);
      return lr * piecewiseLinear(step, [0, Math.floor(TRIANGLE.warmup * total), total], [TRIANGLE.start, 1, TRIANGLE.end]);
    }
  }
}

/**
 * `np.interp(step, xs, ys)`: linear between the knots `(xs[i], ys[i])`, `ys[0]` before the
 * first and the last `ys` after the last (xs increasing). The fast recipe's schedule is
 * `piecewiseLinear(step, [0, int(0.23 * total), total], [0.2, 1, 0.07])`, a multiplier of the rate.
 */
export function piecewiseLinear(step: number, xs: readonly number[], ys: readonly number[]): number {
  if (xs.length === 0 || xs.length !== ys.length) throw new RangeError(`piecewiseLinear: ${xs.length} knots x and ${ys.length} values y`);
  for (let i = 1; i < xs.length; i++) {
    if (!(xs[i]! >= xs[i - 1]!)) throw new RangeError(`piecewiseLinear: the knots must increase, got ${xs.join(', ')}`);
  }
  if (step <= xs[0]!) return ys[0]!;
  for (let i = 1; i < xs.length; i++) {
    if (step <= xs[i]!) {
      const [x0, x1, y0, y1] = [xs[i - 1]!, xs[i]!, ys[i - 1]!, ys[i]!];
      return x1 === x0 ? y1 : y0 + ((step - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return ys[ys.length - 1]!;
}

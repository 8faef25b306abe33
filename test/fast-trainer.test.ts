/**
 * The fast recipe through createTrainer (issue 14), on a small synthetic set: 512 training
 * images make 4 steps an epoch, so 2.5 epochs are 10 steps with two lookahead updates. Imports
 * the built package (npm test builds dist first), because the workers load dist's JavaScript.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { senet } from './cli-runner.js';
import { createTrainer, stateDictMetadata, type TrainerClient } from '../dist/index.js';
import { CIFAR10_NORMALIZATION, FAST_RECIPE } from '../dist/train/fast.js';

const open: TrainerClient[] = [];
async function trainer(model = 'fast_senet'): Promise<TrainerClient> {
  const t = await createTrainer({ model, threads: 2, seed: 5 });
  open.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const SYNTHETIC = { kind: 'synthetic', train: 512, test: 64 } as const;

describe("fit({ recipe: 'fast' })", () => {
  it('trains 2.5 epochs, evaluating plain and with TTA after epochs 1 and 2 and at the end; the weights record the model and normalisation', async () => {
    const t = await trainer();
    await t.loadData(SYNTHETIC);
    const summary = await t.fit({ recipe: 'fast', seed: 1 });
    expect(summary.reason).toBe('done');
    expect(summary.run).toEqual({ ...FAST_RECIPE, seed: 1 });
    expect(summary.progress).toMatchObject({ epoch: 2, batch: 2, step: 10 });
    expect(summary.epochs.map((e) => e.epoch)).toEqual([1, 2, 2.5]);
    for (const e of summary.epochs) {
      expect(e.test!.count).toBe(64);
      expect(e.test!.tta!.count).toBe(64);
      expect(Number.isFinite(e.trainLoss)).toBe(true);
    }
    const elapsed = summary.epochs.map((e) => e.elapsedSeconds);
    expect(elapsed[0]!).toBeGreaterThan(summary.epochs[0]!.seconds); // the model's build and whitening count
    expect(elapsed[1]!).toBeCloseTo(elapsed[0]! + summary.epochs[1]!.seconds, 6);
    expect(elapsed[2]!).toBeGreaterThan(elapsed[1]!);
    // The summed loss: about 128 x the mean (ln 10 = 2.3 at the start).
    expect(summary.epochs[0]!.trainLoss).toBeGreaterThan(50);

    const weights = await t.stateDict();
    const meta = stateDictMetadata(weights, 'weights')!;
    expect(meta.model).toBe('fast_senet');
    expect(meta.normalization).toEqual(CIFAR10_NORMALIZATION);
    const final = summary.epochs[2]!.test!;
    // Another trainer evaluates the file as trained: the same normalisation from the metadata.
    const other = await trainer();
    await other.loadData({ ...SYNTHETIC, testOnly: true });
    await other.loadStateDict(weights);
    const again = await other.evaluate({ tta: true });
    expect(again.accuracy).toBe(final.accuracy);
    expect(again.tta!.accuracy).toBe(final.tta!.accuracy);
  });

  it('resumes a cancelled run (the average, the flip mask, the shift stream) to the weights of an uninterrupted one', async () => {
    const run = { recipe: 'fast', checkpoints: true, evaluate: false } as const;
    const whole = await trainer();
    await whole.loadData(SYNTHETIC);
    await whole.fit(run);
    const expected = await whole.stateDict();

    const parts = await trainer();
    await parts.loadData(SYNTHETIC);
    let saved: Uint8Array | undefined;
    const first = await parts.fit(run, {
      onBatch: (r) => {
        if (r.step === 6) void parts.cancel();
      },
      onStop: (r) => {
        saved = r.checkpoint;
      },
    });
    expect(first.reason).toBe('cancelled');
    // Stopped between lookahead updates (steps 5 and 10), inside the second epoch.
    expect(first.progress.step).toBeGreaterThanOrEqual(6);
    expect(first.progress.step).toBeLessThan(10);
    const second = await parts.fit({ ...run, resume: saved });
    expect(second.progress).toMatchObject({ epoch: 2, batch: 2, step: 10 });
    expect(Buffer.from(await parts.stateDict()).equals(Buffer.from(expected))).toBe(true);

    await expect(parts.fit({ ...run, seed: 2, resume: saved })).rejects.toThrow('the checkpoint was made with seed 0; this run has 2');
    await expect(parts.fit({ epochs: 1, checkpoints: true, resume: saved })).rejects.toThrow('the checkpoint was made with recipe "fast"; this run has undefined');
  });

  it('refuses the options it sets itself, and models other than fast_senet', async () => {
    const t = await trainer();
    await t.loadData(SYNTHETIC);
    await expect(t.fit({ recipe: 'fast', lr: 0.1, batchSize: 64 })).rejects.toThrow(
      "recipe 'fast' sets its own batchSize, lr (only epochs and seed may be given with it)",
    );
    const seed = await trainer('se_resnet20');
    await seed.loadData(SYNTHETIC);
    await expect(seed.fit({ recipe: 'fast' })).rejects.toThrow(
      "recipe 'fast' trains fast_senet; this trainer was made for se_resnet20 (createTrainer({ model: 'fast_senet' }))",
    );
  });
});

describe('senet train --recipe fast', () => {
  it('trains, resumes after --steps to the same weights, and senet eval --tta needs no other flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-fast-'));
    const args = ['train', '--recipe', 'fast', '--data', 'synthetic', '--limit', '512', '--threads', '2', '--seed', '3'];
    const whole = senet([...args, '--out', 'whole', '--save', 'whole.safetensors'], dir);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stderr).toContain('training fast_senet (297,784 parameters)');
    const epochLine = (epoch: string) => new RegExp(`^epoch ${epoch}/2\\.5: train loss [\\d.]+ acc [\\d.]+%, test loss [\\d.]+ acc ([\\d.]+)% \\(TTA ([\\d.]+)%\\), \\d+ s, [\\d.]+ img/s, [\\d.]+ s of training$`, 'm');
    for (const epoch of ['1', '2', '2\\.5']) expect(whole.stdout).toMatch(epochLine(epoch));
    const [, plain, tta] = whole.stdout.match(epochLine('2\\.5'))!;

    const part = senet([...args, '--out', 'part', '--steps', '6'], dir);
    expect(part.code, part.stderr).toBe(0);
    expect(part.stderr).toContain('stopped after 6 steps');
    const resumed = senet([...args, '--out', 'part', '--resume', '--save', 'resumed.safetensors'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(dir, 'resumed.safetensors')).equals(readFileSync(join(dir, 'whole.safetensors')))).toBe(true);

    const evaluation = senet(['eval', '--weights', 'whole.safetensors', '--data', 'synthetic', '--limit', '512', '--tta', '--threads', '2'], dir);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    expect(evaluation.stdout).toContain(`accuracy ${plain}% (512 images)`);
    expect(evaluation.stdout).toContain(`with flip TTA: test loss`);
    expect(evaluation.stdout).toContain(`accuracy ${tta}%\n`);
  });

  it('refuses the flags the recipe sets, another model, and widths for a model without them', () => {
    const refused = senet(['train', '--recipe', 'fast', '--lr', '0.1', '--augment', 'none', '--data', 'synthetic']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('senet: --recipe fast sets its own --lr, --augment: drop them');
    const model = senet(['train', '--recipe', 'fast', '--model', 'senet', '--data', 'synthetic']);
    expect(model.stderr).toContain('senet: --recipe fast trains fast_senet, not --model senet');
    expect(senet(['train', '--recipe', 'slow']).stderr).toContain('senet: --recipe must be one of fast, got \'slow\'');
    expect(senet(['train', '--widths', '8,8,8', '--data', 'synthetic']).stderr).toContain('senet: --widths: senet takes no widths');
  });
});

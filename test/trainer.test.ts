/**
 * createTrainer: the engine in a worker behind Comlink (Node worker_threads here; the browser
 * test drives the same code in Chromium). Imports the built package (npm test builds dist first),
 * because the workers load dist's JavaScript.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTrainer, DataLoader, ImageDataset, syntheticImages, type TrainerClient } from '../dist/index.js';
import { PrefetchingLoader } from '../dist/worker/prefetch.js';

const open: TrainerClient[] = [];
async function trainer(threads = 2): Promise<TrainerClient> {
  const t = await createTrainer({ threads, seed: 3 });
  open.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const SYNTHETIC = { kind: 'synthetic', train: 96, test: 32 } as const;

describe('createTrainer (Node worker)', () => {
  it('reports its build and threads, trains with progress, evaluates, predicts and round-trips weights', async () => {
    const t = await trainer();
    expect(t.info.threads).toBe(2);
    expect(t.info.parameters).toBe(6_415_882);
    expect(await t.loadData(SYNTHETIC)).toMatchObject({ source: 'synthetic', train: 96, test: 32 });

    // The calling thread keeps running while the worker trains.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const batches: number[] = [];
    const summary = await t.fit({ epochs: 1, batchSize: 32 }, { onBatch: (r) => batches.push(r.batch) });
    clearInterval(timer);
    expect(batches).toEqual([1, 2, 3]);
    expect(summary.reason).toBe('done');
    expect(summary.run).toMatchObject({ epochs: 1, batchSize: 32, optimizer: 'adam', lr: 1e-3 });
    expect(summary.epochs[0]!.test!.count).toBe(32);
    expect(ticks).toBeGreaterThan(5);

    const evaluation = await t.evaluate({ limit: 20 });
    expect(evaluation.count).toBe(20);
    const { images, labels, shape } = await t.testImages(0, 4);
    expect(shape).toEqual([3, 32, 32]);
    expect(labels).toEqual([0, 1, 2, 3]);
    const prediction = await t.predict(images, 4);
    expect(prediction.probabilities).toHaveLength(4);
    for (const row of prediction.probabilities) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    const weights = await t.stateDict();
    const other = await trainer(1);
    await other.loadData(SYNTHETIC);
    await other.loadStateDict(weights);
    expect((await other.predict(images, 4)).probabilities).toEqual(prediction.probabilities);
  });

  it('cancels a running fit, and resuming its checkpoint ends with the weights of an uninterrupted run', async () => {
    const run = { epochs: 2, batchSize: 32, schedule: 'cosine', checkpoints: true } as const;
    const whole = await trainer();
    await whole.loadData(SYNTHETIC);
    await whole.fit(run);
    const expected = await whole.stateDict();

    const parts = await trainer();
    await parts.loadData(SYNTHETIC);
    let saved: Uint8Array | undefined;
    const first = await parts.fit(run, {
      onBatch: (r) => {
        if (r.step === 4) void parts.cancel();
      },
      onStop: (r) => {
        saved = r.checkpoint;
      },
    });
    expect(first.reason).toBe('cancelled');
    // The cancel message reaches the worker a batch or so after the callback that sent it.
    expect(first.progress.step).toBeGreaterThanOrEqual(4);
    expect(first.progress.step).toBeLessThan(6);
    expect(saved).toBeInstanceOf(Uint8Array);
    const second = await parts.fit({ ...run, resume: saved });
    expect(second.progress).toEqual({ epoch: 2, batch: 0, step: 6 });
    expect(Buffer.from(await parts.stateDict()).equals(Buffer.from(expected))).toBe(true);

    await expect(parts.fit({ ...run, lr: 0.01, resume: saved })).rejects.toThrow('the checkpoint was made with lr 0.001; this run has 0.01');
  });

  it('passes errors through with their messages, and a throwing callback stops the run', async () => {
    const t = await trainer(1);
    await expect(t.fit()).rejects.toThrow('no data loaded (call loadData first)');
    await expect(t.loadData({ kind: 'path', path: '/nonexistent/cifar' })).rejects.toThrow('/nonexistent/cifar does not exist');
    await t.loadData(SYNTHETIC);
    await expect(t.predict(new Uint8Array(100), 1)).rejects.toThrow('predict: 100 bytes is not 1 images of 3x32x32');
    await expect(t.loadStateDict(new Uint8Array(10), 'w.safetensors')).rejects.toThrow(/^w\.safetensors/);

    const running = t.fit({ epochs: 1, batchSize: 32 }, {
      onBatch: (r) => {
        if (r.batch === 2) throw new Error('stop here');
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(t.evaluate()).rejects.toThrow('evaluate: the trainer is busy with fit');
    await expect(running).rejects.toThrow('stop here');
  });
});

describe('PrefetchingLoader', () => {
  it('gives exactly the batches of the DataLoader it wraps, from any starting batch', async () => {
    const set = syntheticImages(70, 5);
    expect(set).toBeInstanceOf(ImageDataset);
    expect(set.images.buffer).toBeInstanceOf(SharedArrayBuffer); // shared with the worker, not copied
    const loader = new DataLoader(set, { batchSize: 16, shuffle: true, seed: 9, augment: 'crop-flip' });
    const prefetching = await PrefetchingLoader.start(loader);
    try {
      for (const [epoch, first] of [[0, 0], [3, 2]] as const) {
        const want = [...loader.batches(epoch, first)];
        const got = [];
        for await (const batch of prefetching.batches(epoch, first)) got.push(batch);
        expect(got).toEqual(want);
      }
    } finally {
      if (prefetching instanceof PrefetchingLoader) await prefetching.close();
    }
  });
});

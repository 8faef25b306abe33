/** Trains the reference SENet for a few steps on the built-in synthetic set, in a worker. */
import { createTrainer } from 'senet-wasm';

const out = document.querySelector<HTMLPreElement>('#log')!;
const log = (line: string) => void (out.textContent += `\n${line}`);

async function main(): Promise<void> {
  const trainer = await createTrainer();
  const { variant, threads, warnings } = trainer.info;
  log(`build ${variant}, ${threads} thread(s)${warnings.length ? `; ${warnings.join('; ')}` : ''}`);
  const data = await trainer.loadData({ kind: 'synthetic', train: 128, test: 64 });
  log(`data: ${data.train} training and ${data.test} test images`);
  const summary = await trainer.fit(
    { epochs: 1, batchSize: 32, lr: 1e-3, maxSteps: 4, evaluate: false },
    { onBatch: (r) => log(`step ${r.step}: loss ${r.loss.toFixed(4)}, ${r.imagesPerSecond.toFixed(1)} images/s`) },
  );
  const { accuracy } = await trainer.evaluate();
  await trainer.close();
  log(`done after ${summary.progress.step} steps; test accuracy ${(accuracy * 100).toFixed(1)}%`);
  document.body.dataset.done = JSON.stringify({ threads, steps: summary.progress.step, accuracy });
}

main().catch((error: unknown) => {
  log(`error: ${error instanceof Error ? error.message : String(error)}`);
  document.body.dataset.error = String(error);
});

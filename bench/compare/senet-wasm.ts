/**
 * bench/compare.ts's child for senet-wasm, and bench/ab.ts's: one model, one build, one thread
 * count, one task.
 *
 *   node [--experimental-wasm-relaxed-simd on Node 20] --import tsx bench/compare/senet-wasm.ts [--checkout DIR] \
 *     [--model senet] --task train|infer --variant simd-threads|relaxed-threads --threads N --warmup W --repeats R --steps S
 *
 * train: forward, cross-entropy, backward and an Adam (lr 1e-3) step on a fixed random batch, as
 * `senet train` does it (src/train/step.ts). infer: eval-mode forward at the batch size and at
 * batch 1, reading the logits back. Prints one result line (protocol.ts).
 *
 * `--checkout DIR` measures the library of another checkout (its src/ and pkg/, see checkout.ts),
 * with this checkout's timing loop and data: bench/ab.ts runs an older commit against this one.
 */
import type { Batch, VariantName } from '../../src/index.js';
import { loadCheckout } from './checkout.js';
import { measureInference } from './inference.js';
import { IMAGE_SHAPE, NUM_CLASSES, emit, log, parseChildArgs, peakRssKiB, randomBatch, throughput, type ChildResult } from './protocol.js';

const argv = process.argv.slice(2);
const options = parseChildArgs(argv);
const at = argv.indexOf('--checkout');
const checkout = await loadCheckout(at >= 0 ? argv[at + 1] : undefined);
const { Engine, Adam, trainStep } = checkout.library;
const variant = options.variant as VariantName;
const engine = await Engine.create({ threads: options.threads, variant });
if (engine.threads !== options.threads) throw new Error(`${variant}: asked for ${options.threads} threads, the engine runs ${engine.threads}`);
const model = checkout.createModel(engine, options.model, { numClasses: NUM_CLASSES, seed: 0 });
const label = `senet-wasm ${options.model} ${variant} x${options.threads}`;

const result: ChildResult = {
  framework: 'senet-wasm',
  variant,
  model: options.model,
  task: options.task,
  threads: options.threads,
  actualThreads: engine.threads,
  parameters: model.parameters.count,
  peakRssKiB: 0,
  info: { build: engine.variant.name, checkout: checkout.dir, api: checkout.api },
};

const shape = (batch: number): [number, number, number, number] => [batch, ...IMAGE_SHAPE];

if (options.task === 'train') {
  const optimizer = new Adam(model.parameters, { lr: 1e-3 });
  const { images, labels } = randomBatch(options.batch);
  const batch: Batch = { images, labels, indices: Uint32Array.from(labels.keys()), size: options.batch, shape: shape(options.batch) };
  model.train();
  let loss = NaN;
  result.train = throughput(() => ({ loss } = trainStep(engine, model, optimizer, batch)), options.batch, options);
  result.info.lastLoss = Number(loss.toPrecision(6));
  log(`${label} train: ${result.train.imagesPerSecond.toFixed(1)} images/s (last loss ${loss.toFixed(3)})`);
} else {
  model.eval();
  ({ infer: result.infer, infer1: result.infer1 } = measureInference(checkout.forward(engine, model), options));
  log(
    `${label} inference: ${result.infer.imagesPerSecond.toFixed(1)} images/s at batch ${options.batch}, ` +
      `${result.infer1.imagesPerSecond.toFixed(1)} at batch 1`,
  );
}

model.free();
await engine.close();
result.peakRssKiB = peakRssKiB();
emit(result);

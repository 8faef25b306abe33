/**
 * bench/compare.ts's child for senet-wasm: one build, one thread count, one task.
 *
 *   node [--experimental-wasm-relaxed-simd on Node 20] --import tsx bench/compare/senet-wasm.ts \
 *     --task train|infer --variant simd-threads|relaxed-threads --threads N --warmup W --repeats R --steps S
 *
 * train: forward, cross-entropy, backward and an Adam (lr 1e-3) step on a fixed random batch, as
 * `senet train` does it (src/train/step.ts). infer: eval-mode forward at the batch size and at
 * batch 1, reading the logits back. Prints one result line (protocol.ts).
 */
import { Adam, Engine, SENet, trainStep, type Batch, type VariantName } from '../../src/index.js';
import { measureInference, senetForward } from './inference.js';
import { IMAGE_SHAPE, NUM_CLASSES, emit, log, parseChildArgs, peakRssKiB, randomBatch, throughput, type ChildResult } from './protocol.js';

const options = parseChildArgs(process.argv.slice(2));
const variant = options.variant as VariantName;
const engine = await Engine.create({ threads: options.threads, variant });
if (engine.threads !== options.threads) throw new Error(`${variant}: asked for ${options.threads} threads, the engine runs ${engine.threads}`);
const model = SENet.create(engine, { numClasses: NUM_CLASSES, seed: 0 });

const result: ChildResult = {
  framework: 'senet-wasm',
  variant,
  task: options.task,
  threads: options.threads,
  actualThreads: engine.threads,
  parameters: model.parameters.count,
  peakRssKiB: 0,
  info: { build: engine.variant.name },
};

const shape = (batch: number): [number, number, number, number] => [batch, ...IMAGE_SHAPE];

if (options.task === 'train') {
  const optimizer = new Adam(model.parameters, { lr: 1e-3 });
  const { images, labels } = randomBatch(options.batch);
  const batch: Batch = { images, labels, indices: Uint32Array.from(labels.keys()), size: options.batch, shape: shape(options.batch) };
  model.train();
  let loss = NaN;
  result.train = throughput(() => ({ loss } = trainStep(engine, model, optimizer, batch)), options.batch, options);
  log(`senet-wasm ${variant} x${options.threads} train: ${result.train.imagesPerSecond.toFixed(1)} images/s (last loss ${loss.toFixed(3)})`);
} else {
  model.eval();
  ({ infer: result.infer, infer1: result.infer1 } = measureInference(senetForward(engine, model), options));
  log(
    `senet-wasm ${variant} x${options.threads} inference: ${result.infer.imagesPerSecond.toFixed(1)} images/s at batch ${options.batch}, ` +
      `${result.infer1.imagesPerSecond.toFixed(1)} at batch 1`,
  );
}

model.free();
await engine.close();
result.peakRssKiB = peakRssKiB();
emit(result);

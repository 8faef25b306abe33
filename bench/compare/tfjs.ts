/**
 * bench/compare.ts's child for TensorFlow.js: one backend, one thread count, one task.
 *
 *   node --import tsx bench/compare/tfjs.ts --variant cpu|wasm --task train|infer --threads N \
 *     --warmup W --repeats R --steps S [--batch 128]
 *
 * train: forward, softmax cross-entropy, gradients (optimizer.minimize) and an Adam (lr 1e-3)
 * step on a fixed random batch, then the batch-norm running-statistics update. infer: eval-mode
 * forward at the batch size and at batch 1, reading the logits back. The wasm backend's infer run
 * also tries one training step at batch 2 and reports why it fails (the backend has no
 * Conv2DBackpropFilter kernel). Prints one result line (protocol.ts).
 *
 * tfjs-backend-cpu is plain JavaScript on one thread. tfjs-backend-wasm (XNNPACK) uses SIMD when
 * the host has it, and threads only where its feature flag WASM_HAS_MULTITHREAD_SUPPORT is true,
 * which tfjs 4.x sets false under Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
import { NUM_CLASSES, emit, log, parseChildArgs, peakRssKiB, randomBatch, throughput, type ChildResult } from './protocol.js';
import { measureInference, tfjsForward } from './inference.js';
import { TfSENet, crossEntropy } from './tfjs-senet.js';

const require = createRequire(import.meta.url);
// tfjs-core's Node bundle registers no gradient functions (the @tensorflow/tfjs union package adds
// them): load them from tfjs-core's own module files, which share the bundle's global engine and
// gradient registry. Through require: they are extension-less ES module imports.
require('@tensorflow/tfjs-core/dist/register_all_gradients.js');

const options = parseChildArgs(process.argv.slice(2));
if (options.model !== 'senet') throw new Error(`tfjs: only --model senet (tfjs-senet.ts is the seed SENet), not '${options.model}'`);
const backend = options.variant;
const info: ChildResult['info'] = { 'tfjs-core': tf.version_core };
let actualThreads = 1;

if (backend === 'wasm') {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Before the backend starts: the size of XNNPACK's thread pool, when threads are available.
  wasm.setThreadsCount(options.threads);
  info.wasmSimd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  info.wasmThreadsSupported = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to start');
  actualThreads = wasm.getThreadsCount();
  info.wasmBinary = info.wasmSimd ? (info.wasmThreadsSupported ? 'threaded-simd' : 'simd') : 'plain';
  info['tfjs-backend-wasm'] = wasm.version_wasm;
} else if (backend === 'cpu') {
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs: the cpu backend failed to start');
  info['tfjs-backend-cpu'] = (require('@tensorflow/tfjs-backend-cpu/package.json') as { version: string }).version;
} else {
  throw new Error(`--variant must be cpu or wasm, got '${backend}'`);
}
await tf.ready();

const model = new TfSENet(NUM_CLASSES, 0);
const result: ChildResult = {
  framework: 'tfjs',
  variant: backend,
  model: options.model,
  task: options.task,
  threads: options.threads,
  actualThreads,
  parameters: model.parameterCount,
  peakRssKiB: 0,
  info,
};

const nhwc = (batch: number): [number, number, number, number] => [batch, 32, 32, 3];
// Random values: their order (NCHW or NHWC) does not matter.
const big = randomBatch(options.batch);

/** One training step on `images`; returns the loss. */
function makeTrainStep(optimizer: tf.Optimizer, batch: number, images: Float32Array, labels: Uint32Array): () => number {
  const labelValues = Int32Array.from(labels);
  return () => {
    const x = tf.tensor4d(images, nhwc(batch));
    const y = tf.tensor1d(labelValues, 'int32');
    const cost = optimizer.minimize(() => crossEntropy(model.forward(x, true), y), true, model.trainable);
    const loss = cost!.dataSync()[0]!;
    tf.dispose([cost!, x, y]);
    model.updateRunningStats();
    return loss;
  };
}

if (options.task === 'train') {
  const step = makeTrainStep(tf.train.adam(1e-3, 0.9, 0.999, 1e-8), options.batch, big.images, big.labels);
  let loss = NaN;
  const tensorsBefore = tf.memory().numTensors;
  result.train = throughput(() => void (loss = step()), options.batch, options);
  log(
    `tfjs ${backend} x${actualThreads} train: ${result.train.imagesPerSecond.toFixed(2)} images/s (last loss ${loss.toFixed(3)}, ` +
      `${tf.memory().numTensors - tensorsBefore} tensors more than before, the optimizer's state)`,
  );
} else {
  ({ infer: result.infer, infer1: result.infer1 } = measureInference(tfjsForward(tf, model), options));
  log(
    `tfjs ${backend} x${actualThreads} inference: ${result.infer.imagesPerSecond.toFixed(1)} images/s at batch ${options.batch}, ` +
      `${result.infer1.imagesPerSecond.toFixed(1)} at batch 1`,
  );
  if (backend !== 'cpu') {
    // Can this backend train the model at all? One step at batch 2 (cheap either way).
    const small = randomBatch(2);
    try {
      makeTrainStep(tf.train.adam(1e-3), 2, small.images, small.labels)();
    } catch (error) {
      result.trainError = error instanceof Error ? error.message : String(error);
      log(`tfjs ${backend}: training fails: ${result.trainError}`);
    }
  }
}

result.peakRssKiB = peakRssKiB();
emit(result);

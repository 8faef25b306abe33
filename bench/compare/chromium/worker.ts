/**
 * Inference in Chromium for bench/compare/chromium.ts: senet-wasm (src/, bundled by Vite) or
 * TF.js's wasm backend with its threaded SIMD binary, timed by the same loop as the Node children
 * (../inference.ts). The page is cross-origin isolated, so both can start threads.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { Engine, createModel, type VariantName } from '../../../src/index.js';
import { measureInference, modelForward, tfjsForward } from '../inference.js';
import { NUM_CLASSES, type ChildOptions, type ChildResult } from '../protocol.js';
import { TfSENet } from '../tfjs-senet.js';

export interface PageRequest {
  framework: 'senet-wasm' | 'tfjs';
  options: ChildOptions;
}

export type PageAnswer = { result: ChildResult } | { error: string };

async function senet(options: ChildOptions): Promise<ChildResult> {
  const variant = options.variant as VariantName;
  const engine = await Engine.create({ threads: options.threads, variant });
  const model = createModel(engine, options.model, { numClasses: NUM_CLASSES, seed: 0 });
  try {
    model.eval();
    const rates = measureInference(modelForward(engine, model), options);
    return {
      framework: 'senet-wasm', variant: options.variant, model: options.model, task: 'infer', threads: options.threads, actualThreads: engine.threads,
      parameters: model.parameters.count, peakRssKiB: 0, info: { build: engine.variant.name, userAgent: navigator.userAgent }, ...rates,
    };
  } finally {
    model.free();
    await engine.close();
  }
}

async function tfjs(options: ChildOptions): Promise<ChildResult> {
  tfWasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': plainWasm,
    'tfjs-backend-wasm-simd.wasm': simdWasm,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasm,
  });
  // Before the backend starts: the size of XNNPACK's thread pool. TF.js caps it at half of
  // navigator.hardwareConcurrency (its backend.cc assumes two hardware threads a core), so on a
  // 2-core machine it would run 1 thread whatever it is asked: report twice the threads asked for.
  tfWasm.setThreadsCount(options.threads);
  const reported = navigator.hardwareConcurrency;
  Object.defineProperty(Object.getPrototypeOf(navigator), 'hardwareConcurrency', { get: () => 2 * options.threads, configurable: true });
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to start');
  await tf.ready();
  const model = new TfSENet(NUM_CLASSES, 0);
  const rates = measureInference(tfjsForward(tf, model), options);
  return {
    framework: 'tfjs', variant: options.variant, model: options.model, task: 'infer', threads: options.threads, actualThreads: tfWasm.getThreadsCount(),
    parameters: model.parameterCount, peakRssKiB: 0,
    info: {
      'tfjs-core': tf.version_core, 'tfjs-backend-wasm': tfWasm.version_wasm, wasmSimd: simd, wasmThreadsSupported: threads,
      wasmBinary: simd ? (threads ? 'threaded-simd' : 'simd') : 'plain', userAgent: navigator.userAgent,
      hardwareConcurrency: reported,
    },
    ...rates,
  };
}

self.onmessage = async ({ data }: MessageEvent<PageRequest>) => {
  let answer: PageAnswer;
  try {
    answer = { result: await (data.framework === 'tfjs' ? tfjs : senet)(data.options) };
  } catch (error) {
    answer = { error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) };
  }
  self.postMessage(answer);
};

// @ts-check
/**
 * A thread of the kernels' rayon pool: a Node worker_thread or a browser module Web Worker.
 *
 * It receives the compiled module and the shared memory, instantiates the module on that memory
 * (wasm-bindgen gives the thread its own stack and thread-local storage), reports `ready`, and
 * runs rayon's worker loop until the pool is stopped. Then it frees its stack, reports `exited`
 * and closes. Plain JavaScript so Node can run it without a build step.
 */
import { VARIANTS } from './variants.js';

/**
 * @typedef {object} PoolWorkerInit
 * @property {import('./variants.js').VariantName} variant
 * @property {WebAssembly.Module} module
 * @property {WebAssembly.Memory} memory
 * @property {number | undefined} threadStackSize
 */

/** @returns {Promise<{ init: PoolWorkerInit, post: (message: object) => void, close: () => void }>} */
async function connect() {
  if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('pool-worker.js must run as a worker_thread');
    const port = parentPort;
    /** @type {PoolWorkerInit} */
    const init = await new Promise((resolve) => port.once('message', resolve));
    return { init, post: (m) => port.postMessage(m), close: () => port.close() };
  }
  const scope = /** @type {any} */ (globalThis);
  /** @type {PoolWorkerInit} */
  const init = await new Promise((resolve) =>
    scope.addEventListener('message', (/** @type {MessageEvent} */ e) => resolve(e.data), { once: true }),
  );
  return { init, post: (m) => scope.postMessage(m), close: () => scope.close() };
}

const { init, post, close } = await connect();
try {
  // Only builds with threads start pool workers.
  const glue = /** @type {import('./variants.js').ThreadsGlue} */ (await VARIANTS[init.variant].glue());
  const wasm = glue.initSync({ module: init.module, memory: init.memory, thread_stack_size: init.threadStackSize });
  post({ type: 'ready' });
  glue.run_pool_worker(); // returns once the pool is stopped
  wasm.__wbindgen_thread_destroy();
  post({ type: 'exited' });
} catch (error) {
  post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
close();

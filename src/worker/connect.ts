/**
 * Workers behind Comlink, the same way in Node (worker_threads, through Comlink's node adapter)
 * and in browsers (module Web Workers). `connect` starts a worker and waits for it to say it is
 * ready; `serve` is the worker's side. The handshake matters: a message posted to a module
 * worker before its top-level code has run can be lost.
 */
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
// The published declarations name the package's own types ('comlink' resolves to them in any
// project), not the ES module path, which only this repository's src/worker/comlink.d.ts types.
import type { Remote } from 'comlink';

const READY = 'senet-wasm:ready';

export interface Connection<T> {
  remote: Remote<T>;
  /** Ends the worker (after the caller has let it finish its work). */
  terminate(): Promise<void>;
}

const inNode = typeof process === 'object' && typeof process.versions?.node === 'string' && typeof document === 'undefined' &&
  !('WorkerGlobalScope' in globalThis);

/**
 * Starts a worker and connects to what it serves: in Node the module `file` (`./x.js`) of this folder
 * (src/worker, dist/worker); in a browser the worker `browserWorker` makes, which must be
 * written out as `new Worker(new URL('./x.js', import.meta.url), { type: 'module' })` at the
 * call site, the form bundlers (Vite, webpack) recognise and bundle. (Node's URL is built from
 * a variable so that bundlers do not also inline the unbundled file as an asset.)
 */
export async function connect<T>(file: string, browserWorker: () => Worker): Promise<Connection<T>> {
  const url = new URL(file, import.meta.url);
  if (inNode) {
    const { Worker } = await import('node:worker_threads');
    const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
    const worker = new Worker(url);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if (message !== READY) return;
        worker.off('error', reject);
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the worker ${url.pathname} exited with code ${code} before it was ready`)));
    });
    return {
      remote: Comlink.wrap<T>(nodeEndpoint(worker)),
      terminate: async () => void (await worker.terminate()),
    };
  }
  const worker = browserWorker();
  await new Promise<void>((resolve, reject) => {
    const onMessage = (event: MessageEvent) => {
      if (event.data !== READY) return;
      worker.removeEventListener('message', onMessage);
      resolve();
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', (event) => reject(new Error(`the worker ${url.pathname} failed to start: ${event.message ?? 'error'}`)), { once: true });
  });
  return {
    remote: Comlink.wrap<T>(worker),
    terminate: async () => worker.terminate(),
  };
}

/** The worker's side: exposes `api` to the thread that started it and tells it so. */
export async function serve(api: object): Promise<void> {
  if (inNode) {
    const { parentPort } = await import('node:worker_threads');
    const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
    if (!parentPort) throw new Error('serve: not running in a worker');
    Comlink.expose(api, nodeEndpoint(parentPort));
    parentPort.postMessage(READY);
    return;
  }
  Comlink.expose(api);
  (globalThis as unknown as { postMessage(message: unknown): void }).postMessage(READY);
}


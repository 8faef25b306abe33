/**
 * Starts and stops the kernels' thread pool: one worker per thread (Node worker_threads or
 * browser Web Workers, the same pool-worker.js), each running a rayon thread on the shared
 * memory. The calling thread only waits while kernels run, so a pool of N threads keeps N cores
 * busy.
 */
import type { VariantName } from './variants.js';

/** What the pool needs from a Node `Worker` or a browser `Worker`. */
interface WorkerPort {
  post(message: unknown): void;
  onMessage(listener: (message: { type: string; message?: string }) => void): void;
  /** Resolves when the worker has exited (or was terminated). */
  exited: Promise<void>;
  /** Whether the worker keeps a Node process alive (Node's `ref()`/`unref()`). */
  keepAlive(alive: boolean): void;
  terminate(): void;
}

export interface PoolStart {
  variant: VariantName;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  threads: number;
  threadStackSize?: number;
  /** Starts the rayon pool in the module once every worker has instantiated it. */
  startRayon(threads: number): void;
  /** Stops the rayon pool, which lets every worker's loop return. */
  stopRayon(): void;
  /** How long to wait for a worker to start, in milliseconds. */
  startTimeoutMs?: number;
}

export class ThreadPool {
  private constructor(
    private readonly workers: WorkerPort[],
    private readonly stopRayon: () => void,
  ) {}

  get size(): number {
    return this.workers.length;
  }

  static async start(options: PoolStart): Promise<ThreadPool> {
    const { threads, startTimeoutMs = 30_000 } = options;
    const workers: WorkerPort[] = [];
    try {
      for (let i = 0; i < threads; i++) workers.push(await spawnWorker());
      await Promise.all(workers.map((worker, index) => handshake(worker, index, options, startTimeoutMs)));
      // An idle pool must not keep the process alive if the program never stops it.
      for (const worker of workers) worker.keepAlive(false);
    } catch (error) {
      for (const worker of workers) worker.terminate();
      throw error;
    }
    options.startRayon(threads);
    return new ThreadPool(workers, options.stopRayon);
  }

  /**
   * Stops the pool and waits for every worker to exit, terminating any that has not within
   * `timeoutMs`. Resolves to the number of workers that had to be terminated.
   */
  async stop(timeoutMs = 5_000): Promise<number> {
    this.stopRayon();
    let terminated = 0;
    await Promise.all(
      this.workers.map(async (worker) => {
        worker.keepAlive(true);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
        if (await Promise.race([worker.exited.then(() => false), timedOut])) {
          worker.terminate();
          terminated++;
        }
        clearTimeout(timer);
      }),
    );
    return terminated;
  }
}

function handshake(worker: WorkerPort, index: number, options: PoolStart, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`thread pool: worker ${index} did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    worker.onMessage((message) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`thread pool: worker ${index} failed to start: ${message.message}`));
      }
    });
    worker.post({
      variant: options.variant,
      module: options.module,
      memory: options.memory,
      threadStackSize: options.threadStackSize,
    });
  });
}

async function spawnWorker(): Promise<WorkerPort> {
  if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
    const { Worker } = await import('node:worker_threads');
    // pool-worker.js is plain JavaScript: it needs none of the parent's flags or loaders (and
    // some, such as --input-type, make a worker fail to start).
    const worker = new Worker(new URL('./pool-worker.js', import.meta.url), { execArgv: [] });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (listener) => {
        worker.on('message', listener);
        worker.on('error', (error) => listener({ type: 'error', message: error.message }));
      },
      exited,
      // Listening for messages refs the worker again: unref after the listeners are attached.
      keepAlive: (alive) => (alive ? worker.ref() : worker.unref()),
      terminate: () => void worker.terminate(),
    };
  }
  const worker = new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module' });
  let markExited = () => {};
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  worker.addEventListener('message', (event: MessageEvent) => {
    if (event.data?.type === 'exited') {
      worker.terminate();
      markExited();
    }
  });
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => {
      worker.addEventListener('message', (event: MessageEvent) => listener(event.data));
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        listener({ type: 'error', message: event.message || 'could not load pool-worker.js' });
        markExited();
      });
    },
    exited,
    keepAlive: () => {},
    terminate: () => {
      worker.terminate();
      markExited();
    },
  };
}

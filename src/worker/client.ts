/**
 * `createTrainer`: the public asynchronous API. The engine, the model and the data live in a
 * worker (Node worker_threads or a browser module Web Worker); every method here is a message
 * to it, so the calling thread never blocks, and a running `fit` can be cancelled. The CLI and
 * the demo page both train through it.
 */
import type { ModelMetadata } from '../train/metadata.js';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import { connect, type Connection } from './connect.js';
import type {
  DataInfo, DataSource, FitCallbacks, LoadCallbacks, FitRequest, FitSummary, Prediction, TestImages, Trainer, TrainerInfo, TrainerOptions,
} from './trainer.js';
import type { Evaluation } from '../train/step.js';

/** Starts a trainer in a worker: its engine, its thread pool and the reference SENet. */
export async function createTrainer(options: TrainerOptions = {}): Promise<TrainerClient> {
  const connection = await connect<Trainer>(
    './trainer-worker.js',
    () => new Worker(new URL('./trainer-worker.js', import.meta.url), { type: 'module' }),
  );
  try {
    const info = await connection.remote.init(options);
    return new TrainerClient(connection, info);
  } catch (error) {
    await connection.terminate();
    throw error;
  }
}

export class TrainerClient {
  private closed = false;

  /** @internal use createTrainer */
  constructor(
    private readonly connection: Connection<Trainer>,
    /** The build, features and thread count the trainer runs with, and any warnings. */
    readonly info: TrainerInfo,
  ) {}

  private get remote(): Comlink.Remote<Trainer> {
    if (this.closed) throw new Error('the trainer was closed');
    return this.connection.remote;
  }

  /**
   * Loads the training and test sets in the worker (Files and Blobs are not copied); an image
   * folder's images are decoded in more workers, with `onProgress` called as they are. A fresh
   * model is rebuilt for the data's class count (`info.parameters` follows).
   */
  async loadData(source: DataSource, callbacks: LoadCallbacks = {}): Promise<DataInfo> {
    const onProgress = callbacks.onProgress;
    const proxied = Comlink.proxy({ onProgress: (done: number, total: number) => onProgress?.(done, total) });
    const info = await this.remote.loadData(source, proxied as LoadCallbacks);
    this.info.parameters = info.parameters;
    return info;
  }

  /** The input size `predict` takes (height, width), and how images are resized to it. */
  inputSize(): Promise<{ size: [number, number]; resize: 'crop' | 'stretch' }> {
    return this.remote.inputSize();
  }

  /**
   * Trains (the seed recipe where `request` says nothing). Callbacks run on this thread. A
   * callback that throws cancels the run, and `fit` then rejects with that error.
   */
  async fit(request: FitRequest = {}, callbacks: FitCallbacks = {}): Promise<FitSummary> {
    let failure: { error: unknown } | undefined;
    const guard = <A extends unknown[], R>(callback: ((...args: A) => R) | undefined) =>
      async (...args: A) => {
        try {
          return await callback?.(...args);
        } catch (error) {
          failure ??= { error };
          await this.cancel();
        }
      };
    // Every callback exists on the worker's side (a Comlink proxy cannot tell a missing one).
    const proxied = Comlink.proxy({ onBatch: guard(callbacks.onBatch), onEpoch: guard(callbacks.onEpoch), onStop: guard(callbacks.onStop) });
    const summary = await this.remote.fit(request, proxied as FitCallbacks);
    if (failure) throw failure.error;
    return summary;
  }

  /** Stops a running `fit` after its current batch; it calls `onStop` and resolves. */
  cancel(): Promise<void> {
    return this.remote.cancel();
  }

  /** Test loss, accuracy, per-class accuracy and the confusion matrix, in eval mode; with `tta`, flip TTA's scores too (`tta`). */
  evaluate(options: { limit?: number; batchSize?: number; keepPredictions?: boolean; tta?: boolean } = {}): Promise<Evaluation> {
    return this.remote.evaluate(options);
  }

  /** Test images (CHW uint8) and labels, e.g. for a gallery. */
  testImages(start: number, count: number): Promise<TestImages> {
    return this.remote.testImages(start, count);
  }

  /** Class probabilities and logits of `count` CHW uint8 images of 3 x inputSize(). */
  predict(images: Uint8Array, count: number): Promise<Prediction> {
    return this.remote.predict(images, count);
  }

  /** The model's state dict as safetensors bytes (PyTorch keys; the model, classes and normalisation in its metadata). */
  stateDict(): Promise<Uint8Array> {
    return this.remote.stateDict();
  }

  /**
   * Loads a state dict from safetensors bytes (ours, or saved by PyTorch); `source` names it in
   * errors. Resolves to its metadata (model, classes, normalisation) when it has any.
   */
  loadStateDict(bytes: Uint8Array, source?: string): Promise<ModelMetadata | undefined> {
    return this.remote.loadStateDict(bytes, source);
  }

  /** Stops the trainer's threads and its worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.remote.close();
    } finally {
      this.closed = true;
      this.connection.remote[Comlink.releaseProxy]();
      await this.connection.terminate();
    }
  }
}

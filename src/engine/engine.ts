/**
 * The engine: loads the WebAssembly build that fits this host, starts the thread pool, and owns
 * the memory that tensors live in.
 */
import { detectFeatures, type Features } from './features.js';
import { OpError, WasmMemoryError, formatShape } from './errors.js';
import { ThreadPool } from './pool.js';
import { Tensor, type DType, type TensorStorage } from './tensor.js';
import { Tape } from '../autograd/tape.js';
import { VARIANTS, type Glue, type Variant, type VariantName } from './variants.js';

export interface EngineOptions {
  /** Threads the kernels run on. Default: the host's cores. 1 starts no workers. */
  threads?: number;
  /** Force a build instead of choosing by feature detection. */
  variant?: VariantName;
  /** Stack size of each pool thread in bytes (a multiple of 64 KiB). Default: wasm-bindgen's. */
  threadStackSize?: number;
  /** Where warnings go (e.g. falling back to one thread). Default: console.warn. */
  warn?: (message: string) => void;
}

type Kernels = Omit<Glue, 'default' | 'initSync'>;

export class Engine implements TensorStorage {
  private closed = false;
  /** The open memory scopes, innermost last: the tensors allocated in each. */
  private readonly scopes: Set<Tensor<DType>>[] = [];
  private gradEnabled = true;
  /** The ops recorded for backward (src/autograd/tape.ts). */
  readonly tape: Tape = new Tape(this);

  private constructor(
    /** The build in use. */
    readonly variant: Variant,
    /** What the host supports. */
    readonly features: Features,
    /** The exported kernels (wasm-bindgen glue); only src/engine calls these. */
    readonly kernels: Kernels,
    readonly memory: WebAssembly.Memory,
    private readonly pool: ThreadPool | null,
  ) {}

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const warn = options.warn ?? ((message: string) => console.warn(`senet-wasm: ${message}`));
    const features = await detectFeatures();
    const requested = options.threads ?? features.cores;
    if (!Number.isInteger(requested) || requested < 1) {
      throw new RangeError(`Engine.create: threads must be a positive integer, got ${requested}`);
    }
    const variant = chooseVariant(features, options.variant);
    let threads = requested;
    if (threads > 1 && !features.node && typeof document !== 'undefined') {
      warn(
        `running on 1 thread instead of ${threads}: the main thread of a page may not wait for other threads; ` +
          'create the engine in a Web Worker to use several',
      );
      threads = 1;
    } else if (threads > 1 && !variant.threads) {
      warn(
        `running on 1 thread instead of ${threads}: ` +
          (features.sharedMemory
            ? `the '${variant.name}' build has no threads`
            : 'shared WebAssembly memory is unavailable (a page must be cross-origin isolated: serve it with ' +
              'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'),
      );
      threads = 1;
    }
    if (threads > features.cores) {
      warn(
        `${threads} threads on ${features.cores} core${features.cores === 1 ? '' : 's'}: threads beyond the cores take turns ` +
          `and make every kernel slower; ${features.cores} thread${features.cores === 1 ? ' is' : 's are'} faster`,
      );
    }

    const module = await WebAssembly.compile(await readBytes(variant.wasmUrl()));
    const glue = await variant.glue();
    const exports = glue.initSync({ module, thread_stack_size: options.threadStackSize });
    const memory = exports.memory;
    let pool: ThreadPool | null = null;
    if (threads > 1) {
      pool = await ThreadPool.start({
        variant: variant.name,
        module,
        memory,
        threads,
        threadStackSize: options.threadStackSize,
        startRayon: (n) => glue.start_thread_pool(n),
        stopRayon: () => glue.stop_thread_pool(),
      });
    }
    return new Engine(variant, features, glue, memory, pool);
  }

  /** Threads the kernels run on. */
  get threads(): number {
    return this.kernels.thread_count();
  }

  /** A new float32 tensor of the given shape, filled with `values` or with zeros. */
  tensor(shape: readonly number[], values?: ArrayLike<number>): Tensor {
    return this.allocate('f32', shape, values);
  }

  /** A new uint32 tensor (indices, labels) of the given shape, filled with `values` or zeros. */
  indices(shape: readonly number[], values?: ArrayLike<number>): Tensor<'u32'> {
    return this.allocate('u32', shape, values);
  }

  /**
   * Runs `work` in a memory scope (tfjs's `tidy`): every tensor allocated inside is freed when it
   * returns, except the tensors it returns (a tensor, or an array or object of them), which move
   * to the enclosing scope, and tensors passed to `keep`. A training step runs in one scope, so
   * modules never free their intermediates one by one. Synchronous work only.
   */
  scope<T>(work: () => T): T {
    const tensors = new Set<Tensor<DType>>();
    const tapeStart = this.tape.length;
    this.scopes.push(tensors);
    let returned: Tensor<DType>[] = [];
    try {
      const result = work();
      returned = tensorsIn(result);
      return result;
    } finally {
      this.scopes.pop();
      this.closeScope(tensors, returned, tapeStart);
    }
  }

  /** Takes `tensor` out of every scope: the caller frees it (parameters, optimizer state, running stats). */
  keep<T extends Tensor<DType>>(tensor: T): T {
    for (const scope of this.scopes) scope.delete(tensor.owner);
    return tensor;
  }

  /** Frees `tensor`'s memory now if a scope would free it later (it is no longer needed). */
  release(tensor: Tensor<DType>): void {
    const owner = tensor.owner;
    if (owner.freed) return;
    for (const scope of this.scopes) {
      if (scope.delete(owner)) {
        owner.free();
        return;
      }
    }
  }

  /** Whether ops record their backward (grad mode, as torch.is_grad_enabled()). */
  get isGradEnabled(): boolean {
    return this.gradEnabled;
  }

  /** Runs `work` without recording any backward (torch.no_grad()): for evaluation and inference. */
  noGrad<T>(work: () => T): T {
    const previous = this.gradEnabled;
    this.gradEnabled = false;
    try {
      return work();
    } finally {
      this.gradEnabled = previous;
    }
  }

  backwardFrom(tensor: Tensor, gradient?: Tensor): void {
    this.assertOpen('backward');
    this.tape.backward(tensor, gradient);
  }

  /**
   * Ends a scope (already popped): frees what it made except `returned`, which moves to the
   * enclosing scope (none: the caller's, as for any tensor made outside a scope).
   */
  private closeScope(tensors: Set<Tensor<DType>>, returned: Tensor<DType>[], tapeStart: number): void {
    const parent = this.scopes.at(-1);
    if (returned.some((t) => t.producer !== undefined)) {
      // A returned tensor's recorded backward reads what the scope made (saved inputs, batch
      // statistics): all of it moves, so that backward can run after the scope.
      if (parent) for (const t of tensors) if (!t.freed) parent.add(t);
      return;
    }
    const keep = new Set(returned.map((t) => t.owner));
    for (const t of tensors) {
      if (keep.has(t)) parent?.add(t);
      else if (!t.freed) t.free();
    }
    // What was recorded in the scope refers to freed tensors.
    this.tape.truncate(tapeStart);
  }

  private allocate<D extends DType>(dtype: D, shape: readonly number[], values?: ArrayLike<number>): Tensor<D> {
    this.assertOpen('tensor');
    for (const dim of shape) {
      if (!Number.isInteger(dim) || dim < 0) throw new OpError('tensor', `bad shape ${formatShape(shape)}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    // f32 and u32 are both 4-byte elements: one allocator serves both.
    let addr: number;
    try {
      addr = this.kernels.alloc_f32(size);
    } catch (error) {
      // The allocator's only failure: the 32-bit memory cannot grow to hold the tensor.
      if (error instanceof Error && error.message.startsWith('alloc_f32:')) {
        throw new WasmMemoryError('tensor', shape, size * 4, this.memory.buffer.byteLength);
      }
      throw error;
    }
    const tensor = new Tensor(this, addr, [...shape], dtype);
    this.scopes.at(-1)?.add(tensor);
    if (values !== undefined) tensor.set(values);
    return tensor;
  }

  freeWords(addr: number, length: number): void {
    if (!this.closed) this.kernels.free_f32(addr, length);
  }

  /** Checks that `tensor` is live, belongs to this engine and has the given dtype. */
  check(op: string, tensor: Tensor<DType>, dtype: DType = 'f32'): void {
    this.assertOpen(op);
    tensor.assertLive(op);
    if (!tensor.ownedBy(this)) throw new OpError(op, `tensor ${formatShape(tensor.shape)} belongs to another engine`);
    if (tensor.dtype !== dtype) throw new OpError(op, `tensor ${formatShape(tensor.shape)} is ${tensor.dtype}, expected ${dtype}`);
  }

  /**
   * Stops the thread pool; the engine cannot be used afterwards. Resolves to the number of pool
   * workers that did not exit by themselves and had to be terminated (normally 0).
   */
  async close(): Promise<number> {
    if (this.closed) return 0;
    this.closed = true;
    return (await this.pool?.stop()) ?? 0;
  }

  private assertOpen(op: string): void {
    if (this.closed) throw new OpError(op, 'the engine was closed');
  }
}

/** The tensors in a scope's result: the result itself, or the elements or values of an array or plain object. */
function tensorsIn(result: unknown): Tensor<DType>[] {
  if (result instanceof Tensor) return [result];
  if (Array.isArray(result)) return result.filter((v): v is Tensor<DType> => v instanceof Tensor);
  if (result !== null && typeof result === 'object' && Object.getPrototypeOf(result) === Object.prototype) {
    return Object.values(result).filter((v): v is Tensor<DType> => v instanceof Tensor);
  }
  return [];
}

function chooseVariant(features: Features, forced: VariantName | undefined): Variant {
  if (!features.simd) {
    throw new Error('senet-wasm needs WebAssembly SIMD (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+)');
  }
  if (forced !== undefined) {
    const variant = VARIANTS[forced];
    if (variant === undefined) throw new Error(`unknown variant '${forced}' (have: ${Object.keys(VARIANTS).join(', ')})`);
    if (variant.relaxedSimd && !features.relaxedSimd) {
      throw new Error(
        `variant '${forced}' needs relaxed SIMD, which this host lacks (Node 20: run with --experimental-wasm-relaxed-simd)`,
      );
    }
    if (variant.threads && !features.sharedMemory) {
      throw new Error(`variant '${forced}' needs shared WebAssembly memory, which this host lacks`);
    }
    return variant;
  }
  if (!features.sharedMemory) return VARIANTS.simd;
  return features.relaxedSimd ? VARIANTS['relaxed-threads'] : VARIANTS['simd-threads'];
}

async function readBytes(url: URL): Promise<BufferSource> {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return (await readFile(url)) as Uint8Array<ArrayBuffer>;
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

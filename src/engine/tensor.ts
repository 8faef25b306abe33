/**
 * A handle to a tensor that lives in WebAssembly memory: float32 data, or uint32 for indices and
 * labels (both 4-byte elements). Data stays there between operations; `toArray()` and `set()`
 * are the only copies across the JS boundary.
 */
import { OpError, formatShape } from './errors.js';

export type DType = 'f32' | 'u32';
type ArrayOf<D extends DType> = D extends 'f32' ? Float32Array : Uint32Array;

/** The part of the engine a tensor needs: the memory, the allocator and the tape. */
export interface TensorStorage {
  readonly memory: WebAssembly.Memory;
  /** Frees `length` 4-byte elements at `addr`. */
  freeWords(addr: number, length: number): void;
  /** Replays the recorded operations backwards from `tensor` (see Tensor.backward). */
  backwardFrom(tensor: Tensor, gradient?: Tensor): void;
}

/** What recorded a tensor: the op whose backward gives its inputs' gradients (src/autograd/tape.ts). */
export interface TensorProducer {
  readonly op: string;
}

export class Tensor<D extends DType = 'f32'> {
  readonly size: number;
  private live = true;

  /**
   * Whether gradients flow to this tensor: set on parameters (and on inputs a user wants the
   * gradient of); an op's output requires grad when one of its inputs does and grad is enabled.
   */
  requiresGrad = false;
  /** The accumulated gradient of a leaf that requires grad (a parameter's lives in the model's flat gradient buffer). */
  grad: Tensor | undefined;
  /** The leaf's `grad` holds nothing yet (zeroGrad() was called): the next gradient is written, not added. */
  gradEmpty = true;
  /** The recorded op that made this tensor, when it was made with grad enabled; undefined for leaves. */
  producer: TensorProducer | undefined;

  constructor(
    private readonly storage: TensorStorage,
    /** Byte address of the first element in WebAssembly memory. */
    readonly addr: number,
    readonly shape: readonly number[],
    readonly dtype: D,
    /** For a view: the tensor that owns the memory. */
    private readonly base?: Tensor<D>,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  get freed(): boolean {
    return !this.live || (this.base?.freed ?? false);
  }

  /** The tensor that owns this one's memory: itself, or the base of a view. */
  get owner(): Tensor<D> {
    return this.base ?? this;
  }

  /**
   * A tensor of `shape` that shares this one's memory from element `offset` on (no copy).
   * Freeing the view frees nothing; it is valid while this tensor is.
   */
  view(shape: readonly number[], offset = 0): Tensor<D> {
    this.assertLive('view');
    const size = shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new OpError('view', `a view ${formatShape(shape)} at offset ${offset} does not fit in tensor ${formatShape(this.shape)}`);
    }
    return new Tensor(this.storage, this.addr + 4 * offset, [...shape], this.dtype, this.base ?? this);
  }

  /** Throws unless the tensor is still allocated. */
  assertLive(op: string): void {
    if (this.freed) throw new OpError(op, `tensor ${formatShape(this.shape)} was already freed`);
  }

  /** Belongs to the given storage (tensors of another engine live in another memory). */
  ownedBy(storage: TensorStorage): boolean {
    return this.storage === storage;
  }

  /** The value of a one-element tensor (a loss). */
  item(): number {
    this.assertLive('item');
    if (this.size !== 1) throw new OpError('item', `tensor ${formatShape(this.shape)} has ${this.size} elements, not 1`);
    return this.elements()[0]!;
  }

  /**
   * Computes the gradient of this one-element tensor (a loss) with respect to every leaf that
   * requires grad, replaying the ops recorded since the step began in reverse, and adds it to
   * each leaf's `grad` (as PyTorch's `loss.backward()`). For a tensor of several elements give
   * `gradient`, the gradient with respect to this tensor (PyTorch's `output.backward(gradient)`).
   * The recorded ops are then forgotten.
   */
  backward(gradient?: Tensor): void {
    this.assertLive('backward');
    this.storage.backwardFrom(this as Tensor, gradient);
  }

  /** Sets every element to zero. */
  zero(): this {
    this.assertLive('zero');
    this.elements().fill(0);
    return this;
  }

  /** Copies `source` (same size and dtype) into this tensor. */
  copyFrom(source: Tensor<D>): this {
    this.assertLive('copyFrom');
    source.assertLive('copyFrom');
    if (source.size !== this.size) {
      throw new OpError('copyFrom', `tensor ${formatShape(this.shape)} holds ${this.size} values, the source ${formatShape(source.shape)} ${source.size}`);
    }
    this.elements().set(source.elements());
    return this;
  }

  /** A copy of the data. */
  toArray(): ArrayOf<D> {
    this.assertLive('toArray');
    return this.elements().slice() as ArrayOf<D>;
  }

  /** Copies `values` (exactly `size` numbers) into the tensor. */
  set(values: ArrayLike<number>): this {
    this.assertLive('set');
    if (values.length !== this.size) {
      throw new OpError('set', `tensor ${formatShape(this.shape)} holds ${this.size} values, got ${values.length}`);
    }
    this.elements().set(values);
    return this;
  }

  free(): void {
    this.assertLive('free');
    this.live = false;
    if (this.base === undefined) this.storage.freeWords(this.addr, this.size);
  }

  /** A view of the data in WebAssembly memory, valid until the memory next grows. */
  private elements(): Float32Array | Uint32Array {
    const buffer = this.storage.memory.buffer;
    return this.dtype === 'f32' ? new Float32Array(buffer, this.addr, this.size) : new Uint32Array(buffer, this.addr, this.size);
  }
}

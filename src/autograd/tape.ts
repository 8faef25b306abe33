/**
 * The tape: every differentiable op run with grad enabled on an input that requires grad records
 * one node (its inputs, its output and a backward closure holding what it saved), in the order
 * the ops ran, like micrograd's `_backward` or tfjs's `GradConfig`. `loss.backward()` replays the
 * nodes in reverse: a node's output gradient is complete when its turn comes (every consumer of
 * the output ran later, so its backward ran earlier), the node hands each input its gradient, and
 * gradients meeting at a tensor are added. So a tensor used twice (a residual shortcut), a module
 * called twice and gradients accumulated over several backwards are right by construction.
 *
 * Memory: intermediate gradients are freed as soon as the node that consumes them has run (the
 * enclosing scope frees the rest; run backward inside one); a leaf's gradient is written straight
 * into its `grad` when that is empty (after zeroGrad()), and added to it otherwise.
 */
import type { Engine } from '../engine/engine.js';
import { OpError, WasmMemoryError, formatShape } from '../engine/errors.js';
import type { Tensor, TensorProducer } from '../engine/tensor.js';
import { add, addInto } from '../engine/ops/elementwise.js';
import { currentFrame, type ProfileFrame } from './profile.js';

/** What a node's backward sees: the gradient of its output, and where its inputs' gradients go. */
export interface BackwardContext {
  readonly gradOutput: Tensor;
  /** Whether input `i` needs a gradient (skip the work where it does not). */
  needs(i: number): boolean;
  /**
   * The tensor input `i`'s gradient may be written into directly (a leaf's empty `grad`), or
   * undefined (then allocate one). Pass what was written to `give`.
   */
  into(i: number): Tensor | undefined;
  /** Hands input `i` its gradient (a new tensor, `into(i)`, or a view of `gradOutput`). */
  give(i: number, grad: Tensor): void;
}

export interface GradNode extends TensorProducer {
  readonly inputs: readonly (Tensor | undefined)[];
  readonly output: Tensor;
  readonly backward: (ctx: BackwardContext) => void;
  /** The module that ran the op, for the profile. */
  readonly frame: ProfileFrame | undefined;
  /** The innermost layer that ran the op, for errors in its backward. */
  readonly layer: Layer | undefined;
}

/** What runs ops and is named in errors: a module (`features.0 (Conv2d)`). */
export interface Layer {
  readonly label: string;
}

/** The layers whose forward is running, innermost last (Module.call enters and leaves them). */
const layers: Layer[] = [];

/** Runs `work` as `layer`'s forward: ops recorded meanwhile name it if their backward fails. */
export function inLayer<T>(layer: Layer, work: () => T): T {
  layers.push(layer);
  try {
    return work();
  } finally {
    layers.pop();
  }
}

export class Tape {
  private nodes: GradNode[] = [];

  constructor(private readonly engine: Engine) {}

  get length(): number {
    return this.nodes.length;
  }

  /** Whether an op on `inputs` must record its backward now. */
  wants(inputs: readonly (Tensor | undefined)[]): boolean {
    return this.engine.isGradEnabled && inputs.some((t) => t?.requiresGrad);
  }

  /** Records that `output` was made by `op` from `inputs`; `backward` gives the inputs' gradients. */
  record(op: string, inputs: readonly (Tensor | undefined)[], output: Tensor, backward: (ctx: BackwardContext) => void): void {
    const node: GradNode = { op, inputs, output, backward, frame: currentFrame(), layer: layers.at(-1) };
    output.requiresGrad = true;
    output.producer = node;
    this.nodes.push(node);
  }

  /** Forgets the nodes from `length` on (their tensors were freed by the scope that made them). */
  truncate(length: number): void {
    forget(this.nodes.splice(length));
  }

  /** Backward from `loss` (see Tensor.backward); `gradient` is the seed, 1 by default. */
  backward(loss: Tensor, gradient?: Tensor): void {
    const end = loss.producer === undefined ? -1 : this.nodes.lastIndexOf(loss.producer as GradNode);
    if (end < 0) {
      throw new OpError('backward', `tensor ${formatShape(loss.shape)} was not computed by recorded ops from anything that requires grad`);
    }
    if (gradient === undefined && loss.size !== 1) {
      throw new OpError('backward', `the gradient can only be implicitly created for a one-element tensor, got ${formatShape(loss.shape)}`);
    }
    if (gradient !== undefined && (gradient.shape.length !== loss.shape.length || gradient.shape.some((d, i) => d !== loss.shape[i]))) {
      throw new OpError('backward', `gradient ${formatShape(gradient.shape)} does not match the tensor ${formatShape(loss.shape)}`);
    }
    const grads = new GradientMap(this.engine);
    const seed = this.engine.tensor(loss.shape);
    if (gradient) seed.copyFrom(gradient);
    else seed.set([1]);
    grads.add(loss, seed);
    try {
      for (let i = end; i >= 0; i--) {
        const node = this.nodes[i]!;
        const gradOutput = grads.take(node.output);
        if (gradOutput === undefined) continue;
        const givenToLeaves: Tensor[] = [];
        const ctx: BackwardContext = {
          gradOutput,
          needs: (k) => node.inputs[k]?.requiresGrad ?? false,
          into: (k) => {
            const input = node.inputs[k];
            return input?.requiresGrad && input.producer === undefined && input.grad && input.gradEmpty ? input.grad : undefined;
          },
          give: (k, grad) => {
            const input = node.inputs[k];
            if (!input?.requiresGrad) throw new OpError(node.op, `backward gave a gradient to input ${k}, which needs none`);
            if (input.producer !== undefined) return grads.add(input, grad);
            accumulateLeaf(this.engine, input, grad);
            givenToLeaves.push(grad);
          },
        };
        grads.busy = gradOutput.owner;
        runBackward(node, ctx);
        grads.busy = undefined;
        for (const grad of [gradOutput, ...givenToLeaves]) grads.release(grad);
      }
    } finally {
      grads.releaseAll();
      // The graph of `loss` (and whatever was recorded before it) is used up, as in PyTorch;
      // what was recorded after it (another loss's graph) stays for its own backward.
      forget(this.nodes.splice(0, end + 1));
    }
  }
}

/** Runs `node`'s backward (timed when profiled); an out-of-memory error names its layer. */
function runBackward(node: GradNode, ctx: BackwardContext): void {
  const frame = node.frame;
  try {
    if (frame) frame.profiler.time(frame.path, frame.op, 'backward', ctx.gradOutput.shape, () => node.backward(ctx), false);
    else node.backward(ctx);
  } catch (error) {
    if (error instanceof WasmMemoryError && error.layer === undefined && node.layer) {
      throw error.withContext({ layer: `${node.layer.label} backward` });
    }
    throw error;
  }
}

/** Detaches the outputs of `nodes` from the tape: they become constants, not leaves. */
function forget(nodes: readonly GradNode[]): void {
  for (const node of nodes) {
    node.output.producer = undefined;
    node.output.requiresGrad = false;
  }
}

/** The gradients of intermediate tensors during one backward, freed when no entry uses their memory. */
class GradientMap {
  private readonly grads = new Map<Tensor, Tensor>();
  /** How many entries hold memory of each owner (a reshape's gradient is a view of another's). */
  private readonly users = new Map<Tensor, number>();
  /** The memory of the output gradient the running node's backward reads: never added into. */
  busy: Tensor | undefined;

  constructor(private readonly engine: Engine) {}

  add(tensor: Tensor, grad: Tensor): void {
    const existing = this.grads.get(tensor);
    if (existing === undefined) return this.set(tensor, grad);
    if (existing.owner !== this.busy && this.users.get(existing.owner) === 1 && existing.owner !== grad.owner) {
      addInto(this.engine, existing, grad);
      this.release(grad);
      return;
    }
    // The existing gradient's memory is shared (e.g. one gradient handed to both sides of an
    // addition): add out of place.
    this.take(tensor);
    this.set(tensor, add(this.engine, existing, grad));
    this.release(existing);
    this.release(grad);
  }

  /** Removes and returns `tensor`'s gradient: complete, since everything that used `tensor` has run. */
  take(tensor: Tensor): Tensor | undefined {
    const grad = this.grads.get(tensor);
    if (grad === undefined) return undefined;
    this.grads.delete(tensor);
    this.users.set(grad.owner, this.users.get(grad.owner)! - 1);
    return grad;
  }

  /** Frees `grad`'s memory unless an entry still uses it (or it is not a temporary, like a leaf's grad). */
  release(grad: Tensor): void {
    if ((this.users.get(grad.owner) ?? 0) > 0 || grad.owner === this.busy) return;
    this.users.delete(grad.owner);
    this.engine.release(grad);
  }

  releaseAll(): void {
    for (const grad of this.grads.values()) this.engine.release(grad);
    this.grads.clear();
    this.users.clear();
  }

  private set(tensor: Tensor, grad: Tensor): void {
    this.grads.set(tensor, grad);
    this.users.set(grad.owner, (this.users.get(grad.owner) ?? 0) + 1);
  }
}

/** Adds `grad` to a leaf's `grad` (written directly when that is empty), allocating it on first use. */
function accumulateLeaf(engine: Engine, leaf: Tensor, grad: Tensor): void {
  if (grad.shape.length !== leaf.shape.length || grad.shape.some((d, i) => d !== leaf.shape[i])) {
    throw new OpError('backward', `gradient ${formatShape(grad.shape)} does not match its tensor ${formatShape(leaf.shape)}`);
  }
  if (leaf.grad === undefined) {
    leaf.grad = engine.keep(engine.tensor(leaf.shape));
    leaf.gradEmpty = true;
  }
  if (grad !== leaf.grad) {
    if (leaf.gradEmpty) leaf.grad.copyFrom(grad);
    else addInto(engine, leaf.grad, grad);
  }
  leaf.gradEmpty = false;
}

/* tslint:disable */
/* eslint-disable */

/**
 * One Adam (`decoupled = false`: L2 `grad += weight_decay * param`) or AdamW
 * (`decoupled = true`: `param *= 1 - lr * weight_decay`) step, `step` counting from 1.
 * params, grads, exp_avg, exp_avg_sq: `[n]` each, the same n; params, exp_avg and exp_avg_sq
 * are updated in place (the states start zeroed), grads is only read.
 * Fails, changing nothing, on a length mismatch, `step == 0`, or a hyper-parameter PyTorch
 * rejects (negative lr / eps / weight_decay, beta outside [0, 1)).
 */
export function adam_step(params: number, params_len: number, grads: number, grads_len: number, exp_avg: number, exp_avg_len: number, exp_avg_sq: number, exp_avg_sq_len: number, step: number, lr: number, beta1: number, beta2: number, eps: number, weight_decay: number, decoupled: boolean): void;

/**
 * Adaptive average pool to 1x1, backward: every element of plane `(n, c)` of `grad_input`
 * (`[batch, channels, height, width]`, overwritten) is `grad_output[n, c] / (height · width)`.
 * `grad_output`: `[batch, channels, 1, 1]`.
 */
export function adaptive_avg_pool2d_backward(grad_output: number, grad_output_len: number, grad_input: number, grad_input_len: number, batch: number, channels: number, height: number, width: number): void;

/**
 * Adaptive average pool to 1x1, forward: `output[n, c]` is the mean of plane `(n, c)`.
 * `input`: `[batch, channels, height, width]`; `output`: `[batch, channels, 1, 1]`.
 */
export function adaptive_avg_pool2d_forward(input: number, input_len: number, output: number, output_len: number, batch: number, channels: number, height: number, width: number): void;

/**
 * `output = a + b`. `a`, `b`, `output`: `[len]`; `output` may be `a` or `b`.
 */
export function add(a: number, a_len: number, b: number, b_len: number, output: number, output_len: number): void;

/**
 * `dst += src`, how gradients accumulate. `dst`, `src`: `[len]`, distinct buffers.
 */
export function add_into(dst: number, dst_len: number, src: number, src_len: number): void;

/**
 * `output = max(a + b, 0)`, the residual join. `a`, `b`, `output`: `[len]`; `output` may be
 * `a` or `b`. Its backward is `relu_backward` on `output`, for both inputs.
 */
export function add_relu(a: number, a_len: number, b: number, b_len: number, output: number, output_len: number): void;

/**
 * Allocates `len` f32s (zeroed, 16-byte aligned) and returns the byte address.
 */
export function alloc_f32(len: number): number;

/**
 * `indices[i] = argmax_j input[i][j]` (first maximum on ties, NaN counts as the maximum).
 * input `[rows, cols]` with `cols >= 1`, indices `[rows]` u32 (overwritten).
 */
export function argmax_rows(input: number, input_len: number, indices: number, indices_len: number, rows: number, cols: number): void;

/**
 * Training-mode backward. `grad_output`, `input`, `grad_input`: `[batch, channels, height,
 * width]`; `weight`, `save_mean`, `save_invstd` (from [`batch_norm2d_forward_train`]),
 * `grad_weight`, `grad_bias`: `[channels]`. Overwrites `grad_input`, `grad_weight` and
 * `grad_bias`. With `relu` (the forward fused a ReLU), `output` is that forward's output
 * `[batch, channels, height, width]`, used to mask `grad_output` where `output <= 0`; without
 * `relu`, `output` is not read and `output_len` must be 0.
 */
export function batch_norm2d_backward(grad_output: number, grad_output_len: number, input: number, input_len: number, output: number, output_len: number, weight: number, weight_len: number, save_mean: number, save_mean_len: number, save_invstd: number, save_invstd_len: number, grad_input: number, grad_input_len: number, grad_weight: number, grad_weight_len: number, grad_bias: number, grad_bias_len: number, batch: number, channels: number, height: number, width: number, relu: boolean): void;

/**
 * Evaluation-mode forward: `output = (input - running_mean) / sqrt(running_var + eps) · weight
 * + bias`, then `max(·, 0)` with `relu`. `input`, `output`: `[batch, channels, height, width]`;
 * `weight`, `bias`, `running_mean`, `running_var`: `[channels]` (read only).
 */
export function batch_norm2d_forward_eval(input: number, input_len: number, weight: number, weight_len: number, bias: number, bias_len: number, running_mean: number, running_mean_len: number, running_var: number, running_var_len: number, output: number, output_len: number, batch: number, channels: number, height: number, width: number, eps: number, relu: boolean): void;

/**
 * Training-mode forward. `input`, `output`: `[batch, channels, height, width]`; `weight`,
 * `bias`, `running_mean`, `running_var`, `save_mean`, `save_invstd`: `[channels]`.
 * Normalises with the batch statistics, updates `running_mean` / `running_var` in place
 * (`(1 - momentum) · running + momentum · batch`, unbiased batch variance) and writes the batch
 * mean and `1 / sqrt(var + eps)` to `save_mean` / `save_invstd` for
 * [`batch_norm2d_backward`]. With `relu`, `output = max(bn(input), 0)`. Fails when a channel
 * has a single value (`batch · height · width == 1`), like PyTorch.
 */
export function batch_norm2d_forward_train(input: number, input_len: number, weight: number, weight_len: number, bias: number, bias_len: number, running_mean: number, running_mean_len: number, running_var: number, running_var_len: number, save_mean: number, save_mean_len: number, save_invstd: number, save_invstd_len: number, output: number, output_len: number, batch: number, channels: number, height: number, width: number, momentum: number, eps: number, relu: boolean): void;

/**
 * `output = conv2d(input, weight) + bias`.
 * Buffers: input `[batch, in_channels, height, width]`, weight
 * `[out_channels, in_channels, kernel_h, kernel_w]`, bias `[out_channels]` or `bias_len = 0`
 * for no bias, output `[batch, out_channels, out_h, out_w]` (overwritten).
 */
export function conv2d_forward(input: number, input_len: number, weight: number, weight_len: number, bias: number, bias_len: number, output: number, output_len: number, batch: number, in_channels: number, height: number, width: number, out_channels: number, kernel_h: number, kernel_w: number, stride_h: number, stride_w: number, pad_h: number, pad_w: number): void;

/**
 * `grad_bias[c] = Σ grad_output[n, c, y, x]` over the batch and the output plane.
 * Buffers: grad_output `[batch, out_channels, out_h, out_w]`, grad_bias `[out_channels]`
 * (overwritten, not accumulated into).
 */
export function conv2d_grad_bias(grad_output: number, grad_output_len: number, grad_bias: number, grad_bias_len: number, batch: number, out_channels: number, out_h: number, out_w: number): void;

/**
 * `grad_input = ∂L/∂input` from `grad_output = ∂L/∂output`.
 * Buffers: grad_output `[batch, out_channels, out_h, out_w]`, weight
 * `[out_channels, in_channels, kernel_h, kernel_w]`, grad_input
 * `[batch, in_channels, height, width]` (overwritten).
 */
export function conv2d_grad_input(grad_output: number, grad_output_len: number, weight: number, weight_len: number, grad_input: number, grad_input_len: number, batch: number, in_channels: number, height: number, width: number, out_channels: number, kernel_h: number, kernel_w: number, stride_h: number, stride_w: number, pad_h: number, pad_w: number): void;

/**
 * `grad_weight = ∂L/∂weight`, summed over the batch.
 * Buffers: input `[batch, in_channels, height, width]`, grad_output
 * `[batch, out_channels, out_h, out_w]`, grad_weight `[out_channels, in_channels, kernel_h,
 * kernel_w]` (overwritten, not accumulated into).
 */
export function conv2d_grad_weight(input: number, input_len: number, grad_output: number, grad_output_len: number, grad_weight: number, grad_weight_len: number, batch: number, in_channels: number, height: number, width: number, out_channels: number, kernel_h: number, kernel_w: number, stride_h: number, stride_w: number, pad_h: number, pad_w: number): void;

/**
 * `grad_logits = (probs − target) · grad_output / (batch for the mean, 1 for the sum)` with
 * `target = (1 − ε)·onehot(labels) + ε/classes`: the gradient of the reduced loss, times
 * `grad_output`. probs `[batch, classes]` (from [`cross_entropy_forward`]), labels `[batch]`
 * u32, grad_logits `[batch, classes]` (overwritten; may not alias probs).
 */
export function cross_entropy_backward(probs: number, probs_len: number, labels: number, labels_len: number, grad_logits: number, grad_logits_len: number, batch: number, classes: number, label_smoothing: number, sum: boolean, grad_output: number): void;

/**
 * Returns the reduced cross-entropy loss (the mean, or the sum when `sum`) with label smoothing
 * `label_smoothing` in [0, 1], and writes the softmax probabilities for the backward.
 * logits `[batch, classes]`, labels `[batch]` u32 class indices, probs `[batch, classes]`
 * (overwritten). Fails if a label is `>= classes`, naming its index and value. An empty batch
 * gives NaN for the mean and 0 for the sum, like PyTorch.
 */
export function cross_entropy_forward(logits: number, logits_len: number, labels: number, labels_len: number, probs: number, probs_len: number, batch: number, classes: number, label_smoothing: number, sum: boolean): number;

/**
 * Frees a buffer from [`alloc_f32`] with the same `len`.
 */
export function free_f32(addr: number, len: number): void;

/**
 * GELU backward: `grad_input = grad_output·(Φ(input) + input·φ(input))`, from the forward's
 * *input*. `grad_output`, `input`, `grad_input`: `[len]`; `grad_input` may be `grad_output`
 * (in place), never `input`.
 */
export function gelu_backward(grad_output: number, grad_output_len: number, input: number, input_len: number, grad_input: number, grad_input_len: number): void;

/**
 * GELU forward, exact form (`nn.GELU()`): `output = input·Φ(input)`. `input`, `output`:
 * `[len]`, any shape; `output` may be `input` (in place, though the backward needs the input).
 */
export function gelu_forward(input: number, input_len: number, output: number, output_len: number): void;

/**
 * `C = op(A) · op(B)` (`C +=` when `accumulate`), row-major. `a_len`, `b_len`, `c_len` are the
 * lengths (in floats) of the buffers at `a`, `b`, `c`; the call fails, naming the operand and
 * its shape, if a buffer is too small for the given shape and leading dimension.
 */
export function gemm(trans_a: boolean, trans_b: boolean, m: number, n: number, k: number, a: number, a_len: number, lda: number, b: number, b_len: number, ldb: number, c: number, c_len: number, ldc: number, accumulate: boolean): void;

/**
 * `output = input · weight^T + bias`.
 * input `[batch, in_features]`, weight `[out_features, in_features]`, bias `[out_features]`
 * or `bias_len == 0` for no bias, output `[batch, out_features]` (overwritten).
 */
export function linear_forward(input: number, input_len: number, weight: number, weight_len: number, bias: number, bias_len: number, output: number, output_len: number, batch: number, in_features: number, out_features: number): void;

/**
 * `grad_input = grad_output · weight`.
 * grad_output `[batch, out_features]`, weight `[out_features, in_features]`,
 * grad_input `[batch, in_features]` (overwritten).
 */
export function linear_grad_input(grad_output: number, grad_output_len: number, weight: number, weight_len: number, grad_input: number, grad_input_len: number, batch: number, in_features: number, out_features: number): void;

/**
 * `grad_weight = grad_output^T · input` and `grad_bias = grad_output summed over the batch`,
 * both overwritten. grad_output `[batch, out_features]`, input `[batch, in_features]`,
 * grad_weight `[out_features, in_features]`, grad_bias `[out_features]` or
 * `grad_bias_len == 0` when the layer has no bias.
 */
export function linear_grad_weight(grad_output: number, grad_output_len: number, input: number, input_len: number, grad_weight: number, grad_weight_len: number, grad_bias: number, grad_bias_len: number, batch: number, in_features: number, out_features: number): void;

/**
 * Max-pool backward: `grad_input` (`[batch, channels, height, width]`, overwritten) receives
 * each `grad_output` element (`[batch, channels, out_h, out_w]`) at its arg-max from `indices`
 * (u32, `[batch, channels, out_h, out_w]`, from [`max_pool2d_forward`] with the same
 * geometry); overlapping windows add up. Fails if an index lies outside its plane.
 */
export function max_pool2d_backward(grad_output: number, grad_output_len: number, indices: number, indices_len: number, grad_input: number, grad_input_len: number, batch: number, channels: number, height: number, width: number, kernel_h: number, kernel_w: number, stride_h: number, stride_w: number, pad_h: number, pad_w: number): void;

/**
 * Max-pool forward. `input`: `[batch, channels, height, width]`; `output` and `indices` (u32,
 * 4-byte elements): `[batch, channels, out_h, out_w]` with `out = (in + 2·pad - kernel) /
 * stride + 1` (floor). `indices` gets each output's arg-max `h·width + w` within its input
 * plane (PyTorch's indices). Padding counts as -inf and must be at most half the kernel.
 */
export function max_pool2d_forward(input: number, input_len: number, output: number, output_len: number, indices: number, indices_len: number, batch: number, channels: number, height: number, width: number, kernel_h: number, kernel_w: number, stride_h: number, stride_w: number, pad_h: number, pad_w: number): void;

/**
 * ReLU backward: `grad_input = grad_output` where `output > 0`, else 0 (PyTorch's
 * `threshold_backward` on the forward's output). `grad_output`, `output`, `grad_input`:
 * `[len]`; `grad_input` may be `grad_output` (in place), never `output`.
 */
export function relu_backward(grad_output: number, grad_output_len: number, output: number, output_len: number, grad_input: number, grad_input_len: number): void;

/**
 * ReLU forward: `output = max(input, 0)`. `input`, `output`: `[len]`, any shape; `output` may
 * be `input` (in place).
 */
export function relu_forward(input: number, input_len: number, output: number, output_len: number): void;

/**
 * A pool worker's body: runs one pool thread until [`stop_thread_pool`].
 */
export function run_pool_worker(): void;

/**
 * `output = input·factor`. `input`, `output`: `[len]`; `output` may be `input` (in place).
 */
export function scale(input: number, input_len: number, output: number, output_len: number, factor: number): void;

/**
 * The backward pass through the whole block. grad_output, input: `[batch, channels, height,
 * width]` (input is the forward's); fc1 `[hidden_channels, channels, 1, 1]`, fc2 `[channels,
 * hidden_channels, 1, 1]`; squeeze `[batch, channels]`, hidden `[batch, hidden_channels]`,
 * gate `[batch, channels]` as saved by [`se_forward`]. Writes (overwrites, no accumulation)
 * grad_input `[batch, channels, height, width]`, grad_fc1 `[hidden_channels, channels, 1, 1]`
 * and grad_fc2 `[channels, hidden_channels, 1, 1]`.
 */
export function se_backward(grad_output: number, grad_output_len: number, input: number, input_len: number, fc1: number, fc1_len: number, fc2: number, fc2_len: number, squeeze: number, squeeze_len: number, hidden: number, hidden_len: number, gate: number, gate_len: number, grad_input: number, grad_input_len: number, grad_fc1: number, grad_fc1_len: number, grad_fc2: number, grad_fc2_len: number, batch: number, channels: number, hidden_channels: number, height: number, width: number): void;

/**
 * The forward pass. input `[batch, channels, height, width]`; fc1 `[hidden_channels,
 * channels, 1, 1]`; fc2 `[channels, hidden_channels, 1, 1]`; saved for the backward
 * (overwritten): squeeze `[batch, channels]` (plane means), hidden `[batch, hidden_channels]`
 * (after the ReLU), gate `[batch, channels]` (after the sigmoid); output `[batch, channels,
 * height, width]` (overwritten). `hidden_channels` is `channels / r` and must be at least 1.
 */
export function se_forward(input: number, input_len: number, fc1: number, fc1_len: number, fc2: number, fc2_len: number, squeeze: number, squeeze_len: number, hidden: number, hidden_len: number, gate: number, gate_len: number, output: number, output_len: number, batch: number, channels: number, hidden_channels: number, height: number, width: number): void;

/**
 * One SGD step, `step` counting from 1 (step 1 initialises the momentum buffer to the
 * gradient, as PyTorch does when the buffer is None).
 * params, grads: `[n]`; momentum_buffer: `[n]` when `momentum != 0`, otherwise ignored
 * (`momentum_buffer_len` may be 0). params and momentum_buffer are updated in place.
 * Fails, changing nothing, on a length mismatch, `step == 0`, a negative lr / momentum /
 * weight_decay, or Nesterov without momentum or with non-zero dampening.
 */
export function sgd_step(params: number, params_len: number, grads: number, grads_len: number, momentum_buffer: number, momentum_buffer_len: number, step: number, lr: number, momentum: number, dampening: number, weight_decay: number, nesterov: boolean): void;

/**
 * Sigmoid backward: `grad_input = grad_output * (1 - output) * output`, from the forward's
 * output. `grad_output`, `output`, `grad_input`: `[len]`; `grad_input` may be `grad_output`
 * (in place), never `output`.
 */
export function sigmoid_backward(grad_output: number, grad_output_len: number, output: number, output_len: number, grad_input: number, grad_input_len: number): void;

/**
 * Sigmoid forward: `output = 1 / (1 + exp(-input))`. `input`, `output`: `[len]`, any shape;
 * `output` may be `input` (in place).
 */
export function sigmoid_forward(input: number, input_len: number, output: number, output_len: number): void;

/**
 * Which SIMD flavour this module was compiled with: "relaxed-simd" or "simd".
 */
export function simd_flavour(): string;

/**
 * Starts a pool of `num_threads` threads. The host must start as many workers, each of which
 * instantiates this module on the same memory and calls [`run_pool_worker`].
 */
export function start_thread_pool(num_threads: number): void;

/**
 * Stops the pool; kernels then run on the calling thread.
 */
export function stop_thread_pool(): void;

/**
 * Number of threads kernels run on (1 when no pool was started).
 */
export function thread_count(): number;

/**
 * Whether this module was built with shared memory and atomics (a thread pool can start).
 */
export function threads_supported(): boolean;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly adam_step: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number) => [number, number];
    readonly adaptive_avg_pool2d_backward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number];
    readonly adaptive_avg_pool2d_forward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number];
    readonly add: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly add_into: (a: number, b: number, c: number, d: number) => [number, number];
    readonly add_relu: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly alloc_f32: (a: number) => [number, number, number];
    readonly argmax_rows: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly batch_norm2d_backward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number, r: number, s: number, t: number, u: number, v: number, w: number) => [number, number];
    readonly batch_norm2d_forward_eval: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number, r: number) => [number, number];
    readonly batch_norm2d_forward_train: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number, r: number, s: number, t: number, u: number, v: number, w: number) => [number, number];
    readonly conv2d_forward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number, r: number, s: number) => [number, number];
    readonly conv2d_grad_bias: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number];
    readonly conv2d_grad_input: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number) => [number, number];
    readonly conv2d_grad_weight: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number) => [number, number];
    readonly cross_entropy_backward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number) => [number, number];
    readonly cross_entropy_forward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number) => [number, number, number];
    readonly free_f32: (a: number, b: number) => [number, number];
    readonly gelu_backward: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly gelu_forward: (a: number, b: number, c: number, d: number) => [number, number];
    readonly gemm: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number) => [number, number];
    readonly linear_forward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number) => [number, number];
    readonly linear_grad_input: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => [number, number];
    readonly linear_grad_weight: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number) => [number, number];
    readonly max_pool2d_backward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number) => [number, number];
    readonly max_pool2d_forward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number) => [number, number];
    readonly relu_backward: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly relu_forward: (a: number, b: number, c: number, d: number) => [number, number];
    readonly run_pool_worker: () => void;
    readonly scale: (a: number, b: number, c: number, d: number, e: number) => [number, number];
    readonly se_backward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number, r: number, s: number, t: number, u: number, v: number, w: number, x: number, y: number) => [number, number];
    readonly se_forward: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number, q: number, r: number, s: number) => [number, number];
    readonly sgd_step: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number) => [number, number];
    readonly sigmoid_backward: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly sigmoid_forward: (a: number, b: number, c: number, d: number) => [number, number];
    readonly simd_flavour: () => [number, number];
    readonly start_thread_pool: (a: number) => [number, number];
    readonly stop_thread_pool: () => void;
    readonly thread_count: () => number;
    readonly threads_supported: () => number;
    readonly memory: WebAssembly.Memory;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_thread_destroy: (a?: number, b?: number, c?: number) => void;
    readonly __wbindgen_start: (a: number) => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput, memory?: WebAssembly.Memory, thread_stack_size?: number }} module - Passing `SyncInitInput` directly is deprecated.
 * @param {WebAssembly.Memory} memory - Deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput, memory?: WebAssembly.Memory, thread_stack_size?: number } | SyncInitInput, memory?: WebAssembly.Memory): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput>, memory?: WebAssembly.Memory, thread_stack_size?: number }} module_or_path - Passing `InitInput` directly is deprecated.
 * @param {WebAssembly.Memory} memory - Deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput>, memory?: WebAssembly.Memory, thread_stack_size?: number } | InitInput | Promise<InitInput>, memory?: WebAssembly.Memory): Promise<InitOutput>;

/* @ts-self-types="./senet-relaxed-threads.d.ts" */

/**
 * One Adam (`decoupled = false`: L2 `grad += weight_decay * param`) or AdamW
 * (`decoupled = true`: `param *= 1 - lr * weight_decay`) step, `step` counting from 1.
 * params, grads, exp_avg, exp_avg_sq: `[n]` each, the same n; params, exp_avg and exp_avg_sq
 * are updated in place (the states start zeroed), grads is only read.
 * Fails, changing nothing, on a length mismatch, `step == 0`, or a hyper-parameter PyTorch
 * rejects (negative lr / eps / weight_decay, beta outside [0, 1)).
 * @param {number} params
 * @param {number} params_len
 * @param {number} grads
 * @param {number} grads_len
 * @param {number} exp_avg
 * @param {number} exp_avg_len
 * @param {number} exp_avg_sq
 * @param {number} exp_avg_sq_len
 * @param {number} step
 * @param {number} lr
 * @param {number} beta1
 * @param {number} beta2
 * @param {number} eps
 * @param {number} weight_decay
 * @param {boolean} decoupled
 */
export function adam_step(params, params_len, grads, grads_len, exp_avg, exp_avg_len, exp_avg_sq, exp_avg_sq_len, step, lr, beta1, beta2, eps, weight_decay, decoupled) {
    const ret = wasm.adam_step(params, params_len, grads, grads_len, exp_avg, exp_avg_len, exp_avg_sq, exp_avg_sq_len, step, lr, beta1, beta2, eps, weight_decay, decoupled);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Adaptive average pool to 1x1, backward: every element of plane `(n, c)` of `grad_input`
 * (`[batch, channels, height, width]`, overwritten) is `grad_output[n, c] / (height · width)`.
 * `grad_output`: `[batch, channels, 1, 1]`.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 */
export function adaptive_avg_pool2d_backward(grad_output, grad_output_len, grad_input, grad_input_len, batch, channels, height, width) {
    const ret = wasm.adaptive_avg_pool2d_backward(grad_output, grad_output_len, grad_input, grad_input_len, batch, channels, height, width);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Adaptive average pool to 1x1, forward: `output[n, c]` is the mean of plane `(n, c)`.
 * `input`: `[batch, channels, height, width]`; `output`: `[batch, channels, 1, 1]`.
 * @param {number} input
 * @param {number} input_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 */
export function adaptive_avg_pool2d_forward(input, input_len, output, output_len, batch, channels, height, width) {
    const ret = wasm.adaptive_avg_pool2d_forward(input, input_len, output, output_len, batch, channels, height, width);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `output = a + b`. `a`, `b`, `output`: `[len]`; `output` may be `a` or `b`.
 * @param {number} a
 * @param {number} a_len
 * @param {number} b
 * @param {number} b_len
 * @param {number} output
 * @param {number} output_len
 */
export function add(a, a_len, b, b_len, output, output_len) {
    const ret = wasm.add(a, a_len, b, b_len, output, output_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `dst += src`, how gradients accumulate. `dst`, `src`: `[len]`, distinct buffers.
 * @param {number} dst
 * @param {number} dst_len
 * @param {number} src
 * @param {number} src_len
 */
export function add_into(dst, dst_len, src, src_len) {
    const ret = wasm.add_into(dst, dst_len, src, src_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `output = max(a + b, 0)`, the residual join. `a`, `b`, `output`: `[len]`; `output` may be
 * `a` or `b`. Its backward is `relu_backward` on `output`, for both inputs.
 * @param {number} a
 * @param {number} a_len
 * @param {number} b
 * @param {number} b_len
 * @param {number} output
 * @param {number} output_len
 */
export function add_relu(a, a_len, b, b_len, output, output_len) {
    const ret = wasm.add_relu(a, a_len, b, b_len, output, output_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Allocates `len` f32s (zeroed, 16-byte aligned) and returns the byte address.
 * @param {number} len
 * @returns {number}
 */
export function alloc_f32(len) {
    const ret = wasm.alloc_f32(len);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0] >>> 0;
}

/**
 * `indices[i] = argmax_j input[i][j]` (first maximum on ties, NaN counts as the maximum).
 * input `[rows, cols]` with `cols >= 1`, indices `[rows]` u32 (overwritten).
 * @param {number} input
 * @param {number} input_len
 * @param {number} indices
 * @param {number} indices_len
 * @param {number} rows
 * @param {number} cols
 */
export function argmax_rows(input, input_len, indices, indices_len, rows, cols) {
    const ret = wasm.argmax_rows(input, input_len, indices, indices_len, rows, cols);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Training-mode backward. `grad_output`, `input`, `grad_input`: `[batch, channels, height,
 * width]`; `weight`, `save_mean`, `save_invstd` (from [`batch_norm2d_forward_train`]),
 * `grad_weight`, `grad_bias`: `[channels]`. Overwrites `grad_input`, `grad_weight` and
 * `grad_bias`. With `relu` (the forward fused a ReLU), `output` is that forward's output
 * `[batch, channels, height, width]`, used to mask `grad_output` where `output <= 0`; without
 * `relu`, `output` is not read and `output_len` must be 0.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} input
 * @param {number} input_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} weight
 * @param {number} weight_len
 * @param {number} save_mean
 * @param {number} save_mean_len
 * @param {number} save_invstd
 * @param {number} save_invstd_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 * @param {number} grad_weight
 * @param {number} grad_weight_len
 * @param {number} grad_bias
 * @param {number} grad_bias_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 * @param {boolean} relu
 */
export function batch_norm2d_backward(grad_output, grad_output_len, input, input_len, output, output_len, weight, weight_len, save_mean, save_mean_len, save_invstd, save_invstd_len, grad_input, grad_input_len, grad_weight, grad_weight_len, grad_bias, grad_bias_len, batch, channels, height, width, relu) {
    const ret = wasm.batch_norm2d_backward(grad_output, grad_output_len, input, input_len, output, output_len, weight, weight_len, save_mean, save_mean_len, save_invstd, save_invstd_len, grad_input, grad_input_len, grad_weight, grad_weight_len, grad_bias, grad_bias_len, batch, channels, height, width, relu);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Evaluation-mode forward: `output = (input - running_mean) / sqrt(running_var + eps) · weight
 * + bias`, then `max(·, 0)` with `relu`. `input`, `output`: `[batch, channels, height, width]`;
 * `weight`, `bias`, `running_mean`, `running_var`: `[channels]` (read only).
 * @param {number} input
 * @param {number} input_len
 * @param {number} weight
 * @param {number} weight_len
 * @param {number} bias
 * @param {number} bias_len
 * @param {number} running_mean
 * @param {number} running_mean_len
 * @param {number} running_var
 * @param {number} running_var_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 * @param {number} eps
 * @param {boolean} relu
 */
export function batch_norm2d_forward_eval(input, input_len, weight, weight_len, bias, bias_len, running_mean, running_mean_len, running_var, running_var_len, output, output_len, batch, channels, height, width, eps, relu) {
    const ret = wasm.batch_norm2d_forward_eval(input, input_len, weight, weight_len, bias, bias_len, running_mean, running_mean_len, running_var, running_var_len, output, output_len, batch, channels, height, width, eps, relu);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Training-mode forward. `input`, `output`: `[batch, channels, height, width]`; `weight`,
 * `bias`, `running_mean`, `running_var`, `save_mean`, `save_invstd`: `[channels]`.
 * Normalises with the batch statistics, updates `running_mean` / `running_var` in place
 * (`(1 - momentum) · running + momentum · batch`, unbiased batch variance) and writes the batch
 * mean and `1 / sqrt(var + eps)` to `save_mean` / `save_invstd` for
 * [`batch_norm2d_backward`]. With `relu`, `output = max(bn(input), 0)`. Fails when a channel
 * has a single value (`batch · height · width == 1`), like PyTorch.
 * @param {number} input
 * @param {number} input_len
 * @param {number} weight
 * @param {number} weight_len
 * @param {number} bias
 * @param {number} bias_len
 * @param {number} running_mean
 * @param {number} running_mean_len
 * @param {number} running_var
 * @param {number} running_var_len
 * @param {number} save_mean
 * @param {number} save_mean_len
 * @param {number} save_invstd
 * @param {number} save_invstd_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 * @param {number} momentum
 * @param {number} eps
 * @param {boolean} relu
 */
export function batch_norm2d_forward_train(input, input_len, weight, weight_len, bias, bias_len, running_mean, running_mean_len, running_var, running_var_len, save_mean, save_mean_len, save_invstd, save_invstd_len, output, output_len, batch, channels, height, width, momentum, eps, relu) {
    const ret = wasm.batch_norm2d_forward_train(input, input_len, weight, weight_len, bias, bias_len, running_mean, running_mean_len, running_var, running_var_len, save_mean, save_mean_len, save_invstd, save_invstd_len, output, output_len, batch, channels, height, width, momentum, eps, relu);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `output = conv2d(input, weight) + bias`.
 * Buffers: input `[batch, in_channels, height, width]`, weight
 * `[out_channels, in_channels, kernel_h, kernel_w]`, bias `[out_channels]` or `bias_len = 0`
 * for no bias, output `[batch, out_channels, out_h, out_w]` (overwritten).
 * @param {number} input
 * @param {number} input_len
 * @param {number} weight
 * @param {number} weight_len
 * @param {number} bias
 * @param {number} bias_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} batch
 * @param {number} in_channels
 * @param {number} height
 * @param {number} width
 * @param {number} out_channels
 * @param {number} kernel_h
 * @param {number} kernel_w
 * @param {number} stride_h
 * @param {number} stride_w
 * @param {number} pad_h
 * @param {number} pad_w
 */
export function conv2d_forward(input, input_len, weight, weight_len, bias, bias_len, output, output_len, batch, in_channels, height, width, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) {
    const ret = wasm.conv2d_forward(input, input_len, weight, weight_len, bias, bias_len, output, output_len, batch, in_channels, height, width, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `grad_bias[c] = Σ grad_output[n, c, y, x]` over the batch and the output plane.
 * Buffers: grad_output `[batch, out_channels, out_h, out_w]`, grad_bias `[out_channels]`
 * (overwritten, not accumulated into).
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} grad_bias
 * @param {number} grad_bias_len
 * @param {number} batch
 * @param {number} out_channels
 * @param {number} out_h
 * @param {number} out_w
 */
export function conv2d_grad_bias(grad_output, grad_output_len, grad_bias, grad_bias_len, batch, out_channels, out_h, out_w) {
    const ret = wasm.conv2d_grad_bias(grad_output, grad_output_len, grad_bias, grad_bias_len, batch, out_channels, out_h, out_w);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `grad_input = ∂L/∂input` from `grad_output = ∂L/∂output`.
 * Buffers: grad_output `[batch, out_channels, out_h, out_w]`, weight
 * `[out_channels, in_channels, kernel_h, kernel_w]`, grad_input
 * `[batch, in_channels, height, width]` (overwritten).
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} weight
 * @param {number} weight_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 * @param {number} batch
 * @param {number} in_channels
 * @param {number} height
 * @param {number} width
 * @param {number} out_channels
 * @param {number} kernel_h
 * @param {number} kernel_w
 * @param {number} stride_h
 * @param {number} stride_w
 * @param {number} pad_h
 * @param {number} pad_w
 */
export function conv2d_grad_input(grad_output, grad_output_len, weight, weight_len, grad_input, grad_input_len, batch, in_channels, height, width, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) {
    const ret = wasm.conv2d_grad_input(grad_output, grad_output_len, weight, weight_len, grad_input, grad_input_len, batch, in_channels, height, width, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `grad_weight = ∂L/∂weight`, summed over the batch.
 * Buffers: input `[batch, in_channels, height, width]`, grad_output
 * `[batch, out_channels, out_h, out_w]`, grad_weight `[out_channels, in_channels, kernel_h,
 * kernel_w]` (overwritten, not accumulated into).
 * @param {number} input
 * @param {number} input_len
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} grad_weight
 * @param {number} grad_weight_len
 * @param {number} batch
 * @param {number} in_channels
 * @param {number} height
 * @param {number} width
 * @param {number} out_channels
 * @param {number} kernel_h
 * @param {number} kernel_w
 * @param {number} stride_h
 * @param {number} stride_w
 * @param {number} pad_h
 * @param {number} pad_w
 */
export function conv2d_grad_weight(input, input_len, grad_output, grad_output_len, grad_weight, grad_weight_len, batch, in_channels, height, width, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) {
    const ret = wasm.conv2d_grad_weight(input, input_len, grad_output, grad_output_len, grad_weight, grad_weight_len, batch, in_channels, height, width, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `grad_logits = (probs − target) · grad_output / (batch for the mean, 1 for the sum)` with
 * `target = (1 − ε)·onehot(labels) + ε/classes`: the gradient of the reduced loss, times
 * `grad_output`. probs `[batch, classes]` (from [`cross_entropy_forward`]), labels `[batch]`
 * u32, grad_logits `[batch, classes]` (overwritten; may not alias probs).
 * @param {number} probs
 * @param {number} probs_len
 * @param {number} labels
 * @param {number} labels_len
 * @param {number} grad_logits
 * @param {number} grad_logits_len
 * @param {number} batch
 * @param {number} classes
 * @param {number} label_smoothing
 * @param {boolean} sum
 * @param {number} grad_output
 */
export function cross_entropy_backward(probs, probs_len, labels, labels_len, grad_logits, grad_logits_len, batch, classes, label_smoothing, sum, grad_output) {
    const ret = wasm.cross_entropy_backward(probs, probs_len, labels, labels_len, grad_logits, grad_logits_len, batch, classes, label_smoothing, sum, grad_output);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Returns the reduced cross-entropy loss (the mean, or the sum when `sum`) with label smoothing
 * `label_smoothing` in [0, 1], and writes the softmax probabilities for the backward.
 * logits `[batch, classes]`, labels `[batch]` u32 class indices, probs `[batch, classes]`
 * (overwritten). Fails if a label is `>= classes`, naming its index and value. An empty batch
 * gives NaN for the mean and 0 for the sum, like PyTorch.
 * @param {number} logits
 * @param {number} logits_len
 * @param {number} labels
 * @param {number} labels_len
 * @param {number} probs
 * @param {number} probs_len
 * @param {number} batch
 * @param {number} classes
 * @param {number} label_smoothing
 * @param {boolean} sum
 * @returns {number}
 */
export function cross_entropy_forward(logits, logits_len, labels, labels_len, probs, probs_len, batch, classes, label_smoothing, sum) {
    const ret = wasm.cross_entropy_forward(logits, logits_len, labels, labels_len, probs, probs_len, batch, classes, label_smoothing, sum);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0];
}

/**
 * Frees a buffer from [`alloc_f32`] with the same `len`.
 * @param {number} addr
 * @param {number} len
 */
export function free_f32(addr, len) {
    const ret = wasm.free_f32(addr, len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * GELU backward: `grad_input = grad_output·(Φ(input) + input·φ(input))`, from the forward's
 * *input*. `grad_output`, `input`, `grad_input`: `[len]`; `grad_input` may be `grad_output`
 * (in place), never `input`.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} input
 * @param {number} input_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 */
export function gelu_backward(grad_output, grad_output_len, input, input_len, grad_input, grad_input_len) {
    const ret = wasm.gelu_backward(grad_output, grad_output_len, input, input_len, grad_input, grad_input_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * GELU forward, exact form (`nn.GELU()`): `output = input·Φ(input)`. `input`, `output`:
 * `[len]`, any shape; `output` may be `input` (in place, though the backward needs the input).
 * @param {number} input
 * @param {number} input_len
 * @param {number} output
 * @param {number} output_len
 */
export function gelu_forward(input, input_len, output, output_len) {
    const ret = wasm.gelu_forward(input, input_len, output, output_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `C = op(A) · op(B)` (`C +=` when `accumulate`), row-major. `a_len`, `b_len`, `c_len` are the
 * lengths (in floats) of the buffers at `a`, `b`, `c`; the call fails, naming the operand and
 * its shape, if a buffer is too small for the given shape and leading dimension.
 * @param {boolean} trans_a
 * @param {boolean} trans_b
 * @param {number} m
 * @param {number} n
 * @param {number} k
 * @param {number} a
 * @param {number} a_len
 * @param {number} lda
 * @param {number} b
 * @param {number} b_len
 * @param {number} ldb
 * @param {number} c
 * @param {number} c_len
 * @param {number} ldc
 * @param {boolean} accumulate
 */
export function gemm(trans_a, trans_b, m, n, k, a, a_len, lda, b, b_len, ldb, c, c_len, ldc, accumulate) {
    const ret = wasm.gemm(trans_a, trans_b, m, n, k, a, a_len, lda, b, b_len, ldb, c, c_len, ldc, accumulate);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `output = input · weight^T + bias`.
 * input `[batch, in_features]`, weight `[out_features, in_features]`, bias `[out_features]`
 * or `bias_len == 0` for no bias, output `[batch, out_features]` (overwritten).
 * @param {number} input
 * @param {number} input_len
 * @param {number} weight
 * @param {number} weight_len
 * @param {number} bias
 * @param {number} bias_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} batch
 * @param {number} in_features
 * @param {number} out_features
 */
export function linear_forward(input, input_len, weight, weight_len, bias, bias_len, output, output_len, batch, in_features, out_features) {
    const ret = wasm.linear_forward(input, input_len, weight, weight_len, bias, bias_len, output, output_len, batch, in_features, out_features);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `grad_input = grad_output · weight`.
 * grad_output `[batch, out_features]`, weight `[out_features, in_features]`,
 * grad_input `[batch, in_features]` (overwritten).
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} weight
 * @param {number} weight_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 * @param {number} batch
 * @param {number} in_features
 * @param {number} out_features
 */
export function linear_grad_input(grad_output, grad_output_len, weight, weight_len, grad_input, grad_input_len, batch, in_features, out_features) {
    const ret = wasm.linear_grad_input(grad_output, grad_output_len, weight, weight_len, grad_input, grad_input_len, batch, in_features, out_features);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `grad_weight = grad_output^T · input` and `grad_bias = grad_output summed over the batch`,
 * both overwritten. grad_output `[batch, out_features]`, input `[batch, in_features]`,
 * grad_weight `[out_features, in_features]`, grad_bias `[out_features]` or
 * `grad_bias_len == 0` when the layer has no bias.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} input
 * @param {number} input_len
 * @param {number} grad_weight
 * @param {number} grad_weight_len
 * @param {number} grad_bias
 * @param {number} grad_bias_len
 * @param {number} batch
 * @param {number} in_features
 * @param {number} out_features
 */
export function linear_grad_weight(grad_output, grad_output_len, input, input_len, grad_weight, grad_weight_len, grad_bias, grad_bias_len, batch, in_features, out_features) {
    const ret = wasm.linear_grad_weight(grad_output, grad_output_len, input, input_len, grad_weight, grad_weight_len, grad_bias, grad_bias_len, batch, in_features, out_features);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Max-pool backward: `grad_input` (`[batch, channels, height, width]`, overwritten) receives
 * each `grad_output` element (`[batch, channels, out_h, out_w]`) at its arg-max from `indices`
 * (u32, `[batch, channels, out_h, out_w]`, from [`max_pool2d_forward`] with the same
 * geometry); overlapping windows add up. Fails if an index lies outside its plane.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} indices
 * @param {number} indices_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 * @param {number} kernel_h
 * @param {number} kernel_w
 * @param {number} stride_h
 * @param {number} stride_w
 * @param {number} pad_h
 * @param {number} pad_w
 */
export function max_pool2d_backward(grad_output, grad_output_len, indices, indices_len, grad_input, grad_input_len, batch, channels, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) {
    const ret = wasm.max_pool2d_backward(grad_output, grad_output_len, indices, indices_len, grad_input, grad_input_len, batch, channels, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Max-pool forward. `input`: `[batch, channels, height, width]`; `output` and `indices` (u32,
 * 4-byte elements): `[batch, channels, out_h, out_w]` with `out = (in + 2·pad - kernel) /
 * stride + 1` (floor). `indices` gets each output's arg-max `h·width + w` within its input
 * plane (PyTorch's indices). Padding counts as -inf and must be at most half the kernel.
 * @param {number} input
 * @param {number} input_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} indices
 * @param {number} indices_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 * @param {number} kernel_h
 * @param {number} kernel_w
 * @param {number} stride_h
 * @param {number} stride_w
 * @param {number} pad_h
 * @param {number} pad_w
 */
export function max_pool2d_forward(input, input_len, output, output_len, indices, indices_len, batch, channels, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) {
    const ret = wasm.max_pool2d_forward(input, input_len, output, output_len, indices, indices_len, batch, channels, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * ReLU backward: `grad_input = grad_output` where `output > 0`, else 0 (PyTorch's
 * `threshold_backward` on the forward's output). `grad_output`, `output`, `grad_input`:
 * `[len]`; `grad_input` may be `grad_output` (in place), never `output`.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 */
export function relu_backward(grad_output, grad_output_len, output, output_len, grad_input, grad_input_len) {
    const ret = wasm.relu_backward(grad_output, grad_output_len, output, output_len, grad_input, grad_input_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * ReLU forward: `output = max(input, 0)`. `input`, `output`: `[len]`, any shape; `output` may
 * be `input` (in place).
 * @param {number} input
 * @param {number} input_len
 * @param {number} output
 * @param {number} output_len
 */
export function relu_forward(input, input_len, output, output_len) {
    const ret = wasm.relu_forward(input, input_len, output, output_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * A pool worker's body: runs one pool thread until [`stop_thread_pool`].
 */
export function run_pool_worker() {
    wasm.run_pool_worker();
}

/**
 * `output = input·factor`. `input`, `output`: `[len]`; `output` may be `input` (in place).
 * @param {number} input
 * @param {number} input_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} factor
 */
export function scale(input, input_len, output, output_len, factor) {
    const ret = wasm.scale(input, input_len, output, output_len, factor);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * The backward pass through the whole block. grad_output, input: `[batch, channels, height,
 * width]` (input is the forward's); fc1 `[hidden_channels, channels, 1, 1]`, fc2 `[channels,
 * hidden_channels, 1, 1]`; squeeze `[batch, channels]`, hidden `[batch, hidden_channels]`,
 * gate `[batch, channels]` as saved by [`se_forward`]. Writes (overwrites, no accumulation)
 * grad_input `[batch, channels, height, width]`, grad_fc1 `[hidden_channels, channels, 1, 1]`
 * and grad_fc2 `[channels, hidden_channels, 1, 1]`.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} input
 * @param {number} input_len
 * @param {number} fc1
 * @param {number} fc1_len
 * @param {number} fc2
 * @param {number} fc2_len
 * @param {number} squeeze
 * @param {number} squeeze_len
 * @param {number} hidden
 * @param {number} hidden_len
 * @param {number} gate
 * @param {number} gate_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 * @param {number} grad_fc1
 * @param {number} grad_fc1_len
 * @param {number} grad_fc2
 * @param {number} grad_fc2_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} hidden_channels
 * @param {number} height
 * @param {number} width
 */
export function se_backward(grad_output, grad_output_len, input, input_len, fc1, fc1_len, fc2, fc2_len, squeeze, squeeze_len, hidden, hidden_len, gate, gate_len, grad_input, grad_input_len, grad_fc1, grad_fc1_len, grad_fc2, grad_fc2_len, batch, channels, hidden_channels, height, width) {
    const ret = wasm.se_backward(grad_output, grad_output_len, input, input_len, fc1, fc1_len, fc2, fc2_len, squeeze, squeeze_len, hidden, hidden_len, gate, gate_len, grad_input, grad_input_len, grad_fc1, grad_fc1_len, grad_fc2, grad_fc2_len, batch, channels, hidden_channels, height, width);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * The forward pass. input `[batch, channels, height, width]`; fc1 `[hidden_channels,
 * channels, 1, 1]`; fc2 `[channels, hidden_channels, 1, 1]`; saved for the backward
 * (overwritten): squeeze `[batch, channels]` (plane means), hidden `[batch, hidden_channels]`
 * (after the ReLU), gate `[batch, channels]` (after the sigmoid); output `[batch, channels,
 * height, width]` (overwritten). `hidden_channels` is `channels / r` and must be at least 1.
 * @param {number} input
 * @param {number} input_len
 * @param {number} fc1
 * @param {number} fc1_len
 * @param {number} fc2
 * @param {number} fc2_len
 * @param {number} squeeze
 * @param {number} squeeze_len
 * @param {number} hidden
 * @param {number} hidden_len
 * @param {number} gate
 * @param {number} gate_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} batch
 * @param {number} channels
 * @param {number} hidden_channels
 * @param {number} height
 * @param {number} width
 */
export function se_forward(input, input_len, fc1, fc1_len, fc2, fc2_len, squeeze, squeeze_len, hidden, hidden_len, gate, gate_len, output, output_len, batch, channels, hidden_channels, height, width) {
    const ret = wasm.se_forward(input, input_len, fc1, fc1_len, fc2, fc2_len, squeeze, squeeze_len, hidden, hidden_len, gate, gate_len, output, output_len, batch, channels, hidden_channels, height, width);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * One SGD step, `step` counting from 1 (step 1 initialises the momentum buffer to the
 * gradient, as PyTorch does when the buffer is None).
 * params, grads: `[n]`; momentum_buffer: `[n]` when `momentum != 0`, otherwise ignored
 * (`momentum_buffer_len` may be 0). params and momentum_buffer are updated in place.
 * Fails, changing nothing, on a length mismatch, `step == 0`, a negative lr / momentum /
 * weight_decay, or Nesterov without momentum or with non-zero dampening.
 * @param {number} params
 * @param {number} params_len
 * @param {number} grads
 * @param {number} grads_len
 * @param {number} momentum_buffer
 * @param {number} momentum_buffer_len
 * @param {number} step
 * @param {number} lr
 * @param {number} momentum
 * @param {number} dampening
 * @param {number} weight_decay
 * @param {boolean} nesterov
 */
export function sgd_step(params, params_len, grads, grads_len, momentum_buffer, momentum_buffer_len, step, lr, momentum, dampening, weight_decay, nesterov) {
    const ret = wasm.sgd_step(params, params_len, grads, grads_len, momentum_buffer, momentum_buffer_len, step, lr, momentum, dampening, weight_decay, nesterov);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Sigmoid backward: `grad_input = grad_output * (1 - output) * output`, from the forward's
 * output. `grad_output`, `output`, `grad_input`: `[len]`; `grad_input` may be `grad_output`
 * (in place), never `output`.
 * @param {number} grad_output
 * @param {number} grad_output_len
 * @param {number} output
 * @param {number} output_len
 * @param {number} grad_input
 * @param {number} grad_input_len
 */
export function sigmoid_backward(grad_output, grad_output_len, output, output_len, grad_input, grad_input_len) {
    const ret = wasm.sigmoid_backward(grad_output, grad_output_len, output, output_len, grad_input, grad_input_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Sigmoid forward: `output = 1 / (1 + exp(-input))`. `input`, `output`: `[len]`, any shape;
 * `output` may be `input` (in place).
 * @param {number} input
 * @param {number} input_len
 * @param {number} output
 * @param {number} output_len
 */
export function sigmoid_forward(input, input_len, output, output_len) {
    const ret = wasm.sigmoid_forward(input, input_len, output, output_len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Which SIMD flavour this module was compiled with: "relaxed-simd" or "simd".
 * @returns {string}
 */
export function simd_flavour() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.simd_flavour();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}

/**
 * Starts a pool of `num_threads` threads. The host must start as many workers, each of which
 * instantiates this module on the same memory and calls [`run_pool_worker`].
 * @param {number} num_threads
 */
export function start_thread_pool(num_threads) {
    const ret = wasm.start_thread_pool(num_threads);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Stops the pool; kernels then run on the calling thread.
 */
export function stop_thread_pool() {
    wasm.stop_thread_pool();
}

/**
 * Number of threads kernels run on (1 when no pool was started).
 * @returns {number}
 */
export function thread_count() {
    const ret = wasm.thread_count();
    return ret >>> 0;
}

/**
 * Whether this module was built with shared memory and atomics (a thread pool can start).
 * @returns {boolean}
 */
export function threads_supported() {
    const ret = wasm.threads_supported();
    return ret !== 0;
}
function __wbg_get_imports(memory) {
    const import0 = {
        __proto__: null,
        __wbg_Error_30c8987f7c2ed4e2: function(arg0, arg1) {
            const ret = Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            const offset = table.grow(4);
            table.set(0, undefined);
            table.set(offset + 0, undefined);
            table.set(offset + 1, null);
            table.set(offset + 2, true);
            table.set(offset + 3, false);
        },
        memory: memory || new WebAssembly.Memory({initial:18,maximum:65536,shared:true}),
    };
    return {
        __proto__: null,
        "./senet-relaxed-threads_bg.js": import0,
    };
}

function getStringFromWasm0(ptr, len) {
    return decodeText(ptr >>> 0, len);
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.buffer !== wasm.memory.buffer) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = (typeof TextDecoder !== 'undefined' ? new TextDecoder('utf-8', { ignoreBOM: true, fatal: true }) : undefined);
if (cachedTextDecoder) cachedTextDecoder.decode();

const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(ptr, len) {
    numBytesDecoded += len;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
        cachedTextDecoder.decode();
        numBytesDecoded = len;
    }
    return cachedTextDecoder.decode(getUint8ArrayMemory0().slice(ptr, ptr + len));
}

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module, thread_stack_size) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedUint8ArrayMemory0 = null;
    if (typeof thread_stack_size !== 'undefined' && (typeof thread_stack_size !== 'number' || thread_stack_size === 0 || thread_stack_size % 65536 !== 0)) {
        throw new Error('invalid stack size');
    }

    wasm.__wbindgen_start(thread_stack_size);
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module, memory) {
    if (wasm !== undefined) return wasm;

    let thread_stack_size
    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module, memory, thread_stack_size} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports(memory);
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module, thread_stack_size);
}

async function __wbg_init(module_or_path, memory) {
    if (wasm !== undefined) return wasm;

    let thread_stack_size
    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path, memory, thread_stack_size} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('senet-relaxed-threads_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports(memory);

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module, thread_stack_size);
}

export { initSync, __wbg_init as default };

#!/usr/bin/python3
"""PyTorch's time for convolution layers, pass by pass: the other side of bench:kernels' fast_senet rows.

    /usr/bin/python3 bench/recipe/conv_layers_pytorch.py --threads 2 --layers '[{"name": "g1.conv1", "cin": 24, ...}]'

Each layer {"name", "batch", "cin", "cout", "size", "kernel", "padding", "bias"} is timed as the
fast recipe's PyTorch run computes it (channels_last, set_flush_denormal(True), float32): the
forward (F.conv2d), the gradient of the input and the gradient of the weight (each alone, with
aten.convolution_backward and one output mask, as torch.nn.grad.conv2d_input / conv2d_weight do).
Warm-up, then the median of --samples samples of at least --sample-seconds each. Prints one JSON
line, prefixed `RESULT `: [{"name", "pass", "seconds"}] per layer and pass.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def seconds_per_call(run, sample_seconds, samples):
    for _ in range(3):
        run()
    start = time.perf_counter()
    run()
    once = time.perf_counter() - start
    reps = max(1, int(sample_seconds / max(once, 1e-9)))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(reps):
            run()
        times.append((time.perf_counter() - start) / reps)
    return sorted(times)[len(times) // 2]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--layers', required=True, help='a JSON list of layers')
    p.add_argument('--samples', type=int, default=5)
    p.add_argument('--sample-seconds', type=float, default=0.25)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    cl = torch.channels_last
    results = []
    for layer in json.loads(args.layers):
        n, cin, cout, size, k, pad = (layer[key] for key in ('batch', 'cin', 'cout', 'size', 'kernel', 'padding'))
        x = torch.randn(n, cin, size, size).contiguous(memory_format=cl)
        w = torch.randn(cout, cin, k, k).contiguous(memory_format=cl) * 0.1
        b = torch.randn(cout) if layer['bias'] else None
        out = size + 2 * pad - k + 1
        g = torch.randn(n, cout, out, out).contiguous(memory_format=cl)
        backward = torch.ops.aten.convolution_backward
        geometry = ([1, 1], [pad, pad], [1, 1], False, [0, 0], 1)
        passes = {
            'forward': lambda: F.conv2d(x, w, b, padding=pad),
            'grad-input': lambda: backward(g, x, w, None, *geometry, [True, False, False]),
            'grad-weight': lambda: backward(g, x, w, None, *geometry, [False, True, False]),
        }
        for name in layer.get('passes', list(passes)):
            with torch.no_grad():
                seconds = seconds_per_call(passes[name], args.sample_seconds, args.samples)
            results.append({'name': layer['name'], 'pass': name, 'seconds': seconds})
    print('RESULT ' + json.dumps(results), flush=True)


if __name__ == '__main__':
    main()

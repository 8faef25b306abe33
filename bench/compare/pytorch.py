"""bench/compare.ts's child for PyTorch (CPU): one model, one thread count, one task.

    /usr/bin/python3 bench/compare/pytorch.py [--model senet] --task train|infer --threads N \
        --warmup W --repeats R --steps S [--batch 128] [--warmup1 10] [--sample-seconds 0.5]

train: forward, CrossEntropyLoss, backward and an Adam (lr 1e-3) step on a fixed random batch.
infer: model.eval() and torch.no_grad(), at the batch size and at batch 1, reading the logits
back. Prints one result line, `@@compare-result {json}`, in the format of bench/compare/protocol.ts;
progress goes to stderr. The model is the registry model --model (default the seed SENet) as
test/fixtures/make_fixtures.py's create_model defines it: the PyTorch definitions senet-wasm's models
are tested against, with PyTorch's default initialisation after torch.manual_seed(0).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures'))
from make_fixtures import MODELS, create_model  # noqa: E402

MARKER = "@@compare-result"
NUM_CLASSES = 10


def linked_blas():
    """The BLAS libraries this process has loaded (Debian's torch uses the system libblas.so.3)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths))
    except OSError:
        return "unknown"


def throughput(run, batch, warmup, repeats, steps, sample_seconds=None):
    """Median images/s over `repeats` samples of `steps` calls, after `warmup` untimed calls.
    With sample_seconds, a sample repeats the call for at least that long instead."""
    last = float("inf")
    for _ in range(warmup):
        t0 = time.perf_counter()
        run()
        last = time.perf_counter() - t0
    calls = steps if sample_seconds is None else max(steps, -(-sample_seconds // last))
    calls = int(calls)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            run()
        samples.append(calls * batch / (time.perf_counter() - t0))
    return {
        "imagesPerSecond": statistics.median(samples),
        "samples": samples,
        "batch": batch,
        "warmup": warmup,
        "callsPerSample": calls,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(MODELS), default="senet")
    parser.add_argument("--task", choices=["train", "infer"], required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--variant", default="aten")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--repeats", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--warmup1", type=int, default=10)
    parser.add_argument("--sample-seconds", type=float, default=0.5)
    args = parser.parse_args()
    repeats, steps = max(1, args.repeats), max(1, args.steps)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = create_model(args.model, NUM_CLASSES)
    result = {
        "framework": "pytorch",
        "variant": args.variant,
        "model": args.model,
        "task": args.task,
        "threads": args.threads,
        "actualThreads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "peakRssKiB": 0,
        "info": {
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "mkldnn": torch.backends.mkldnn.is_available(),
            "blas": linked_blas(),
        },
    }
    images = torch.rand(args.batch, 3, 32, 32)
    labels = torch.arange(args.batch) % NUM_CLASSES

    if args.task == "train":
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss()
        losses = []

        def step():
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

        result["train"] = throughput(step, args.batch, args.warmup, repeats, steps)
        print(f"  pytorch {args.model} x{args.threads} train: {result['train']['imagesPerSecond']:.1f} images/s "
              f"(last loss {losses[-1]:.3f})", file=sys.stderr)
    else:
        model.eval()
        one = torch.rand(1, 3, 32, 32)

        def forward(x):
            def run():
                with torch.no_grad():
                    model(x).numpy()
            return run

        result["infer"] = throughput(forward(images), args.batch, args.warmup, repeats, steps)
        result["infer1"] = throughput(forward(one), 1, args.warmup1, repeats, steps, args.sample_seconds)
        print(f"  pytorch {args.model} x{args.threads} inference: {result['infer']['imagesPerSecond']:.1f} images/s at batch "
              f"{args.batch}, {result['infer1']['imagesPerSecond']:.1f} at batch 1", file=sys.stderr)

    result["peakRssKiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{MARKER} {json.dumps(result)}", flush=True)


if __name__ == "__main__":
    main()

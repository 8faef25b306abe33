#!/usr/bin/python3
"""The fast recipe (issue 14) in PyTorch: what `senet train --recipe fast` runs, for time to accuracy.

    /usr/bin/python3 bench/recipe/fast_pytorch.py --data ../shared/data/cifar-10-batches-bin --seed 0

The network is `fast_senet` of test/fixtures/make_fixtures.py (the definition senet-wasm's model is
tested against). The recipe, as src/train/fast.ts: inputs normalised with CIFAR-10's channel mean
and std; the whitening conv set from the uncentred second moment of the 2x2x3 patches of the
first 5,000 normalised training images (float32 products over chunks, summed in float64; the
eigenvectors, largest first, / sqrt(eigenvalue + 5e-4), then their negatives); SGD, Nesterov,
momentum 0.85, lr 15 / kilostep (64x for the BatchNorm biases), each group's weight_decay
0.0153 * 128 / kilostep / its lr, kilostep = 1024 (1 + 1 / (1 - 0.85)); cross-entropy with label
smoothing 0.2, summed; LambdaLR of np.interp(step, [0, int(0.23 total), total], [0.2, 1, 0.07]);
batch 128, shuffled, the last partial batch dropped; a Bernoulli(0.5) flip mask fixed for the
run, applied in even epochs and its complement in odd ones, shifts dx, dy in [-2, 2] per image
and epoch with reflect padding, the flip after the shift; the lookahead (every 5 steps, decay
0.95^5 (step / total)^3, the average taken at the end); evaluation plain and with flip TTA (the
mean of the logits of each image and its mirror) after each epoch and at the end.

The clock counts building the model, the whitening, the augmentation, every step and the
lookahead; not reading the data from disk, not the evaluations. torch.set_num_threads(--threads,
default 2), set_flush_denormal(True), channels_last. Prints one JSON line per evaluation point,
prefixed `RESULT `: {"epoch", "step", "seconds", "images", "accuracy", "tta"}, then `DONE {...}`.
`--limit N` uses the first N training and test images (a smoke test, not a measurement).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures'))
from make_fixtures import FastSENet  # noqa: E402

MEAN = torch.tensor([125.307, 122.950, 113.865]).view(1, 3, 1, 1) / 255
STD = torch.tensor([62.993, 62.089, 66.705]).view(1, 3, 1, 1) / 255
BATCH = 128
MOMENTUM = 0.85
LR, WEIGHT_DECAY, BIAS_SCALE = 15.0, 0.0153, 64
SMOOTHING = 0.2
TRANSLATE = 2
WHITEN_IMAGES, WHITEN_EPS = 5000, 5e-4
LOOKAHEAD_EVERY, LOOKAHEAD_BASE = 5, 0.95


def read_cifar(folder, names, limit):
    raw = np.concatenate([np.fromfile(os.path.join(folder, n), dtype=np.uint8).reshape(-1, 3073) for n in names])
    raw = raw[:limit]
    return torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()), torch.from_numpy(raw[:, 0].astype(np.int64))


def normalise(images):
    return (images.float() / 255 - MEAN) / STD


def whiten(conv, images):
    """The whitening filters of the patches of `images` (normalised, [N, 3, H, W]) into conv.weight."""
    d = 3 * 2 * 2
    moment = torch.zeros(d, d, dtype=torch.float64)
    count = 0
    for chunk in images.split(200):
        patches = chunk.unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, d)
        moment += (patches.T @ patches).double()
        count += patches.shape[0]
    values, vectors = torch.linalg.eigh(moment / count)
    values, vectors = values.flip(0), vectors.T.flip(0)
    scaled = (vectors / torch.sqrt(values + WHITEN_EPS).unsqueeze(1)).float()
    with torch.no_grad():
        conv.weight.copy_(torch.cat([scaled, -scaled]).view_as(conv.weight))


def translate_flip(padded, idx, shifts, flip):
    """Images `idx` of the reflect-padded uint8 set (numpy), each shifted by its (dy, dx) in [-2, 2]
    (offsets 0..4 into the padding) and mirrored after the shift where `flip`, normalised:
    [B, 3, 32, 32] float32."""
    size = padded.shape[-1] - 2 * TRANSLATE
    out = np.empty((len(idx), padded.shape[1], size, size), dtype=padded.dtype)
    for i, j in enumerate(idx):
        dy, dx = shifts[0, j], shifts[1, j]
        crop = padded[j, :, dy:dy + size, dx:dx + size]
        out[i] = crop[:, :, ::-1] if flip[j] else crop
    return normalise(torch.from_numpy(out))


def evaluate(model, images, labels):
    model.eval()
    correct = correct_tta = 0
    with torch.no_grad():
        for x, y in zip(images.split(500), labels.split(500)):
            x = x.contiguous(memory_format=torch.channels_last)
            logits = model(x)
            mirrored = model(x.flip(-1).contiguous(memory_format=torch.channels_last))
            correct += (logits.argmax(1) == y).sum().item()
            correct_tta += ((0.5 * logits + 0.5 * mirrored).argmax(1) == y).sum().item()
    model.train()
    return correct / len(labels), correct_tta / len(labels)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', required=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--epochs', type=float, default=2.5)
    p.add_argument('--widths', default='32,64,128')
    p.add_argument('--limit', type=int, default=None, help='only the first N training and test images (a smoke test)')
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_x, train_y = read_cifar(args.data, [f'data_batch_{i}.bin' for i in range(1, 6)], args.limit)
    test_x, test_y = read_cifar(args.data, ['test_batch.bin'], args.limit)
    test_x = normalise(test_x)  # not timed: the test set is only evaluated
    steps_per_epoch = len(train_y) // BATCH
    total = int(args.epochs * steps_per_epoch + 0.5)  # as senet-wasm's Math.round (not Python's round-half-even)
    widths = tuple(int(w) for w in args.widths.split(','))
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'steps': total,
                      'steps_per_epoch': steps_per_epoch, 'widths': widths}), file=sys.stderr, flush=True)

    started = time.perf_counter()
    model = FastSENet(10, widths).to(memory_format=torch.channels_last)
    whiten(model.whiten, normalise(train_x[:WHITEN_IMAGES]))
    # Reflect padding that does not repeat the edge (F.pad's 'reflect'), of the bytes: each batch
    # is cut out of it and normalised.
    pad = ((0, 0), (0, 0), (TRANSLATE, TRANSLATE), (TRANSLATE, TRANSLATE))
    padded = np.pad(train_x.numpy(), pad, mode='reflect')
    flip_mask = (torch.rand(len(train_y), generator=generator) < 0.5).numpy()

    kilostep = 1024 * (1 + 1 / (1 - MOMENTUM))
    lr = LR / kilostep
    wd = WEIGHT_DECAY * BATCH / kilostep
    biases = [q for name, q in model.named_parameters() if 'norm' in name and name.endswith('bias') and q.requires_grad]
    bias_ids = {id(q) for q in biases}
    others = [q for q in model.parameters() if q.requires_grad and id(q) not in bias_ids]
    optimizer = torch.optim.SGD([dict(params=biases, lr=lr * BIAS_SCALE, weight_decay=wd / (lr * BIAS_SCALE)),
                                 dict(params=others, lr=lr, weight_decay=wd / lr)], momentum=MOMENTUM, nesterov=True)
    schedule = np.interp(np.arange(total + 1), [0, int(0.23 * total), total], [0.2, 1.0, 0.07])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: schedule[i])
    average = {k: v.clone() for k, v in model.state_dict().items() if v.is_floating_point()}

    def lookahead(decay):
        state = model.state_dict()
        with torch.no_grad():
            for key, avg in average.items():
                avg.lerp_(state[key], 1 - decay)
                state[key].copy_(avg)

    step, epoch, seen, evaluated = 0, 0, 0, 0.0
    while step < total:
        flip = flip_mask ^ (epoch % 2 == 1)
        shifts = torch.randint(0, 2 * TRANSLATE + 1, (2, len(train_y)), generator=generator).numpy()
        order = torch.randperm(len(train_y), generator=generator)
        for b in range(steps_per_epoch):
            idx = order[b * BATCH:(b + 1) * BATCH]
            x = translate_flip(padded, idx.numpy(), shifts, flip).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(x), train_y[idx], label_smoothing=SMOOTHING, reduction='sum')
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            seen += len(idx)
            if step % LOOKAHEAD_EVERY == 0:
                lookahead(LOOKAHEAD_BASE ** LOOKAHEAD_EVERY * (step / total) ** 3)
            if step == total:
                lookahead(1.0)
                break
        epoch += 1
        seconds = time.perf_counter() - started - evaluated
        eval_started = time.perf_counter()
        accuracy, tta = evaluate(model, test_x, test_y)
        evaluated += time.perf_counter() - eval_started
        point = {'epoch': round(step / steps_per_epoch, 4), 'step': step, 'seconds': seconds, 'images': seen,
                 'accuracy': accuracy, 'tta': tta}
        print('RESULT ' + json.dumps(point), flush=True)
    print('DONE ' + json.dumps({'seconds': time.perf_counter() - started - evaluated, 'images': seen}), flush=True)


if __name__ == '__main__':
    main()

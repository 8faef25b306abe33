#!/usr/bin/python3
"""PyTorch running the same recipe as `senet train`, for side-by-side accuracy and time per epoch.

    /usr/bin/python3 bench/recipe/pytorch_train.py --data ../shared/data/cifar-10-batches-bin \
        --model se_resnet20 --epochs 5 --threads 2 --optimizer sgd --lr 0.1 --momentum 0.9 \
        --nesterov --weight-decay 5e-4 --no-decay-norm-bias --schedule cosine --augment crop-flip

The model comes from test/fixtures/make_fixtures.py (the PyTorch definitions senet-wasm's models
are tested against). The semantics are senet train's: pixels / 255, batch 128, shuffled, the
cosine schedule stepped once per epoch (CosineAnnealingLR, T_max = epochs), crop-flip = a random
crop with 4 pixels of zero padding and a horizontal flip with probability 1/2,
--no-decay-norm-bias = no weight decay on 1-D parameters. Prints one line per epoch: test
accuracy, training seconds (data preparation included, evaluation excluded) and images/s.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures'))
from make_fixtures import create_model  # noqa: E402


def read_cifar(folder, names):
    raw = np.concatenate([np.fromfile(os.path.join(folder, n), dtype=np.uint8).reshape(-1, 3073) for n in names])
    return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)


def augment(images, rng):
    n = images.shape[0]
    padded = np.zeros((n, 3, 40, 40), dtype=images.dtype)
    padded[:, :, 4:36, 4:36] = images
    out = np.empty_like(images)
    dy, dx, flip = rng.integers(0, 9, n), rng.integers(0, 9, n), rng.random(n) < 0.5
    for i in range(n):
        crop = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = crop[:, :, ::-1] if flip[i] else crop
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', required=True)
    p.add_argument('--model', default='senet')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--optimizer', choices=['adam', 'sgd'], default='adam')
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--nesterov', action='store_true')
    p.add_argument('--weight-decay', type=float, default=0.0)
    p.add_argument('--no-decay-norm-bias', action='store_true')
    p.add_argument('--schedule', choices=['constant', 'cosine'], default='constant')
    p.add_argument('--augment', choices=['none', 'crop-flip'], default='none')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--stop-after', type=int, default=None, metavar='K',
                   help='stop after K epochs of the --epochs schedule (as senet train --steps)')
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train_x, train_y = read_cifar(args.data, [f'data_batch_{i}.bin' for i in range(1, 6)])
    test_x, test_y = read_cifar(args.data, ['test_batch.bin'])
    model = create_model(args.model)
    decay = [q for q in model.parameters() if not (args.no_decay_norm_bias and q.ndim <= 1)]
    no_decay = [q for q in model.parameters() if args.no_decay_norm_bias and q.ndim <= 1]
    groups = [{'params': decay}] + ([{'params': no_decay, 'weight_decay': 0.0}] if no_decay else [])
    if args.optimizer == 'sgd':
        opt = torch.optim.SGD(groups, lr=args.lr, momentum=args.momentum, nesterov=args.nesterov, weight_decay=args.weight_decay)
    else:
        opt = torch.optim.Adam(groups, lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs) if args.schedule == 'cosine' else None
    print(f'{args.model}: {sum(q.numel() for q in model.parameters()):,} parameters, torch {torch.__version__}, '
          f'{args.threads} threads', flush=True)
    for epoch in range(1, (args.stop_after or args.epochs) + 1):
        model.train()
        started = time.perf_counter()
        order = rng.permutation(len(train_y))
        for b in range(0, len(order), args.batch_size):
            idx = order[b:b + args.batch_size]
            x = train_x[idx]
            if args.augment == 'crop-flip':
                x = augment(x, rng)
            x = torch.from_numpy(np.ascontiguousarray(x)).float().div_(255)
            loss = F.cross_entropy(model(x), torch.from_numpy(train_y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - started
        if sched:
            sched.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for b in range(0, len(test_y), 500):
                x = torch.from_numpy(test_x[b:b + 500]).float().div_(255)
                correct += (model(x).argmax(1).numpy() == test_y[b:b + 500]).sum()
        print(f'epoch {epoch}: test accuracy {100 * correct / len(test_y):.2f}%, {seconds:.1f} s '
              f'({len(train_y) / seconds:.0f} images/s)', flush=True)


if __name__ == '__main__':
    main()

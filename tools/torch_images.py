#!/usr/bin/python3
"""torch_images.py: the recipe of a clnet image-folder run, in PyTorch on the CPU, to compare
test accuracy (Debian's python3-torch and python3-pil; run with /usr/bin/python3; neither is a
dependency of clnet).

It reads DIR/train/<class>/* and DIR/test/<class>/* as clnet does (classes sorted by name,
pixels / 255, grey or RGB by the images), builds the network of a clnet --arch of convK (3x3,
stride 1, same padding, ReLU), pool (max 2x2/2), fcN (ReLU unless last) and classifier (fcK),
initialises it as clnet's "he" (He normal convolutions, Glorot uniform fully connected layers,
zero biases) and trains with the same optimizer, learning rate, batch and epochs (an epoch is
count // batch steps, reshuffled each epoch). For each seed it prints the test accuracy, then
the mean and standard deviation over the seeds.

    tools/torch_images.py --data assets/digits --arch conv32,pool,conv64,pool,fc128,classifier \\
        --optimizer adam --lr 0.001 --batch 32 --epochs 30 --seeds 1,2,3,4,5
"""
import argparse
import math
import os
import statistics

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def load(folder, classes=None):
    names = classes or sorted(n for n in os.listdir(folder) if not n.startswith("."))
    xs, ys = [], []
    for k, name in enumerate(names):
        sub = os.path.join(folder, name)
        if not os.path.isdir(sub):
            continue
        for f in sorted(os.listdir(sub)):
            if f.startswith("."):
                continue
            im = Image.open(os.path.join(sub, f))
            im = im.convert("RGB" if im.mode not in ("L", "I;16", "1") else "L")
            a = np.asarray(im, np.float32) / 255.0
            xs.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
            ys.append(k)
    return torch.from_numpy(np.stack(xs)), torch.tensor(ys), names


class Net(torch.nn.Module):
    def __init__(self, arch, c, h, w, classes):
        super().__init__()
        self.layers = torch.nn.ModuleList()
        self.kinds = []
        flat = None
        tokens = arch.split(",")
        for i, t in enumerate(tokens):
            last = i == len(tokens) - 1
            if t.startswith("conv"):
                self.layers.append(torch.nn.Conv2d(c, int(t[4:]), 3, padding=1))
                self.kinds.append("conv")
                c = int(t[4:])
            elif t == "pool":
                self.layers.append(torch.nn.MaxPool2d(2, 2))
                self.kinds.append("pool")
                h, w = h // 2, w // 2
            elif t.startswith("fc") or t == "classifier":
                n = classes if t == "classifier" else int(t[2:])
                fan_in = c * h * w if flat is None else flat
                self.layers.append(torch.nn.Linear(fan_in, n))
                self.kinds.append("logits" if last else "fc")
                flat = n
            else:
                raise SystemExit(f"--arch: '{t}' is not convK, pool, fcN or classifier")
        if self.kinds[-1] != "logits":
            raise SystemExit("--arch must end with fcN or classifier")

    def forward(self, x):
        for m, kind in zip(self.layers, self.kinds):
            if kind in ("fc", "logits") and x.dim() > 2:
                x = x.reshape(x.shape[0], -1)
            x = m(x)
            if kind in ("conv", "fc"):
                x = F.relu(x)
        return x

    def init_he(self):
        with torch.no_grad():
            for m in self.layers:
                if isinstance(m, torch.nn.Conv2d):
                    fan_in = m.in_channels * 9
                    m.weight.normal_(0.0, math.sqrt(2.0 / fan_in))
                    m.bias.zero_()
                elif isinstance(m, torch.nn.Linear):
                    lim = math.sqrt(6.0 / (m.in_features + m.out_features))
                    m.weight.uniform_(-lim, lim)
                    m.bias.zero_()


def run(a, seed, xtr, ytr, xte, yte, classes):
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    net = Net(a.arch, xtr.shape[1], xtr.shape[2], xtr.shape[3], classes)
    net.init_he()
    opt = (torch.optim.Adam(net.parameters(), lr=a.lr) if a.optimizer == "adam"
           else torch.optim.SGD(net.parameters(), lr=a.lr))
    spe = len(xtr) // a.batch
    for _ in range(a.epochs):
        order = rng.permutation(len(xtr))
        for s in range(spe):
            idx = torch.from_numpy(order[s * a.batch:(s + 1) * a.batch])
            cost = F.cross_entropy(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            cost.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        lg = net(xte)
        return (lg.argmax(1) == yte).float().mean().item(), F.cross_entropy(lg, yte).item()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="an image folder: train/CLASS/*, test/CLASS/*")
    p.add_argument("--arch", required=True)
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seeds", default="1", help="comma-separated")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    xtr, ytr, names = load(os.path.join(a.data, "train"))
    xte, yte, _ = load(os.path.join(a.data, "test"), names)
    print(f"torch {torch.__version__}: {len(xtr)} training and {len(xte)} test images of "
          f"{xtr.shape[3]}x{xtr.shape[2]} x{xtr.shape[1]}, {len(names)} classes")
    accs = []
    for seed in (int(s) for s in a.seeds.split(",")):
        acc, cost = run(a, seed, xtr, ytr, xte, yte, len(names))
        accs.append(100 * acc)
        print(f"seed {seed}: test cost {cost:.4f}  test accuracy {100 * acc:.2f}%", flush=True)
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    print(f"mean test accuracy {statistics.mean(accs):.2f}% (sd {sd:.2f}, {len(accs)} seeds)")


if __name__ == "__main__":
    main()

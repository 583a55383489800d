"""
The honest anchor for the demo model (issue 14): a small supervised CNN trained
from scratch on the same FracAtlas training split, for a fixed CPU time, with
the same heads (fracture, implant, region) and the same validation split as the
ViT. Its figures sit beside the ViT's in `npm run evaluate:demo` and the model
card; it is not shipped.

- A plain ResNet-style network: a 3x3 stride-2 stem and max-pool, four stages of
  two basic blocks (32, 64, 128, 256 channels), global average pooling, one
  linear layer of 6 logits; about 2.8 M parameters; grayscale 224x224 input.
- Augmentation: train_mae.augment's random resized crops (scale 0.35-1), flips,
  contrast and brightness, plus a small rotation.
- AdamW, lr 2e-3, weight decay 0.05, cosine schedule over the time budget.
- Localisation: Grad-CAM of the fracture logit on the last stage; its peak's
  square (a quarter of the short side, the ViT region's least size) against the
  fracture boxes of fractured validation images, beside the same square at random.

Writes models/demo-training/cnn-metrics.json (committed); the weights stay in .cache.
Run: /usr/bin/python3 models/demo-training/train_cnn.py [--minutes 30]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from train_heads import LABELS, auroc, evaluation_input, fracture_boxes, head_loss, targets
from train_mae import HERE, augment, load_data

class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.skip(x))


class SmallResNet(nn.Module):
    def __init__(self, outputs, widths=(32, 64, 128, 256)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(nn.Sequential(Block(cin, w, 1 if i == 0 else 2), Block(w, w, 1)))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(cin, outputs)

    def features(self, x):
        return self.stages(self.stem(x))

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def gray(batch):
    """train_mae.augment's normalised 3-channel batch back to one channel."""
    return batch[:, :1]


def rotate(batch, generator, degrees=10):
    angles = (torch.rand(batch.shape[0], generator=generator) * 2 - 1) * math.radians(degrees)
    cos, sin = angles.cos(), angles.sin()
    theta = torch.stack([torch.stack([cos, -sin, torch.zeros_like(cos)], 1),
                         torch.stack([sin, cos, torch.zeros_like(cos)], 1)], 1)
    grid = F.affine_grid(theta, batch.shape, align_corners=False)
    return F.grid_sample(batch, grid, padding_mode="border", align_corners=False)


def evaluation_batch(images, index):
    return gray(evaluation_input(images, index))


def grad_cam(model, x):
    """Grad-CAM of the fracture logit: [B, h, w] maps over the last stage."""
    model.eval()
    feats = model.features(x)
    feats.retain_grad()
    logits = model.head(feats.mean((2, 3)))
    logits[:, 0].sum().backward()
    weights = feats.grad.mean((2, 3), keepdim=True)
    return F.relu((weights * feats).sum(1)).detach()


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def chance(width, height, side, boxes, step=4):
    hits = total = 0
    for y in range(0, int(height - side) + 1, step):
        for x in range(0, int(width - side) + 1, step):
            hits += any(overlaps((x, y, side, side), b) for b in boxes)
            total += 1
    return hits / max(total, 1)


def localisation(model, images, rows, val):
    boxes = fracture_boxes()
    hits, chances = [], []
    for i in val:
        r = rows[i]
        if r["fractured"] != "1" or r["image_id"] not in boxes:
            continue
        cam = grad_cam(model, evaluation_batch(images, [i]))[0]
        h, w = cam.shape
        peak = int(cam.flatten().argmax())
        width, height = float(r["width"]), float(r["height"])
        cx, cy = (peak % w + 0.5) / w * width, (peak // w + 0.5) / h * height
        side = 0.25 * min(width, height)
        x = min(max(0.0, cx - side / 2), width - side)
        y = min(max(0.0, cy - side / 2), height - side)
        hits.append(any(overlaps((x, y, side, side), b) for b in boxes[r["image_id"]]))
        chances.append(chance(width, height, side, boxes[r["image_id"]]))
    return float(np.mean(hits)), float(np.mean(chances)), len(hits)


@torch.no_grad()
def predict(model, images, index, batch=64):
    model.eval()
    return torch.cat([model(evaluation_batch(images, index[i : i + batch])) for i in range(0, len(index), batch)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    images, rows, train, val = load_data()
    y = targets(rows)
    model = SmallResNet(len(LABELS))
    parameters = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    positives = y[train, 0].sum()
    fracture_weight = (len(train) - positives) / positives
    budget = args.minutes * 60
    start = time.time()
    step = epoch = 0
    while time.time() - start < budget:
        model.train()
        order = torch.randperm(len(train), generator=generator)
        for i in range(len(train) // args.batch):
            elapsed = time.time() - start
            if elapsed >= budget:
                break
            for group in optimizer.param_groups:  # cosine over the time budget
                group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * elapsed / budget))
            index = [train[j] for j in order[i * args.batch : (i + 1) * args.batch]]
            x = rotate(gray(augment(images[index], generator, min_scale=0.35)), generator)
            loss = head_loss(model(x), y[index], fracture_weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 50 == 0:
                print(f"step {step} {elapsed:.0f}s {step * args.batch / elapsed:.1f} img/s loss {loss.item():.4f}", flush=True)
        epoch += 1
    seconds = time.time() - start
    logits = predict(model, images, val)
    yv = y[val]
    one = yv[:, 2] >= 0
    hit, random_hit, fractured = localisation(model, images, rows, val)
    metrics = {
        "model": f"SmallResNet, {parameters / 1e6:.2f} M parameters, from scratch",
        "trainingSeconds": round(seconds),
        "epochs": round(step * args.batch / len(train), 1),
        "machine": f"{os.cpu_count()} CPU cores, PyTorch {torch.__version__}",
        "validationImages": len(val),
        "fractureAuroc": auroc(logits[:, 0], yv[:, 0] > 0.5),
        "implantAuroc": auroc(logits[:, 1], yv[:, 1] > 0.5),
        "regionAccuracy": (logits[one, 2:].argmax(1) == yv[one, 2:].argmax(1)).float().mean().item(),
        "regionImages": int(one.sum()),
        "gradCamOnFracture": hit,
        "gradCamOnFractureChance": random_hit,
        "fracturedWithBoxes": fractured,
    }
    os.makedirs(os.path.join(HERE, ".cache"), exist_ok=True)
    torch.save(model.state_dict(), os.path.join(HERE, ".cache", "cnn.pt"))
    with open(os.path.join(HERE, "cnn-metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    print(json.dumps(metrics, indent=2), flush=True)


if __name__ == "__main__":
    main()

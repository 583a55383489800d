"""
Trains the demo model's classifier heads on FracAtlas labels, on top of the
MAE encoder that train_mae.py wrote, and writes a Hugging Face
ViTForImageClassification checkpoint (config.json with id2label,
model.safetensors, preprocessor_config.json) that `npx skelex convert` turns
into the bundle's classifier.

Outputs (one logit each): 0 fracture (sigmoid), 1 implant (sigmoid, FracAtlas'
`hardware` flag), 2-5 hand / leg / hip / shoulder (softmax; trained on images
with exactly one region flag).

Two recipes, compared on the fixed validation split (see models/demo/MODEL_CARD.md):
  --mode probe     the encoder frozen, a linear layer on its CLS token (the default:
                   it measured better than the fine-tuning tried)
  --mode finetune  fine-tuning of the whole encoder (layer-wise lr decay); with
                   --crop-share S, a share S of each batch is square crops as the app's
                   region-guided classification takes them (around a fracture box when
                   the image has one), so the heads learn to read a region too; with
                   --minutes M, training stops after M minutes (cosine over that time)

Run: /usr/bin/python3 models/demo-training/train_heads.py
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from train_mae import HERE, Layer, augment, hf_layer_parts, load_data, normalise, sincos_2d, write_safetensors

LABELS = ["fracture", "implant", "hand", "leg", "hip", "shoulder"]
REGIONS = ["hand", "leg", "hip", "shoulder"]


def read_safetensors(path):
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", f"{path}: {name} is {entry['dtype']}, expected F32"
        out[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype="<f4").copy()).reshape(entry["shape"])
    return out


class Classifier(nn.Module):
    """HF ViTForImageClassification: the ViT encoder, its final layer norm, a linear layer on CLS."""

    def __init__(self, c, labels):
        super().__init__()
        d, p = c["hidden_size"], c["patch_size"]
        self.projection = nn.Conv2d(c["num_channels"], d, p, p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.position_embeddings = nn.Parameter(sincos_2d(d, c["image_size"] // p), requires_grad=False)
        self.layers = nn.ModuleList(
            Layer(d, c["num_attention_heads"], c["intermediate_size"], c["layer_norm_eps"], c["qkv_bias"])
            for _ in range(c["num_hidden_layers"])
        )
        self.layernorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.classifier = nn.Linear(d, labels)

    def load_mae_encoder(self, tensors):
        own = self.hf_state_dict(with_head=False)
        for name, tensor in own.items():
            source = tensors[name]
            assert source.shape == tensor.shape, f"{name}: {tuple(source.shape)} vs {tuple(tensor.shape)}"
        with torch.no_grad():
            for name, param in self.named_hf_parameters(with_head=False):
                param.copy_(tensors[name])

    def features(self, pixels):
        x = self.projection(pixels).flatten(2).transpose(1, 2) + self.position_embeddings[:, 1:]
        cls = (self.cls_token + self.position_embeddings[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for layer in self.layers:
            x = layer(x)
        return self.layernorm(x)[:, 0]

    def forward(self, pixels):
        return self.classifier(self.features(pixels))

    def named_hf_parameters(self, with_head=True):
        yield "vit.embeddings.cls_token", self.cls_token
        yield "vit.embeddings.position_embeddings", self.position_embeddings
        yield "vit.embeddings.patch_embeddings.projection.weight", self.projection.weight
        yield "vit.embeddings.patch_embeddings.projection.bias", self.projection.bias
        for i, layer in enumerate(self.layers):
            p = f"vit.encoder.layer.{i}"
            for name, module in hf_layer_parts(layer).items():
                yield f"{p}.{name}.weight", module.weight
                yield f"{p}.{name}.bias", module.bias
        yield "vit.layernorm.weight", self.layernorm.weight
        yield "vit.layernorm.bias", self.layernorm.bias
        if with_head:
            yield "classifier.weight", self.classifier.weight
            yield "classifier.bias", self.classifier.bias

    def hf_state_dict(self, with_head=True):
        return {k: v.detach().float().contiguous() for k, v in self.named_hf_parameters(with_head)}


def targets(rows):
    """[N, 6] floats: fracture, implant, then a one-hot region (all -1 when not exactly one region)."""
    out = torch.zeros(len(rows), len(LABELS))
    for i, r in enumerate(rows):
        out[i, 0] = float(r["fractured"])
        out[i, 1] = float(r["hardware"])
        regions = [float(r[name]) for name in REGIONS]
        out[i, 2:] = torch.tensor(regions) if sum(regions) == 1 else -1
    return out


def head_loss(logits, y, fracture_weight):
    loss = F.binary_cross_entropy_with_logits(logits[:, 0], y[:, 0], pos_weight=fracture_weight)
    implant = y[:, 1] >= 0  # -1: not known for this input (a crop)
    if implant.any():
        loss = loss + F.binary_cross_entropy_with_logits(logits[implant, 1], y[implant, 1])
    one_region = y[:, 2] >= 0
    if one_region.any():
        loss = loss + F.cross_entropy(logits[one_region, 2:], y[one_region, 2:].argmax(1))
    return loss


def auroc(scores, labels):
    """Mann-Whitney AUROC with ties counted half."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    pos, neg = scores[labels], scores[~labels]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def report(logits, y):
    one = y[:, 2] >= 0
    region_acc = (logits[one, 2:].argmax(1) == y[one, 2:].argmax(1)).float().mean().item()
    return (f"fracture AUROC {auroc(logits[:, 0], y[:, 0] > 0.5):.3f}, implant AUROC {auroc(logits[:, 1], y[:, 1] > 0.5):.3f}, "
            f"region accuracy {region_acc:.3f}")


def evaluation_input(images, index):
    gray = images[index].float() / 255
    gray = F.interpolate(gray[:, None], size=(224, 224), mode="bicubic", align_corners=False).clamp(0, 1)[:, 0]
    return normalise(gray)


@torch.no_grad()
def predict(model, images, index, batch=64, features=False):
    model.eval()
    out = [(model.features if features else model)(evaluation_input(images, index[i : i + batch])) for i in range(0, len(index), batch)]
    return torch.cat(out)


DATA = os.environ.get("SKELEX_DATA", os.path.join(HERE, "..", "..", "..", "shared", "data"))


def fracture_boxes():
    """FracAtlas' fracture boxes [x, y, w, h] in each file's pixels, by file name."""
    with open(os.path.join(DATA, "fracatlas", "fractures.coco.json")) as f:
        coco = json.load(f)
    names = {im["id"]: im["file_name"] for im in coco["images"]}
    boxes = {}
    for a in coco["annotations"]:
        boxes.setdefault(names[a["image_id"]], []).append(a["bbox"])
    return boxes


def fracture_boxes_256(rows, size=256):
    """Each image's fracture boxes in the prepared size x size image's pixels (the file is stretched)."""
    by_name = fracture_boxes()
    out = []
    for r in rows:
        sx, sy = size / float(r["width"]), size / float(r["height"])
        out.append([(x * sx, y * sy, w * sx, h * sy) for x, y, w, h in by_name.get(r["image_id"], [])])
    return out


def region_crops(batch, boxes, generator, size=256):
    """Square crops as the app's region-guided classification takes them (a quarter to 60%
    of the side): around a fracture box when the image has one, elsewhere at random."""
    def start(lo, hi):
        hi = max(lo, hi)
        return torch.randint(lo, hi + 1, (1,), generator=generator).item()

    out = []
    for img, image_boxes in zip(batch, boxes):
        side = int(size * torch.empty(1).uniform_(0.25, 0.6, generator=generator).item())
        if image_boxes:
            bx, by, bw, bh = image_boxes[torch.randint(0, len(image_boxes), (1,), generator=generator).item()]
            side = min(size, max(side, int(math.ceil(max(bw, bh))) + 4))
            # Starts that keep the whole box inside the square (clamped to the image).
            x = start(max(0, int(math.ceil(bx + bw)) - side), min(int(bx), size - side))
            y = start(max(0, int(math.ceil(by + bh)) - side), min(int(by), size - side))
        else:
            x, y = start(0, size - side), start(0, size - side)
        crop = img[y : y + side, x : x + side].float()[None, None] / 255
        crop = F.interpolate(crop, size=(224, 224), mode="bicubic", align_corners=False).clamp(0, 1)[0, 0]
        if torch.rand(1, generator=generator).item() < 0.5:
            crop = crop.flip(-1)
        out.append(crop)
    return normalise(torch.stack(out))


def layer_groups(model, decay):
    """Layer-wise learning-rate decay: the head learns fastest, the patch embedding slowest."""
    depth = len(model.layers)
    groups = [{"params": list(model.classifier.parameters()) + list(model.layernorm.parameters()), "scale": 1.0}]
    for i, layer in enumerate(model.layers):
        groups.append({"params": list(layer.parameters()), "scale": decay ** (depth - i)})
    groups.append({"params": [model.projection.weight, model.projection.bias, model.cls_token], "scale": decay ** (depth + 1)})
    return groups


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mae", default=os.path.join(HERE, "checkpoint"), help="the MAE checkpoint folder")
    parser.add_argument("--out", default=os.path.join(HERE, "classifier"))
    parser.add_argument("--mode", choices=["probe", "finetune"], default="probe")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=0, help="finetune: stop after this long (0: no limit)")
    parser.add_argument("--crop-share", type=float, default=0, help="finetune: share of each batch given as region crops")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--layer-decay", type=float, default=0.65)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    images, rows, train, val = load_data()
    y = targets(rows)
    with open(os.path.join(args.mae, "config.json")) as f:
        mae_config = json.load(f)
    config = {k: mae_config[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                                         "hidden_act", "layer_norm_eps", "image_size", "patch_size", "num_channels", "qkv_bias")}
    model = Classifier(config, len(LABELS))
    model.load_mae_encoder(read_safetensors(os.path.join(args.mae, "model.safetensors")))
    positives = y[train, 0].sum()
    fracture_weight = (len(train) - positives) / positives
    start = time.time()

    if args.mode == "probe":
        # Frozen encoder: CLS features once, then a linear layer trained to convergence.
        feats_train, feats_val = predict(model, images, train, features=True), predict(model, images, val, features=True)
        head = model.classifier
        optimizer = torch.optim.AdamW(head.parameters(), lr=1e-2, weight_decay=1e-4)
        for step in range(2000):
            loss = head_loss(head(feats_train), y[train], fracture_weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            print(f"probe, validation: {report(head(feats_val), y[val])}", flush=True)
    else:
        boxes = fracture_boxes_256(rows) if args.crop_share > 0 else None
        groups = layer_groups(model, args.layer_decay)
        optimizer = torch.optim.AdamW([{"params": g["params"]} for g in groups], lr=args.lr, weight_decay=0.05)
        steps = args.epochs * (len(train) // args.batch)
        step = 0
        for epoch in range(args.epochs):
            model.train()
            order = torch.randperm(len(train), generator=generator)
            for i in range(len(train) // args.batch):
                warm = max(1, steps // 10)
                if args.minutes:  # warm-up over the first 20 steps, then cosine over the time budget
                    done = min(1.0, (time.time() - start) / (args.minutes * 60))
                    lr = args.lr * ((step + 1) / 20 if step < 20 else 0.5 * (1 + math.cos(math.pi * done)))
                else:
                    lr = args.lr * ((step + 1) / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / (steps - warm))))
                for group, spec in zip(optimizer.param_groups, groups):
                    group["lr"] = lr * spec["scale"]
                index = [train[j] for j in order[i * args.batch : (i + 1) * args.batch]]
                crops = int(round(args.crop_share * len(index)))
                x = augment(images[index[crops:]], generator, min_scale=0.8)
                target = y[index].clone()
                if crops:
                    x = torch.cat([region_crops(images[index[:crops]], [boxes[j] for j in index[:crops]], generator), x])
                    target[:crops, 1] = -1  # a crop may not show the implant: no implant loss on crops
                loss = head_loss(model(x), target, fracture_weight)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1
                if args.minutes and time.time() - start > args.minutes * 60:
                    break
                if step % 20 == 0:
                    elapsed = time.time() - start
                    print(f"step {step}/{steps} {elapsed:.0f}s {step * args.batch / elapsed:.1f} img/s loss {loss.item():.4f}", flush=True)
            print(f"epoch {epoch + 1}, validation: {report(predict(model, images, val), y[val])}", flush=True)
            if args.minutes and time.time() - start > args.minutes * 60:
                break

    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), model.hf_state_dict())
    hf_config = {"architectures": ["ViTForImageClassification"], "model_type": "vit", **config,
                 "id2label": {str(i): name for i, name in enumerate(LABELS)},
                 "label2id": {name: i for i, name in enumerate(LABELS)}}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(hf_config, f, indent=2)
    with open(os.path.join(args.mae, "preprocessor_config.json")) as src, open(os.path.join(args.out, "preprocessor_config.json"), "w") as dst:
        dst.write(src.read())
    print(f"wrote {args.out} ({args.mode}, {time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()

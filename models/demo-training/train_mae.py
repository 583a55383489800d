"""
Trains the demo model: a ViT-Tiny-size masked autoencoder (MAE) in the
Hugging Face ViTMAEForPreTraining layout, on FracAtlas radiographs prepared by
prepare-data.ts (SKELEX's preprocessing, done by the app's own code).

Writes a Hugging Face checkpoint folder (config.json, model.safetensors,
preprocessor_config.json) that `npx skelex convert` turns into a bundle exactly
as it does SKELEX's own weights.

Run (Debian's python3-torch; install libopenblas0-pthread too):
  npx tsx models/demo-training/prepare-data.ts
  /usr/bin/python3 models/demo-training/train_mae.py   # --resume continues a stopped run
  npx skelex convert models/demo-training/checkpoint --out models/demo --variants fp32,int8,q4 --name skelex-demo --license CC-BY-4.0
"""
import argparse
import csv
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

CONFIG = {
    "architectures": ["ViTMAEForPreTraining"],
    "model_type": "vit_mae",
    "hidden_size": 192,
    "num_hidden_layers": 6,
    "num_attention_heads": 3,
    "intermediate_size": 576,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-6,
    "image_size": 224,
    "patch_size": 16,
    "num_channels": 3,
    "qkv_bias": True,
    "decoder_hidden_size": 128,
    "decoder_num_hidden_layers": 2,
    "decoder_num_attention_heads": 4,
    "decoder_intermediate_size": 512,
    "mask_ratio": 0.75,
    "norm_pix_loss": False,
}


def is_validation(image_id: str) -> bool:
    """The fixed validation split: every image whose number is a multiple of 5."""
    return int("".join(c for c in image_id if c.isdigit())) % 5 == 0


def sincos_1d(dim, positions):
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
    omega = 1.0 / 10000**omega
    out = np.einsum("m,d->md", positions.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim, grid):
    """HF get_2d_sincos_pos_embed with a zero CLS row first."""
    gh = np.arange(grid, dtype=np.float64)
    gw = np.arange(grid, dtype=np.float64)
    mesh = np.meshgrid(gw, gh)
    emb = np.concatenate([sincos_1d(dim // 2, mesh[0]), sincos_1d(dim // 2, mesh[1])], axis=1)
    emb = np.concatenate([np.zeros((1, dim)), emb], axis=0)
    return torch.tensor(emb, dtype=torch.float32).unsqueeze(0)


class Attention(nn.Module):
    def __init__(self, dim, heads, bias):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(dim, dim, bias=bias)
        self.key = nn.Linear(dim, dim, bias=bias)
        self.value = nn.Linear(dim, dim, bias=bias)
        self.dense = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        weights = (q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)).softmax(-1)
        return self.dense((weights @ v).transpose(1, 2).reshape(b, t, d))


class Layer(nn.Module):
    """A pre-LN transformer block, as HF's ViTLayer."""

    def __init__(self, dim, heads, inner, eps, bias):
        super().__init__()
        self.layernorm_before = nn.LayerNorm(dim, eps=eps)
        self.attention = Attention(dim, heads, bias)
        self.layernorm_after = nn.LayerNorm(dim, eps=eps)
        self.intermediate = nn.Linear(dim, inner)
        self.output = nn.Linear(inner, dim)

    def forward(self, x):
        x = x + self.attention(self.layernorm_before(x))
        return x + self.output(F.gelu(self.intermediate(self.layernorm_after(x))))


def hf_layer_parts(layer):
    """A block's modules under Hugging Face's ViTLayer names."""
    return {
        "attention.attention.query": layer.attention.query,
        "attention.attention.key": layer.attention.key,
        "attention.attention.value": layer.attention.value,
        "attention.output.dense": layer.attention.dense,
        "intermediate.dense": layer.intermediate,
        "output.dense": layer.output,
        "layernorm_before": layer.layernorm_before,
        "layernorm_after": layer.layernorm_after,
    }


class Mae(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, dd, p = c["hidden_size"], c["decoder_hidden_size"], c["patch_size"]
        grid = c["image_size"] // p
        self.patches = grid * grid
        self.patch = p
        self.mask_ratio = c["mask_ratio"]
        eps = c["layer_norm_eps"]
        self.projection = nn.Conv2d(c["num_channels"], d, p, p)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.register_buffer("position_embeddings", sincos_2d(d, grid))
        self.layers = nn.ModuleList(
            Layer(d, c["num_attention_heads"], c["intermediate_size"], eps, c["qkv_bias"])
            for _ in range(c["num_hidden_layers"])
        )
        self.layernorm = nn.LayerNorm(d, eps=eps)
        self.decoder_embed = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.randn(1, 1, dd) * 0.02)
        self.register_buffer("decoder_pos_embed", sincos_2d(dd, grid))
        self.decoder_layers = nn.ModuleList(
            Layer(dd, c["decoder_num_attention_heads"], c["decoder_intermediate_size"], eps, c["qkv_bias"])
            for _ in range(c["decoder_num_hidden_layers"])
        )
        self.decoder_norm = nn.LayerNorm(dd, eps=eps)
        self.decoder_pred = nn.Linear(dd, p * p * c["num_channels"])

    def patchify(self, x):
        b, c, h, w = x.shape
        p = self.patch
        x = x.reshape(b, c, h // p, p, w // p, p)
        return torch.einsum("nchpwq->nhwpqc", x).reshape(b, (h // p) * (w // p), p * p * c)

    def reconstruct(self, pixels, noise):
        """Predicted patches [B, N, P*P*C], keeping the patches of lowest `noise` [B, N] (HF's forward)."""
        b = pixels.shape[0]
        x = self.projection(pixels).flatten(2).transpose(1, 2) + self.position_embeddings[:, 1:]
        keep = int(self.patches * (1 - self.mask_ratio))
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :keep]
        x = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        cls = (self.cls_token + self.position_embeddings[:, :1]).expand(b, -1, -1)
        x = torch.cat([cls, x], dim=1)
        for layer in self.layers:
            x = layer(x)
        x = self.decoder_embed(self.layernorm(x))
        tokens = torch.cat([x[:, 1:], self.mask_token.expand(b, self.patches - keep, -1)], dim=1)
        tokens = torch.gather(tokens, 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        x = torch.cat([x[:, :1], tokens], dim=1) + self.decoder_pos_embed
        for layer in self.decoder_layers:
            x = layer(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:], ids_restore, keep

    def forward(self, pixels):
        b = pixels.shape[0]
        pred, ids_restore, keep = self.reconstruct(pixels, torch.rand(b, self.patches))
        mask = torch.ones(b, self.patches)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        loss = ((pred - self.patchify(pixels)) ** 2).mean(-1)
        return (loss * mask).sum() / mask.sum()

    def hf_state_dict(self):
        """Tensors under Hugging Face's ViTMAEForPreTraining names."""
        out = {
            "vit.embeddings.cls_token": self.cls_token,
            "vit.embeddings.position_embeddings": self.position_embeddings,
            "vit.embeddings.patch_embeddings.projection.weight": self.projection.weight,
            "vit.embeddings.patch_embeddings.projection.bias": self.projection.bias,
            "vit.layernorm.weight": self.layernorm.weight,
            "vit.layernorm.bias": self.layernorm.bias,
            "decoder.decoder_embed.weight": self.decoder_embed.weight,
            "decoder.decoder_embed.bias": self.decoder_embed.bias,
            "decoder.mask_token": self.mask_token,
            "decoder.decoder_pos_embed": self.decoder_pos_embed,
            "decoder.decoder_norm.weight": self.decoder_norm.weight,
            "decoder.decoder_norm.bias": self.decoder_norm.bias,
            "decoder.decoder_pred.weight": self.decoder_pred.weight,
            "decoder.decoder_pred.bias": self.decoder_pred.bias,
        }
        for stack, prefix in ((self.layers, "vit.encoder.layer"), (self.decoder_layers, "decoder.decoder_layers")):
            for i, layer in enumerate(stack):
                p = f"{prefix}.{i}"
                for name, module in hf_layer_parts(layer).items():
                    out[f"{p}.{name}.weight"] = module.weight
                    if module.bias is not None:
                        out[f"{p}.{name}.bias"] = module.bias
        return {k: v.detach().float().contiguous() for k, v in out.items()}


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - (len(text) + 8) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)


def save_checkpoint(model, out):
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), model.hf_state_dict())
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "ViTImageProcessor", "do_resize": True, "size": {"height": 224, "width": 224},
                   "resample": 3, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                   "image_mean": MEAN, "image_std": STD}, f, indent=2)


def load_data(size=256):
    cache = os.path.join(HERE, ".cache")
    with open(os.path.join(cache, f"fracatlas-{size}.csv")) as f:
        rows = list(csv.DictReader(f))
    images = np.fromfile(os.path.join(cache, f"fracatlas-{size}.u8"), dtype=np.uint8).reshape(-1, size, size)
    train = [i for i, r in enumerate(rows) if not is_validation(r["image_id"])]
    val = [i for i, r in enumerate(rows) if is_validation(r["image_id"])]
    return torch.from_numpy(images), rows, train, val


def augment(batch, generator, min_scale=0.5):
    """Random resized crop to 224, horizontal flip, contrast and brightness: radiograph-safe changes."""
    out = []
    for img in batch:
        h, w = img.shape
        scale = torch.empty(1).uniform_(min_scale, 1.0, generator=generator).item()
        ratio = math.exp(torch.empty(1).uniform_(math.log(3 / 4), math.log(4 / 3), generator=generator).item())
        ch = min(h, int(round(math.sqrt(scale * h * w / ratio))))
        cw = min(w, int(round(math.sqrt(scale * h * w * ratio))))
        y = torch.randint(0, h - ch + 1, (1,), generator=generator).item()
        x = torch.randint(0, w - cw + 1, (1,), generator=generator).item()
        crop = img[y : y + ch, x : x + cw].float()[None, None] / 255
        crop = F.interpolate(crop, size=(224, 224), mode="bicubic", align_corners=False).clamp(0, 1)[0, 0]
        if torch.rand(1, generator=generator).item() < 0.5:
            crop = crop.flip(-1)
        contrast = torch.empty(1).uniform_(0.8, 1.2, generator=generator).item()
        brightness = torch.empty(1).uniform_(-0.08, 0.08, generator=generator).item()
        crop = ((crop - crop.mean()) * contrast + crop.mean() + brightness).clamp(0, 1)
        out.append(crop)
    return normalise(torch.stack(out))


def normalise(gray):
    """[B,H,W] in 0..1 -> [B,3,H,W] with ImageNet mean/std, gray copied to 3 channels (SKELEX)."""
    rgb = gray[:, None].expand(-1, 3, -1, -1)
    return (rgb - torch.tensor(MEAN)[None, :, None, None]) / torch.tensor(STD)[None, :, None, None]


def lr_at(step, steps, peak):
    """Linear warm-up over the first 5% of the steps, then cosine decay to zero."""
    warm = max(1, int(0.05 * steps))
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))


def save_state(path, model, optimizer, generator, epoch, step, seconds):
    """Everything a resumed run needs to continue exactly where this one stopped."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "generator": generator.get_state(),
                "torch_rng": torch.get_rng_state(), "epoch": epoch, "step": step, "seconds": seconds}, path + ".tmp")
    os.replace(path + ".tmp", path)


def validation_loss(model, images, val, batch):
    """Masked-patch MSE on the fixed validation split, with a fixed masking seed."""
    model.eval()
    state = torch.get_rng_state()
    with torch.no_grad():
        torch.manual_seed(1234)
        total = 0.0
        for i in range(0, len(val), batch):
            gray = images[val[i : i + batch]].float() / 255
            gray = F.interpolate(gray[:, None], size=(224, 224), mode="bicubic", align_corners=False).clamp(0, 1)[:, 0]
            total += model(normalise(gray)).item() * len(gray)
    torch.set_rng_state(state)
    model.train()
    return total / len(val)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.5e-4 * 64 / 256 * 4)
    parser.add_argument("--out", default=os.path.join(HERE, "checkpoint"))
    parser.add_argument("--state", default=os.path.join(HERE, ".cache", "mae-state.pt"),
                        help="resume file, written after every epoch; a run with --resume continues from it")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    images, rows, train, val = load_data()
    steps_per_epoch = len(train) // args.batch
    steps = args.epochs * steps_per_epoch
    print(f"{len(train)} training and {len(val)} validation images; {steps} steps", flush=True)
    model = Mae(CONFIG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.05)
    first_epoch, step, seconds = 0, 0, 0.0
    if args.resume and os.path.exists(args.state):
        state = torch.load(args.state)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        first_epoch, step, seconds = state["epoch"], state["step"], state["seconds"]
        print(f"resumed after epoch {first_epoch} (step {step}, {seconds:.0f} s)", flush=True)
    log = open(os.path.join(HERE, ".cache", "mae-log.csv"), "a")
    start = time.time() - seconds
    for epoch in range(first_epoch, args.epochs):
        order = torch.randperm(len(train), generator=generator)
        for i in range(steps_per_epoch):
            lr = lr_at(step, steps, args.lr)
            for group in optimizer.param_groups:
                group["lr"] = lr
            batch = augment(images[[train[j] for j in order[i * args.batch : (i + 1) * args.batch]]], generator)
            loss = model(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 10 == 0:
                elapsed = time.time() - start
                log.write(f"{step},{elapsed:.0f},{lr:.2e},{loss.item():.4f}\n")
                log.flush()
                print(f"step {step}/{steps} {elapsed:.0f}s {step * args.batch / max(elapsed, 1):.1f} img/s loss {loss.item():.4f}", flush=True)
        save_state(args.state, model, optimizer, generator, epoch + 1, step, time.time() - start)
        print(f"epoch {epoch + 1}/{args.epochs} done", flush=True)
    save_checkpoint(model, args.out)
    print(f"validation masked-patch MSE (normalised pixels): {validation_loss(model, images, val, args.batch):.4f}", flush=True)
    print(f"trained {step} steps, {step * args.batch} images in {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Golden outputs from the PyTorch side of the project, for tests/unit/torch-golden.test.ts.

The training recipe's MAE (models/demo-training/train_mae.py: Hugging Face's
ViTMAEForPreTraining forward) and classifier (train_heads.py: HF's
ViTForImageClassification), with small random weights, run on random inputs.
Writes into tests/fixtures/golden/:
  mae/, classifier/   Hugging Face checkpoint folders (config.json,
                      model.safetensors, preprocessor_config.json), as the
                      recipe saves them, for the project's converter
  golden.json         the inputs and what PyTorch gives for them: pixel
                      values, noise, ids_keep, ids_restore, the encoder's
                      latent, the decoder's logits, the classifier's logits
                      (float32 arrays as base64 of little-endian bytes)

Deterministic (seed 0). Needs Debian's python3-torch; run with
  /usr/bin/python3 tools/make-torch-golden.py
"""
import base64
import copy
import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models", "demo-training"))
import train_heads  # noqa: E402
import train_mae  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "golden")
CONFIG = {
    **train_mae.CONFIG,
    "hidden_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 3,
    "intermediate_size": 96,
    "image_size": 64,
    "patch_size": 8,
    "decoder_hidden_size": 32,
    "decoder_num_hidden_layers": 1,
    "decoder_num_attention_heads": 2,
    "decoder_intermediate_size": 64,
}
LABELS = 5
BATCH = 2


def perturb(module, generator):
    """Random layer-norm scales and biases too (their defaults, 1 and 0, would hide mistakes)."""
    with torch.no_grad():
        for name, param in module.named_parameters():
            if name.endswith("bias") or "norm" in name:
                param.add_(torch.randn(param.shape, generator=generator) * 0.1)


def save(folder, state, config):
    os.makedirs(folder, exist_ok=True)
    train_mae.write_safetensors(os.path.join(folder, "model.safetensors"), state)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump({"image_mean": train_mae.MEAN, "image_std": train_mae.STD, "resample": 3}, f, indent=2)


def b64(tensor):
    array = tensor.detach().numpy().astype("<f4")
    return {"dims": list(array.shape), "base64": base64.b64encode(array.tobytes()).decode()}


def main():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    mae = train_mae.Mae(CONFIG).eval()
    perturb(mae, generator)
    classifier = train_heads.Classifier(CONFIG, LABELS).eval()
    with torch.no_grad():
        for _, param in classifier.named_hf_parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.1)
    pixels = torch.randn(BATCH, 3, CONFIG["image_size"], CONFIG["image_size"], generator=generator)
    noise = torch.rand(BATCH, mae.patches, generator=generator)

    latent = {}
    hook = mae.layernorm.register_forward_hook(lambda _m, _i, out: latent.setdefault("x", out))
    with torch.no_grad():
        logits, ids_restore, keep = mae.reconstruct(pixels, noise)
        classes = classifier(pixels)
    hook.remove()
    ids_keep = torch.argsort(noise, dim=1)[:, :keep]

    mae_config = copy.deepcopy(CONFIG)
    save(os.path.join(OUT, "mae"), mae.hf_state_dict(), mae_config)
    classifier_config = {**{k: v for k, v in CONFIG.items() if not k.startswith("decoder_")},
                         "architectures": ["ViTForImageClassification"], "model_type": "vit",
                         "id2label": {str(i): f"class{i}" for i in range(LABELS)}}
    for key in ("mask_ratio", "norm_pix_loss"):
        classifier_config.pop(key)
    save(os.path.join(OUT, "classifier"), classifier.hf_state_dict(), classifier_config)
    golden = {
        "torch": torch.__version__,
        "pixelValues": b64(pixels),
        "noise": b64(noise),
        "idsKeep": ids_keep.tolist(),
        "idsRestore": ids_restore.tolist(),
        "latent": b64(latent["x"]),
        "logits": b64(logits),
        "classifierLogits": b64(classes),
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f)
    print(f"wrote {OUT}: latent {tuple(latent['x'].shape)}, logits {tuple(logits.shape)}, classes {tuple(classes.shape)}")


if __name__ == "__main__":
    main()

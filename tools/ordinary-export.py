#!/usr/bin/python3
"""The "ordinary" ViT-MAE export that bench:browser compares the project against.

    /usr/bin/python3 tools/ordinary-export.py CKPT_DIR OUT_DIR

CKPT_DIR holds config.json and model.safetensors of a ViTMAEForPreTraining
(F32). The model is rebuilt in plain PyTorch with Hugging Face's module layout
and forward pass (patch Conv2d, random masking by argsort of a `noise` input,
encoder, decoder with mask tokens, prediction head), exported with
torch.onnx.export as one graph pixel_values, noise -> logits (opset 17,
dynamic batch), and quantised the textbook way: every MatMul on a constant
weight becomes DynamicQuantizeLinear + MatMulInteger, per-tensor uint8
weights, then Cast and Mul by the two scales (what onnxruntime's
quantize_dynamic writes with its defaults). Writes OUT_DIR/mae.fp32.onnx and
OUT_DIR/mae.int8.onnx.

Needs Debian's python3-torch and python3-onnx (apt-get install python3-torch
python3-onnx): only for this benchmark, never for the app or the tests.
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn


def read_safetensors(path):
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    base = 8 + length
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {entry['dtype']}; this tool reads F32 only")
        start, end = entry["data_offsets"]
        array = np.frombuffer(data, dtype="<f4", count=(end - start) // 4, offset=base + start)
        out[name] = torch.from_numpy(array.reshape(entry["shape"]).copy())
    return out


class Attention(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(width, width, bias=bias)
        self.key = nn.Linear(width, width, bias=bias)
        self.value = nn.Linear(width, width, bias=bias)
        self.dense = nn.Linear(width, width)

    def forward(self, x):
        b, s, d = x.shape
        split = lambda t: t.view(b, s, self.heads, d // self.heads).permute(0, 2, 1, 3)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        context = torch.matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).reshape(b, s, d)
        return self.dense(context)


class Layer(nn.Module):
    def __init__(self, width, heads, inner, eps, bias):
        super().__init__()
        self.layernorm_before = nn.LayerNorm(width, eps=eps)
        self.attention = Attention(width, heads, bias)
        self.layernorm_after = nn.LayerNorm(width, eps=eps)
        self.intermediate = nn.Linear(width, inner)
        self.output = nn.Linear(inner, width)

    def forward(self, x):
        x = x + self.attention(self.layernorm_before(x))
        return x + self.output(nn.functional.gelu(self.intermediate(self.layernorm_after(x))))


class Mae(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, dd, p = c["hidden_size"], c["decoder_hidden_size"], c["patch_size"]
        n = (c["image_size"] // p) ** 2
        eps, bias = c["layer_norm_eps"], c.get("qkv_bias", True)
        self.mask_ratio = c["mask_ratio"]
        self.patch = nn.Conv2d(c["num_channels"], d, p, stride=p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.position_embeddings = nn.Parameter(torch.zeros(1, n + 1, d))
        self.layers = nn.ModuleList(
            Layer(d, c["num_attention_heads"], c["intermediate_size"], eps, bias)
            for _ in range(c["num_hidden_layers"])
        )
        self.layernorm = nn.LayerNorm(d, eps=eps)
        self.decoder_embed = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dd))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, n + 1, dd))
        self.decoder_layers = nn.ModuleList(
            Layer(dd, c["decoder_num_attention_heads"], c["decoder_intermediate_size"], eps, bias)
            for _ in range(c["decoder_num_hidden_layers"])
        )
        self.decoder_norm = nn.LayerNorm(dd, eps=eps)
        self.decoder_pred = nn.Linear(dd, p * p * c["num_channels"])

    def forward(self, pixel_values, noise):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        x = x + self.position_embeddings[:, 1:, :]
        b, n, d = x.shape
        keep = int(n * (1 - self.mask_ratio))
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :keep]
        x = torch.gather(x, 1, ids_keep.unsqueeze(-1).repeat(1, 1, d))
        cls = (self.cls_token + self.position_embeddings[:, :1, :]).expand(b, -1, -1)
        x = torch.cat((cls, x), dim=1)
        for layer in self.layers:
            x = layer(x)
        x = self.decoder_embed(self.layernorm(x))
        mask_tokens = self.mask_token.repeat(b, n + 1 - x.shape[1], 1)
        rest = torch.cat((x[:, 1:, :], mask_tokens), dim=1)
        rest = torch.gather(rest, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat((x[:, :1, :], rest), dim=1) + self.decoder_pos_embed
        for layer in self.decoder_layers:
            x = layer(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:, :]


def hf_name(name):
    """This module's parameter name as the Hugging Face checkpoint spells it."""
    for ours, theirs in [
        ("patch.", "vit.embeddings.patch_embeddings.projection."),
        ("cls_token", "vit.embeddings.cls_token"),
        ("position_embeddings", "vit.embeddings.position_embeddings"),
        ("layernorm.", "vit.layernorm."),
        ("decoder_embed.", "decoder.decoder_embed."),
        ("mask_token", "decoder.mask_token"),
        ("decoder_pos_embed", "decoder.decoder_pos_embed"),
        ("decoder_norm.", "decoder.decoder_norm."),
        ("decoder_pred.", "decoder.decoder_pred."),
    ]:
        if name.startswith(ours):
            return theirs + name[len(ours) :]
    stack, index, rest = name.split(".", 2)
    prefix = "vit.encoder.layer" if stack == "layers" else "decoder.decoder_layers"
    for ours, theirs in [
        ("attention.dense.", "attention.output.dense."),
        ("attention.", "attention.attention."),
        ("intermediate.", "intermediate.dense."),
        ("output.", "output.dense."),
    ]:
        if rest.startswith(ours):
            rest = theirs + rest[len(ours) :]
            break
    return f"{prefix}.{index}.{rest}"


def quantize_dynamic(model):
    """Every MatMul whose B is a 2-D float initializer -> DynamicQuantizeLinear + MatMulInteger."""
    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    nodes = []
    for node in graph.node:
        b = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if b is None or len(b.dims) != 2:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(b)
        low, high = min(0.0, float(w.min())), max(0.0, float(w.max()))
        scale = (high - low) / 255 or 1.0
        zero = int(round(-low / scale))
        q = np.clip(np.round(w / scale) + zero, 0, 255).astype(np.uint8)
        name = node.output[0]
        graph.initializer.extend(
            [
                numpy_helper.from_array(q, f"{b.name}_quantized"),
                numpy_helper.from_array(np.array(scale, np.float32), f"{b.name}_scale"),
                numpy_helper.from_array(np.array(zero, np.uint8), f"{b.name}_zero_point"),
            ]
        )
        a = node.input[0]
        nodes += [
            helper.make_node(
                "DynamicQuantizeLinear", [a], [f"{name}_a_q", f"{name}_a_scale", f"{name}_a_zero"]
            ),
            helper.make_node(
                "MatMulInteger",
                [f"{name}_a_q", f"{b.name}_quantized", f"{name}_a_zero", f"{b.name}_zero_point"],
                [f"{name}_int"],
            ),
            helper.make_node("Cast", [f"{name}_int"], [f"{name}_float"], to=onnx.TensorProto.FLOAT),
            helper.make_node("Mul", [f"{name}_a_scale", f"{b.name}_scale"], [f"{name}_scales"]),
            helper.make_node("Mul", [f"{name}_float", f"{name}_scales"], [name]),
        ]
        graph.initializer.remove(b)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: tools/ordinary-export.py CKPT_DIR OUT_DIR")
    ckpt, out = Path(sys.argv[1]), Path(sys.argv[2])
    config = json.loads((ckpt / "config.json").read_text())
    model = Mae(config).eval()
    state = read_safetensors(ckpt / "model.safetensors")
    model.load_state_dict({name: state[hf_name(name)] for name in model.state_dict()})
    size, channels = config["image_size"], config["num_channels"]
    n = (size // config["patch_size"]) ** 2
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "mae.fp32.onnx"
    with torch.no_grad():
        torch.onnx.export(
            model,
            (torch.zeros(1, channels, size, size), torch.rand(1, n)),
            str(fp32),
            input_names=["pixel_values", "noise"],
            output_names=["logits"],
            dynamic_axes={"pixel_values": {0: "batch"}, "noise": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=17,
        )
    onnx.save(quantize_dynamic(onnx.load(str(fp32))), str(out / "mae.int8.onnx"))


if __name__ == "__main__":
    main()

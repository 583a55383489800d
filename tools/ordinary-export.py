#!/usr/bin/python3
"""The "ordinary" ViT-MAE export that bench:browser compares the project against.

    /usr/bin/python3 tools/ordinary-export.py CKPT_DIR OUT_DIR

CKPT_DIR holds config.json and model.safetensors of a ViTMAEForPreTraining
(F32). The model is the demo's training recipe (models/demo-training/
train_mae.py: Hugging Face's module layout and forward pass, in plain PyTorch)
with these weights, masking by argsort of a `noise` input; exported with
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
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models" / "demo-training"))
from train_mae import Mae  # noqa: E402


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


class Exported(nn.Module):
    """pixel_values, noise -> logits: the training recipe's MAE as Hugging Face's forward runs it."""

    def __init__(self, mae):
        super().__init__()
        self.mae = mae

    def forward(self, pixel_values, noise):
        return self.mae.reconstruct(pixel_values, noise)[0]


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
    mae = Mae(config)
    state = read_safetensors(ckpt / "model.safetensors")
    with torch.no_grad():
        # hf_state_dict's tensors share storage with the parameters: copying into them loads.
        for name, tensor in mae.hf_state_dict().items():
            tensor.copy_(state[name])
    model = Exported(mae).eval()
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

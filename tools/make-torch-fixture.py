#!/usr/bin/env python3
"""Make the tiny PyTorch checkpoints the converter's reader tests use.

Writes, with real torch.save, into tests/fixtures/torch/:
  tiny.bin    an OrderedDict state dict: float32, float16 and bfloat16 tensors,
              a transposed (non-contiguous) view, a slice with a storage offset,
              two tensors sharing one storage, an int64 tensor, a 0-d scalar
              and an nn.Parameter.
  nested.bin  {'state_dict': nn.Linear(3, 2).state_dict(), 'epoch': 3, ...}: the
              state dict nested one level down, with its `_metadata` attribute.
  legacy.bin  a tensor saved in the pre-1.6 (non-zip) format, which the reader
              must refuse with a clear message.
  tiny.json   the expected values: for each file, each tensor's dtype, shape and
              row-major float32 bit patterns (exact, inf and NaN included).

The data are synthetic numbers, nothing else. Needs torch (Debian:
`apt-get install python3-torch`, then run with /usr/bin/python3).
"""
import collections
import json
import pathlib

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch"

DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
}


def expected(t):
    """dtype, shape and float32 bit patterns of a tensor, row-major."""
    flat = t.detach().to(torch.float32).contiguous().reshape(-1)
    bits = [b & 0xFFFFFFFF for b in flat.view(torch.int32).tolist()]
    return {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "bits": bits}


def tiny_state_dict():
    f32 = torch.tensor([[1.5, -2.0, 3.25], [0.1, 1e-8, -0.0]], dtype=torch.float32)
    f16 = torch.tensor(
        [1.0, -0.333251953125, 6.103515625e-05, 5.960464477539063e-08, 65504.0,
         float("inf"), float("-inf"), 0.1],
        dtype=torch.float16,
    )
    bf16 = torch.tensor([1.0, -3.140625, 1e-20, 3.0e38, float("-inf"), 0.1], dtype=torch.bfloat16)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5
    grid = torch.arange(20, dtype=torch.float32).reshape(4, 5) - 7
    shared = torch.linspace(-1, 1, 8)
    f16_grid = (torch.arange(6, dtype=torch.float32).reshape(2, 3) / 3).to(torch.float16)
    sd = collections.OrderedDict()
    sd["f32"] = f32
    sd["f16"] = f16
    sd["bf16"] = bf16
    sd["base"] = base
    sd["transposed"] = base.t()  # stride (1, 4), same storage as "base"
    sd["sliced"] = grid[1:3, 2:]  # storage offset 7, stride (5, 1)
    sd["shared_a"] = shared[:4]
    sd["shared_b"] = shared[4:].view(2, 2)  # offset 4 in the same storage
    sd["f16_transposed"] = f16_grid.t()
    sd["i64"] = torch.tensor([0, -3, 2**40, 7], dtype=torch.int64)
    sd["scalar"] = torch.tensor(2.5)
    sd["param"] = torch.nn.Parameter(torch.tensor([[0.25, -0.5]]))
    return sd


def nested_checkpoint():
    linear = torch.nn.Linear(3, 2)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[0.5, -1.0, 2.0], [0.125, 0.0, -4.0]]))
        linear.bias.copy_(torch.tensor([1.0, -1.0]))
    return {"state_dict": linear.state_dict(), "epoch": 3, "note": "synthetic"}


def dump(doc):
    """JSON with one line a tensor: readable and diff-friendly."""
    lines = ["{", f' "torch": {json.dumps(doc["torch"])},', ' "files": {']
    files = list(doc["files"].items())
    for i, (file, tensors) in enumerate(files):
        lines.append(f"  {json.dumps(file)}: {{")
        items = list(tensors.items())
        for j, (name, t) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            lines.append(f"   {json.dumps(name)}: {json.dumps(t)}{comma}")
        lines.append("  }" + ("," if i < len(files) - 1 else ""))
    lines += [" }", "}", ""]
    return "\n".join(lines)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tiny = tiny_state_dict()
    nested = nested_checkpoint()
    torch.save(tiny, OUT / "tiny.bin")
    torch.save(nested, OUT / "nested.bin")
    torch.save({"w": torch.ones(2)}, OUT / "legacy.bin", _use_new_zipfile_serialization=False)

    # Read back with torch to be sure the expectations describe what was written.
    back = torch.load(OUT / "tiny.bin")
    assert list(back) == list(tiny)
    back_nested = torch.load(OUT / "nested.bin")["state_dict"]
    doc = {
        "torch": torch.__version__,
        "files": {
            "tiny.bin": {name: expected(t) for name, t in back.items()},
            "nested.bin": {name: expected(t) for name, t in back_nested.items()},
        },
    }
    (OUT / "tiny.json").write_text(dump(doc))
    for p in sorted(OUT.iterdir()):
        print(f"{p.name}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()

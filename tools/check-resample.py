#!/usr/bin/env python3
"""One-off check of src/lib/imaging/resample.ts against Pillow (and torch).

Run from the project root: /usr/bin/python3 tools/check-resample.py
Needs Pillow and numpy (torch optional). Not used by the tests: the tests pin
a few small Pillow outputs as constants and check properties instead.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILTERS = {
    "nearest": Image.NEAREST,
    "box": Image.BOX,
    "bilinear": Image.BILINEAR,
    "hamming": Image.HAMMING,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
}
CASES = [
    (1760, 1760, 224, 224),
    (1760, 2140, 224, 224),
    (2140, 1760, 184, 224),
    (300, 200, 224, 224),
    (97, 61, 224, 224),
    (224, 224, 224, 224),
    (13, 7, 5, 3),
    (5, 3, 13, 7),
    (40, 40, 40, 17),
    (1, 9, 4, 4),
]

JS = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { resizeGray8, resizeFloat32 } from '%s';
const cases = JSON.parse(readFileSync(process.argv[process.argv.length - 1], 'utf8'));
for (const c of cases) {
  const raw = readFileSync(c.input);
  if (c.float) {
    const src = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const out = resizeFloat32(new Float32Array(src), c.w, c.h, c.ow, c.oh, c.filter);
    writeFileSync(c.output, Buffer.from(out.buffer));
  } else {
    const out = resizeGray8(new Uint8Array(raw), c.w, c.h, c.ow, c.oh, c.filter);
    writeFileSync(c.output, Buffer.from(out.buffer));
  }
}
"""


def image(rng, w, h, kind):
    if kind == "noise":
        return rng.integers(0, 256, (h, w), dtype=np.uint8)
    # smooth gradient with edges, closer to a radiograph
    y, x = np.mgrid[0:h, 0:w]
    v = 128 + 100 * np.sin(x / max(w, 1) * 7) * np.cos(y / max(h, 1) * 5)
    v[(x > w // 3) & (x < w // 2)] = 250
    v[y > 0.8 * h] = 0
    return np.clip(v, 0, 255).astype(np.uint8)


def main():
    rng = np.random.default_rng(7)
    tmp = tempfile.mkdtemp()
    jobs, expected = [], []
    for (w, h, ow, oh) in CASES:
        for kind in ("noise", "smooth"):
            src = image(rng, w, h, kind)
            for name, f in FILTERS.items():
                for is_float in (False, True):
                    i = len(jobs)
                    inp = os.path.join(tmp, f"in{i}")
                    if is_float:
                        arr = src.astype(np.float32) / 255.0
                        arr.tofile(inp)
                        ref = np.asarray(Image.fromarray(arr, mode="F").resize((ow, oh), f))
                    else:
                        src.tofile(inp)
                        ref = np.asarray(Image.fromarray(src, mode="L").resize((ow, oh), f))
                    jobs.append(dict(input=inp, output=os.path.join(tmp, f"out{i}"), w=w, h=h,
                                     ow=ow, oh=oh, filter=name, float=is_float))
                    expected.append((ref, src, kind))
    spec = os.path.join(tmp, "cases.json")
    with open(spec, "w") as fh:
        json.dump(jobs, fh)
    script = os.path.join(tmp, "run.mts")
    with open(script, "w") as fh:
        fh.write(JS % os.path.join(ROOT, "src/lib/imaging/resample.ts"))
    subprocess.run(["npx", "tsx", script, spec], cwd=ROOT, check=True)

    worst = 0
    for job, (ref, src, kind) in zip(jobs, expected):
        dtype = np.float32 if job["float"] else np.uint8
        ours = np.fromfile(job["output"], dtype=dtype).reshape(job["oh"], job["ow"])
        diff = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
        bad = int((diff > 0).sum())
        label = f'{job["w"]}x{job["h"]}->{job["ow"]}x{job["oh"]} {kind:6} {job["filter"]:8} {"F" if job["float"] else "L"}'
        if job["float"]:
            worst = max(worst, float(diff.max()) > 1e-6)
            print(f"{label}: max |diff| {diff.max():.3g}")
        else:
            worst = max(worst, bad)
            print(f"{label}: {bad} of {diff.size} pixels differ (max {diff.max():.0f})")

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("torch not available: skipping the torch comparison")
    else:
        print("\ntorch.nn.functional.interpolate(bicubic, antialias=True) vs Pillow:")
        for (w, h, ow, oh) in CASES[:5]:
            src = image(rng, w, h, "smooth")
            pil8 = np.asarray(Image.fromarray(src).resize((ow, oh), Image.BICUBIC)).astype(np.float64)
            pilf = np.asarray(Image.fromarray(src.astype(np.float32), mode="F").resize((ow, oh), Image.BICUBIC))
            t = torch.from_numpy(src.astype(np.float32))[None, None]
            tt = F.interpolate(t, size=(oh, ow), mode="bicubic", antialias=True, align_corners=False)[0, 0].numpy()
            t8 = np.clip(np.round(tt), 0, 255)
            print(f"  {w}x{h}->{ow}x{oh}: |torch - PIL F| max {np.abs(tt - pilf).max():.3g}; "
                  f"torch rounded vs PIL L: {int((t8 != pil8).sum())} of {t8.size} differ, "
                  f"max {np.abs(t8 - pil8).max():.0f}")
    print("\nPASS" if worst == 0 else "\nMISMATCH")
    return 0 if worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

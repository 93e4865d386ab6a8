"""How `focus-station predict` reads frames from cameras with other pixel sizes than a model's.

  /usr/bin/python3 scripts/pixel-scale-eval.py --db held-20x.sqlite --model ldse-net-20x --pixel-size 0.1725 \
      --ratios 1 1.5 1.88 2.5 3.77 [--modes resampled native] [--json]

The frames of a dataset rendered by `focus-station acquire --sim` (whole frames, not export patches) are
box-downsampled by each ratio r, which is what a camera with r times larger pixels behind the same objective records
(each pixel integrates its area). `predict` then reads them twice: "resampled" tells it the true pixel size
(r times the rendered one), so it resamples the frames back to the model's; "native" does not, so it reads them as if
taken at the model's pixel size (what happens when neither --pixel-size nor the file says it). Scored against the
dataset's labels: wrong sides (|d| >= 1 um), mean error over -5..+5 um, and the median per-stack Spearman of predicted
against true defocus (-10..+10 and -5..+5 um). Frames with no estimate are left out (n). Downsampled frames are kept
beside the dataset (<db>-r<ratio>/) and reused.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ranks(a: np.ndarray) -> np.ndarray:
    order = np.argsort(a, kind="stable")
    r = np.empty(len(a))
    r[order] = np.arange(len(a))
    return r


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def median_ordering(truth, predicted, stack, mask) -> float:
    rhos = [spearman(truth[m], predicted[m]) for s in np.unique(stack) for m in [mask & (stack == s)] if m.sum() > 3]
    return round(float(np.median(rhos)), 3) if rhos else float("nan")


def downsampled(db: str, rows, ratio: float):
    root = os.path.abspath(os.path.splitext(db)[0])
    out = f"{root}-r{ratio:g}"
    os.makedirs(out, exist_ok=True)
    paths = []
    for file, _, _ in rows:
        dest = os.path.join(out, os.path.basename(file))
        if not os.path.exists(dest):
            image = Image.open(os.path.join(root + ".images", file))
            w, h = image.size
            image.resize((round(w / ratio), round(h / ratio)), Image.BOX).save(dest)
        paths.append(dest)
    return paths


def predict(paths, model: str, pixel_um: float):
    cmd = [
        "node", os.path.join(ROOT, "bin", "focus-station.js"), "predict", "--json", "--model", model,
        "--pixel-size", repr(pixel_um), "--allow-mismatch",
    ] + paths
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    got = {}
    for line in run.stdout.splitlines():
        o = json.loads(line)
        got[o["file"]] = o.get("defocus_um")
    return np.array([np.nan if got.get(p) is None else got[p] for p in paths], dtype=float)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="dataset (.sqlite) made by focus-station acquire --sim")
    ap.add_argument("--model", required=True, help="model id or path")
    ap.add_argument("--pixel-size", type=float, required=True, help="um per pixel of the rendered frames")
    ap.add_argument("--ratios", type=float, nargs="+", default=[1, 1.5, 2, 3])
    ap.add_argument("--modes", nargs="+", default=["resampled", "native"], choices=["resampled", "native"])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    a = ap.parse_args(argv)
    con = sqlite3.connect(a.db)
    rows = con.execute("select file, defocus_um, stack_id from images order by stack_id, plane_index").fetchall()
    truth = np.array([r[1] for r in rows], dtype=float)
    stack = np.array([r[2] for r in rows])
    if not a.json:
        print(f"{'ratio':>6} {'mode':>9} {'um/px':>7} {'n':>7} {'wrong sides':>11} {'MAE -5..5':>9} {'order +-10':>10} {'+-5':>6}")
    for ratio in a.ratios:
        paths = downsampled(a.db, rows, ratio)
        for mode in a.modes:
            pixel = a.pixel_size * ratio if mode == "resampled" else a.pixel_size
            predicted = predict(paths, a.model, pixel)
            ok = ~np.isnan(predicted)
            far = ok & (np.abs(truth) >= 1)
            near = ok & (np.abs(truth) <= 5)
            row = {
                "ratio": ratio, "mode": mode, "pixel_size_um": round(pixel, 4), "n": int(ok.sum()), "of": len(paths),
                "wrong_sides": round(float(np.mean(np.sign(predicted[far]) != np.sign(truth[far]))), 3),
                "mae_5_um": round(float(np.mean(np.abs(predicted[near] - truth[near]))), 2),
                "ordering_median": median_ordering(truth, predicted, stack, ok),
                "ordering_central_median": median_ordering(truth, predicted, stack, near),
            }
            if a.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"{ratio:>6g} {mode:>9} {row['pixel_size_um']:>7} {row['n']:>3}/{row['of']:<3} "
                      f"{100 * row['wrong_sides']:>10.1f}% {row['mae_5_um']:>9.2f} {row['ordering_median']:>10.3f} "
                      f"{row['ordering_central_median']:>6.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Checkpoints on an export's test split as a real camera would deliver it: demosaiced, JPEG-compressed, turned.

  /usr/bin/python3 -m training.robustness --checkpoint A.pt [B.pt ...] --data <export dir> [--setup 20x]
      [--views] [--responses] [--threads 2] [--json]

Each checkpoint reads the same test patches as they are, after a bilinear demosaic of an RGGB mosaic, after JPEG at
quality 95, 85, 75 and 60, after both, and as a monochrome camera would give them (focusnet/data/camera_pipeline.py):
wrong sides (|d| >= 1 um), MAE and MAE over -5..+5 um, scored by training's evaluation pass (focusnet/engine.py). Our
renderers save three co-sited channels without loss; real stacks from other labs mostly come from Bayer cameras and
often as JPEG. `--views` adds the eight flips and rotations of each patch and their mean (test-time augmentation);
`--responses` adds other cameras' exposure, white balance, tone curve, sharpening and contrast stretching
(focusnet/data/camera_response.py).
"""
import argparse
import json
import sys
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from .export import load_model
from .focusnet import checkpoint as ckpt
from .focusnet import distributed, engine
from .focusnet.data import camera_response as response
from .focusnet.data.camera_pipeline import bayer_demosaic, jpeg_round_trip, monochrome
from .focusnet.data.dataset import DefocusPatches
from .focusnet.data.manifest import read_export, select_rows
from .focusnet.errors import TrainingError

Degradation = Callable[[torch.Tensor], torch.Tensor]
BATCH = 64


def _jpeg(quality: int) -> Degradation:
    return lambda batch: torch.stack([jpeg_round_trip(patch, quality) for patch in batch])


DEGRADATIONS: Dict[str, Degradation] = {
    "as is": lambda batch: batch,
    "Bayer demosaic": bayer_demosaic,
    "JPEG q95": _jpeg(95),
    "JPEG q85": _jpeg(85),
    "JPEG q75": _jpeg(75),
    "JPEG q60": _jpeg(60),
    "Bayer + JPEG q85": lambda batch: _jpeg(85)(bayer_demosaic(batch)),
    "monochrome": monochrome,
}

# Other cameras and software (focusnet/data/camera_response.py), each well outside what the renderers draw.
RESPONSES: Dict[str, Degradation] = {
    "exposure x0.5": lambda batch: response.exposure(batch, 0.5),
    "exposure x0.25": lambda batch: response.exposure(batch, 0.25),
    "exposure x1.5 (clips)": lambda batch: response.exposure(batch, 1.5),
    "lamp 2600 K": lambda batch: response.colour_cast(batch, 2600.0),
    "LED 5000 K, no WB": lambda batch: response.colour_cast(batch, 5000.0),
    "LED 6500 K, no WB": lambda batch: response.colour_cast(batch, 6500.0),
    "linear (no sRGB)": response.linear_output,
    "sharpened": response.unsharp,
    "contrast stretched": response.contrast_stretch,
}

VIEWS: Dict[str, Degradation] = {
    "flip x": lambda t: t.flip(-1),
    "flip y": lambda t: t.flip(-2),
    "rot 90": lambda t: t.rot90(1, (-2, -1)),
    "rot 180": lambda t: t.rot90(2, (-2, -1)),
    "rot 270": lambda t: t.rot90(3, (-2, -1)),
    "transpose": lambda t: t.transpose(-1, -2),
    "anti-transpose": lambda t: t.rot90(1, (-2, -1)).flip(-1),
}


class ViewMean(torch.nn.Module):
    """A model read on every view of its input, averaged (what test-time augmentation would ship)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.model(x)] + [self.model(view(x)) for view in VIEWS.values()]).mean(dim=0)


def held_out_patches(data: str, setup: Optional[str], size: int):
    """The export's test split as un-normalised [0, 1] patches, and their labels."""
    rows = [r for r in select_rows(read_export(data).rows, setup) if r.split == "test"]
    if not rows:
        raise TrainingError("no_test", f"{data} has no test images{f' for setup {setup}' if setup else ''}")
    patches = DefocusPatches(rows, size, False, [0, 0, 0], [1, 1, 1])
    raw = torch.stack([patches.raw_patch(i) for i in range(len(patches))])
    return raw, np.array([patches.label(i) for i in range(len(patches))])


def score(model: torch.nn.Module, state: dict, patches: torch.Tensor, labels: torch.Tensor) -> dict:
    """Training's evaluation pass (engine.evaluate) on [0, 1] patches, normalised as the checkpoint was trained."""
    mean = torch.tensor(state["normalisation"]["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(state["normalisation"]["std"]).view(1, 3, 1, 1)
    batches = [((patches[i:i + BATCH] - mean) / std, labels[i:i + BATCH]) for i in range(0, len(patches), BATCH)]
    with torch.no_grad():
        return engine.evaluate(model, batches, distributed.start("cpu"))


def check(paths: List[str], data: str, setup: Optional[str], views: bool, responses: bool = False) -> List[dict]:
    states = [ckpt.load(path) for path in paths]
    sizes = {int(state["input_size"]) for state in states}
    if len(sizes) != 1:
        raise TrainingError("input_size", "the checkpoints take different patch sizes")
    raw, truth = held_out_patches(data, setup, sizes.pop())
    labels = torch.tensor(truth, dtype=torch.float32).view(-1, 1)
    for path, state in zip(paths, states):
        if state.get("target", "signed") != "signed":
            raise TrainingError("target", f"{path} reads |d| (target {state['target']}): it has no side to score")
    models = [load_model(state).eval() for state in states]
    rows: List[dict] = [{} for _ in paths]
    # One degraded copy of the test split at a time, read by every checkpoint: each is degraded once (JPEG is the
    # slow part), and 17 copies of 738 patches at once would hold 7.5 GB.
    for name, degrade in {**DEGRADATIONS, **(RESPONSES if responses else {})}.items():
        batch = degrade(raw)
        for row, model, state in zip(rows, models, states):
            row[name] = score(model, state, batch, labels)
    if views:
        for row, model, state in zip(rows, models, states):
            row.update({f"view {name}": score(model, state, view(raw), labels) for name, view in VIEWS.items()})
            row["mean of 8 views"] = score(ViewMean(model), state, raw, labels)
    return [{"checkpoint": path, "n": int(len(truth)), "conditions": row} for path, row in zip(paths, rows)]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m training.robustness", description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, nargs="+", help="one or more checkpoints (best.pt)")
    parser.add_argument("--data", required=True, help="export folder (its test split is read)")
    parser.add_argument("--setup", default=None, help="setup id in the export (needed if it mixes pixel sizes)")
    parser.add_argument("--views", action="store_true", help="also the eight flips/rotations and their mean")
    parser.add_argument("--responses", action="store_true",
                        help="also other cameras' exposure, white balance, tone curve, sharpening and contrast")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        results = check(args.checkpoint, args.data, args.setup, args.views, args.responses)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"data": args.data, "results": results}))
        return 0
    for r in results:
        print(f"{r['checkpoint']} ({r['n']} test patches)")
        for name, s in r["conditions"].items():
            sign = "n/a" if s["test_sign_error_rate"] is None else f"{100 * s['test_sign_error_rate']:5.1f} %"
            central = "n/a" if s["test_mae_central_um"] is None else f"{s['test_mae_central_um']:.2f}"
            print(f"  {name:22s} wrong sides {sign}  MAE {s['test_mae_um']:.2f} um  -5..+5 {central} um")
    return 0


if __name__ == "__main__":
    sys.exit(main())

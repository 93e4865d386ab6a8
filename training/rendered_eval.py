"""A checkpoint on freshly rendered patches of held-out slides: wrong sides and errors, for a stained-phase band.

  /usr/bin/python3 -m training.rendered_eval --checkpoint <best.pt> --slides ../shared/data/slides
      --only NAME... [--setup 20x] [--n 1024] [--phase-rad 0.1 0.6] [--grid camera] [--seed 12345]
      [--condition "as is" "JPEG q85" monochrome ...] [--device cpu|cuda] [--json] [--card <model>.json]

The export of the app's renderer holds a few hundred test patches; this draws as many as asked from the PyTorch
renderer (training/focusnet/optics), with every other choice randomised as in training, so two checkpoints compare
on the same draws (same --seed). Figures: those of training's evaluation pass (focusnet/engine.py): MAE, MAE over
-5..+5 um, the share of |d| >= 1 um read on the wrong side of focus, RMSE, bias. `--condition` reads the same draws
as a real camera would deliver them (training.robustness's degradations: demosaic, JPEG, monochrome; and its other
cameras' responses: exposure, lamp colour, tone curve, sharpening, contrast stretched). The stained
phase band is the one --phase-rad draws from; run once per band to compare bands. `--by-range` adds the figures by
range of the true defocus (wrong sides, MAE, and the median of |read| / |true|, the model's reading scale), to see
on which side and how far out a model errs (for one slide: --only NAME).
"""
import argparse
import json
import shlex
import sys
from typing import List, Optional

import torch

from .export import load_model
from .focusnet import checkpoint as ckpt
from .focusnet import distributed, engine
from .focusnet.errors import TrainingError
from .focusnet.files import write_json_atomic
from .focusnet.optics import PatchGenerator, load_slides
from .focusnet.optics.generator import SETUPS
from .focusnet.optics.options import add_render_options, check_render_options, render_config
from .robustness import DEGRADATIONS, RESPONSES

CONDITIONS = {**DEGRADATIONS, **RESPONSES}

BATCH = 32
# Ranges of the true defocus (um) for --by-range. |d| >= 1 um has a side (as engine.evaluate's sign errors), so
# the edges at 1 and 5 um belong to the 1..5 um ranges.
RANGES = {
    "-10..-5": lambda t: t < -5,
    "-5..-1": lambda t: (t >= -5) & (t <= -1),
    "-1..+1": lambda t: t.abs() < 1,
    "+1..+5": lambda t: (t >= 1) & (t <= 5),
    "+5..+10": lambda t: t > 5,
}


def by_range(predicted: torch.Tensor, truth: torch.Tensor) -> dict:
    """Wrong sides, MAE and reading scale (median |predicted| / |true|) per range of the true defocus; within 1 um
    neither side nor scale is scored."""
    figures = {}
    for name, select in RANGES.items():
        inside = select(truth)
        p, t = predicted[inside], truth[inside]
        sided = len(t) > 0 and name != "-1..+1"
        figures[name] = {
            "n": int(len(t)),
            "mae_um": float((p - t).abs().mean()) if len(t) else None,
            "wrong_side_rate": float((torch.sign(p) != torch.sign(t)).double().mean()) if sided else None,
            "reading_scale": float((p.abs() / t.abs()).quantile(0.5)) if sided else None,
        }
    return figures


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m training.rendered_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, nargs="+", help="one or more checkpoints (best.pt)")
    parser.add_argument("--slides", required=True, help="slide folder")
    parser.add_argument("--only", nargs="+", required=True, help="held-out slide names to render")
    parser.add_argument("--setup", choices=sorted(SETUPS), default="20x")
    parser.add_argument("--n", type=int, default=1024, help="patches (default 1024)")
    add_render_options(parser, grid_default="camera")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--condition", nargs="+", default=["as is"], choices=sorted(CONDITIONS),
                        help="how the camera delivers the patches (default 'as is'; several: each is scored)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="render and read on this device (default cpu)")
    parser.add_argument("--by-range", action="store_true",
                        help="also the figures by range of the true defocus (-10..-5, -5..-1, -1..+1, +1..+5, "
                             "+5..+10 um)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--card", metavar="JSON",
                        help="write the figures into this model card's metrics (one checkpoint and one condition: "
                             "the weights the card's ONNX file holds, read as that model's camera delivers frames)")
    args = parser.parse_args(argv)
    if args.n < BATCH:
        parser.error(f"--n must be at least {BATCH}")
    if args.card and (len(args.checkpoint) != 1 or len(args.condition) != 1):
        parser.error("--card takes one --checkpoint and one --condition")
    check_render_options(parser, args)
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        results = evaluate(args)
        if args.card:
            write_card_metrics(args.card, args.setup, results[0], argv if argv is not None else sys.argv[1:])
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"setup": args.setup, "seed": args.seed, "results": results}))
    else:
        for r in results:
            central = "n/a" if r["test_mae_central_um"] is None else f"{r['test_mae_central_um']:.2f}"
            sign = "n/a" if r["test_sign_error_rate"] is None else f"{100 * r['test_sign_error_rate']:.1f} %"
            print(f"{r['checkpoint']} ({r['condition']}): {r['n']} patches, wrong sides {sign}, "
                  f"MAE {r['test_mae_um']:.2f} um, -5..+5 um {central} um")
            for name, row in r.get("by_range", {}).items():
                cells = [f"{row['n']:5d} patches"]
                if row["mae_um"] is not None:
                    cells.append(f"MAE {row['mae_um']:.2f} um")
                if row["wrong_side_rate"] is not None:
                    cells += [f"wrong sides {100 * row['wrong_side_rate']:.1f} %", f"reads {row['reading_scale']:.2f}x"]
                print(f"  {name:>8s} um: " + ", ".join(cells))
    return 0


def write_card_metrics(path: str, setup: str, result: dict, argv: List[str]) -> None:
    """Restates a card's metrics (the run's own validation) with these figures, e.g. a model for monochrome cameras
    whose run validated on colour patches. The rest of the card, and the ONNX file, stay as they are."""
    try:
        with open(path, encoding="utf-8") as handle:
            card = json.load(handle)
    except (OSError, ValueError) as error:
        raise TrainingError("card", f"cannot read the model card {path}: {error}") from error
    card_setup = (card.get("optics") or {}).get("setup_id")
    if card_setup != setup:
        raise TrainingError("setup_mismatch", f"{path} is a card for the {card_setup} setup, not {setup}")
    card["metrics"] = {
        **{key: result[key] for key in ("test_rmse_um", "test_mae_um", "test_error_std_um", "test_sign_error_rate")},
        "frames": "monochrome" if result["condition"] == "monochrome" else "colour",
        "n": result["n"],
        "source": "python3 -m training.rendered_eval " + " ".join(shlex.quote(a) for a in argv),
    }
    write_json_atomic(path, card)


def evaluate(args: argparse.Namespace) -> List[dict]:
    config = render_config(args)
    runtime = distributed.start(args.device)
    slides = load_slides(args.slides, config.grid()[0], runtime.device, only=args.only)
    generator = PatchGenerator(slides, config, args.seed, runtime.device)
    draws = [generator.sample(BATCH) for _ in range(args.n // BATCH)]  # the same draws for every checkpoint
    draws = [(pixels.cpu(), labels.cpu()) for pixels, labels in draws]
    seen = {condition: [(CONDITIONS[condition](pixels.clamp(0, 1)) if condition != "as is" else pixels, labels)
                        for pixels, labels in draws] for condition in args.condition}
    results = []
    for path in args.checkpoint:
        state = ckpt.load(path)
        setup = state["dataset"]["optics"].get("setup_id")
        if setup != args.setup:
            raise TrainingError("setup_mismatch", f"{path} was trained for the {setup} setup, not {args.setup}")
        if state.get("target", "signed") != "signed":
            raise TrainingError("target", f"{path} reads |d| (target {state['target']}): it has no side to score")
        mean = torch.tensor(state["normalisation"]["mean"]).view(1, 3, 1, 1)
        std = torch.tensor(state["normalisation"]["std"]).view(1, 3, 1, 1)
        model = load_model(state).to(runtime.device)
        for condition, patches in seen.items():
            batches = [((pixels - mean) / std, labels.view(-1, 1)) for pixels, labels in patches]
            predicted: List[torch.Tensor] = []
            result = {"checkpoint": path, "condition": condition,
                      **engine.evaluate(model, batches, runtime, predicted)}
            if args.by_range:
                result["by_range"] = by_range(torch.cat(predicted).view(-1),
                                              torch.cat([y.double().view(-1) for _, y in batches]))
            results.append(result)
    return results


if __name__ == "__main__":
    sys.exit(main())

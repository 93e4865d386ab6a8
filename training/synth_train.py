"""Train a defocus regressor on patches the virtual microscope renders on the fly (no export needed).

  /usr/bin/python3 -m training.synth_train --slides ../shared/data/slides --exclude NAME... --setup 20x
      --model ldse-net --out <run dir> [--minutes M | --steps N] [--batch-size 128] [--lr 1e-3]
      [--val-every N] [--val-samples 2048] [--device auto|cpu|cuda] [--seed N] [--json]
      [--init CHECKPOINT] [--phase-rad LO HI] [--grid fine|camera] [--threads N] [--reuse R --pool-size N]
      [--crop C --crop-share F]

Every batch is new: a random region of a random training slide, a random rendering variant (optics within
tolerance, stain, phase, aberration, illumination, noise: training/focusnet/optics/variants.py) and a random
defocus in -10..+10 um, labelled with the simulator's truth. A network that has to find the side of focus from
faint asymmetries needs far more images than an export holds; this is how it gets them (on a GPU: about 2000
patches/s). Validation uses fixed patches of the --exclude slides, drawn once from --seed + 1.

On a CPU rendering is the wall (about 48 ms a 20x patch against 10 ms to learn from it, 2 threads): --reuse R
renders 1/R of each batch anew and draws the rest from the patches rendered so far (up to --pool-size, kept 8-bit
in memory: 150 KB each), each turned by one of the 8 rotations and mirror images (focusnet/optics/reuse.py). The
camera pipeline of --augment is drawn afresh every time a patch is shown. --crop C trains the first --crop-share of
the run on a random C x C window of each patch (learning costs scale with the area: a 128 px window about a third of
a 224 px patch), then the rest on whole patches, at the size the model is used at.

Writes <run dir>/best.pt and last.pt in the checkpoint format of training.train (training.export reads them),
history.jsonl and summary.json. The learning rate follows a cosine from --lr to 1 % of it over the run.
"""
import argparse
import dataclasses
import json
import math
import os
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

import numpy as np
import torch

from .focusnet import checkpoint as ckpt
from .focusnet.data.augment import PRESETS
from .focusnet.data.camera_pipeline import camera_batch, monochrome
from .focusnet.errors import TrainingError
from .focusnet.models import ARCHITECTURES, build_model, count_parameters, default_options, head_of
from .focusnet.models.head import defocus_loss
from .focusnet.optics import PatchGenerator, load_slides
from .focusnet.optics.options import add_render_options, check_render_options, render_config
from .focusnet.optics.generator import SETUPS
from .focusnet.optics.reuse import RenderedPool, fresh_share, random_crops
from .focusnet import distributed
from .focusnet.engine import evaluate
from .focusnet.progress import format_duration
from .focusnet.seeding import seed_everything



def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m training.synth_train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--slides", required=True, help="folder of slide images (0.17 um/px, as the simulator)")
    parser.add_argument("--exclude", nargs="*", default=[], help="slide names held out (validation only)")
    parser.add_argument("--setup", choices=sorted(SETUPS), default="20x")
    parser.add_argument("--model", choices=ARCHITECTURES, default="ldse-net")
    parser.add_argument("--head", choices=("linear", "side-magnitude"), default="side-magnitude",
                        help="LDSE-NET output head (default side-magnitude: |d| and the side, models/head.py)")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("--minutes", type=float, default=None, help="train for this wall time (default: --steps)")
    parser.add_argument("--steps", type=int, default=2000, help="optimizer steps when --minutes is not given")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate at the start (default 1e-3)")
    parser.add_argument("--val-every", type=int, default=250, help="validate every N steps (default 250)")
    parser.add_argument("--val-samples", type=int, default=2048)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (CPU runs)")
    parser.add_argument("--init", default=None, metavar="CHECKPOINT",
                        help="fine-tune: start from this checkpoint's weights (a synth_train or training.train run "
                             "of the same setup); its model options and input normalisation are kept")
    add_render_options(parser, grid_default="fine")
    parser.add_argument("--augment", choices=("none", "camera", "camera+grey", "camera+response"), default="none",
                        help="'camera': what a colour camera's pipeline does to the rendered patches, a demosaiced "
                             "RGGB mosaic and JPEG; 'camera+grey' also monochrome patches; 'camera+response' also "
                             "other labs' exposure, lamp colour and tone curve (as training.train --augment; "
                             "training batches only)")
    parser.add_argument("--greyscale-p", type=float, default=None, metavar="P",
                        help="share of training patches turned monochrome, instead of the --augment preset's (0.3 "
                             "in 'camera+grey')")
    parser.add_argument("--reuse", type=float, default=1.0, metavar="R",
                        help="show each rendered patch about R times (1/R of each batch rendered anew, the rest "
                             "drawn again rotated or mirrored; default 1: every patch new). For CPU runs")
    parser.add_argument("--pool-size", type=int, default=40000, metavar="N",
                        help="rendered patches kept for --reuse (150 KB each; default 40000, 6 GB)")
    parser.add_argument("--crop", type=int, default=None, metavar="C",
                        help="train the first --crop-share of the run on random C x C windows of the patches (a "
                             "multiple of 32 below 224; CPU runs: a 128 px window costs about a third of the patch "
                             "to learn from)")
    parser.add_argument("--crop-share", type=float, default=0.7, metavar="F",
                        help="share of the run (time or steps) trained on --crop windows (default 0.7)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    args = parser.parse_args(argv)
    if args.greyscale_p is not None and (args.augment == "none" or not 0 <= args.greyscale_p <= 1):
        parser.error("--greyscale-p takes a share in [0, 1], with --augment camera or camera+grey")
    if args.batch_size < 2 or args.val_every < 1 or args.val_samples < 16:
        parser.error("--batch-size >= 2, --val-every >= 1 and --val-samples >= 16")
    if args.reuse < 1 or args.pool_size < args.batch_size:
        parser.error("--reuse R takes R >= 1, and --pool-size at least one batch")
    if args.crop is not None and not (32 <= args.crop < 224 and args.crop % 32 == 0 and 0 < args.crop_share < 1):
        parser.error("--crop C takes a multiple of 32 below 224, and --crop-share F a share in (0, 1)")
    check_render_options(parser, args)
    return args


class Validation:
    """Fixed held-out patches and the figures the issue asks for: MAE, RMSE, -5..+5 um MAE, sign errors.

    `frames` is the camera the figures are for: a model trained only on monochrome patches is validated (and its
    best checkpoint picked, and its card's metrics stated) on monochrome patches, not on colour ones it never reads."""

    def __init__(self, generator: PatchGenerator, n: int, batch: int, mean: torch.Tensor, std: torch.Tensor,
                 runtime: distributed.Runtime, frames: str = "colour"):
        self.runtime = runtime
        self.frames = frames
        self.batches = []
        done = 0
        while done < n:
            size = min(batch, n - done)
            pixels, labels = generator.sample(size)
            if frames == "monochrome":
                pixels = monochrome(pixels)
            # labels as training.train's loaders give them: (N, 1) on the CPU
            self.batches.append((((pixels - mean) / std).contiguous(), labels.view(-1, 1).cpu()))
            done += size

    def run(self, model: torch.nn.Module) -> dict:
        """training.train's evaluation pass (engine.evaluate) over the fixed patches; leaves the model training."""
        metrics = evaluate(model, self.batches, self.runtime)
        model.train()
        return metrics


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        summary = train(args, argv if argv is not None else sys.argv[1:])
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary))
    return 0


def train(args: argparse.Namespace, argv: List[str]) -> dict:
    if args.threads:
        torch.set_num_threads(args.threads)
    runtime = distributed.start(args.device)
    if runtime.distributed:
        raise TrainingError("no_torchrun", "training.synth_train runs in one process: start it without torchrun")
    device = runtime.device
    seed_everything(args.seed)
    torch.use_deterministic_algorithms(False)  # FFT and gather backward kernels: speed over bit-exactness here
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = False
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    init = load_init(args)
    config = render_config(args)
    pitch = config.grid()[0]
    train_slides = load_slides(args.slides, pitch, device, exclude=args.exclude)
    held_out = load_slides(args.slides, pitch, device, only=args.exclude) if args.exclude else train_slides
    generator = PatchGenerator(train_slides, config, args.seed, device)

    if init:  # the weights expect the inputs they were trained on
        mean = torch.tensor(init["normalisation"]["mean"], device=device).view(1, 3, 1, 1)
        std = torch.tensor(init["normalisation"]["std"], device=device).view(1, 3, 1, 1)
    else:  # from rendered patches, as training.train takes it from the train split
        probe = torch.cat([generator.sample(args.batch_size)[0] for _ in range(4)])
        mean = probe.mean(dim=(0, 2, 3)).view(1, 3, 1, 1)
        std = probe.std(dim=(0, 2, 3)).view(1, 3, 1, 1)
    camera = PRESETS[args.augment] if args.augment != "none" else None  # the camera's pipeline on training batches
    if camera is not None and args.greyscale_p is not None:
        camera = dataclasses.replace(camera, greyscale_p=args.greyscale_p)
    validation = Validation(PatchGenerator(held_out, config, args.seed + 1, device), args.val_samples,
                            args.batch_size, mean, std, runtime, validation_frames(camera))

    options = default_options(args.model)
    if args.model == "ldse-net":
        options["head"] = args.head
    if init:
        options = init["model_options"]
    model = build_model(args.model, 224, options)
    low, high = config.defocus_range_um
    label_stats = {"mean": (low + high) / 2, "std": (high - low) / math.sqrt(12)}  # uniform labels
    if init:
        label_stats = init["label_stats"]
        model.load_state_dict(init["model_state"])
    head_of(model).set_label_stats(label_stats["mean"], label_stats["std"])
    model.to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    amp = device.type == "cuda"

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    setup = SETUPS[args.setup]
    state = {"epoch": 0, "best_epoch": 0, "best_test_loss": None, "epochs_since_best": 0, "stopped_early": False,
             "time_s": 0.0, "best_metrics": None, "history": []}
    common = {
        "format": ckpt.CHECKPOINT_FORMAT, "version": ckpt.CHECKPOINT_VERSION, "architecture": args.model,
        "input_size": 224, "model_options": options, "parameters": count_parameters(model),
        "normalisation": {"mean": mean.view(-1).tolist(), "std": std.view(-1).tolist()},
        "label_stats": label_stats, "target": "signed",
        "augment": camera.to_dict() if camera else None,
        "dataset": {
            "export": f"rendered on the fly from {os.path.abspath(args.slides)}",
            "n_train": 0, "n_test": validation_size(validation), "validation_frames": validation.frames,
            "train_slides": sorted(s.name for s in train_slides), "test_slides": sorted(args.exclude),
            "label_method": "d = z - z_focus (um, +z = objective away from the sample); z_focus = the simulator's "
                            "best focus (paraxial focus moved by the spherical aberration's best-focus shift)",
            "setup_name": setup["name"],
            "optics": {k: setup[k] for k in ("setup_id", "magnification", "na", "immersion_index",
                                              "pixel_size_um")},
            "patch_size": 224,
            "rendering": {"grid": args.grid, "phase_rad": list(config.ranges.phase_rad)},
        },
        "training": {
            "framework": f"pytorch {torch.__version__}",
            "command": "python3 -m training.synth_train " + " ".join(shlex.quote(a) for a in argv),
            "seed": args.seed, "batch_size": args.batch_size, "optimizer": "adam", "lr": args.lr,
            "scheduler": "cosine to 1 % over the run", "device": distributed.describe_device(runtime),
            "patience": 0, "max_epochs": 0, "reuse": args.reuse,
            "crop": {"size": args.crop, "share": args.crop_share} if args.crop else None,
        },
        **({"pretraining": ckpt.pretraining_of(init)} if init else {}),
    }

    def validate() -> None:
        elapsed = time.monotonic() - started
        metrics = validation.run(model)
        state["epoch"] += 1
        state["time_s"] = elapsed
        record = {"epoch": state["epoch"], "step": step, "seen": seen, "lr": optimizer.param_groups[0]["lr"],
                  "train_loss": running, **metrics, "elapsed_s": round(elapsed, 1)}
        state["history"].append(record)
        improved = state["best_test_loss"] is None or metrics["test_loss"] < state["best_test_loss"]
        if improved:
            state.update(best_epoch=state["epoch"], best_test_loss=metrics["test_loss"],
                         best_metrics={**metrics, "train_loss": running})
        common["dataset"]["n_train"] = seen
        common["dataset"]["n_rendered"] = rendered
        save(out, common, state, model, improved)
        central = metrics["test_mae_central_um"]  # None when no held-out patch lies within +-5 um
        rate = seen / elapsed
        eta = (budget_s - elapsed) if budget_s else (args.steps - step) * args.batch_size / rate
        drawn = f", {rendered} rendered" if rendered != seen else ""
        print(f"step {step} ({seen} patches{drawn}, {rate:.0f}/s) loss {running:.3f} | held-out MAE "
              f"{metrics['test_mae_um']:.3f} um (+-5 um: {float('nan') if central is None else central:.3f}), RMSE "
              f"{metrics['test_rmse_um']:.3f}, sign errors {100 * metrics['test_sign_error_rate']:.1f} %"
              f"{' *' if improved else ''} | ETA {format_duration(eta)}", file=sys.stderr, flush=True)

    camera_rng = np.random.default_rng([args.seed, 0xCA3E])
    pool = ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) if camera is not None else None
    started = time.monotonic()
    budget_s = args.minutes * 60 if args.minutes else None
    step, seen, rendered, running = 0, 0, 0, None
    kept = RenderedPool(args.pool_size, 224, args.seed + 2) if args.reuse > 1 else None
    windows = torch.Generator()
    windows.manual_seed(args.seed + 3)

    def next_batch():
        """A training batch: all rendered anew, or with --reuse a share anew and the rest drawn from the pool."""
        nonlocal rendered
        fresh = args.batch_size if kept is None or kept.count < args.batch_size else \
            fresh_share(args.batch_size, args.reuse)
        pixels, labels = generator.sample(fresh)
        rendered += fresh
        if kept is None:
            return pixels, labels
        kept.add(pixels, labels)
        if fresh == args.batch_size:
            return pixels, labels
        old_pixels, old_labels = kept.draw(args.batch_size - fresh)
        return (torch.cat([pixels, old_pixels.to(pixels.device, pixels.dtype)]),
                torch.cat([labels, old_labels.to(labels.device, labels.dtype)]))

    while True:
        elapsed = time.monotonic() - started
        fraction = min(1.0, elapsed / budget_s) if budget_s else step / args.steps
        if fraction >= 1.0:
            break
        for group in optimizer.param_groups:
            group["lr"] = args.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * fraction)))
        with torch.no_grad():
            pixels, labels = next_batch()
            if args.crop and fraction < args.crop_share:
                pixels = random_crops(pixels, args.crop, windows)
            if camera is not None:
                pixels = camera_batch(pixels, camera_rng, camera.bayer_p, camera.jpeg_p, camera.jpeg_quality, pool,
                                      camera.greyscale_p, camera.response_p)
            x = ((pixels - mean) / std).contiguous(memory_format=torch.channels_last)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
            pred = model(x).float().view(-1)
            loss = defocus_loss(model, pred, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        seen += labels.numel()
        value = float(loss.detach())
        running = value if running is None else 0.98 * running + 0.02 * value
        if step % args.val_every == 0:
            validate()
    if step % args.val_every:
        validate()  # the run's last steps count too
    if pool is not None:
        pool.shutdown()
    best = state["best_metrics"] or {}
    return {"status": "done", "model": args.model, "run_dir": out, "steps": step, "patches_seen": seen,
            "patches_rendered": rendered,
            "best_epoch": state["best_epoch"], "metrics": best, "time_s": round(time.monotonic() - started, 1),
            "device": distributed.describe_device(runtime)}


def load_init(args: argparse.Namespace) -> Optional[dict]:
    """The --init checkpoint, refused where it cannot continue as this run: another architecture, a magnitude
    target, another optical setup."""
    if not args.init:
        return None
    state = ckpt.load_for_init(args.init, args.model, 224, "signed")
    setup = state["dataset"]["optics"].get("setup_id")
    if setup != args.setup:
        raise TrainingError("init_setup", f"{args.init} was trained for the {setup} setup, not {args.setup}")
    return state


def validation_frames(camera) -> str:
    """Monochrome when every training patch is: the model is for monochrome cameras."""
    return "monochrome" if camera is not None and camera.greyscale_p >= 1 else "colour"


def validation_size(validation: Validation) -> int:
    return sum(int(y.numel()) for _, y in validation.batches)


def save(out: str, common: dict, state: dict, model: torch.nn.Module, improved: bool) -> None:
    weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {**common, **state, "model_state": weights}
    if improved:
        ckpt.save_atomic(payload, os.path.join(out, ckpt.BEST))
    ckpt.save_atomic(payload, os.path.join(out, ckpt.LAST))
    with open(os.path.join(out, "history.jsonl"), "w", encoding="utf-8") as handle:
        for record in state["history"]:
            handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    sys.exit(main())

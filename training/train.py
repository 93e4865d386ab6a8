"""Train a defocus regressor on a FocusStation export.

  /usr/bin/python3 -m training.train --data <export dir> --model ldse-net|resnet50|botnet --out <run dir>
      [--epochs N] [--batch-size 50] [--lr 1e-3] [--step-size N --gamma G] [--patience N] [--seed N]
      [--threads N] [--max-train N] [--resume] [--json]

Several GPUs / processes: torchrun --nproc_per_node=K -m training.train ... (DDP; --batch-size stays global).
Writes <run dir>/last.pt (resume), best.pt (export), history.jsonl and summary.json.
"""
import argparse
import dataclasses
import json
import os
import shlex
import sys
import time
from typing import List, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler

from .focusnet import checkpoint as ckpt
from .focusnet import distributed
from .focusnet.data.augment import PRESETS
from .focusnet.data.dataset import DefocusPatches, channel_stats
from .focusnet.data.manifest import check_split, read_export, select_rows, slide_names
from .focusnet.engine import evaluate, train_one_epoch
from .focusnet.errors import TrainingError
from .focusnet.files import write_json_atomic
from .focusnet.models import ARCHITECTURES, build_model, count_parameters, default_options, head_of
from .focusnet.progress import ProgressBar, format_duration
from .focusnet.seeding import rng_state, seed_everything, set_rng_state, worker_init

IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m training.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="export folder (manifest.csv, dataset.json, images/)")
    parser.add_argument("--model", required=True, choices=ARCHITECTURES)
    parser.add_argument("--out", required=True, help="run folder for checkpoints and the summary")
    parser.add_argument("--epochs", type=int, default=30, help="maximum number of epochs (default 30)")
    parser.add_argument("--batch-size", type=int, default=50, help="global batch size (default 50, as the paper)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--step-size", type=int, default=10, help="StepLR period in epochs (default 10)")
    parser.add_argument("--gamma", type=float, default=0.5, help="StepLR factor (default 0.5)")
    parser.add_argument("--patience", type=int, default=6,
                        help="stop after this many epochs without a better test loss (0 = never; default 6)")
    parser.add_argument("--target", choices=("signed", "magnitude"), default="signed",
                        help="what the network regresses: the signed defocus d (default, the paper's), or |d| when "
                             "the training images carry no usable cue to the side of focus; the autofocus loop then "
                             "finds the side with its first move (docs/training.md)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: the CPUs this process may use)")
    parser.add_argument("--workers", type=int, default=1, help="DataLoader worker processes (default 1)")
    parser.add_argument("--max-train", type=int, default=None, help="use at most N train images (seeded subset)")
    parser.add_argument("--max-test", type=int, default=None, help="use at most N test images (seeded subset)")
    parser.add_argument("--setup", default=None, help="train on this setup_id only (needed if the export mixes "
                                                      "pixel sizes)")
    parser.add_argument("--patch-size", type=int, default=224, help="model input size in px (default 224)")
    parser.add_argument("--model-options", default=None,
                        help='JSON overriding architecture options, e.g. \'{"growth_rate": 12}\' for ldse-net')
    parser.add_argument("--normalisation", choices=("train", "imagenet"), default="train",
                        help="input mean/std: measured on the train split (default) or ImageNet's")
    parser.add_argument("--no-augment", action="store_true", help="switch augmentation off")
    parser.add_argument("--augment", choices=sorted(PRESETS), default="colour",
                        help="augmentations besides flips and rotations: 'colour' jitter, greyscale and noise "
                             "(default), 'camera' a demosaiced Bayer mosaic and JPEG (focusnet/data/"
                             "camera_pipeline.py), 'camera+grey' that and monochrome patches, 'camera+response' that "
                             "and other labs' exposure, lamp colour and tone curve (camera_response.py), 'all' "
                             "colour and camera")
    parser.add_argument("--greyscale-p", type=float, default=None, metavar="P",
                        help="share of training patches turned monochrome (luminance in three channels), instead of "
                             "the --augment preset's (0.3 in 'camera+grey')")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--cache-mb", type=int, default=512, help="decoded full-frame cache per process (MB)")
    parser.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    parser.add_argument("--init", default=None, metavar="CHECKPOINT",
                        help="start from this checkpoint's weights (fine-tuning, e.g. a training.synth_train run); "
                             "its model options and input normalisation are kept")
    parser.add_argument("--json", action="store_true", help="print the final summary as JSON on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "step_size", "patch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.lr <= 0 or not 0 < args.gamma <= 1:
        parser.error("--lr must be > 0 and --gamma in (0, 1]")
    if args.greyscale_p is not None and not 0 <= args.greyscale_p <= 1:
        parser.error("--greyscale-p must be in [0, 1]")
    return args


def command_line(argv: List[str], world_size: int) -> str:
    prefix = f"torchrun --nproc_per_node={world_size} -m training.train" if world_size > 1 \
        else "python3 -m training.train"
    return f"{prefix} {shlex.join(argv)}".strip()


class Run:
    """Everything one training run holds: data, model, optimiser, bookkeeping."""

    def __init__(self, args: argparse.Namespace, argv: List[str], runtime: distributed.Runtime):
        self.args, self.runtime = args, runtime
        self.out = os.path.abspath(args.out)
        self.last_path, self.best_path = os.path.join(self.out, ckpt.LAST), os.path.join(self.out, ckpt.BEST)
        resume_state = self._resume_state()
        init_state = self._init_state() if not resume_state else None
        seed_everything(args.seed)
        export = read_export(args.data)
        rows = select_rows(export.rows, args.setup)
        check_split(rows)
        if resume_state and resume_state.get("target", "signed") != args.target:
            raise TrainingError("resume_target", f"{self.last_path} was trained with --target "
                                                 f"{resume_state.get('target', 'signed')}, not {args.target}")
        if args.target == "magnitude":
            rows = [dataclasses.replace(r, defocus_um=abs(r.defocus_um)) for r in rows]
        train_rows = _subset([r for r in rows if r.split == "train"], args.max_train, args.seed)
        test_rows = _subset([r for r in rows if r.split == "test"], args.max_test, args.seed + 1)
        self.train_rows, self.test_rows = train_rows, test_rows
        self._build_model(resume_state, init_state)
        if resume_state or init_state:
            source = resume_state or init_state
            self.mean, self.std = source["normalisation"]["mean"], source["normalisation"]["std"]
        elif args.normalisation == "imagenet":
            self.mean, self.std = IMAGENET_MEAN, IMAGENET_STD
        else:
            probe = DefocusPatches(train_rows, args.patch_size, train=False, mean=[0, 0, 0], std=[1, 1, 1],
                                   cache_mb=args.cache_mb)
            self.mean, self.std = channel_stats(probe, seed=args.seed)
        self.augment = None if args.no_augment else PRESETS[args.augment]
        if self.augment is not None and args.greyscale_p is not None:
            self.augment = dataclasses.replace(self.augment, greyscale_p=args.greyscale_p)
        self.train_set = DefocusPatches(train_rows, args.patch_size, True, self.mean, self.std, self.augment,
                                        args.seed, args.cache_mb)
        self.test_set = DefocusPatches(test_rows, args.patch_size, False, self.mean, self.std, None, args.seed,
                                       args.cache_mb)
        self.dataset_info = self._dataset_info(export, rows)
        if resume_state or init_state:
            _check_same_optics((resume_state or init_state)["dataset"]["optics"], self.dataset_info["optics"])
        self.pretraining = resume_state.get("pretraining") if resume_state else ckpt.pretraining_of(init_state)
        self._build_loaders()
        self.command = command_line(argv, runtime.world_size)
        self.state = {"epoch": 0, "best_epoch": 0, "best_test_loss": None, "epochs_since_best": 0,
                      "stopped_early": False, "history": [], "time_s": 0.0, "best_metrics": None}
        if resume_state:
            self._restore(resume_state)

    # --- setup -------------------------------------------------------------------------------------------
    def _resume_state(self) -> Optional[dict]:
        if self.args.resume:
            if not os.path.exists(self.last_path):
                raise TrainingError("nothing_to_resume", f"--resume: no {ckpt.LAST} in {self.out}")
            state = ckpt.load(self.last_path)
            if state["architecture"] != self.args.model or state["input_size"] != self.args.patch_size:
                raise TrainingError("resume_mismatch", f"{self.last_path} is a {state['architecture']} run at "
                                                       f"{state['input_size']} px, not {self.args.model} at "
                                                       f"{self.args.patch_size} px")
            return state
        if os.path.exists(self.last_path):
            raise TrainingError("run_exists", f"{self.out} already holds a run ({ckpt.LAST}): add --resume to "
                                              "continue it or choose another --out")
        return None

    def _init_state(self) -> Optional[dict]:
        args = self.args
        if not args.init:
            return None
        return ckpt.load_for_init(args.init, args.model, args.patch_size, args.target)

    def _build_model(self, resume_state: Optional[dict], init_state: Optional[dict] = None) -> None:
        args = self.args
        given = resume_state or init_state
        self.options = given["model_options"] if given else \
            {**default_options(args.model), **_json_options(args.model_options)}
        if self.options.get("head", "linear") != "linear" and args.target != "signed":
            raise TrainingError("model_options", f"head {self.options['head']} reads the side of focus: it needs "
                                                 "--target signed")
        model = build_model(args.model, args.patch_size, self.options)
        labels = np.array([row.defocus_um for row in self.train_rows], dtype=np.float64)
        self.label_stats = {"mean": float(labels.mean()), "std": float(labels.std())}
        head_of(model).set_label_stats(self.label_stats["mean"], self.label_stats["std"])
        if init_state:  # its head keeps the output scale it was trained with
            model.load_state_dict(init_state["model_state"])
            self.label_stats = dict(init_state["label_stats"])
        model.to(self.runtime.device)
        self.core = model
        if self.runtime.distributed:
            device_ids = [self.runtime.local_rank] if self.runtime.device.type == "cuda" else None
            model = torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=args.step_size, gamma=args.gamma)

    def _build_loaders(self) -> None:
        args, runtime = self.args, self.runtime
        per_process = max(1, args.batch_size // runtime.world_size)
        # DistributedSampler with one replica is a seeded shuffle keyed by (seed, epoch): same order on resume.
        self.sampler = DistributedSampler(self.train_set, num_replicas=runtime.world_size, rank=runtime.rank,
                                          shuffle=True, seed=args.seed, drop_last=False)
        common = {"num_workers": args.workers, "worker_init_fn": worker_init if args.workers else None,
                  "pin_memory": runtime.device.type == "cuda", "persistent_workers": False}
        self.train_loader = DataLoader(self.train_set, batch_size=per_process, sampler=self.sampler, **common)
        shard = Subset(self.test_set, list(range(runtime.rank, len(self.test_set), runtime.world_size)))
        self.test_loader = DataLoader(shard, batch_size=per_process, shuffle=False, **common)

    def _dataset_info(self, export, rows) -> dict:
        setup_ids = sorted({row.setup_id for row in rows})
        first = rows[0]
        setup = export.setup(first.setup_id) if len(setup_ids) == 1 else None
        if setup and setup.get("pixel_size_um") is not None:
            if abs(float(setup["pixel_size_um"]) - first.pixel_size_um) > 1e-6 * first.pixel_size_um:
                raise TrainingError("pixel_size_mismatch",
                                    f"dataset.json gives setup {first.setup_id} pixel_size_um "
                                    f"{setup['pixel_size_um']} but the images are {first.pixel_size_um} um/px")
        optics = {"setup_id": first.setup_id if len(setup_ids) == 1 else "+".join(setup_ids),
                  "magnification": first.magnification, "na": first.na,
                  "immersion_index": (setup or {}).get("immersion_index", 1.0),
                  "pixel_size_um": first.pixel_size_um}
        names = slide_names(export.info)
        return {
            "export": export.root,
            "n_train": len(self.train_set), "n_test": len(self.test_set),
            "train_slides": sorted({names.get(r.slide_id, r.slide_id) for r in self.train_rows}),
            "test_slides": sorted({names.get(r.slide_id, r.slide_id) for r in self.test_rows}),
            "label_method": str(export.info.get("label_method", "unknown")),
            "setup_name": (setup or {}).get("name"),
            "optics": optics, "patch_size": self.args.patch_size,
        }

    def _restore(self, state: dict) -> None:
        self.core.load_state_dict(state["model_state"])
        self.optimizer.load_state_dict(state["optimizer_state"])
        self.scheduler.load_state_dict(state["scheduler_state"])
        set_rng_state(state["rng_state"])
        self.label_stats = state["label_stats"]
        for key in self.state:
            self.state[key] = state[key]

    # --- loop ----------------------------------------------------------------------------------------------
    def fit(self) -> dict:
        args, runtime, state = self.args, self.runtime, self.state
        patience_hit = args.patience and state["epochs_since_best"] >= args.patience
        while state["epoch"] < args.epochs and not patience_hit:
            epoch = state["epoch"] + 1
            started = time.monotonic()
            self.sampler.set_epoch(epoch)
            self.train_set.set_epoch(epoch)
            lr = self.optimizer.param_groups[0]["lr"]
            bar = ProgressBar(len(self.train_set), f"epoch {epoch}/{args.epochs} train",
                              enabled=runtime.is_main and not args.quiet, epochs_after=args.epochs - epoch)
            train_loss = train_one_epoch(self.model, self.train_loader, self.optimizer, runtime, bar)
            bar.close()
            # The unwrapped module: DDP's forward broadcasts buffers, which would deadlock when ranks hold
            # different numbers of test batches.
            metrics = evaluate(self.core, self.test_loader, runtime)
            self.scheduler.step()
            elapsed = time.monotonic() - started
            state["time_s"] += elapsed
            state["epoch"] = epoch
            record = {"epoch": epoch, "lr": lr, "train_loss": train_loss, **metrics, "epoch_time_s": elapsed}
            state["history"].append(record)
            improved = state["best_test_loss"] is None or metrics["test_loss"] < state["best_test_loss"]
            if improved:
                state.update(best_epoch=epoch, best_test_loss=metrics["test_loss"], epochs_since_best=0,
                             best_metrics={**metrics, "train_loss": train_loss})
            else:
                state["epochs_since_best"] += 1
            patience_hit = bool(args.patience and state["epochs_since_best"] >= args.patience)
            state["stopped_early"] = patience_hit and epoch < args.epochs
            if runtime.is_main:
                self._log_epoch(record, improved)
                self._save(improved)
            distributed.barrier(runtime)
        return self.summary()

    def _log_epoch(self, record: dict, improved: bool) -> None:
        if self.args.quiet:
            return
        mark = " *best*" if improved else ""
        sys.stderr.write(f"epoch {record['epoch']}: train loss {record['train_loss']:.5g}, test loss "
                         f"{record['test_loss']:.5g} (RMSE {record['test_rmse_um']:.4g} um, MAE "
                         f"{record['test_mae_um']:.4g} um{_sign_text(record)}), lr {record['lr']:.3g}, "
                         f"{format_duration(record['epoch_time_s'])}{mark}\n")
        sys.stderr.flush()

    # --- persistence -------------------------------------------------------------------------------------------
    def _common(self) -> dict:
        args = self.args
        return {
            "format": ckpt.CHECKPOINT_FORMAT, "version": ckpt.CHECKPOINT_VERSION,
            "architecture": args.model, "input_size": args.patch_size, "model_options": self.options,
            "parameters": count_parameters(self.core),
            "normalisation": {"mean": list(self.mean), "std": list(self.std)},
            "label_stats": self.label_stats,
            "target": args.target,
            "pretraining": self.pretraining,
            "augment": self.augment.to_dict() if self.augment else None,
            "dataset": self.dataset_info,
            "training": {
                "framework": f"pytorch {torch.__version__}", "command": self.command, "seed": args.seed,
                "batch_size": args.batch_size, "optimizer": "adam", "lr": args.lr,
                "scheduler": f"step({self.scheduler.step_size}, {self.scheduler.gamma})",
                "device": self.device_text(), "patience": args.patience, "max_epochs": args.epochs,
            },
            **{key: value for key, value in self.state.items()},
        }

    def _save(self, improved: bool) -> None:
        os.makedirs(self.out, exist_ok=True)
        common = self._common()
        model_state = {k: v.detach().cpu() for k, v in self.core.state_dict().items()}
        if improved:
            ckpt.save_atomic({**common, "model_state": model_state}, self.best_path)
        ckpt.save_atomic({**common, "model_state": model_state,
                          "optimizer_state": self.optimizer.state_dict(),
                          "scheduler_state": self.scheduler.state_dict(),
                          "rng_state": rng_state()}, self.last_path)
        with open(os.path.join(self.out, "history.jsonl"), "w", encoding="utf-8") as handle:
            for record in self.state["history"]:
                handle.write(json.dumps(record) + "\n")
        write_json_atomic(os.path.join(self.out, "summary.json"), self.summary())

    def device_text(self) -> str:
        return distributed.describe_device(self.runtime)

    def summary(self) -> dict:
        state = self.state
        history = state["history"]
        best = state["best_metrics"] or {}
        return {
            "status": "early_stopped" if state["stopped_early"] else "done",
            "model": self.args.model, "run_dir": self.out,
            "best_checkpoint": self.best_path if history else None,
            "epochs_run": state["epoch"], "best_epoch": state["best_epoch"],
            "final_train_loss": best.get("train_loss"), "final_test_loss": best.get("test_loss"),
            "last_train_loss": history[-1]["train_loss"] if history else None,
            "last_test_loss": history[-1]["test_loss"] if history else None,
            "metrics": {k: best.get(k) for k in ("test_rmse_um", "test_mae_um", "test_error_std_um",
                                                 "test_bias_um")},
            "n_train": len(self.train_set), "n_test": len(self.test_set),
            "parameters": count_parameters(self.core), "time_s": round(state["time_s"], 2),
            "device": self.device_text(), "normalisation": {"mean": self.mean, "std": self.std},
        }


def describe(summary: dict) -> str:
    if not summary["epochs_run"]:
        return f"{summary['status']}: no epoch run"
    metrics = summary["metrics"]
    return (f"{summary['status']}: {summary['model']} {summary['epochs_run']} epochs, best epoch "
            f"{summary['best_epoch']} test loss {summary['final_test_loss']:.5g} (RMSE "
            f"{metrics['test_rmse_um']:.4g} um, MAE {metrics['test_mae_um']:.4g} um), "
            f"{format_duration(summary['time_s'])}; best checkpoint {summary['best_checkpoint']}")


def _check_same_optics(saved: dict, current: dict) -> None:
    if abs(saved["pixel_size_um"] - current["pixel_size_um"]) > 1e-6 * saved["pixel_size_um"]:
        raise TrainingError("resume_mismatch", f"the checkpoint was trained at {saved['pixel_size_um']} um/px, "
                                               f"these images are {current['pixel_size_um']} um/px")


def _sign_text(record: dict) -> str:
    rate = record.get("test_sign_error_rate")
    return "" if rate is None else f", sign errors {100 * rate:.1f} %"


def _json_options(text: Optional[str]) -> dict:
    if not text:
        return {}
    try:
        options = json.loads(text)
    except ValueError as error:
        raise TrainingError("model_options", f"--model-options is not JSON: {error}") from error
    if not isinstance(options, dict):
        raise TrainingError("model_options", "--model-options must be a JSON object")
    return options


def _subset(rows, limit: Optional[int], seed: int):
    if limit is None or limit >= len(rows):
        return list(rows)
    chosen = np.random.default_rng(seed).choice(len(rows), size=limit, replace=False)
    return [rows[i] for i in sorted(chosen.tolist())]


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    # Debian's torch defaults to one thread here; use every CPU this process may run on unless told.
    torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
    runtime = None
    try:
        runtime = distributed.start(args.device)
        run = Run(args, argv, runtime)
        summary = run.fit()
    except (TrainingError, FloatingPointError) as error:
        code = getattr(error, "code", type(error).__name__)
        message = getattr(error, "message", str(error))
        sys.stderr.write(f"error: {message}\n")
        if args.json:
            print(json.dumps({"error": {"code": code, "message": message}}))
        return 2
    finally:
        if runtime is not None:
            distributed.stop(runtime)
    if runtime.is_main:
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print(describe(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

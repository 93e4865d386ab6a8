"""Throughput of the three architectures on this machine, to plan training budgets.

  /usr/bin/python3 -m training.bench [--models ldse-net,resnet50,botnet] [--threads 2] [--batch-size 50]
      [--steps 3] [--repeats 3] [--json]
  /usr/bin/python3 -m training.bench --render --slides ../shared/data/slides [--setups 20x,40x] [--json]

--render times the rendered stream of training.synth_train instead: patches/s per setup on the fine grid (the
TypeScript simulator's) and on the camera grid, in the same run, with their ratio; a run on rendered patches
trains no faster than its stream.

Training: Adam + MSE steps on random 224x224 batches (images/s). Inference: eval-mode PyTorch forward
(ms per patch, batched). Each figure is the best of --repeats wall-clock timings, which on a shared machine is the
closest to an idle one; the median is reported too, and so is the process CPU time per image (a busy machine
inflates wall time much more than CPU time; threads / CPU time estimates the idle throughput).
"""
import argparse
import json
import os
import statistics
import sys
import time
from typing import List, Optional, Tuple

import torch
from torch import nn

from .focusnet.models import ARCHITECTURES, build_model, count_parameters
from .focusnet.optics import GeneratorConfig, PatchGenerator, load_slides


def time_training(model: nn.Module, batch: int, size: int, steps: int) -> Tuple[float, float]:
    """(wall s, CPU s) per image."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, labels = torch.randn(batch, 3, size, size), torch.randn(batch, 1)
    model.train()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        nn.functional.mse_loss(model(inputs), labels).backward()
        optimizer.step()
    return (time.perf_counter() - started) / (steps * batch), (time.process_time() - cpu) / (steps * batch)


@torch.no_grad()
def time_inference(model: nn.Module, batch: int, size: int, steps: int) -> Tuple[float, float]:
    inputs = torch.randn(batch, 3, size, size)
    model.eval()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model(inputs)
    return (time.perf_counter() - started) / (steps * batch), (time.process_time() - cpu) / (steps * batch)


def bench(architecture: str, batch: int, size: int, steps: int, repeats: int, infer_batch: int) -> dict:
    torch.manual_seed(0)
    model = build_model(architecture, size)
    time_training(model, batch, size, 1)  # warm-up (allocator, oneDNN primitives)
    train = [time_training(model, batch, size, steps) for _ in range(repeats)]
    time_inference(model, infer_batch, size, 1)
    infer = [time_inference(model, infer_batch, size, steps) for _ in range(repeats)]
    train_wall, train_cpu = [t[0] for t in train], [t[1] for t in train]
    infer_wall, infer_cpu = [t[0] for t in infer], [t[1] for t in infer]
    return {
        "model": architecture, "parameters": count_parameters(model), "batch_size": batch,
        "train_images_per_s": round(1 / min(train_wall), 1),
        "train_images_per_s_median": round(1 / statistics.median(train_wall), 1),
        "train_cpu_s_per_image": round(min(train_cpu), 4),
        "inference_batch": infer_batch, "inference_ms_per_patch": round(1000 * min(infer_wall), 2),
        "inference_ms_per_patch_median": round(1000 * statistics.median(infer_wall), 2),
        "inference_cpu_ms_per_patch": round(1000 * min(infer_cpu), 2),
        "load_average": round(os.getloadavg()[0], 1),
    }


def bench_render(slides_folder: str, setup: str, camera_grid: bool, batch: int, repeats: int) -> dict:
    config = GeneratorConfig(setup=setup, camera_grid=camera_grid)
    pitch, _, size = config.grid()
    generator = PatchGenerator(load_slides(slides_folder, pitch, torch.device("cpu")), config, 0,
                               torch.device("cpu"))
    generator.sample(batch)  # warm-up
    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        generator.sample(batch)
        walls.append((time.perf_counter() - started) / batch)
    return {"setup": setup, "grid": "camera" if camera_grid else "fine", "fft_grid": size,
            "pitch_um": round(pitch, 5), "patches_per_s": round(1 / min(walls), 1),
            "patches_per_s_median": round(1 / statistics.median(walls), 1),
            "load_average": round(os.getloadavg()[0], 1)}


def main_render(args: argparse.Namespace) -> int:
    if not args.slides:
        print("error: --render needs --slides <folder>", file=sys.stderr)
        return 2
    rows = []
    for setup in args.setups.split(","):
        fine = bench_render(args.slides, setup, False, args.batch_size, args.repeats)
        rows.append(fine)
        if GeneratorConfig(setup=setup).pixel_bins() > 1:  # the camera grid differs only where it bins
            camera = bench_render(args.slides, setup, True, args.batch_size, args.repeats)
            camera["vs_fine"] = round(camera["patches_per_s"] / fine["patches_per_s"], 2)
            rows.append(camera)
    if args.json:
        print(json.dumps({"threads": args.threads, "torch": torch.__version__, "render": rows}, indent=2))
        return 0
    for row in rows:
        ratio = f"  {row['vs_fine']:.2f}x the fine grid" if "vs_fine" in row else ""
        print(f"{row['setup']} {row['grid']:6s} grid {row['fft_grid']:4d}^2 at {row['pitch_um']} um: "
              f"{row['patches_per_s']:6.1f} patches/s (median {row['patches_per_s_median']}){ratio}, "
              f"load {row['load_average']}", flush=True)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m training.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(ARCHITECTURES))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--inference-batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--render", action="store_true", help="time the rendered patch stream instead")
    parser.add_argument("--slides", default=None, help="slide folder (--render)")
    parser.add_argument("--setups", default="20x,40x", help="setups to render (--render)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.render:
        return main_render(args)
    results = []
    for architecture in args.models.split(","):
        result = bench(architecture, args.batch_size, args.size, args.steps, args.repeats, args.inference_batch)
        results.append(result)
        if not args.json:
            print(f"{architecture:9s} {result['parameters']:>10,d} params  train {result['train_images_per_s']:7.1f} "
                  f"img/s (median {result['train_images_per_s_median']})  inference "
                  f"{result['inference_ms_per_patch']:.2f} ms/patch (median {result['inference_ms_per_patch_median']}); "
                  f"CPU s/image train {result['train_cpu_s_per_image']}, load {result['load_average']}",
                  flush=True)
    if args.json:
        print(json.dumps({"threads": args.threads, "torch": torch.__version__, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

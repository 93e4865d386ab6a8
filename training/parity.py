"""PyTorch vs onnxruntime-node parity for an exported model.

  /usr/bin/python3 -m training.parity --model <id>.onnx --checkpoint <run dir>/best.pt
      [--n 4] [--seed 0] [--tolerance 1e-4] [--json]

Writes seeded random inputs and the PyTorch outputs to a temporary folder, runs
training/parity/onnx-parity.mjs (onnxruntime-node, from the repository's node_modules) and fails (exit 1)
when the largest absolute difference exceeds the tolerance (um). Exit 2: bad input; 3: node missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import List, Optional

import numpy as np
import torch

from .export import INPUT_NAME, OUTPUT_NAME, load_model
from .focusnet import checkpoint as ckpt
from .focusnet.errors import TrainingError

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parity", "onnx-parity.mjs")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_case(state: dict, folder: str, n: int, seed: int) -> np.ndarray:
    model = load_model(state)
    size = state["input_size"]
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, size, size, generator=generator)  # the range normalised patches have
    with torch.no_grad():
        expected = model(inputs)
    inputs.numpy().astype("<f4").tofile(os.path.join(folder, "inputs.f32"))
    expected.numpy().astype("<f4").tofile(os.path.join(folder, "expected.f32"))
    with open(os.path.join(folder, "meta.json"), "w", encoding="utf-8") as handle:
        json.dump({"input_shape": [n, 3, size, size], "input_name": INPUT_NAME, "output_name": OUTPUT_NAME,
                   "threads": 1}, handle)
    return expected.numpy()


def run_node(model_path: str, folder: str, node: str) -> dict:
    completed = subprocess.run([node, SCRIPT, os.path.abspath(model_path), folder], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=600)
    if completed.returncode != 0:
        raise TrainingError("parity_node_failed", f"onnx-parity.mjs failed: {completed.stderr.strip()}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def check_parity(model_path: str, checkpoint_path: str, n: int = 4, seed: int = 0,
                 tolerance: float = 1e-4, node: Optional[str] = None) -> dict:
    node = node or shutil.which("node")
    if not node:
        raise TrainingError("node_missing", "node is not on PATH: the parity check runs onnxruntime-node")
    if not os.path.isfile(model_path):
        raise TrainingError("model_missing", f"ONNX model not found: {model_path}")
    state = ckpt.load(checkpoint_path)
    with tempfile.TemporaryDirectory(prefix="focusnet-parity-") as folder:
        expected = write_case(state, folder, n, seed)
        result = run_node(model_path, folder, node)
    worst = max(result["max_abs_diff"], result["max_abs_diff_batch1"])
    return {**result, "tolerance_um": tolerance, "passed": bool(worst <= tolerance),
            "torch_output_range": [float(expected.min()), float(expected.max())]}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m training.parity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="exported <id>.onnx")
    parser.add_argument("--checkpoint", required=True, help="the checkpoint it was exported from")
    parser.add_argument("--n", type=int, default=4, help="random patches to compare (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-4, help="max abs difference in um (default 1e-4)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        result = check_parity(args.model, args.checkpoint, args.n, args.seed, args.tolerance)
    except TrainingError as error:
        sys.stderr.write(f"error: {error.message}\n")
        return 3 if error.code == "node_missing" else 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        verdict = "OK" if result["passed"] else "FAILED"
        print(f"parity {verdict}: max |torch - onnxruntime-node| = {result['max_abs_diff']:.3g} um over "
              f"{result['n']} patches (batch of 1: {result['max_abs_diff_batch1']:.3g} um), "
              f"tolerance {args.tolerance:g} um")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

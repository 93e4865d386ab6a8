"""A checkpoint's weights in float16: half the file, for bringing a baseline back from a machine whose copies out are
limited (the GPU machine returns at most 64 MiB in files of 16 MiB; a ResNet50 checkpoint is 94 MB, 47 MB as halves).

  /usr/bin/python3 -m training.half --checkpoint <run>/best.pt --out <file>.pt [--json]

Only the floating-point tensors of `model_state` change; everything else (card fields, history, label statistics)
is kept, and `weights_dtype` says what was done. Export and evaluation load it as they load any checkpoint:
`load_state_dict` copies the halves into the float32 model, so the exported ONNX holds the rounded weights and the
parity check compares like with like. The rounding moves predictions by far less than the models' errors (the test
measures it on a small model), but a card's metrics were measured before it: re-evaluate where it matters.
"""
import argparse
import json
import os
import sys
from typing import List, Optional

import torch

from .focusnet import checkpoint as ckpt
from .focusnet.errors import TrainingError


def halve(state: dict) -> dict:
    """The checkpoint with its floating-point weights as float16 (integer buffers such as batch counts untouched)."""
    weights = {name: (tensor.half() if tensor.is_floating_point() else tensor)
               for name, tensor in state["model_state"].items()}
    return {**state, "model_state": weights, "weights_dtype": "float16"}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m training.half", description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="a training checkpoint (best.pt or last.pt)")
    parser.add_argument("--out", required=True, help="checkpoint file to write")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if os.path.abspath(args.out) == os.path.abspath(args.checkpoint):
        parser.error("--out must differ from --checkpoint: the float32 weights would be lost")
    try:
        ckpt.save_atomic(halve(ckpt.load(args.checkpoint)), args.out)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sizes = {"bytes_before": os.path.getsize(args.checkpoint), "bytes_after": os.path.getsize(args.out)}
    print(json.dumps({"status": "done", "checkpoint": os.path.abspath(args.out), **sizes}) if args.json else
          f"{args.out}: {sizes['bytes_after']} bytes (was {sizes['bytes_before']}), weights in float16")
    return 0


if __name__ == "__main__":
    sys.exit(main())

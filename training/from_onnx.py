"""A training checkpoint recovered from an exported LDSE-NET (ONNX + model card), so a run can continue from a
shipped or user model when its PyTorch checkpoint is not at hand (`synth_train --init`, `train --init`).

  /usr/bin/python3 -m training.from_onnx --model resources/models/ldse-net-20x.onnx --out <file>.pt
      [--slides ../shared/data/slides] [--calibrate 256] [--seed 0] [--json]

The export keeps every weight, but torch's ONNX export folds each batch norm that follows a convolution into that
convolution (the stem, and the 1x1 conv of every dense layer). In eval mode the folded convolution is exact with an
identity batch norm behind it; in train mode that batch norm would normalise by the batch and change what the
network computes. So the recovered batch norm carries the folded convolution's own output statistics, measured on
rendered patches of the model's setup: in eval mode the network is unchanged (training.parity against the original
file checks it), and in train mode the batch statistics it divides by are close to those it multiplies back.
"""
import argparse
import json
import os
import sys
from typing import Callable, List, Optional, Tuple

import onnx
import torch
from onnx import numpy_helper
from torch import nn

from .focusnet import checkpoint as ckpt
from .focusnet.errors import TrainingError
from .focusnet.models import build_model, count_parameters, default_options


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m training.from_onnx", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="an exported LDSE-NET .onnx with its card (.json) beside it")
    parser.add_argument("--out", required=True, help="checkpoint file to write")
    parser.add_argument("--slides", default=os.path.join("..", "shared", "data", "slides"),
                        help="slides to render the calibration patches from (default ../shared/data/slides)")
    parser.add_argument("--calibrate", type=int, default=256, metavar="N",
                        help="rendered patches that measure the folded convolutions' statistics (default 256)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.calibrate < 8:
        parser.error("--calibrate needs at least 8 patches")
    return args


def read_card(onnx_path: str) -> dict:
    card_path = os.path.splitext(onnx_path)[0] + ".json"
    try:
        with open(card_path, encoding="utf-8") as handle:
            card = json.load(handle)
    except (OSError, ValueError) as error:
        raise TrainingError("card_missing", f"Cannot read the model card {card_path}: {error}") from error
    if card.get("architecture") != "ldse-net":
        raise TrainingError("card_architecture", f"{card_path}: only LDSE-NET exports can be recovered, "
                                                 f"not {card.get('architecture')!r}")
    return card


def read_onnx(path: str) -> Tuple[dict, list]:
    try:
        graph = onnx.load(path).graph
    except Exception as error:  # protobuf raises several types for a damaged file
        raise TrainingError("onnx_corrupt", f"Cannot read {path}: {error}") from error
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    return weights, [n for n in graph.node if n.op_type == "Conv"]


def build_from(card: dict, weights: dict) -> nn.Module:
    options = default_options("ldse-net")
    head_weight = weights.get("head.linear.weight")
    if head_weight is None:
        raise TrainingError("onnx_layout", "the ONNX file has no head.linear.weight: not an LDSE-NET export")
    options["head"] = "side-magnitude" if head_weight.shape[0] == 2 else "linear"
    model = build_model("ldse-net", int(card["input"]["height"]), options)
    if card.get("parameters") and count_parameters(model) != card["parameters"]:
        raise TrainingError("onnx_layout", f"the card says {card['parameters']} parameters; the default LDSE-NET "
                                           f"layout has {count_parameters(model)}")
    return model.eval()


def load_weights(model: nn.Module, weights: dict, conv_nodes: list) -> List[Tuple[nn.BatchNorm2d, torch.Tensor]]:
    """Named initializers by name; folded convolutions by order (torch's Conv2d modules and the graph's Conv nodes
    follow the same forward order). Returns the batch norms behind folded convolutions with the folded bias."""
    state = model.state_dict()
    for name, value in weights.items():
        if name in state:
            if state[name].shape != value.shape:
                raise TrainingError("onnx_layout", f"{name}: {tuple(value.shape)} in the file, "
                                                   f"{tuple(state[name].shape)} in the model")
            state[name].copy_(value)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if len(convs) != len(conv_nodes):
        raise TrainingError("onnx_layout", f"{len(conv_nodes)} Conv nodes in the file, {len(convs)} in the model")
    follower = _following_modules(model)
    folded = []
    for conv, node in zip(convs, conv_nodes):
        weight = weights[node.input[1]]
        if weight.shape != conv.weight.shape:
            raise TrainingError("onnx_layout", f"Conv {node.name}: {tuple(weight.shape)} in the file, "
                                               f"{tuple(conv.weight.shape)} in the model")
        with torch.no_grad():
            conv.weight.copy_(weight)
            if len(node.input) > 2 and conv.bias is None:  # batch norm folded in
                norm = follower.get(conv)
                if not isinstance(norm, nn.BatchNorm2d):
                    raise TrainingError("onnx_layout", f"Conv {node.name} has a bias but no batch norm behind it")
                bias = weights[node.input[2]]
                _identity(norm, bias)
                folded.append((norm, bias))
            elif len(node.input) > 2:
                conv.bias.copy_(weights[node.input[2]])
    return folded


def _following_modules(model: nn.Module) -> dict:
    """Each module inside an nn.Sequential mapped to the one after it."""
    after = {}
    for module in model.modules():
        if isinstance(module, nn.Sequential):
            children = list(module.children())
            after.update(zip(children[:-1], children[1:]))
    return after


def _identity(norm: nn.BatchNorm2d, bias: torch.Tensor) -> None:
    with torch.no_grad():
        norm.weight.fill_(1.0)
        norm.bias.copy_(bias)
        norm.running_mean.zero_()
        norm.running_var.fill_(1.0 - norm.eps)


def calibrate(model: nn.Module, folded: list, patches: torch.Tensor) -> None:
    """Give each identity batch norm its input's measured mean and variance, keeping eval-mode output unchanged:
    (y - m) / sqrt(v + eps) * sqrt(v + eps) + (m + bias) = y + bias."""
    stats = {}
    hooks = [norm.register_forward_pre_hook(_recorder(stats, norm)) for norm, _ in folded]
    try:
        with torch.no_grad():
            model(patches)
    finally:
        for hook in hooks:
            hook.remove()
    with torch.no_grad():
        for norm, bias in folded:
            mean, var = stats[norm]
            norm.running_mean.copy_(mean)
            norm.running_var.copy_(var)
            norm.weight.copy_(torch.sqrt(var + norm.eps))
            norm.bias.copy_(mean + bias)


def _recorder(stats: dict, norm: nn.BatchNorm2d):
    def record(_module, inputs):
        y = inputs[0].double()
        stats[norm] = (y.mean(dim=(0, 2, 3)).float(), y.var(dim=(0, 2, 3), unbiased=False).float())
    return record


def rendered_patches(card: dict, slides: str, n: int, seed: int) -> torch.Tensor:
    """Normalised patches of the model's setup, as synth_train renders them."""
    from .focusnet.optics import PatchGenerator, load_slides
    from .focusnet.optics.options import render_config
    from .synth_train import parse_args as synth_args

    setup = card["optics"]["setup_id"]
    config = render_config(synth_args(["--slides", slides, "--setup", setup, "--out", "-", "--grid", "camera"]))
    generator = PatchGenerator(load_slides(slides, config.grid()[0], torch.device("cpu")), config, seed,
                               torch.device("cpu"))
    pixels = torch.cat([generator.sample(min(32, n - i))[0] for i in range(0, n, 32)])
    mean = torch.tensor(card["input"]["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["input"]["std"]).view(1, 3, 1, 1)
    return (pixels - mean) / std


def checkpoint_state(card: dict, model: nn.Module, onnx_path: str) -> dict:
    training = card.get("training", {})
    dataset = dict(training.get("dataset", {}))
    dataset.setdefault("export", "unknown")
    dataset.setdefault("n_train", 0)
    dataset["optics"] = card["optics"]
    head = model.head
    return {
        "format": ckpt.CHECKPOINT_FORMAT, "version": ckpt.CHECKPOINT_VERSION, "architecture": "ldse-net",
        "input_size": int(card["input"]["height"]), "model_options": model.config.to_dict(),
        "parameters": count_parameters(model),
        "normalisation": {"mean": list(card["input"]["mean"]), "std": list(card["input"]["std"])},
        "label_stats": {"mean": float(head.out_shift), "std": float(head.out_scale)},
        "target": card["output"].get("target", "signed"),
        "dataset": dataset,
        "training": {**{k: v for k, v in training.items() if k not in ("dataset", "pretraining")},
                     "command": training.get("command", f"exported model {os.path.basename(onnx_path)}"),
                     "device": training.get("device", "unknown")},
        **({"pretraining": training["pretraining"]} if training.get("pretraining") else {}),
        "time_s": float(training.get("time_s", 0.0)),
        "epoch": 0, "best_epoch": 0, "best_test_loss": None, "history": [],
        "recovered_from": {"onnx": os.path.abspath(onnx_path), "sha256": card.get("sha256"), "id": card.get("id")},
        "model_state": {k: v.detach().clone() for k, v in model.state_dict().items()},
    }


def recover(onnx_path: str, calibration: Callable[[dict], torch.Tensor]) -> Tuple[dict, dict]:
    """The checkpoint state of an exported LDSE-NET; `calibration(card)` gives normalised patches of its setup."""
    card = read_card(onnx_path)
    weights, conv_nodes = read_onnx(onnx_path)
    model = build_from(card, weights)
    folded = load_weights(model, weights, conv_nodes)  # head.out_scale too: a named initializer
    calibrate(model, folded, calibration(card))
    return checkpoint_state(card, model, onnx_path), {"folded_batch_norms": len(folded)}


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        state, info = recover(args.model, lambda card: rendered_patches(card, args.slides, args.calibrate,
                                                                        args.seed))
        ckpt.save_atomic(state, args.out)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = {"status": "done", "checkpoint": os.path.abspath(args.out), "model": args.model,
               "setup": state["dataset"]["optics"]["setup_id"], "calibration_patches": args.calibrate, **info}
    print(json.dumps(summary) if args.json else
          f"{args.out}: {info['folded_batch_norms']} folded batch norms recalibrated on {args.calibrate} patches")
    return 0


if __name__ == "__main__":
    sys.exit(main())

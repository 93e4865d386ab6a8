"""Export a trained checkpoint to ONNX + model card, written together.

  /usr/bin/python3 -m training.export --checkpoint <run dir>/best.pt --out <dir> --id ldse-net-20x
      [--name "LDSE-NET 20x/0.75"] [--setup-json <file or JSON>] [--json]

Writes <dir>/<id>.onnx and <dir>/<id>.json (card_version 1, see notes/formats.md): opset 17, float32 NCHW input
"patch" [N,3,H,W] with a dynamic batch axis, output "defocus_um" [N,1].
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import sys
import tempfile
import warnings
from typing import List, Optional

import onnx
import torch

from .focusnet import checkpoint as ckpt
from .focusnet.data.manifest import slide_names
from .focusnet.errors import TrainingError
from .focusnet.models import DISPLAY_NAMES, build_model

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "patch", "defocus_um"
CONVENTION = "d = z - z_focus; +z moves the objective away from the sample; autofocus moves by -d"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
LDSE_MAX_BYTES = 480 * 1024


def load_model(state: dict) -> torch.nn.Module:
    model = build_model(state["architecture"], state["input_size"], state["model_options"])
    model.load_state_dict(state["model_state"])
    return model.eval()


def export_onnx(model: torch.nn.Module, input_size: int, path: str) -> None:
    dummy = torch.zeros(2, 3, input_size, input_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python-side shape checks
        torch.onnx.export(model, dummy, path, opset_version=OPSET, input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], do_constant_folding=True,
                          dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}})


def check_onnx(path: str, input_size: int) -> None:
    """onnx.checker plus the contract the app's engine relies on (names, dtype, shapes, opset)."""
    try:
        onnx.checker.check_model(path)
    except onnx.checker.ValidationError as error:
        raise TrainingError("onnx_invalid", f"onnx.checker rejected the export: {error}") from error
    graph = onnx.load(path, load_external_data=False).graph
    if [i.name for i in graph.input] != [INPUT_NAME] or [o.name for o in graph.output] != [OUTPUT_NAME]:
        raise TrainingError("onnx_io", f"unexpected ONNX inputs/outputs {[i.name for i in graph.input]} -> "
                                       f"{[o.name for o in graph.output]}")
    in_shape = _dims(graph.input[0])
    out_shape = _dims(graph.output[0])
    if in_shape != ["N", 3, input_size, input_size] or out_shape != ["N", 1]:
        raise TrainingError("onnx_io", f"unexpected ONNX shapes {in_shape} -> {out_shape}")
    if graph.input[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise TrainingError("onnx_io", "ONNX input is not float32")


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_setup_override(value: Optional[str]) -> dict:
    if not value:
        return {}
    text = value
    if os.path.isfile(value):
        with open(value, encoding="utf-8") as handle:
            text = handle.read()
    try:
        data = json.loads(text)
    except ValueError as error:
        raise TrainingError("setup_json", f"--setup-json is neither a JSON file nor JSON text: {error}") from error
    if not isinstance(data, dict):
        raise TrainingError("setup_json", "--setup-json must be a JSON object")
    if "id" in data and "setup_id" not in data:
        data["setup_id"] = data["id"]
    return data


def build_optics(state: dict, override: dict) -> dict:
    optics = dict(state["dataset"]["optics"])
    for key in ("setup_id", "magnification", "na", "immersion_index", "pixel_size_um"):
        if key in override:
            optics[key] = override[key]
    optics["setup_id"] = str(optics["setup_id"])
    for key in ("magnification", "na", "immersion_index", "pixel_size_um"):
        optics[key] = float(optics[key])
        if optics[key] <= 0:
            raise TrainingError("setup_json", f"optics.{key} must be positive")
    if optics["magnification"].is_integer():
        optics["magnification"] = int(optics["magnification"])
    return optics


def _named(slides: list, export_dir: str) -> list:
    """Slide names for the card (checkpoints before names were stored hold the manifest's slide ids)."""
    info_path = os.path.join(export_dir, "dataset.json")
    if not os.path.isfile(info_path):
        return list(slides)
    with open(info_path, encoding="utf-8") as handle:
        names = slide_names(json.load(handle))
    return sorted({names.get(str(s), str(s)) for s in slides})


def own_metrics(state: dict) -> dict:
    """The held-out figures of the weights this checkpoint holds: a run's best.pt holds its best validation, a
    last.pt saved after a better epoch holds the last one's."""
    history = state.get("history") or []
    if history and state.get("epoch") and state.get("best_epoch") != state.get("epoch"):
        return history[-1]
    return state.get("best_metrics") or {}


def build_card(state: dict, model_id: str, name: Optional[str], optics: dict, sha256: str, size: int,
               camera: str = "colour") -> dict:
    best = own_metrics(state)
    training = state["training"]
    dataset = state["dataset"]
    size_px = state["input_size"]
    display = name or f"{DISPLAY_NAMES[state['architecture']]} {_number(optics['magnification'])}x/" \
                      f"{_number(optics['na'])}"
    return {
        "card_version": 1,
        "id": model_id,
        "name": display,
        "architecture": state["architecture"],
        "file": f"{model_id}.onnx",
        "sha256": sha256,
        "size_bytes": size,
        "opset": OPSET,
        "parameters": int(state["parameters"]),
        "input": {"name": INPUT_NAME, "layout": "NCHW", "dtype": "float32", "channels": ["R", "G", "B"],
                  "height": size_px, "width": size_px,
                  "mean": [float(v) for v in state["normalisation"]["mean"]],
                  "std": [float(v) for v in state["normalisation"]["std"]], "camera": camera},
        "output": {"name": OUTPUT_NAME, "shape": [-1, 1], "unit": "um", "convention": CONVENTION,
                   "target": state.get("target", "signed")},
        "optics": optics,
        "training": {
            "framework": training["framework"], "command": training["command"], "seed": training["seed"],
            "epochs": state["epoch"], "best_epoch": state["best_epoch"], "batch_size": training["batch_size"],
            "optimizer": training["optimizer"], "lr": training["lr"], "scheduler": training["scheduler"],
            "final_train_loss": best.get("train_loss"), "final_test_loss": best.get("test_loss"),
            "time_s": round(float(state["time_s"]), 1), "device": training["device"],
            "dataset": {"export": dataset["export"], "n_train": dataset["n_train"], "n_test": dataset["n_test"],
                        "train_slides": _named(dataset["train_slides"], dataset["export"]),
                        "test_slides": _named(dataset["test_slides"], dataset["export"]),
                        "label_method": dataset["label_method"]},
            **({"pretraining": state["pretraining"]} if state.get("pretraining") else {}),
        },
        "metrics": {"test_rmse_um": best.get("test_rmse_um"), "test_mae_um": best.get("test_mae_um"),
                    "test_error_std_um": best.get("test_error_std_um"),
                    **({"test_sign_error_rate": best["test_sign_error_rate"]}
                       if state.get("target", "signed") == "signed" and best.get("test_sign_error_rate") is not None
                       else {}),
                    # what the validation patches looked like: a monochrome model's figures are on monochrome ones
                    "frames": dataset.get("validation_frames", "colour")},
        "created_at": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    }


def _number(value: float):
    return int(value) if float(value).is_integer() else value


def write_pair(model: torch.nn.Module, state: dict, out_dir: str, model_id: str, name: Optional[str],
               optics: dict, camera: str = "colour") -> dict:
    """Both files are written under temporary names and checked first; the .onnx is renamed into place,
    then the card (the commit point): if the card cannot be placed, the new .onnx is removed again."""
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, f"{model_id}.onnx")
    card_path = os.path.join(out_dir, f"{model_id}.json")
    tmp_dir = tempfile.mkdtemp(prefix=f".{model_id}.", dir=out_dir)
    tmp_onnx, tmp_card = os.path.join(tmp_dir, "model.onnx"), os.path.join(tmp_dir, "card.json")
    try:
        export_onnx(model, state["input_size"], tmp_onnx)
        check_onnx(tmp_onnx, state["input_size"])
        size = os.path.getsize(tmp_onnx)
        card = build_card(state, model_id, name, optics, sha256_of(tmp_onnx), size, camera)
        with open(tmp_card, "w", encoding="utf-8") as handle:
            json.dump(card, handle, indent=2)
            handle.write("\n")
        os.replace(tmp_onnx, onnx_path)
        try:
            os.replace(tmp_card, card_path)
        except OSError:
            os.remove(onnx_path)
            raise
        return card
    finally:
        for leftover in (tmp_onnx, tmp_card):
            if os.path.exists(leftover):
                os.remove(leftover)
        os.rmdir(tmp_dir)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m training.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="<run dir>/best.pt")
    parser.add_argument("--out", required=True, help="folder for <id>.onnx and <id>.json")
    parser.add_argument("--id", required=True, help="model id = file stem, e.g. ldse-net-20x")
    parser.add_argument("--name", default=None, help='display name (default e.g. "LDSE-NET 20x/0.75")')
    parser.add_argument("--setup-json", default=None,
                        help="JSON file or text overriding optics (setup_id|id, magnification, na, "
                             "immersion_index, pixel_size_um); default: the training export's setup")
    parser.add_argument("--camera", choices=("colour", "monochrome"), default="colour",
                        help="the camera the model is made for (card input.camera): 'monochrome' for a model trained "
                             "on monochrome frames (--greyscale-p 1), which predict then uses for greyscale images")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        if not ID_PATTERN.match(args.id):
            raise TrainingError("bad_id", f"--id {args.id!r}: use lower-case letters, digits, '.', '_' or '-'")
        state = ckpt.load(args.checkpoint)
        if not state.get("history"):
            raise TrainingError("checkpoint_untrained", f"{args.checkpoint} has no finished epoch")
        optics = build_optics(state, read_setup_override(args.setup_json))
        card = write_pair(load_model(state), state, os.path.abspath(args.out), args.id, args.name, optics,
                          args.camera)
    except TrainingError as error:
        sys.stderr.write(f"error: {error.message}\n")
        if args.json:
            print(json.dumps({"error": {"code": error.code, "message": error.message}}))
        return 2
    onnx_path = os.path.join(os.path.abspath(args.out), f"{args.id}.onnx")
    result = {"onnx": onnx_path, "card": onnx_path[:-5] + ".json", "size_bytes": card["size_bytes"],
              "sha256": card["sha256"], "parameters": card["parameters"], "opset": OPSET}
    if card["architecture"] == "ldse-net" and card["size_bytes"] > LDSE_MAX_BYTES:
        result["warning"] = f"LDSE-NET ONNX is {card['size_bytes']} bytes, above the 480 KB target"
        sys.stderr.write(f"warning: {result['warning']}\n")
    print(json.dumps(result, indent=2) if args.json else
          f"wrote {result['onnx']} ({card['size_bytes']} bytes, sha256 {card['sha256'][:12]}...) and {result['card']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

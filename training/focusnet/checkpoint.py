"""Checkpoints: last.pt (everything needed to resume) each epoch, best.pt (what export needs) on improvement."""
import os
import tempfile
from typing import Optional

import torch

from .errors import TrainingError

CHECKPOINT_FORMAT = "focusstation-checkpoint"
CHECKPOINT_VERSION = 1
LAST = "last.pt"
BEST = "best.pt"


def save_atomic(state: dict, path: str) -> None:
    """Write to a temporary file in the same folder, then rename: a crash never leaves a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    os.close(handle)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load(path: str, map_location: Optional[str] = "cpu") -> dict:
    if not os.path.isfile(path):
        raise TrainingError("checkpoint_missing", f"Checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location)
    except Exception as error:  # torch raises many types for a damaged file
        raise TrainingError("checkpoint_corrupt", f"Cannot read checkpoint {path}: {error}") from error
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise TrainingError("checkpoint_format", f"{path} is not a FocusStation training checkpoint")
    if state.get("version") != CHECKPOINT_VERSION:
        raise TrainingError("checkpoint_version", f"{path} has checkpoint version {state.get('version')}; "
                                                  f"this code reads version {CHECKPOINT_VERSION}")
    return state


def load_for_init(path: str, architecture: str, input_size: int, target: str) -> dict:
    """A checkpoint a run starts from (--init), refused where its weights cannot continue as this run: another
    architecture or input size, another target."""
    state = load(path)
    if state["architecture"] != architecture or state["input_size"] != input_size:
        raise TrainingError("init_mismatch", f"{path} holds {state['architecture']} at {state['input_size']} px, "
                                             f"not {architecture} at {input_size} px")
    if state.get("target", "signed") != target:
        raise TrainingError("init_target", f"{path} was trained with target {state.get('target', 'signed')}, "
                                           f"not {target}")
    return state


def pretraining_of(init_state: Optional[dict]) -> Optional[dict]:
    """What the --init checkpoint and the stages before it cost, so the card can state the whole training time:
    the stage the run started from, with `time_s` the total of every earlier stage and `stages` each of them,
    oldest first."""
    if not init_state:
        return None
    training = init_state["training"]
    stage = {"command": training["command"], "device": training["device"],
             "time_s": round(float(init_state["time_s"]), 1), "dataset": init_state["dataset"]["export"],
             "patches_seen": init_state["dataset"]["n_train"]}
    earlier = init_state.get("pretraining")
    stages = (earlier.get("stages") or [{k: v for k, v in earlier.items() if k != "stages"}]) if earlier else []
    stages = stages + [stage]
    if len(stages) == 1:
        return stage
    return {**stage, "time_s": round(sum(float(s["time_s"]) for s in stages), 1),
            "device": " + ".join(s["device"] for s in stages), "stages": stages}

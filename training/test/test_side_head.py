"""The side-magnitude head (|d| and the side of focus as two outputs, one signed value exported) and --init."""
import json
import os
import shutil

import pytest
import torch

from training import export, parity, train
from training.focusnet import checkpoint as ckpt
from training.focusnet.models import build_model
from training.focusnet.models.head import SideMagnitudeHead, defocus_loss

from .conftest import train_args

SIDE = ("--model-options", json.dumps({"head": "side-magnitude"}))


def test_the_head_exports_magnitude_times_side_and_trains_both_parts():
    torch.manual_seed(0)
    model = build_model("ldse-net", 32, {"head": "side-magnitude"})
    head = model.head
    assert isinstance(head, SideMagnitudeHead)
    head.set_label_stats(0.0, 3.0)
    model.eval()
    out = model(torch.rand(4, 3, 32, 32))
    magnitude, side = head.parts
    assert torch.allclose(out, magnitude * torch.sign(side))
    assert bool((magnitude >= 0).all())
    # the loss reads the side as a classification: the right side costs less than the wrong one
    target = torch.sign(side).detach() * 2.0
    assert float(defocus_loss(model, out, target)) < float(defocus_loss(model, out, -target))
    # a plain head keeps the paper's MSE
    plain = build_model("ldse-net", 32, {})
    y = plain(torch.rand(2, 3, 32, 32))
    assert torch.allclose(defocus_loss(plain, y, torch.zeros_like(y)), (y ** 2).mean())


def test_an_unknown_head_is_a_clear_error():
    with pytest.raises(Exception, match="head must be one of"):
        build_model("ldse-net", 32, {"head": "sideways"})


@pytest.fixture(scope="module")
def side_run(patch_export, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("side") / "run")
    assert train.main(train_args(patch_export, out, "--epochs", "8", "--no-augment", "--lr", "2e-3",
                                 "--step-size", "4", *SIDE)) == 0
    return out


def test_side_head_learns_the_side_on_a_learnable_export(side_run):
    state = ckpt.load(os.path.join(side_run, ckpt.BEST))
    history = [json.loads(line) for line in open(os.path.join(side_run, "history.jsonl"))]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    # brightness tells the side in this export: the head must get most of them right
    assert state["best_metrics"]["test_sign_error_rate"] <= 0.25
    assert state["target"] == "signed" and state["model_options"]["head"] == "side-magnitude"


def test_side_head_exports_one_signed_output_with_its_sign_error_rate(side_run, tmp_path):
    best = os.path.join(side_run, ckpt.BEST)
    assert export.main(["--checkpoint", best, "--out", str(tmp_path), "--id", "side"]) == 0
    card = json.load(open(tmp_path / "side.json"))
    assert card["output"]["target"] == "signed" and card["output"]["shape"] == [-1, 1]
    assert 0 <= card["metrics"]["test_sign_error_rate"] <= 0.25
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: the parity check runs onnxruntime-node")
    result = parity.check_parity(str(tmp_path / "side.onnx"), best, n=4)
    assert result["passed"] and result["max_abs_diff"] <= 1e-4


def test_init_fine_tunes_from_a_checkpoint_and_the_card_states_the_pretraining(side_run, patch_export, tmp_path):
    best = os.path.join(side_run, ckpt.BEST)
    out = str(tmp_path / "fine")
    assert train.main(train_args(patch_export, out, "--epochs", "1", "--init", best, "--lr", "1e-4")) == 0
    state = ckpt.load(os.path.join(out, ckpt.LAST))
    source = ckpt.load(best)
    assert state["model_options"] == source["model_options"]  # the head came with the weights
    assert state["normalisation"] == source["normalisation"]
    assert state["pretraining"]["time_s"] == round(float(source["time_s"]), 1)
    assert export.main(["--checkpoint", os.path.join(out, ckpt.BEST), "--out", str(tmp_path), "--id", "fine"]) == 0
    card = json.load(open(tmp_path / "fine.json"))
    assert card["training"]["pretraining"]["command"] == source["training"]["command"]


def test_init_and_head_mismatches_are_clear_errors(side_run, patch_export, tmp_path, capsys):
    best = os.path.join(side_run, ckpt.BEST)
    code = train.main(train_args(patch_export, str(tmp_path / "a"), "--epochs", "1", "--init", best,
                                 "--target", "magnitude"))
    assert code == 2 and "was trained with target signed" in capsys.readouterr().err
    code = train.main(train_args(patch_export, str(tmp_path / "b"), "--epochs", "1", "--target", "magnitude",
                                 *SIDE))
    assert code == 2 and "needs --target signed" in capsys.readouterr().err
    code = train.main(train_args(patch_export, str(tmp_path / "c"), "--epochs", "1", "--init",
                                 str(tmp_path / "missing.pt")))
    assert code == 2 and "Checkpoint not found" in capsys.readouterr().err

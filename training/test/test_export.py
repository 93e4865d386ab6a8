import hashlib
import json
import os
import shutil

import onnx
import pytest

from training import export, parity
from training.focusnet import checkpoint as ckpt

NODE = shutil.which("node")
CARD_KEYS = ["card_version", "id", "name", "architecture", "file", "sha256", "size_bytes", "opset", "parameters",
             "input", "output", "optics", "training", "metrics", "created_at"]


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("models"))
    best = os.path.join(trained_run, ckpt.BEST)
    assert export.main(["--checkpoint", best, "--out", out, "--id", "ldse-net-20x"]) == 0
    return out, best


def test_export_writes_onnx_and_card_together(exported):
    out, _ = exported
    assert sorted(os.listdir(out)) == ["ldse-net-20x.json", "ldse-net-20x.onnx"]  # no temporary leftovers
    onnx.checker.check_model(os.path.join(out, "ldse-net-20x.onnx"))


def test_card_follows_the_format(exported):
    out, best = exported
    onnx_path = os.path.join(out, "ldse-net-20x.onnx")
    with open(os.path.join(out, "ldse-net-20x.json")) as handle:
        card = json.load(handle)
    assert list(card) == CARD_KEYS
    with open(onnx_path, "rb") as handle:
        data = handle.read()
    assert card["sha256"] == hashlib.sha256(data).hexdigest() and card["size_bytes"] == len(data)
    assert card["id"] == "ldse-net-20x" and card["file"] == "ldse-net-20x.onnx"
    assert card["name"] == "LDSE-NET 20x/0.75" and card["architecture"] == "ldse-net"
    assert card["opset"] <= 17 and card["parameters"] > 0
    assert card["input"]["name"] == "patch" and card["input"]["layout"] == "NCHW"
    assert card["input"]["channels"] == ["R", "G", "B"] and card["input"]["height"] == 32
    assert card["input"]["camera"] == "colour"
    assert len(card["input"]["mean"]) == 3 and all(s > 0 for s in card["input"]["std"])
    assert card["output"] == {"name": "defocus_um", "shape": [-1, 1], "unit": "um",
                              "convention": "d = z - z_focus; +z moves the objective away from the sample; "
                                            "autofocus moves by -d", "target": "signed"}
    assert card["optics"] == {"setup_id": "20x", "magnification": 20, "na": 0.75, "immersion_index": 1.0,
                              "pixel_size_um": 0.1725}
    training = card["training"]
    state = ckpt.load(best)
    assert training["best_epoch"] == state["best_epoch"] and training["epochs"] == state["epoch"]
    assert training["batch_size"] == 8 and training["optimizer"] == "adam" and training["scheduler"] == "step(4, 0.5)"
    assert training["final_test_loss"] == pytest.approx(state["best_metrics"]["test_loss"])
    assert training["command"].startswith("python3 -m training.train --data")
    assert training["dataset"]["n_train"] == 36 and training["dataset"]["test_slides"] == ["slide3"]
    metrics = card["metrics"]
    assert metrics["test_rmse_um"] == pytest.approx(state["best_metrics"]["test_loss"] ** 0.5)
    assert 0 < metrics["test_mae_um"] <= metrics["test_rmse_um"]
    graph = onnx.load(os.path.join(out, "ldse-net-20x.onnx")).graph
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["N", 3, 32, 32]


def test_parity_with_onnxruntime_node(exported):
    if NODE is None:
        pytest.skip("node is not on PATH: the parity check runs onnxruntime-node")
    out, best = exported
    result = parity.check_parity(os.path.join(out, "ldse-net-20x.onnx"), best, n=4)
    assert result["passed"] and result["max_abs_diff"] <= 1e-4 and result["max_abs_diff_batch1"] <= 1e-4
    assert result["output_dims"] == [4, 1] and result["single_dims"] == [1, 1]


def test_parity_cli_exit_codes(exported, capsys):
    if NODE is None:
        pytest.skip("node is not on PATH: the parity check runs onnxruntime-node")
    out, best = exported
    model = os.path.join(out, "ldse-net-20x.onnx")
    assert parity.main(["--model", model, "--checkpoint", best, "--n", "2"]) == 0
    assert "parity OK" in capsys.readouterr().out
    assert parity.main(["--model", os.path.join(out, "missing.onnx"), "--checkpoint", best]) == 2


def test_parity_detects_a_different_model(exported, trained_run, tmp_path):
    if NODE is None:
        pytest.skip("node is not on PATH: the parity check runs onnxruntime-node")
    out, _ = exported
    other = ckpt.load(os.path.join(trained_run, ckpt.BEST))
    other["model_state"] = {k: (v * 1.5 if v.is_floating_point() and k.endswith("weight") else v)
                            for k, v in other["model_state"].items()}
    other_path = str(tmp_path / "other.pt")
    ckpt.save_atomic(other, other_path)
    result = parity.check_parity(os.path.join(out, "ldse-net-20x.onnx"), other_path, n=2)
    assert not result["passed"] and result["max_abs_diff"] > 1e-3
    assert parity.main(["--model", os.path.join(out, "ldse-net-20x.onnx"), "--checkpoint", other_path]) == 1


def test_setup_override_and_name(trained_run, tmp_path):
    best = os.path.join(trained_run, ckpt.BEST)
    setup = tmp_path / "setup.json"
    setup.write_text(json.dumps({"id": "40x", "magnification": 40, "na": 0.95, "pixel_size_um": 0.08625}))
    out = str(tmp_path / "m")
    assert export.main(["--checkpoint", best, "--out", out, "--id", "ldse-net-40x", "--setup-json", str(setup)]) == 0
    with open(os.path.join(out, "ldse-net-40x.json")) as handle:
        card = json.load(handle)
    assert card["optics"]["setup_id"] == "40x" and card["optics"]["pixel_size_um"] == 0.08625
    assert card["name"] == "LDSE-NET 40x/0.95"


def test_card_for_a_monochrome_camera(trained_run, tmp_path):
    out = str(tmp_path / "m")
    best = os.path.join(trained_run, ckpt.BEST)
    assert export.main(["--checkpoint", best, "--out", out, "--id", "ldse-net-20x-mono", "--camera", "monochrome"]) == 0
    with open(os.path.join(out, "ldse-net-20x-mono.json")) as handle:
        assert json.load(handle)["input"]["camera"] == "monochrome"


def test_card_metrics_are_those_of_the_weights_exported(trained_run):
    """A last.pt saved after a better epoch states the last validation, not the best epoch's."""
    state = ckpt.load(os.path.join(trained_run, ckpt.LAST))
    history = [dict(state["best_metrics"], epoch=1, test_sign_error_rate=0.1),
               dict(state["best_metrics"], epoch=2, test_sign_error_rate=0.3)]
    last = dict(state, epoch=2, best_epoch=1, history=history)
    card = export.build_card(last, "m", None, {"magnification": 20, "na": 0.75}, "0" * 64, 1)
    assert card["metrics"]["test_sign_error_rate"] == 0.3
    best = dict(last, epoch=1)
    card = export.build_card(best, "m", None, {"magnification": 20, "na": 0.75}, "0" * 64, 1)
    assert card["metrics"]["test_sign_error_rate"] == state["best_metrics"]["test_sign_error_rate"]


@pytest.mark.parametrize("args,code_fragment", [
    (["--id", "Bad Id!"], "--id"),
    (["--id", "x", "--checkpoint", "/nonexistent/best.pt"], "not found"),
])
def test_export_errors_are_clear(tmp_path, capsys, args, code_fragment):
    argv = ["--checkpoint", "/nonexistent/best.pt", "--out", str(tmp_path)] + args
    assert export.main(argv) == 2
    assert code_fragment in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, capsys):
    broken = tmp_path / "best.pt"
    broken.write_bytes(b"\x00not a checkpoint")
    assert export.main(["--checkpoint", str(broken), "--out", str(tmp_path / "o"), "--id", "m", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "checkpoint_corrupt"

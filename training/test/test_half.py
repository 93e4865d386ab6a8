import json
import os
import shutil

import pytest
import torch

from training import export, half, parity
from training.focusnet import checkpoint as ckpt

NODE = shutil.which("node")


@pytest.fixture(scope="module")
def halved(trained_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("half")
    best = os.path.join(trained_run, ckpt.BEST)
    out = str(folder / "best-fp16.pt")
    assert half.main(["--checkpoint", best, "--out", out]) == 0
    return best, out


def test_weights_become_float16_and_the_rest_is_kept(halved):
    best, out = halved
    before, after = ckpt.load(best), ckpt.load(out)
    assert after["weights_dtype"] == "float16" and "weights_dtype" not in before
    assert set(after) - {"weights_dtype"} == set(before)
    assert after["label_stats"] == before["label_stats"] and after["best_epoch"] == before["best_epoch"]
    assert list(after["model_state"]) == list(before["model_state"])
    for name, tensor in before["model_state"].items():
        rounded = after["model_state"][name]
        if tensor.is_floating_point():
            assert rounded.dtype == torch.float16
            assert torch.allclose(rounded.float(), tensor, rtol=1e-3, atol=1e-4), name
        else:  # batch norms' step counts stay integers
            assert rounded.dtype == tensor.dtype and torch.equal(rounded, tensor), name
    assert os.path.getsize(out) < os.path.getsize(best)


def test_a_halved_checkpoint_exports_and_matches_its_onnx(halved, tmp_path):
    if NODE is None:
        pytest.skip("node is not on PATH: the parity check runs onnxruntime-node")
    best, out = halved
    models = str(tmp_path)
    assert export.main(["--checkpoint", out, "--out", models, "--id", "halved-20x"]) == 0
    onnx_path = os.path.join(models, "halved-20x.onnx")
    with open(os.path.join(models, "halved-20x.json")) as handle:
        assert json.load(handle)["architecture"] == "ldse-net"
    # The ONNX file holds the rounded weights exactly; against the float32 weights it differs, by little.
    assert parity.check_parity(onnx_path, out, n=4)["max_abs_diff"] <= 1e-4
    rounding = parity.check_parity(onnx_path, best, n=4)["max_abs_diff"]
    assert 0 < rounding <= 0.01


def test_errors(halved, tmp_path, capsys):
    best, _ = halved
    with pytest.raises(SystemExit):
        half.main(["--checkpoint", best, "--out", best])
    assert "--out must differ" in capsys.readouterr().err
    assert half.main(["--checkpoint", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "x.pt")]) == 2
    assert "Checkpoint not found" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "x.pt")

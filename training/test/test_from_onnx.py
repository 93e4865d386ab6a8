import json
import os

import pytest
import torch

from training import export, from_onnx
from training.focusnet import checkpoint as ckpt
from training.focusnet.errors import TrainingError
from training.focusnet.models.head import defocus_loss


@pytest.fixture(scope="module")
def shipped(trained_run, tmp_path_factory):
    """An exported model with its card, as resources/models holds them, and the checkpoint it came from."""
    out = str(tmp_path_factory.mktemp("shipped"))
    best = os.path.join(trained_run, ckpt.BEST)
    assert export.main(["--checkpoint", best, "--out", out, "--id", "ldse-net-20x"]) == 0
    return os.path.join(out, "ldse-net-20x.onnx"), best


def patches(seed: int, n: int = 48) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=generator)


def recovered(onnx_path: str) -> torch.nn.Module:
    state, info = from_onnx.recover(onnx_path, lambda card: patches(1))
    assert info["folded_batch_norms"] > 0  # the export did fold: the recovery below is not the trivial case
    return export.load_model(state), state


def test_recovered_model_computes_what_the_original_computes(shipped):
    onnx_path, best = shipped
    original = export.load_model(ckpt.load(best))
    model, _ = recovered(onnx_path)
    x = patches(2)
    with torch.no_grad():
        assert torch.allclose(model(x), original(x), atol=1e-4)


def test_restored_batch_norms_divide_by_what_they_multiply_back(shipped):
    """Continuing training runs batch norms on batch statistics. On the calibration batch, each batch norm behind a
    folded convolution gives in train mode what it gives in eval mode (the folded convolution's output + its bias);
    an identity batch norm (running mean 0, variance 1) would rescale every channel to unit variance instead."""
    onnx_path, _ = shipped
    card = from_onnx.read_card(onnx_path)
    weights, conv_nodes = from_onnx.read_onnx(onnx_path)
    model = from_onnx.build_from(card, weights)
    folded = from_onnx.load_weights(model, weights, conv_nodes)
    x = patches(1)
    from_onnx.calibrate(model, folded, x)
    inputs = {}
    hooks = [norm.register_forward_pre_hook(lambda m, i: inputs.__setitem__(m, i[0])) for norm, _ in folded]
    with torch.no_grad():
        model.eval()(x)
    for hook in hooks:
        hook.remove()
    for norm, bias in folded:
        y = inputs[norm]
        with torch.no_grad():
            evaluated = norm.eval()(y)
            trained = torch.nn.functional.batch_norm(y, None, None, norm.weight, norm.bias, training=True,
                                                     eps=norm.eps)
        assert torch.allclose(evaluated, y + bias.view(1, -1, 1, 1), atol=1e-4)
        assert torch.allclose(trained, evaluated, atol=1e-3)
        assert not torch.allclose(y.std(dim=(0, 2, 3)), torch.ones_like(bias), atol=0.05)  # not unit already


def test_recovered_checkpoint_continues_training(shipped, tmp_path):
    onnx_path, best = shipped
    state, _ = from_onnx.recover(onnx_path, lambda card: patches(1))
    path = str(tmp_path / "recovered.pt")
    ckpt.save_atomic(state, path)
    loaded = ckpt.load_for_init(path, "ldse-net", state["input_size"], "signed")
    original = ckpt.load(best)
    assert loaded["normalisation"] == original["normalisation"]
    assert loaded["dataset"]["optics"]["setup_id"] == "20x"
    assert ckpt.pretraining_of(loaded)["command"] == original["training"]["command"]  # the card's history goes on
    model = export.load_model(loaded).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = patches(3, 16), torch.linspace(-5, 5, 16)
    loss = defocus_loss(model, model(x).view(-1), y)
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)


def test_bad_files_are_clear_errors(shipped, tmp_path):
    onnx_path, _ = shipped
    corrupt = tmp_path / "broken.onnx"
    corrupt.write_bytes(b"not a model")
    (tmp_path / "broken.json").write_text(open(onnx_path[:-5] + ".json").read())
    with pytest.raises(TrainingError, match="Cannot read"):
        from_onnx.recover(str(corrupt), lambda card: patches(1))
    with pytest.raises(TrainingError, match="model card"):
        from_onnx.recover(str(tmp_path / "no-card.onnx"), lambda card: patches(1))
    card = json.loads(open(onnx_path[:-5] + ".json").read())
    card["architecture"] = "resnet50"
    (tmp_path / "resnet.json").write_text(json.dumps(card))
    (tmp_path / "resnet.onnx").write_bytes(open(onnx_path, "rb").read())
    with pytest.raises(TrainingError, match="only LDSE-NET"):
        from_onnx.recover(str(tmp_path / "resnet.onnx"), lambda card: patches(1))
    assert from_onnx.main(["--model", str(corrupt), "--out", str(tmp_path / "x.pt")]) == 2
    assert not (tmp_path / "x.pt").exists()

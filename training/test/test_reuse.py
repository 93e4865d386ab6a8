"""Rendered patches shown again (training/focusnet/optics/reuse.py) and synth_train --reuse."""
import os

import pytest
import torch

from training import synth_train
from training.focusnet import checkpoint as ckpt
from training.focusnet.optics.reuse import RenderedPool, fresh_share, random_crops
from training.test.test_optics import _write_slides


def _dihedral(patch: torch.Tensor):
    """The 8 rotations and mirror images of a (C, H, W) patch."""
    return [torch.rot90(p, k, dims=(1, 2)) for p in (patch, patch.transpose(1, 2)) for k in range(4)]


def test_a_drawn_patch_is_a_kept_one_turned_with_its_label():
    torch.manual_seed(0)
    pixels = torch.round(torch.rand(3, 3, 6, 6) * 255) / 255  # the camera's 8-bit levels
    labels = torch.tensor([-4.5, 0.25, 7.0])
    pool = RenderedPool(capacity=8, patch=6, seed=1)
    pool.add(pixels, labels)
    assert pool.count == 3
    drawn, drawn_labels = pool.draw(64)
    turns = set()
    for patch, label in zip(drawn, drawn_labels.tolist()):
        index = labels.tolist().index(label)
        matches = [k for k, view in enumerate(_dihedral(pixels[index])) if torch.equal(view, patch)]
        assert matches, "every drawn patch is a kept one, exactly (uint8 loses nothing), rotated or mirrored"
        turns.add(matches[0])
    assert len(turns) >= 6  # the turns vary (64 draws of 8 equally likely turns)
    assert set(drawn_labels.tolist()) == set(labels.tolist())


def test_the_pool_replaces_its_oldest_patches_once_full():
    pool = RenderedPool(capacity=4, patch=2, seed=0)
    for value in range(6):
        pool.add(torch.full((1, 3, 2, 2), value / 255), torch.tensor([float(value)]))
    assert pool.count == 4 and pool.added == 6
    assert sorted(pool.labels.tolist()) == [2.0, 3.0, 4.0, 5.0]  # 0 and 1, the oldest, are gone
    assert set(pool.draw(32)[1].tolist()) <= {2.0, 3.0, 4.0, 5.0}
    with pytest.raises(ValueError):
        RenderedPool(capacity=2, patch=2, seed=0).draw(1)


def test_the_fresh_share_of_a_batch():
    assert fresh_share(64, 1) == 64
    assert fresh_share(64, 8) == 8
    assert fresh_share(64, 1000) == 1  # at least one new patch a step


def test_synth_train_reuse_renders_a_share_and_says_so(tmp_path, capsys):
    folder = _write_slides(str(tmp_path / "slides"))
    out = str(tmp_path / "run")
    code = synth_train.main(["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--out", out,
                             "--steps", "4", "--batch-size", "8", "--val-every", "2", "--val-samples", "16",
                             "--threads", "1", "--reuse", "4", "--pool-size", "64", "--json"])
    assert code == 0
    summary = capsys.readouterr()
    # the first batch is all new (nothing kept yet), then 2 of 8 per step
    assert '"patches_seen": 32' in summary.out and '"patches_rendered": 14' in summary.out
    assert "14 rendered" in summary.err
    state = ckpt.load(os.path.join(out, ckpt.LAST))
    assert state["dataset"]["n_train"] == 32 and state["dataset"]["n_rendered"] == 14
    assert state["training"]["reuse"] == 4
    with pytest.raises(SystemExit):  # a pool smaller than a batch cannot fill one
        synth_train.main(["--slides", folder, "--out", out, "--batch-size", "8", "--reuse", "4", "--pool-size", "4"])


def test_random_crops_are_windows_of_their_patches_at_varying_places():
    pixels = torch.arange(4 * 3 * 8 * 8, dtype=torch.float32).view(4, 3, 8, 8)
    gen = torch.Generator()
    gen.manual_seed(0)
    places = set()
    for _ in range(16):
        crops = random_crops(pixels, 4, gen)
        assert crops.shape == (4, 3, 4, 4)
        for patch, crop in zip(pixels, crops):
            found = [(r, c) for r in range(5) for c in range(5) if torch.equal(patch[:, r:r + 4, c:c + 4], crop)]
            assert len(found) == 1, "each crop is one window of its own patch"
            places.add(found[0])
    assert len(places) >= 10  # 64 windows over 25 places
    with pytest.raises(ValueError):
        random_crops(pixels, 9, gen)


def test_synth_train_crop_learns_from_windows_then_whole_patches(tmp_path, monkeypatch):
    sizes = []
    real_build = synth_train.build_model

    def recording_build(*args, **kwargs):
        model = real_build(*args, **kwargs)
        model.register_forward_pre_hook(lambda _m, inputs: sizes.append((model.training, inputs[0].shape[-1])))
        return model

    monkeypatch.setattr(synth_train, "build_model", recording_build)
    folder = _write_slides(str(tmp_path / "slides"))
    out = str(tmp_path / "run")
    code = synth_train.main(["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--out", out,
                             "--steps", "4", "--batch-size", "8", "--val-every", "4", "--val-samples", "16",
                             "--threads", "1", "--crop", "96", "--crop-share", "0.5"])
    assert code == 0
    trained = [size for training, size in sizes if training]
    assert trained == [96, 96, 224, 224]  # the first half of the steps on windows, then whole patches
    assert {size for training, size in sizes if not training} == {224}  # validation reads whole patches
    state = ckpt.load(os.path.join(out, ckpt.LAST))
    assert state["training"]["crop"] == {"size": 96, "share": 0.5}
    for bad in (["--crop", "100"], ["--crop", "224"], ["--crop", "96", "--crop-share", "1"]):
        with pytest.raises(SystemExit):
            synth_train.main(["--slides", folder, "--out", out, *bad])

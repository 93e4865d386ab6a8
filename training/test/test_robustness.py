import json
import math
import os

import numpy as np
import pytest
import torch

from training import robustness
from training.focusnet.data.augment import PRESETS, augment
from training.focusnet.data.camera_pipeline import bayer_demosaic, bayer_mask, jpeg_round_trip


def test_the_mosaic_samples_one_colour_per_pixel_rggb():
    mask = bayer_mask(4, 4)
    assert torch.equal(mask.sum(0), torch.ones(4, 4))
    assert mask[0, 0, 0] == 1 and mask[1, 0, 1] == 1 and mask[1, 1, 0] == 1 and mask[2, 1, 1] == 1
    assert mask[1].sum() == 8 and mask[0].sum() == 4  # green twice as often
    shifted = bayer_mask(4, 4, (1, 1))
    assert shifted[0, 1, 1] == 1 and shifted[2, 0, 0] == 1


def test_demosaic_keeps_flat_colour_and_loses_pixel_scale_detail():
    flat = torch.tensor([0.2, 0.5, 0.9]).view(3, 1, 1).expand(3, 16, 16).contiguous()
    assert torch.allclose(bayer_demosaic(flat), flat, atol=1e-6)
    assert torch.allclose(bayer_demosaic(flat, (1, 0)), flat, atol=1e-6)
    checker = ((torch.arange(16).view(1, -1) + torch.arange(16).view(-1, 1)) % 2).float().expand(3, 16, 16)
    out = bayer_demosaic(checker)
    assert (out - checker).abs().mean() > 0.2  # a one-pixel pattern does not survive the interpolation
    batch = torch.stack([flat, checker])
    assert torch.allclose(bayer_demosaic(batch)[1], out)


def test_jpeg_round_trip_keeps_smooth_images_and_loses_more_at_lower_quality():
    y, x = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 64), indexing="ij")
    smooth = torch.stack([0.3 + 0.4 * x, 0.5 + 0.2 * y, 0.6 - 0.3 * x * y])
    assert (jpeg_round_trip(smooth, 95) - smooth).abs().max() < 0.03
    rng = np.random.default_rng(0)
    texture = torch.from_numpy(rng.uniform(0.2, 0.8, (3, 64, 64)).astype(np.float32))
    error = {q: float((jpeg_round_trip(texture, q) - texture).abs().mean()) for q in (95, 60)}
    assert error[60] > error[95] > 0


def test_camera_preset_is_seeded_in_range_and_leaves_colour_alone_on_flat_patches():
    config = PRESETS["camera"]
    assert config.jitter_p == 0 and config.greyscale_p == 0 and config.bayer_p > 0 and config.jpeg_p > 0
    assert PRESETS["colour"].bayer_p == 0 and PRESETS["all"].bayer_p == config.bayer_p
    rng = np.random.default_rng(3)
    image = torch.from_numpy(rng.uniform(0, 1, (3, 32, 32)).astype(np.float32))
    a = augment(image, np.random.default_rng(7), config)
    assert torch.equal(a, augment(image, np.random.default_rng(7), config))
    assert a.min() >= 0 and a.max() <= 1
    assert any(not torch.equal(augment(image, np.random.default_rng(s), config), image) for s in range(8))
    # no colour change: a flat grey patch stays grey through mosaic and JPEG (to 8-bit rounding)
    grey = torch.full((3, 32, 32), 0.5)
    for seed in range(8):
        assert (augment(grey, np.random.default_rng(seed), config) - 0.5).abs().max() <= 1 / 255 + 1e-6


def test_robustness_reads_the_test_split_as_training_scored_it(trained_run, patch_export, capsys):
    best = os.path.join(trained_run, "best.pt")
    assert robustness.main(["--checkpoint", best, "--data", patch_export, "--views", "--threads", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    conditions = result["conditions"]
    assert set(robustness.DEGRADATIONS) <= set(conditions) and "mean of 8 views" in conditions
    with open(os.path.join(trained_run, "summary.json")) as f:
        summary = json.load(f)
    # as is, the figures are the run's own on its test split (same patches, same evaluation pass)
    assert result["n"] == summary["n_test"]
    assert math.isclose(conditions["as is"]["test_mae_um"], summary["metrics"]["test_mae_um"], rel_tol=1e-5)
    assert conditions["JPEG q60"]["test_mae_um"] != conditions["as is"]["test_mae_um"]
    assert robustness.main(["--checkpoint", best, "--data", patch_export, "--setup", "99x"]) == 2


def test_camera_batch_degrades_the_chosen_patches_only_and_is_seeded():
    from concurrent.futures import ThreadPoolExecutor

    from training.focusnet.data.camera_pipeline import camera_batch
    rng = np.random.default_rng(1)
    batch = torch.from_numpy(rng.uniform(0, 1, (6, 3, 32, 32)).astype(np.float32))
    untouched = camera_batch(batch, np.random.default_rng(0), 0.0, 0.0, (60, 95))
    assert torch.equal(untouched, batch)
    with ThreadPoolExecutor(2) as pool:
        a = camera_batch(batch, np.random.default_rng(4), 0.5, 0.6, (60, 95), pool)
    b = camera_batch(batch, np.random.default_rng(4), 0.5, 0.6, (60, 95))  # same draws without threads
    assert torch.equal(a, b) and a.shape == batch.shape and a.min() >= 0 and a.max() <= 1
    changed = [not torch.equal(a[i], batch[i]) for i in range(6)]
    assert any(changed)
    everything = camera_batch(batch, np.random.default_rng(4), 1.0, 1.0, (80, 80))
    assert all(not torch.equal(everything[i], batch[i]) for i in range(6))
    grey = camera_batch(batch, np.random.default_rng(4), 0.0, 0.0, (80, 80), grey_p=1.0)
    assert torch.allclose(grey[:, 0], grey[:, 1]) and torch.allclose(grey[:, 1], grey[:, 2])


@pytest.mark.parametrize("preset", ["camera", "camera+response"])
def test_synth_train_draws_the_camera_pipeline_when_asked(tmp_path, preset):
    from training import synth_train
    from training.focusnet import checkpoint as ckpt

    from .test_optics import _write_slides
    folder = _write_slides(str(tmp_path / "slides"))
    out = str(tmp_path / "run")
    assert synth_train.main(["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--out", out, "--steps",
                             "1", "--batch-size", "2", "--val-every", "1", "--val-samples", "16", "--threads", "1",
                             "--augment", preset]) == 0
    state = ckpt.load(os.path.join(out, ckpt.BEST))
    assert state["augment"]["bayer_p"] == PRESETS["camera"].bayer_p and state["augment"]["jitter_p"] == 0
    assert state["augment"]["response_p"] == PRESETS[preset].response_p


def test_monochrome_is_the_luminance_in_all_three_channels():
    from training.focusnet.data.camera_pipeline import monochrome
    colour = torch.stack([torch.full((4, 4), 1.0), torch.zeros(4, 4), torch.zeros(4, 4)])
    grey = monochrome(colour)
    assert torch.allclose(grey, torch.full((3, 4, 4), 0.299))
    batch = torch.stack([colour, torch.full((3, 4, 4), 0.5)])
    assert torch.allclose(monochrome(batch)[1], batch[1]) and torch.allclose(monochrome(batch)[0], grey)
    assert PRESETS["camera+grey"].greyscale_p > 0 and PRESETS["camera+grey"].jitter_p == 0


def test_a_greyscale_share_replaces_the_presets(patch_export, tmp_path):
    from training import synth_train, train
    from training.focusnet import checkpoint as ckpt

    from .conftest import train_args
    from .test_optics import _write_slides
    out = str(tmp_path / "train")
    assert train.main(train_args(patch_export, out, "--epochs", "1", "--augment", "camera+grey",
                                 "--greyscale-p", "1")) == 0
    assert ckpt.load(os.path.join(out, ckpt.BEST))["augment"]["greyscale_p"] == 1.0
    folder = _write_slides(str(tmp_path / "slides"))
    out = str(tmp_path / "synth")
    assert synth_train.main(["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--out", out, "--steps",
                             "1", "--batch-size", "2", "--val-every", "1", "--val-samples", "16", "--threads", "1",
                             "--augment", "camera+grey", "--greyscale-p", "0.75"]) == 0
    state = ckpt.load(os.path.join(out, ckpt.BEST))
    assert state["augment"]["greyscale_p"] == 0.75 and state["augment"]["bayer_p"] == PRESETS["camera"].bayer_p
    for bad in (["--greyscale-p", "1.5"], ["--augment", "colour", "--greyscale-p", "-0.1"]):
        with pytest.raises(SystemExit):
            train.parse_args(["--data", patch_export, "--out", str(tmp_path / "x"), *bad])
    with pytest.raises(SystemExit):  # no camera pipeline to take a share of
        synth_train.main(["--slides", folder, "--out", str(tmp_path / "y"), "--greyscale-p", "0.5"])


class _ColourPatches:
    """A generator of fixed colour patches: red, green and blue differ everywhere."""

    def sample(self, n):
        pixels = torch.stack([torch.full((n, 8, 8), v) for v in (0.9, 0.5, 0.1)], dim=1)
        return pixels, torch.linspace(-5, 5, n)


def test_a_model_for_monochrome_cameras_is_validated_on_monochrome_patches(tmp_path):
    from training import export, synth_train
    from training.focusnet import checkpoint as ckpt
    from training.focusnet.distributed import start

    from .test_optics import _write_slides
    mean, std = torch.tensor([0.6, 0.5, 0.4]).view(1, 3, 1, 1), torch.tensor([0.2, 0.1, 0.3]).view(1, 3, 1, 1)
    for frames, grey in (("monochrome", True), ("colour", False)):
        validation = synth_train.Validation(_ColourPatches(), 4, 4, mean, std, start("cpu"), frames)
        seen = validation.batches[0][0] * std + mean
        assert torch.allclose(seen[:, 0], seen[:, 2]) == grey
    folder = _write_slides(str(tmp_path / "slides"))
    for share, frames in (("1", "monochrome"), ("0.75", "colour")):
        out = str(tmp_path / f"run-{share}")
        assert synth_train.main(["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--out", out,
                                 "--steps", "1", "--batch-size", "2", "--val-every", "1", "--val-samples", "16",
                                 "--threads", "1", "--augment", "camera+grey", "--greyscale-p", share]) == 0
        state = ckpt.load(os.path.join(out, ckpt.BEST))
        assert state["dataset"]["validation_frames"] == frames
        card = export.build_card(state, "m", None, {"magnification": 40, "na": 0.65}, "0" * 64, 1)
        assert card["metrics"]["frames"] == frames

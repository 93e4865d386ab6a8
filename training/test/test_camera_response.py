import json

import numpy as np
import pytest
import torch

from training import robustness
from training.focusnet.data import camera_response as response
from training.focusnet.data.augment import PRESETS, augment
from training.focusnet.optics.camera import srgb_encode

ONE_LEVEL = 1 / 255 + 1e-6


def _grey(value: float, size: int = 16) -> torch.Tensor:
    return torch.full((3, size, size), value)


def test_the_srgb_curve_round_trips_and_hits_its_textbook_values():
    v = torch.linspace(0, 1, 101)
    assert torch.allclose(srgb_encode(response.srgb_decode(v)), v, atol=1e-5)
    assert abs(float(response.srgb_decode(torch.tensor(0.5))) - 0.2140) < 1e-3
    assert abs(float(response.linear_output(_grey(0.5))[0, 0, 0]) - 55 / 255) < ONE_LEVEL  # 0.214 in 8 bits


def test_exposure_scales_the_light_and_clips_at_full_well():
    image = _grey(0.6)
    assert (response.exposure(image, 1.0) - image).abs().max() <= ONE_LEVEL
    half = response.exposure(image, 0.5)
    assert abs(float(response.srgb_decode(half[0, 0, 0])) - 0.5 * float(response.srgb_decode(torch.tensor(0.6)))) < 3e-3
    assert float(response.exposure(_grey(0.9), 1.5).max()) == 1.0  # 0.79 of full well x 1.5 clips


def test_a_lamp_at_the_reference_temperature_changes_nothing_and_a_led_turns_the_glass_blue():
    glass = _grey(0.85)
    assert (response.colour_cast(glass, 3200.0) - glass).abs().max() <= ONE_LEVEL
    red, green, blue = response.colour_cast(glass, 6500.0)[:, 0, 0].tolist()
    assert blue > green > red
    red, _, blue = response.colour_cast(glass, 2600.0)[:, 0, 0].tolist()
    assert red > blue
    batch = torch.stack([glass, glass])
    assert torch.equal(response.colour_cast(batch, 6500.0)[1], response.colour_cast(glass, 6500.0))


def test_sharpening_leaves_flat_fields_and_overshoots_edges():
    flat = _grey(0.4)
    assert torch.equal(response.unsharp(flat), flat)
    edge = _grey(0.3).clone()
    edge[:, :, 8:] = 0.7
    out = response.unsharp(edge)
    assert float(out.max()) > 0.7 + 0.01 and float(out.min()) < 0.3 - 0.01
    assert torch.equal(response.unsharp(torch.stack([edge, flat]))[0], out)


def test_contrast_stretch_sends_the_image_quantiles_to_black_and_white():
    ramp = torch.linspace(0.3, 0.6, 100).view(1, 1, -1).expand(3, 4, 100).contiguous()
    out = response.contrast_stretch(ramp)
    assert float(out.min()) == 0.0 and float(out.max()) == 1.0
    assert (out[0, 0, 50] - 0.5).abs() < 0.02
    flat = _grey(0.5)
    assert torch.isfinite(response.contrast_stretch(flat)).all()  # no division by zero on a flat patch


def test_a_random_response_is_seeded_quantised_and_ranges_over_darker_brighter_and_tinted():
    rng = np.random.default_rng(0)
    image = torch.from_numpy(rng.uniform(0.2, 0.9, (3, 16, 16)).astype(np.float32))
    a = response.random_response(image, np.random.default_rng(5))
    assert torch.equal(a, response.random_response(image, np.random.default_rng(5)))
    assert a.min() >= 0 and a.max() <= 1 and torch.allclose(a * 255, torch.round(a * 255), atol=1e-4)
    glass = _grey(0.85)
    means = np.array([response.random_response(glass, np.random.default_rng(s), stretch_p=0)[:, 0, 0].numpy()
                      for s in range(200)])
    assert means.mean(axis=1).min() < 0.5 and means.mean(axis=1).max() > 0.95  # dim and clipped frames
    assert (means[:, 2] > means[:, 0] + 0.05).any() and (means[:, 0] > means[:, 2] + 0.05).any()  # blue and red


def test_the_response_preset_draws_responses_and_keeps_the_jitter_off():
    config = PRESETS["camera+response"]
    assert config.response_p > 0 and config.jitter_p == 0 and config.greyscale_p == 0
    assert PRESETS["camera"].response_p == 0
    glass = _grey(0.85, 32)
    changed = [not torch.allclose(augment(glass, np.random.default_rng(s), config), glass, atol=2 / 255)
               for s in range(16)]
    assert 2 <= sum(changed) <= 15  # about half the patches
    # without the response the camera preset leaves a flat patch's colour alone (test_robustness.py)
    assert all(torch.allclose(augment(glass, np.random.default_rng(s), PRESETS["camera"]), glass, atol=ONE_LEVEL)
               for s in range(16))


def test_robustness_reads_through_other_cameras_only_when_asked(trained_run, patch_export, capsys):
    best = f"{trained_run}/best.pt"
    assert robustness.main(["--checkpoint", best, "--data", patch_export, "--threads", "1", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)["results"][0]["conditions"]
    assert not set(robustness.RESPONSES) & set(plain)
    assert robustness.main(["--checkpoint", best, "--data", patch_export, "--responses", "--threads", "1",
                            "--json"]) == 0
    conditions = json.loads(capsys.readouterr().out)["results"][0]["conditions"]
    assert set(robustness.RESPONSES) <= set(conditions)
    assert conditions["as is"] == plain["as is"]
    assert conditions["linear (no sRGB)"]["test_mae_um"] != conditions["as is"]["test_mae_um"]


@pytest.mark.parametrize("name", sorted(robustness.RESPONSES))
def test_every_response_keeps_the_batch_shape_and_range(name):
    batch = torch.from_numpy(np.random.default_rng(1).uniform(0, 1, (2, 3, 24, 24)).astype(np.float32))
    out = robustness.RESPONSES[name](batch)
    assert out.shape == batch.shape and out.min() >= 0 and out.max() <= 1
    assert not torch.equal(out, batch)


def test_camera_batch_draws_responses_only_when_asked():
    from training.focusnet.data.camera_pipeline import camera_batch
    batch = torch.from_numpy(np.random.default_rng(2).uniform(0.2, 0.9, (4, 3, 16, 16)).astype(np.float32))
    before = camera_batch(batch, np.random.default_rng(4), 0.5, 0.6, (60, 95))
    # a run without responses keeps its draws (same seed, same patches as before responses existed)
    assert torch.equal(camera_batch(batch, np.random.default_rng(4), 0.5, 0.6, (60, 95), response_p=0.0), before)
    every = camera_batch(batch, np.random.default_rng(4), 0.0, 0.0, (60, 95), response_p=1.0)
    assert all(not torch.allclose(every[k], batch[k], atol=2 / 255) for k in range(4))
    assert every.min() >= 0 and every.max() <= 1


"""The PyTorch port of the virtual microscope (training/focusnet/optics) against the TypeScript one and physics."""
import json
import math
import os

import numpy as np
import pytest
import torch
from PIL import Image

from training import synth_train
from training.focusnet import checkpoint as ckpt
from training.focusnet.optics import GeneratorConfig, PatchGenerator, load_slides
from training.focusnet.optics import physics
from training.focusnet.optics.generator import keys, keys_matrix

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "optics-reference.json")


def _t(value: float) -> torch.Tensor:
    return torch.tensor([value], dtype=torch.float32)


@pytest.fixture(scope="module")
def reference():
    with open(FIXTURE) as handle:
        return json.load(handle)


def test_transfer_functions_match_the_typescript_model(reference):
    o = reference["optics"]
    freq = (torch.arange(reference["bins"]) * reference["dr"]).view(1, -1).float()
    for row in reference["transfer"]:
        ha, hp = physics.transfer_functions(freq, _t(row["z"]), _t(o["na"]), _t(o["immersionIndex"]),
                                            _t(o["wavelengthUm"]), _t(o["sphericalAberrationWaves"]),
                                            _t(o["condenserSigma"]))
        assert torch.allclose(ha[0, 0], torch.tensor(row["ha"]), atol=0.015), row["z"]
        assert torch.allclose(hp[0, 0], torch.tensor(row["hp"]), atol=0.015), row["z"]
    # the phase transfer is odd in z: the sign of defocus is in it
    by_z = {row["z"]: torch.tensor(row["hp"]) for row in reference["transfer"]}
    assert float((by_z[2] * by_z[-2]).sum()) < 0


def test_best_focus_shift_matches_the_typescript_formula(reference):
    w = torch.tensor([s["w040"] for s in reference["shifts"]])
    shifts = physics.best_focus_shift_um(torch.full_like(w, 0.75), torch.ones_like(w), w, 0.54)
    assert torch.allclose(shifts, torch.tensor([s["shiftUm"] for s in reference["shifts"]]), atol=1e-4)


def test_a_phase_bump_brightens_downstream_and_darkens_upstream():
    """Transport of intensity: dI/dz = -(1/k) div(I grad phi); a positive phase bump focuses light at +z."""
    size, pitch = 128, 0.1
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    r2 = ((xx - size / 2) ** 2 + (yy - size / 2) ** 2).float() * pitch ** 2
    phase = (0.5 * torch.exp(-r2 / (2 * 0.8 ** 2))).view(1, 1, size, size)
    ones = torch.ones_like(phase)
    centre = []
    for z in (-1.0, 0.0, 1.0):
        image = physics.image_intensity(ones, phase, pitch, _t(z), _t(0.75), _t(1.0), torch.tensor([0.54]),
                                        _t(0.0), _t(0.5))
        centre.append(float(image[0, 0, size // 2, size // 2]))
        assert abs(float(image.mean()) - 1.0) < 0.01  # energy is conserved
    below, focus, above = centre
    assert above > focus + 0.02 and below < focus - 0.02
    assert abs(focus - 1.0) < 0.02  # a pure phase object is invisible in focus


def _write_slides(folder):
    rng = np.random.default_rng(0)
    os.makedirs(folder, exist_ok=True)
    for index in range(2):
        tissue = rng.uniform(0.25, 0.95, size=(24, 24, 3))
        pixels = np.kron(tissue, np.ones((8, 8, 1)))  # cells of 1.4 um
        pixels[:, :60] = 1.0  # a strip of bare glass
        Image.fromarray((pixels * 255).astype(np.uint8)).save(os.path.join(folder, f"tissue_{index}.png"))
    return folder


def test_generator_draws_labelled_tissue_patches(tmp_path):
    folder = _write_slides(str(tmp_path / "slides"))
    config = GeneratorConfig(setup="40x", patch=64)
    slides = load_slides(folder, config.grid()[0], torch.device("cpu"))
    assert [s.name for s in slides] == ["tissue_0", "tissue_1"] and slides[0].kind == "stained"
    first = PatchGenerator(slides, config, seed=3, device=torch.device("cpu")).sample(6)
    again = PatchGenerator(slides, config, seed=3, device=torch.device("cpu")).sample(6)
    pixels, labels = first
    assert pixels.shape == (6, 3, 64, 64) and labels.shape == (6,)
    assert torch.equal(pixels, again[0]) and torch.equal(labels, again[1])  # seeded
    assert float(labels.min()) >= -10 and float(labels.max()) <= 10
    assert float(pixels.min()) >= 0 and float(pixels.max()) <= 1
    # 8-bit levels, as the export's PNGs decode
    assert torch.allclose(pixels * 255, torch.round(pixels * 255), atol=1e-3)
    # no bare glass: every patch carries structure
    assert float(pixels[:, 1].flatten(1).std(dim=1).min()) > 0.005
    # a patch far from focus is blurrier than one in focus
    fixed = PatchGenerator(slides, config, seed=4, device=torch.device("cpu"))
    sharp, _ = fixed.sample(4, torch.zeros(4))
    blurred, _ = PatchGenerator(slides, config, seed=4, device=torch.device("cpu")).sample(4, torch.full((4,), 8.0))
    gradient = lambda x: float((x[:, :, 1:] - x[:, :, :-1]).abs().mean())  # noqa: E731
    assert gradient(sharp) > 1.5 * gradient(blurred)


def test_missing_or_empty_slide_folder_is_a_clear_error(tmp_path, capsys):
    code = synth_train.main(["--slides", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run")])
    assert code == 2 and "Slide folder not found" in capsys.readouterr().err
    os.makedirs(tmp_path / "empty")
    code = synth_train.main(["--slides", str(tmp_path / "empty"), "--out", str(tmp_path / "run")])
    assert code == 2 and "No slide images" in capsys.readouterr().err


def test_synth_train_writes_a_checkpoint_training_export_reads(tmp_path):
    folder = _write_slides(str(tmp_path / "slides"))
    out = str(tmp_path / "run")
    code = synth_train.main(["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--out", out,
                             "--steps", "2", "--batch-size", "2", "--val-every", "1", "--val-samples", "16",
                             "--threads", "1"])
    assert code == 0
    state = ckpt.load(os.path.join(out, ckpt.BEST))
    assert state["target"] == "signed" and state["model_options"]["head"] == "side-magnitude"
    assert state["dataset"]["train_slides"] == ["tissue_0"] and state["dataset"]["test_slides"] == ["tissue_1"]
    assert state["dataset"]["optics"]["setup_id"] == "40x"
    assert math.isclose(state["dataset"]["optics"]["pixel_size_um"], 0.055)
    assert 0 <= state["best_metrics"]["test_sign_error_rate"] <= 1
    assert state["best_metrics"]["n"] == 16  # one error per validation patch (training.train's evaluation pass)
    assert len(ckpt.load(os.path.join(out, ckpt.LAST))["history"]) == 2  # one validation per step


def test_camera_upsampling_is_the_typescript_keys_cubic():
    # a = -0.5 half way between samples: the classic (-1, 9, 9, -1) / 16 taps (resample.ts), not torch's a = -0.75.
    taps = keys(torch.tensor([-1.5, -0.5, 0.5, 1.5]))
    assert torch.allclose(taps, torch.tensor([-1, 9, 9, -1]) / 16.0)
    # Keys with a = -0.5 reproduces quadratics: a separable quadratic field upsampled 3x is the quadratic, sampled
    # at resample.ts's pixel centres u = (i + 0.5) / 3 - 0.5 (plus the crop offset).
    size, factor, out, offset = 20, 3, 48, 6
    g = torch.arange(size, dtype=torch.float32)
    field = (0.3 + 0.02 * g - 0.001 * g ** 2).view(-1, 1) * (1.0 + 0.01 * g).view(1, -1)
    m = keys_matrix(out, size, factor, offset, torch.device("cpu"))
    up = m @ field @ m.T
    u = (torch.arange(out, dtype=torch.float32) + offset + 0.5) / factor - 0.5
    expected = (0.3 + 0.02 * u - 0.001 * u ** 2).view(-1, 1) * (1.0 + 0.01 * u).view(1, -1)
    assert torch.allclose(up, expected, atol=1e-5)

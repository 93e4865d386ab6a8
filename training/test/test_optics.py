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
from training.focusnet import distributed, engine
from training.focusnet.optics import GeneratorConfig, PatchGenerator, load_slides
from training.focusnet.optics import physics
from training.focusnet.optics.generator import keys, keys_upsample

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
    for factor in (2, 3):
        size, out, offset = 20, 14 * factor, 2 * factor  # every output pixel has its 4 x 4 samples
        g = torch.arange(size, dtype=torch.float32)
        field = (0.3 + 0.02 * g - 0.001 * g ** 2).view(-1, 1) * (1.0 + 0.01 * g).view(1, -1)
        up = keys_upsample(field.view(1, 1, size, size), factor, out, offset)[0, 0]
        u = (torch.arange(out, dtype=torch.float32) + offset + 0.5) / factor - 0.5
        expected = (0.3 + 0.02 * u - 0.001 * u ** 2).view(-1, 1) * (1.0 + 0.01 * u).view(1, -1)
        assert torch.allclose(up, expected, atol=1e-5), factor


def _wotf_full_2d(z, na, n, lam, w040, sigma, grid):
    """The WOTF radial profile by the whole 2-D cross-correlation of pupil and source (the reference)."""
    radius = na / lam
    rc = sigma * radius
    delta = 2.2 * (radius + rc) / grid
    j = torch.arange(grid, dtype=torch.float32)
    j = torch.where(j < grid / 2, j, j - grid)
    fy, fx = j.view(1, grid, 1) * delta.view(-1, 1, 1), j.view(1, 1, grid) * delta.view(-1, 1, 1)
    k = torch.sqrt(fx * fx + fy * fy)
    col = lambda v: v.view(-1, 1, 1)  # noqa: E731
    p = physics.pupil(k, col(z), col(na), col(n), col(lam), col(w040))
    source = (k <= col(rc)).to(torch.float32)
    corr = torch.fft.ifft2(torch.conj(torch.fft.fft2(p * source)) * torch.fft.fft2(p))
    return corr[:, 0, : grid // 2 + 1] / source.sum(dim=(1, 2)).clamp(min=1.0).view(-1, 1)


def test_the_wotf_from_the_source_rows_is_the_full_correlation():
    z = torch.tensor([-9.0, -1.5, 0.0, 2.0, 7.0])
    na, n = torch.tensor([0.75, 0.72, 0.78, 0.65, 0.75]), torch.ones(5)
    lam = torch.tensor([0.61, 0.54, 0.465, 0.54, 0.61])
    w040 = torch.tensor([0.0, 0.3, -0.1, 0.0, 0.5])
    sigma = torch.tensor([0.0, 0.45, 0.9, 0.6, 0.3])  # 0: a single source point
    profile, _ = physics.wotf_profile(z, na, n, lam, w040, sigma, grid=128)
    assert torch.allclose(profile, _wotf_full_2d(z, na, n, lam, w040, sigma, 128), atol=2e-6)


def test_the_camera_grid_with_the_pixel_aperture_is_binning_a_finer_grid():
    """2 x 2 binning of a render at half the camera pitch = a render at the camera pitch times the binning's
    transfer, for a sample with nothing above the camera's Nyquist frequency."""
    pixel, size = 0.2, 64  # camera pitch (um) and camera pixels: a 12.8 um periodic field

    def sample(pitch: float, count: int, offset: float):
        x = torch.arange(count) * pitch + offset
        yy, xx = torch.meshgrid(x, x, indexing="ij")
        f = 1 / (size * pixel)  # harmonics of the field: periodic on both grids
        od = 0.3 + 0.2 * torch.cos(2 * math.pi * (9 * f * xx + 4 * f * yy)) + 0.1 * torch.sin(2 * math.pi * 13 * f * yy)
        return torch.exp(-od).view(1, 1, count, count), (0.4 * od).view(1, 1, count, count)

    optics = (_t(1.5), _t(0.75), _t(1.0), torch.tensor([0.54]), _t(0.1), _t(0.5))
    fine = physics.image_intensity(*sample(pixel / 2, 2 * size, 0.0), pixel / 2, *optics)
    binned = torch.nn.functional.avg_pool2d(fine, 2)  # camera pixel i: fine samples 2i, 2i + 1
    camera = physics.image_intensity(*sample(pixel, size, pixel / 4), pixel, *optics, pixel_bins=2)
    assert float(binned.std()) > 0.01  # the test has contrast to lose
    assert torch.allclose(camera, binned, atol=2e-5)
    plain = physics.image_intensity(*sample(pixel, size, pixel / 4), pixel, *optics)
    assert float((plain - binned).abs().max()) > 1e-3  # without the aperture the two differ


def test_synth_train_fine_tunes_from_a_checkpoint_and_records_every_stage(tmp_path, capsys):
    folder = _write_slides(str(tmp_path / "slides"))
    common = ["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--steps", "1", "--batch-size", "2",
              "--val-every", "1", "--val-samples", "16", "--threads", "1"]
    first, second, third = (str(tmp_path / name) for name in ("first", "second", "third"))
    assert synth_train.main(common + ["--out", first]) == 0
    assert synth_train.main(common + ["--out", second, "--init", os.path.join(first, ckpt.BEST),
                                      "--phase-rad", "0.1", "0.5", "--lr", "1e-5"]) == 0
    source, tuned = ckpt.load(os.path.join(first, ckpt.BEST)), ckpt.load(os.path.join(second, ckpt.BEST))
    assert tuned["normalisation"] == source["normalisation"]  # the weights keep the inputs they know
    assert tuned["model_options"] == source["model_options"]
    weight = "head.linear.weight"
    drift = (tuned["model_state"][weight] - source["model_state"][weight]).abs().max()
    assert float(drift) < 1e-3  # one step at 1e-5 from the source's weights, not from a fresh start
    assert tuned["pretraining"]["command"] == source["training"]["command"]
    assert tuned["dataset"]["rendering"] == {"grid": "fine", "phase_rad": [0.1, 0.5]}
    assert synth_train.main(common + ["--out", third, "--init", os.path.join(second, ckpt.BEST)]) == 0
    chain = ckpt.load(os.path.join(third, ckpt.BEST))["pretraining"]
    assert [s["command"] for s in chain["stages"]] == [source["training"]["command"], tuned["training"]["command"]]
    assert math.isclose(chain["time_s"], sum(s["time_s"] for s in chain["stages"]))
    # another setup, or a range upside down, is refused before anything renders
    code = synth_train.main(common[:4] + ["--setup", "20x", "--out", str(tmp_path / "x"), "--init",
                                          os.path.join(first, ckpt.BEST)])
    assert code == 2 and "trained for the 40x setup, not 20x" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        synth_train.main(common + ["--out", str(tmp_path / "y"), "--phase-rad", "0.8", "0.2"])


def test_the_render_benchmark_times_both_grids(tmp_path, capsys):
    from training import bench
    folder = _write_slides(str(tmp_path / "slides"))
    assert bench.main(["--render", "--slides", folder, "--setups", "20x,40x", "--batch-size", "2", "--repeats", "1",
                       "--threads", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["render"]
    assert [(r["setup"], r["grid"]) for r in rows] == [("20x", "fine"), ("20x", "camera"), ("40x", "fine")]
    assert rows[0]["fft_grid"] == 2 * rows[1]["fft_grid"] and rows[1]["vs_fine"] > 0
    assert all(r["patches_per_s"] > 0 for r in rows)
    assert bench.main(["--render"]) == 2 and "--render needs --slides" in capsys.readouterr().err


def test_rendered_eval_scores_checkpoints_on_the_same_draws(tmp_path, capsys):
    from training import export, rendered_eval
    folder = _write_slides(str(tmp_path / "slides"))
    run = str(tmp_path / "run")
    assert synth_train.main(["--slides", folder, "--exclude", "tissue_1", "--setup", "40x", "--out", run, "--steps",
                             "1", "--batch-size", "2", "--val-every", "1", "--val-samples", "16", "--threads", "1"]) == 0
    best = os.path.join(run, ckpt.BEST)
    capsys.readouterr()
    args = ["--checkpoint", best, best, "--slides", folder, "--only", "tissue_1", "--setup", "40x", "--n", "32",
            "--phase-rad", "0.1", "0.6", "--threads", "1", "--json"]
    assert rendered_eval.main(args) == 0
    first, second = json.loads(capsys.readouterr().out)["results"]
    assert first["n"] == 32 and first == second  # one set of draws for every checkpoint
    assert 0 <= first["test_sign_error_rate"] <= 1 and first["test_mae_um"] > 0
    assert rendered_eval.main(args[:7] + ["--setup", "20x", "--n", "32"]) == 2
    assert "trained for the 40x setup, not 20x" in capsys.readouterr().err
    # --card restates a card's metrics with the figures of one checkpoint read as one camera delivers frames
    card_path = str(tmp_path / "m.json")
    card = export.build_card(ckpt.load(best), "m", None, {"magnification": 40, "na": 0.65, "setup_id": "40x"},
                             "0" * 64, 1)
    with open(card_path, "w") as handle:
        json.dump(card, handle)
    one = ["--checkpoint", best] + args[3:-1] + ["--condition", "monochrome", "--json", "--card", card_path]
    assert rendered_eval.main(one) == 0
    mono = json.loads(capsys.readouterr().out)["results"][0]
    with open(card_path) as handle:
        written = json.load(handle)
    assert written["metrics"]["frames"] == "monochrome" and written["metrics"]["n"] == 32
    assert written["metrics"]["test_sign_error_rate"] == mono["test_sign_error_rate"]
    assert "--condition monochrome" in written["metrics"]["source"] and written["sha256"] == card["sha256"]
    with pytest.raises(SystemExit):  # two checkpoints: which one's figures?
        rendered_eval.parse_args(args[:-1] + ["--card", card_path])
    assert rendered_eval.main(one[:-1] + [str(tmp_path / "missing.json")]) == 2
    assert "cannot read the model card" in capsys.readouterr().err
    # the figures themselves (training's evaluation pass, which rendered_eval scores with): one wrong side of three
    # beyond 1 um, the 0.5 um patch has no side to miss
    class Fixed(torch.nn.Module):
        def forward(self, x):
            return torch.tensor([[2.0], [-1.0], [-3.0], [-0.5]])

    truth = torch.tensor([[1.5], [2.0], [-4.0], [0.5]])
    scored = engine.evaluate(Fixed(), [(torch.zeros(4, 3, 8, 8), truth)], distributed.start("cpu"))
    assert scored["n"] == 4 and math.isclose(scored["test_sign_error_rate"], 1 / 3, rel_tol=1e-6)
    assert math.isclose(scored["test_mae_um"], (0.5 + 3.0 + 1.0 + 1.0) / 4, rel_tol=1e-6)
    # --by-range: the same checkpoint and draws, the figures split by the true defocus
    assert rendered_eval.main(args[:2] + args[3:] + ["--by-range"]) == 0
    ranges = json.loads(capsys.readouterr().out)["results"][0]["by_range"]
    assert list(ranges) == ["-10..-5", "-5..-1", "-1..+1", "+1..+5", "+5..+10"]
    assert sum(row["n"] for row in ranges.values()) == 32 and ranges["-1..+1"]["wrong_side_rate"] is None
    assert rendered_eval.main(args[:2] + args[3:-1] + ["--by-range"]) == 0
    assert "+5..+10 um:" in capsys.readouterr().out


def test_figures_by_range_of_the_true_defocus():
    from training.rendered_eval import by_range
    truth = torch.tensor([-7.0, -3.0, -1.0, 0.5, 1.0, 3.0, 6.0, 8.0], dtype=torch.float64)
    read = torch.tensor([-3.5, 3.0, -2.0, 0.2, 1.5, 3.0, -6.0, 16.0], dtype=torch.float64)
    rows = by_range(read, truth)
    assert rows["-10..-5"] == {"n": 1, "mae_um": 3.5, "wrong_side_rate": 0.0, "reading_scale": 0.5}
    assert rows["-5..-1"] == {"n": 2, "mae_um": 3.5, "wrong_side_rate": 0.5, "reading_scale": 1.5}  # -1 has a side
    assert rows["-1..+1"]["n"] == 1 and math.isclose(rows["-1..+1"]["mae_um"], 0.3)
    assert rows["-1..+1"]["wrong_side_rate"] is None and rows["-1..+1"]["reading_scale"] is None
    assert rows["+1..+5"] == {"n": 2, "mae_um": 0.25, "wrong_side_rate": 0.0, "reading_scale": 1.25}
    assert rows["+5..+10"] == {"n": 2, "mae_um": 10.0, "wrong_side_rate": 0.5, "reading_scale": 1.5}
    empty = by_range(torch.zeros(0, dtype=torch.float64), torch.zeros(0, dtype=torch.float64))
    assert empty["+1..+5"] == {"n": 0, "mae_um": None, "wrong_side_rate": None, "reading_scale": None}

import csv
import os

import numpy as np
import pytest
import torch
from PIL import Image

from training.focusnet.data.augment import AugmentConfig, augment
from training.focusnet.data.dataset import DefocusPatches, channel_stats, grid_positions
from training.focusnet.data.images import load_pixels
from training.focusnet.optics.camera import srgb_encode
from training.focusnet.data.manifest import MANIFEST_COLUMNS, check_split, read_export, select_rows
from training.focusnet.errors import TrainingError

from .synthetic_export import brightness_for, write_export


def _rewrite_manifest(root, transform):
    path = os.path.join(root, "manifest.csv")
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(transform(rows))


def test_reads_export_and_split_is_by_stack(patch_export):
    export = read_export(patch_export)
    check_split(export.rows)
    train = {r.stack_id for r in export.split_rows("train")}
    test = {r.stack_id for r in export.split_rows("test")}
    assert train and test and not (train & test)
    assert len(export.rows) == 48
    assert export.setup("20x")["pixel_size_um"] == pytest.approx(0.1725)


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(TrainingError) as caught:
        read_export(str(tmp_path))
    assert caught.value.code == "manifest_missing"
    assert "manifest.csv" in caught.value.message


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(TrainingError) as caught:
        read_export(str(tmp_path / "nope"))
    assert caught.value.code == "export_missing"


def test_wrong_header_is_a_clear_error(tmp_path):
    root = write_export(str(tmp_path), stacks=3, planes=2, test_stacks=1)
    _rewrite_manifest(root, lambda rows: [rows[0][:-1] + ["origin"]] + rows[1:])
    with pytest.raises(TrainingError) as caught:
        read_export(root)
    assert caught.value.code == "manifest_header"


@pytest.mark.parametrize("column,value,fragment", [
    ("defocus_um", "abc", "defocus_um is not a number"),
    ("split", "validation", "split must be train or test"),
    ("bit_depth", "12", "bit_depth must be 8 or 16"),
    ("path", "../escape.png", "path must be relative"),
])
def test_corrupt_row_names_the_line(tmp_path, column, value, fragment):
    root = write_export(str(tmp_path), stacks=3, planes=2, test_stacks=1)
    index = MANIFEST_COLUMNS.index(column)

    def corrupt(rows):
        rows[3][index] = value
        return rows
    _rewrite_manifest(root, corrupt)
    with pytest.raises(TrainingError) as caught:
        read_export(root)
    assert caught.value.code == "manifest_row"
    assert "line 4" in caught.value.message and fragment in caught.value.message


def test_truncated_row_is_a_clear_error(tmp_path):
    root = write_export(str(tmp_path), stacks=3, planes=2, test_stacks=1)
    _rewrite_manifest(root, lambda rows: rows[:2] + [rows[2][:5]] + rows[3:])
    with pytest.raises(TrainingError, match="columns"):
        read_export(root)


def test_empty_manifest_is_a_clear_error(tmp_path):
    root = write_export(str(tmp_path), stacks=3, planes=2, test_stacks=1)
    _rewrite_manifest(root, lambda rows: rows[:1])
    with pytest.raises(TrainingError) as caught:
        read_export(root)
    assert caught.value.code == "manifest_empty"


def test_missing_image_is_reported(tmp_path):
    root = write_export(str(tmp_path), stacks=3, planes=2, test_stacks=1)
    os.remove(os.path.join(root, "images", "s001", "p000.png"))
    with pytest.raises(TrainingError) as caught:
        read_export(root)
    assert caught.value.code == "image_missing" and "s001/p000.png" in caught.value.message


def test_stack_on_both_sides_is_refused(tmp_path):
    root = write_export(str(tmp_path), stacks=4, planes=2, test_stacks=1, leak_stack="s000")
    with pytest.raises(TrainingError) as caught:
        check_split(read_export(root).rows)
    assert caught.value.code == "split_leak" and "s000" in caught.value.message


def test_mixed_pixel_sizes_need_a_setup(tmp_path):
    root = write_export(str(tmp_path), stacks=4, planes=2, test_stacks=1)
    pixel = MANIFEST_COLUMNS.index("pixel_size_um")
    setup = MANIFEST_COLUMNS.index("setup_id")

    def second_setup(rows):
        for row in rows[1:4]:
            row[pixel], row[setup] = "0.0862", "40x"
        return rows
    _rewrite_manifest(root, second_setup)
    rows = read_export(root).rows
    with pytest.raises(TrainingError) as caught:
        select_rows(rows, None)
    assert caught.value.code == "mixed_pixel_size"
    assert {r.setup_id for r in select_rows(rows, "20x")} == {"20x"}


def test_bad_dataset_json_version(tmp_path):
    root = write_export(str(tmp_path), stacks=3, planes=2, test_stacks=1)
    with open(os.path.join(root, "dataset.json"), "w") as handle:
        handle.write('{"format": "focus-station-export", "format_version": 7}')
    with pytest.raises(TrainingError) as caught:
        read_export(root)
    assert caught.value.code == "dataset_json_version"


@pytest.mark.parametrize("bit_depth,channels", [(8, 1), (16, 1), (8, 3), (16, 3)])
def test_png_depths_and_channels_normalise_to_unit_range(tmp_path, bit_depth, channels):
    root = write_export(str(tmp_path), stacks=3, planes=3, test_stacks=1, bit_depth=bit_depth,
                        channels=channels, size=32)
    export = read_export(root)
    dataset = DefocusPatches(export.rows, 32, train=False, mean=[0, 0, 0], std=[1, 1, 1])
    for index in range(len(dataset)):
        patch, label = dataset[index]
        assert patch.shape == (3, 32, 32) and patch.dtype == torch.float32
        assert torch.equal(patch[0], patch[1]) and torch.equal(patch[1], patch[2])  # grey replicated
        assert 0.0 <= float(patch.min()) and float(patch.max()) <= 1.0
        # texture is +-0.15 around the brightness; 16-bit RGB PNG is read at 8-bit precision; 16-bit values are
        # linear light, read through the sRGB curve the models take (optics/camera.py srgb_encode; over 0.1..0.9 the curve
        # lifts a value by 0.05-0.25, more than the tolerance)
        brightness = brightness_for(float(label))
        expected = brightness if bit_depth == 8 else float(srgb_encode(torch.tensor(brightness)))
        assert float(patch.mean()) == pytest.approx(expected, abs=0.03)


def test_16bit_tiff_is_read_at_full_scale(tmp_path):
    values = (np.arange(32 * 32).reshape(32, 32) * 60).astype(np.uint16)
    path = str(tmp_path / "frame.tif")
    Image.fromarray(values).save(path)
    pixels, scale = load_pixels(path, 16)
    assert scale == 65535.0 and int(pixels.max()) == int(values.max())


def test_values_above_bit_depth_are_refused(tmp_path):
    path = str(tmp_path / "frame.png")
    Image.fromarray((np.ones((8, 8)) * 4000).astype(np.uint16)).save(path)
    with pytest.raises(TrainingError) as caught:
        load_pixels(path, 8)
    assert caught.value.code == "image_bit_depth"


def test_unreadable_image_is_a_clear_error(tmp_path):
    path = str(tmp_path / "broken.png")
    with open(path, "wb") as handle:
        handle.write(b"not a png")
    with pytest.raises(TrainingError) as caught:
        load_pixels(path, 8)
    assert caught.value.code == "image_unreadable"


def test_wrong_patch_size_is_refused(patch_export):
    rows = read_export(patch_export).rows
    with pytest.raises(TrainingError) as caught:
        DefocusPatches(rows, 24, train=False, mean=[0, 0, 0], std=[1, 1, 1])
    assert caught.value.code == "patch_size" and "--patch-size" in caught.value.message


def test_full_frames_grid_for_test_and_random_crops_for_train(tmp_path):
    root = write_export(str(tmp_path), stacks=3, planes=2, test_stacks=1, full_frames=True, frame_size=(80, 72))
    rows = read_export(root).rows
    assert grid_positions(80, 72, 32) == [(8, 4), (40, 4), (8, 36), (40, 36)]
    test = DefocusPatches(rows, 32, train=False, mean=[0, 0, 0], std=[1, 1, 1])
    assert len(test) == 4 * len(rows)
    first, again = test[1][0], test[1][0]
    assert torch.equal(first, again)
    train = DefocusPatches(rows, 32, train=True, mean=[0, 0, 0], std=[1, 1, 1], seed=3)
    assert len(train) == len(test)
    crops_epoch1 = [train[i][0] for i in range(4)]
    assert any(not torch.equal(crops_epoch1[0], c) for c in crops_epoch1[1:])  # different random crops
    assert torch.equal(train[2][0], crops_epoch1[2])  # same (seed, epoch, index) -> same crop
    train.set_epoch(2)
    assert not torch.equal(train[2][0], crops_epoch1[2])
    assert train[2][1].item() == pytest.approx(rows[0].defocus_um, abs=1e-6)


def test_normalisation_uses_the_card_formula(patch_export):
    rows = read_export(patch_export).split_rows("train")
    raw = DefocusPatches(rows, 32, train=False, mean=[0, 0, 0], std=[1, 1, 1])
    mean, std = channel_stats(raw)
    assert all(0.3 < m < 0.7 for m in mean) and all(0.05 < s < 0.5 for s in std)
    normalised = DefocusPatches(rows, 32, train=False, mean=mean, std=std)
    expected = (raw[0][0] - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    assert torch.allclose(normalised[0][0], expected, atol=1e-6)


def test_augmentations_keep_label_and_are_seeded(patch_export):
    rows = read_export(patch_export).split_rows("train")
    config = AugmentConfig()
    plain = DefocusPatches(rows, 32, train=False, mean=[0, 0, 0], std=[1, 1, 1])
    augmented = DefocusPatches(rows, 32, train=True, mean=[0, 0, 0], std=[1, 1, 1], augment_config=config, seed=5)
    for index in range(6):
        image, label = augmented[index]
        assert label.item() == plain[index][1].item()
        assert image.shape == (3, 32, 32) and 0.0 <= float(image.min()) and float(image.max()) <= 1.0
        assert torch.equal(image, augmented[index][0])
    assert any(not torch.equal(augmented[i][0], plain[i][0]) for i in range(6))


def test_spatial_augmentations_only_permute_pixels():
    """Flips and rotations without colour changes keep the same set of pixel values (no blur, no resampling)."""
    config = AugmentConfig(jitter_p=0.0, greyscale_p=0.0, noise_p=0.0)
    image = torch.rand(3, 16, 16)
    for seed in range(8):
        out = augment(image, np.random.default_rng(seed), config)
        assert torch.equal(torch.sort(out.flatten())[0], torch.sort(image.flatten())[0])


def test_colour_jitter_on_grey_keeps_it_grey_when_hue_and_saturation_are_off():
    config = AugmentConfig(flips=False, rotations=False, jitter_p=1.0, saturation=0.0, hue=0.0, greyscale_p=0.0,
                           noise_p=0.0)
    grey = torch.rand(1, 16, 16).expand(3, -1, -1).contiguous()
    out = augment(grey, np.random.default_rng(1), config)
    assert torch.allclose(out[0], out[1], atol=1e-5) and torch.allclose(out[1], out[2], atol=1e-5)
    assert not torch.allclose(out, grey)

"""Writes a tiny FocusStation export whose label is learnable: a patch's brightness is linear in its defocus."""
import csv
import json
import os
import struct
import zlib
from typing import List, Optional

import numpy as np
from PIL import Image

from training.focusnet.data.manifest import MANIFEST_COLUMNS


def brightness_for(defocus_um: float) -> float:
    return 0.5 + 0.04 * defocus_um


def write_png_rgb16(path: str, image: np.ndarray) -> None:
    """48-bit RGB PNG (Pillow cannot write one): filter 0 rows of big-endian samples."""
    height, width = image.shape[:2]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + image[y].astype(">u2").tobytes() for y in range(height))
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write_export(root: str, stacks: int = 8, planes: int = 6, size: int = 32, test_stacks: int = 2,
                 bit_depth: int = 8, channels: int = 1, full_frames: bool = False, frame_size=(80, 72),
                 seed: int = 0, leak_stack: Optional[str] = None) -> str:
    """`stacks` z-stacks of `planes` images each, defocus spread over -5..+5 um; the last `test_stacks`
    stacks (and their slides) form the test split. Returns root."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    rows: List[list] = []
    full_scale = 2 ** bit_depth - 1
    for stack in range(stacks):
        split = "test" if stack >= stacks - test_stacks else "train"
        stack_id, slide_id = f"s{stack:03d}", f"slide{stack // 2}"
        folder = os.path.join(root, "images", stack_id)
        os.makedirs(folder, exist_ok=True)
        for plane in range(planes):
            defocus = float(np.round(-5 + 10 * plane / max(planes - 1, 1) + rng.uniform(-0.3, 0.3), 4))
            width, height = frame_size if full_frames else (size, size)
            texture = rng.uniform(-0.15, 0.15, size=(height, width))
            value = np.clip(brightness_for(defocus) + texture, 0, 1)
            image = np.round(value * full_scale).astype(np.uint16 if bit_depth == 16 else np.uint8)
            if channels == 3:
                image = np.stack([image] * 3, axis=2)
            name = f"p{plane:03d}.png"
            if bit_depth == 16 and channels == 3:
                write_png_rgb16(os.path.join(folder, name), image)
            else:
                Image.fromarray(image).save(os.path.join(folder, name))
            patch_x, patch_y = ("", "") if full_frames else (0, 0)
            rows.append([f"images/{stack_id}/{name}", split, stack_id, slide_id, "20x", defocus, 100 + defocus,
                         100.0, 0.1725, 20, 0.75, channels, bit_depth, width, height, patch_x, patch_y, "sim"])
    if leak_stack is not None:  # the same stack listed once more on the other side
        row = next(r for r in rows if r[2] == leak_stack)
        rows.append([row[0], "test" if row[1] == "train" else "train", *row[2:]])
    with open(os.path.join(root, "manifest.csv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(rows)
    train_stacks = stacks - test_stacks
    info = {
        "format": "focus-station-export", "format_version": 1, "app_version": "test", "exported_at": "2024-01-01T00:00:00Z",
        "setups": [{"id": "20x", "name": "20x/0.75 air", "magnification": 20, "na": 0.75, "immersion_index": 1.0,
                    "condenser_sigma": 0.7, "pixel_size_um": 0.1725}],
        "split": {"rule": "stack", "seed": seed, "test_fraction": 0.1, "train_stacks": train_stacks,
                  "test_stacks": test_stacks},
        "counts": {"images": len(rows), "train": train_stacks * planes, "test": test_stacks * planes,
                   "stacks": stacks, "slides": (stacks + 1) // 2},
        "patch": None if full_frames else {"size": size, "reject_blank": False, "stride": size},
        "label_method": "synthetic brightness", "filters": {}, "slides": [],
    }
    with open(os.path.join(root, "dataset.json"), "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    return root

"""Dataset of 224x224 (or --patch-size) patches with their signed defocus label in um.

Patch rows are used as they are; full-frame rows are cut into patches: a fixed, centred grid of
non-overlapping tiles for evaluation, and as many random crops per frame per epoch for training.
Every random choice comes from a generator seeded by (seed, epoch, item index), so results do not depend on
the number of DataLoader workers, on resuming, or on the process rank.
"""
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import TrainingError
from .augment import AugmentConfig, augment
from .images import crop_rgb, load_pixels
from .manifest import ImageRow


@dataclass(frozen=True)
class Item:
    row: int
    x: int  # top-left of the crop; -1 = random crop (training on full frames)
    y: int


class FrameCache:
    """LRU cache of decoded full frames (native dtype), so the tiles of one frame decode it once."""

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.used = 0
        self.frames: "OrderedDict[str, Tuple[np.ndarray, float]]" = OrderedDict()

    def get(self, row: ImageRow) -> Tuple[np.ndarray, float]:
        if row.path in self.frames:
            self.frames.move_to_end(row.path)
            return self.frames[row.path]
        pixels, scale = load_pixels(row.path, row.bit_depth)
        if pixels.nbytes <= self.budget:
            self.frames[row.path] = (pixels, scale)
            self.used += pixels.nbytes
            while self.used > self.budget:
                _, (old, _) = self.frames.popitem(last=False)
                self.used -= old.nbytes
        return pixels, scale


class DefocusPatches(Dataset):
    def __init__(self, rows: Sequence[ImageRow], patch_size: int, train: bool, mean: Sequence[float],
                 std: Sequence[float], augment_config: Optional[AugmentConfig] = None, seed: int = 0,
                 cache_mb: int = 512):
        self.rows = list(rows)
        self.patch_size = patch_size
        self.train = train
        self.augment_config = augment_config if train else None
        self.mean = torch.tensor(list(mean), dtype=torch.float32).view(3, 1, 1)
        self.std = torch.tensor(list(std), dtype=torch.float32).view(3, 1, 1)
        self.seed = seed
        self.epoch = 0
        self.cache = FrameCache(cache_mb * 1024 * 1024)
        self.items = _plan_items(self.rows, patch_size, train)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.items)

    def label(self, index: int) -> float:
        return self.rows[self.items[index].row].defocus_um

    def raw_patch(self, index: int, rng: Optional[np.random.Generator] = None) -> torch.Tensor:
        """Un-normalised, un-augmented 3xSxS patch in [0, 1]."""
        item = self.items[index]
        row = self.rows[item.row]
        pixels, scale = self._pixels(row)
        height, width = pixels.shape[:2]
        size = self.patch_size
        if row.is_patch:
            if (height, width) != (size, size):
                raise TrainingError("patch_size", f"{row.relpath}: patch is {width}x{height} px but the model takes "
                                                  f"{size}x{size} (--patch-size)")
            x, y = 0, 0
        elif item.x < 0:
            rng = rng or np.random.default_rng([self.seed, self.epoch, index])
            x, y = int(rng.integers(width - size + 1)), int(rng.integers(height - size + 1))
        else:
            x, y = item.x, item.y
        if (height, width) != (row.height, row.width):
            raise TrainingError("image_size", f"{row.relpath}: image is {width}x{height} px, manifest says "
                                              f"{row.width}x{row.height}")
        region = crop_rgb(pixels, scale, x, y, size, linear=row.bit_depth > 8)
        return torch.from_numpy(region).permute(2, 0, 1).contiguous()

    def __getitem__(self, index: int):
        rng = np.random.default_rng([self.seed, self.epoch, index])
        patch = self.raw_patch(index, rng)
        if self.augment_config is not None:
            patch = augment(patch, rng, self.augment_config)
        patch = (patch - self.mean) / self.std
        label = torch.tensor([self.label(index)], dtype=torch.float32)
        return patch, label

    def _pixels(self, row: ImageRow):
        if row.is_patch:
            return load_pixels(row.path, row.bit_depth)
        return self.cache.get(row)


def _plan_items(rows: Sequence[ImageRow], size: int, train: bool) -> List[Item]:
    items: List[Item] = []
    for index, row in enumerate(rows):
        if row.is_patch:
            if (row.width, row.height) != (size, size):
                raise TrainingError("patch_size", f"{row.relpath}: patch is {row.width}x{row.height} px but the "
                                                  f"model takes {size}x{size} (--patch-size)")
            items.append(Item(index, 0, 0))
            continue
        if row.width < size or row.height < size:
            raise TrainingError("frame_too_small", f"{row.relpath}: frame {row.width}x{row.height} px is smaller "
                                                   f"than one {size}x{size} patch")
        grid = grid_positions(row.width, row.height, size)
        if train:
            items.extend(Item(index, -1, -1) for _ in grid)
        else:
            items.extend(Item(index, x, y) for x, y in grid)
    return items


def grid_positions(width: int, height: int, size: int) -> List[Tuple[int, int]]:
    """Non-overlapping tiles, the grid centred in the frame (the margins split evenly)."""
    columns, lines = width // size, height // size
    x0, y0 = (width - columns * size) // 2, (height - lines * size) // 2
    return [(x0 + c * size, y0 + r * size) for r in range(lines) for c in range(columns)]


def channel_stats(dataset: DefocusPatches, max_items: int = 256, seed: int = 0) -> Tuple[List[float], List[float]]:
    """Per-channel mean and std of un-augmented patches in [0, 1], from a seeded sample of items."""
    count = len(dataset)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(count, size=min(max_items, count), replace=False).tolist())
    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    pixels = 0
    for index in chosen:
        patch = dataset.raw_patch(index, np.random.default_rng([seed, index])).double()
        total += patch.sum(dim=(1, 2))
        total_sq += (patch * patch).sum(dim=(1, 2))
        pixels += patch.shape[1] * patch.shape[2]
    mean = total / pixels
    std = (total_sq / pixels - mean * mean).clamp_min(1e-12).sqrt().clamp_min(1e-3)
    return [round(float(v), 6) for v in mean], [round(float(v), 6) for v in std]

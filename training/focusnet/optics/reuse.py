"""Rendered patches kept and shown again, for training where rendering is the wall (two CPU cores).

On a CPU the virtual microscope takes about 48 ms to render a 20x patch and LDSE-NET about 10 ms to learn from
one (2 threads), so a stream of fresh patches spends four fifths of its time rendering. Each patch rendered here
is kept (8-bit, as the camera gives it: lossless) and drawn again later under one of the 8 rotations and mirror
images, which leave the label as it is (the optics are rotationally symmetric). A batch is then a few fresh
patches and the rest drawn from the pool.
"""
from typing import Tuple

import torch

from .generator import dihedral


class RenderedPool:
    """A ring of up to `capacity` rendered patches (N, 3, P, P) in [0, 1] with their labels, on the CPU."""

    def __init__(self, capacity: int, patch: int, seed: int):
        if capacity < 1:
            raise ValueError("a pool holds at least one patch")
        self.pixels = torch.empty((capacity, 3, patch, patch), dtype=torch.uint8)
        self.labels = torch.empty(capacity, dtype=torch.float32)
        self.capacity = capacity
        self.count = 0  # patches held
        self.added = 0  # patches ever added (the oldest are replaced once the ring is full)
        self.gen = torch.Generator()
        self.gen.manual_seed(seed)

    def add(self, pixels: torch.Tensor, labels: torch.Tensor) -> None:
        """Keep a rendered batch. Its pixels are the camera's 8-bit levels / 255, so uint8 loses nothing."""
        values = torch.round(pixels.detach().float().cpu().clamp(0, 1) * 255).to(torch.uint8)
        for k in range(values.shape[0]):
            slot = self.added % self.capacity
            self.pixels[slot] = values[k]
            self.labels[slot] = float(labels[k])
            self.added += 1
        self.count = min(self.added, self.capacity)

    def draw(self, n: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """n patches drawn uniformly (with replacement) from those held, each turned by a random one of the 8
        rotations and mirror images: ((n, 3, P, P) float in [0, 1], (n,) labels)."""
        if self.count == 0:
            raise ValueError("the pool is empty")
        picks = torch.randint(self.count, (n,), generator=self.gen)
        turns = torch.randint(8, (n,), generator=self.gen).tolist()
        out = [dihedral(self.pixels[index], turn) for index, turn in zip(picks.tolist(), turns)]
        return torch.stack(out).float() / 255.0, self.labels[picks].clone()


def fresh_share(batch: int, reuse: float) -> int:
    """Patches of each batch rendered anew when every rendered patch is to be shown about `reuse` times."""
    return max(1, min(batch, round(batch / reuse)))


def random_crops(pixels: torch.Tensor, size: int, gen: torch.Generator) -> torch.Tensor:
    """A random size x size window of each (N, C, P, P) patch, each at its own place.

    The defocus cue is local (how each feature blurs), so a window keeps its patch's label; learning from a 128 px
    window costs about a third of the 224 px patch on a CPU, and the windows of one kept patch differ."""
    room = pixels.shape[-1] - size
    if room < 0:
        raise ValueError(f"a {size} px window does not fit a {pixels.shape[-1]} px patch")
    rows = torch.randint(room + 1, (pixels.shape[0],), generator=gen).tolist()
    cols = torch.randint(room + 1, (pixels.shape[0],), generator=gen).tolist()
    return torch.stack([patch[:, r:r + size, c:c + size] for patch, r, c in zip(pixels, rows, cols)])

"""What a real camera and its software do to a frame after the optics: a Bayer mosaic demosaiced, JPEG, or no colour.

Our renderers model three co-sited colour channels saved losslessly (src/hardware/optics/camera-model.ts). Most
colour microscope cameras sample one colour per pixel (RGGB) and interpolate the other two, and many labs store
stacks as JPEG. Both blur and distort the pixel-scale detail the 20x model reads the side of focus from: on the
export-20x test split the shipped 20x model went from 13.1 % to 16.4 % wrong sides after a bilinear demosaic and to
17.9 % after JPEG at quality 85 (training/robustness.py). Neither changes the defocus, so both are label-preserving
augmentations, and the same functions degrade test patches in the robustness check.
"""
import io
from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .camera_response import random_response

# Bilinear demosaic kernels: red and blue have one sample in four, green one in two.
_KERNEL_RB = torch.tensor([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])
_KERNEL_G = torch.tensor([[0.0, 0.25, 0.0], [0.25, 1.0, 0.25], [0.0, 0.25, 0.0]])
_KERNELS = torch.stack([_KERNEL_RB, _KERNEL_G, _KERNEL_RB]).view(3, 1, 3, 3)


def bayer_mask(height: int, width: int, phase: Tuple[int, int] = (0, 0)) -> torch.Tensor:
    """3xHxW mask of an RGGB mosaic whose red site is at (row, column) parity `phase`."""
    mask = torch.zeros(3, height, width)
    r, c = phase
    mask[0, r::2, c::2] = 1
    mask[1, r::2, 1 - c::2] = 1
    mask[1, 1 - r::2, c::2] = 1
    mask[2, 1 - r::2, 1 - c::2] = 1
    return mask


def bayer_demosaic(image: torch.Tensor, phase: Tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Keeps one colour per pixel (RGGB) and interpolates the others bilinearly. image: 3xHxW or Nx3xHxW."""
    batch = image.dim() == 4
    x = image if batch else image.unsqueeze(0)
    mosaic = x * bayer_mask(x.shape[-2], x.shape[-1], phase).to(x)
    out = F.conv2d(F.pad(mosaic, (1, 1, 1, 1), mode="reflect"), _KERNELS.to(x), groups=3)
    return out if batch else out[0]


LUMA = torch.tensor([0.299, 0.587, 0.114])


def monochrome(image: torch.Tensor) -> torch.Tensor:
    """A monochrome camera's frame as the app reads it: luminance replicated to three channels (`predict` replicates
    greyscale images). image: 3xHxW or Nx3xHxW."""
    weights = LUMA.to(image).view(3, 1, 1)
    grey = (image * weights).sum(dim=-3, keepdim=True)
    return grey.expand_as(image).contiguous()


def jpeg_round_trip(image: torch.Tensor, quality: int) -> torch.Tensor:
    """Encodes a 3xHxW [0, 1] image as 8-bit JPEG (PIL's default 4:2:0 chroma subsampling) and decodes it."""
    pixels = (image.permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=int(quality))
    buffer.seek(0)
    decoded = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(decoded).permute(2, 0, 1).contiguous()


def camera_batch(pixels: torch.Tensor, rng: np.random.Generator, bayer_p: float, jpeg_p: float,
                 jpeg_quality: Tuple[int, int], pool=None, grey_p: float = 0.0,
                 response_p: float = 0.0) -> torch.Tensor:
    """The pipeline on an Nx3xHxW [0, 1] batch (rendered patches, on any device): each patch made monochrome with
    probability grey_p, given another lab's camera response with probability response_p (camera_response.py;
    drawn only when response_p > 0, so runs without it keep their draws), demosaiced with probability bayer_p (one
    mosaic phase per batch), then JPEG-compressed with probability jpeg_p at a random quality. JPEG runs through PIL
    on the CPU; `pool` (a concurrent.futures executor) spreads it over threads."""
    out = pixels.clone()
    n = out.shape[0]
    grey = torch.from_numpy(rng.random(n) < grey_p).to(out.device)
    if bool(grey.any()):
        out[grey] = monochrome(out[grey])
    if response_p > 0:
        for k in np.flatnonzero(rng.random(n) < response_p):
            out[k] = random_response(out[k].clamp(0, 1), rng)
    mosaic = torch.from_numpy(rng.random(n) < bayer_p).to(out.device)
    if bool(mosaic.any()):
        phase = (int(rng.integers(2)), int(rng.integers(2)))
        out[mosaic] = bayer_demosaic(out[mosaic].clamp(0, 1), phase)
    chosen = np.flatnonzero(rng.random(n) < jpeg_p)
    if len(chosen):
        qualities = rng.integers(jpeg_quality[0], jpeg_quality[1] + 1, size=len(chosen))
        cpu = out[torch.from_numpy(chosen).to(out.device)].float().cpu()
        jobs = [(cpu[k], int(q)) for k, q in enumerate(qualities)]
        mapped = pool.map(lambda job: jpeg_round_trip(*job), jobs) if pool else (jpeg_round_trip(*j) for j in jobs)
        out[torch.from_numpy(chosen).to(out.device)] = torch.stack(list(mapped)).to(out.device, out.dtype)
    return out.clamp(0, 1)

"""Slides as optical-density rasters at the simulation grid pitch (src/hardware/optics/slide.ts, in PyTorch).

8-bit images are sRGB scanner output and are linearised, 16-bit ones are linear; the glass (white) level is each
channel's 99.5th percentile; transmittance is clamped to [0.01, 1] so the optical density stays finite.
"""
import os
import re
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..errors import TrainingError

T_MIN = 0.01
SLIDE_PIXEL_SIZE_UM = 0.17  # src/shared/optics.ts DEFAULT_SLIDE_PIXEL_SIZE_UM
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class SlideRaster:
    name: str
    kind: str  # 'stained' | 'unstained'
    od: torch.Tensor  # (3, H, W) optical density at the grid pitch


def sample_kind(name: str) -> str:
    """src/main/acquisition/simSlides.ts sampleKindOf."""
    return "unstained" if re.search(r"unstained|^BF_", name, re.IGNORECASE) else "stained"


def _linear_rgb(path: str) -> np.ndarray:
    try:
        with Image.open(path) as image:
            mode = image.mode
            pixels = np.asarray(image)
    except (OSError, ValueError) as error:
        raise TrainingError("slide_unreadable", f"Cannot read slide {path}: {error}") from error
    if mode in ("I", "I;16", "I;16B", "I;16L"):
        rgb = np.repeat((pixels.astype(np.float32) / 65535.0)[:, :, None], 3, axis=2)
        return rgb
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    pixels = pixels[:, :, :3].astype(np.float32) / 255.0
    return np.where(pixels <= 0.04045, pixels / 12.92, ((pixels + 0.055) / 1.055) ** 2.4).astype(np.float32)


def load_slide(path: str, pitch_um: float, device: torch.device) -> SlideRaster:
    rgb = _linear_rgb(path)
    white = np.maximum(np.percentile(rgb.reshape(-1, 3), 99.5, axis=0), 0.05)
    t = torch.from_numpy(np.ascontiguousarray(rgb / white, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0).to(device)
    scale = SLIDE_PIXEL_SIZE_UM / pitch_um
    size = (max(16, round(t.shape[2] * scale)), max(16, round(t.shape[3] * scale)))
    t = F.interpolate(t, size=size, mode="bicubic", align_corners=False)[0]
    name = os.path.splitext(os.path.basename(path))[0]
    return SlideRaster(name=name, kind=sample_kind(name), od=-torch.log(t.clamp(T_MIN, 1.0)))


def load_slides(folder: str, pitch_um: float, device: torch.device, exclude: Sequence[str] = (),
                only: Sequence[str] = ()) -> List[SlideRaster]:
    if not os.path.isdir(folder):
        raise TrainingError("slides_missing", f"Slide folder not found: {folder}")
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_SUFFIXES))
    slides = []
    for file in names:
        stem = os.path.splitext(file)[0]
        if stem in exclude or (only and stem not in only):
            continue
        slides.append(load_slide(os.path.join(folder, file), pitch_um, device))
    if not slides:
        raise TrainingError("slides_empty", f"No slide images left in {folder} (after --exclude/--only)")
    return slides

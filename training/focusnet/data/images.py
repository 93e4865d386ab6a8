"""Image decoding: PNG/TIFF, 8/16-bit, greyscale or RGB.

`load_pixels` keeps the file's native dtype (so full frames can be cached cheaply); `crop_rgb` turns a region
into float32 HxWx3 in [0, 1] as v / (2^bit_depth - 1), greyscale replicated to RGB, as the model card says. Images of
more than 8 bits hold linear light and are sRGB-encoded on the way, as in the app (encoding.ts): the models read
sRGB values, what 8-bit cameras and files and our renderers hold.
"""
from typing import Tuple

import numpy as np
import torch
from PIL import Image

from ..errors import TrainingError
from ..optics.camera import srgb_encode

try:  # optional: only needed for 16-bit RGB TIFF, which Pillow cannot decode
    import tifffile  # type: ignore
except ImportError:  # pragma: no cover - depends on the machine
    tifffile = None

GREY_MODES = ("I;16", "I;16B", "I;16L", "I", "L")


def load_pixels(path: str, bit_depth: int) -> Tuple[np.ndarray, float]:
    """Returns (pixels HxW or HxWx3, full-scale value to divide by)."""
    full_scale = float(2 ** bit_depth - 1)
    try:
        pixels, scale = _decode(path, bit_depth, full_scale)
    except TrainingError:
        raise
    except (OSError, ValueError, SyntaxError) as error:
        hint = ""
        if tifffile is None and path.lower().endswith((".tif", ".tiff")):
            hint = " (16-bit RGB TIFF needs the Debian package python3-tifffile)"
        raise TrainingError("image_unreadable", f"Cannot read image {path}: {error}{hint}") from error
    if pixels.ndim == 3:
        pixels = pixels[:, :, :3]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3):
        raise TrainingError("image_mode", f"{path}: expected a greyscale or RGB image, got shape {pixels.shape}")
    if pixels.size and float(pixels.max()) > scale:
        raise TrainingError("image_bit_depth", f"{path}: values up to {int(pixels.max())} exceed the manifest's "
                                               f"bit_depth {bit_depth}")
    return pixels, scale


def crop_rgb(pixels: np.ndarray, scale: float, x: int, y: int, size: int, linear: bool = False) -> np.ndarray:
    """`linear`: the values are linear light (images of more than 8 bits), put through the sRGB curve the models
    read and into 8 bits, as the app does (src/main/inference/encoding.ts) and training renders."""
    region = pixels[y:y + size, x:x + size].astype(np.float32) / np.float32(scale)
    if linear:
        region = (torch.round(srgb_encode(torch.from_numpy(region)) * 255) / 255).numpy()
    if region.ndim == 2:
        region = np.repeat(region[:, :, None], 3, axis=2)
    return np.ascontiguousarray(region)


def _decode(path: str, bit_depth: int, full_scale: float):
    if tifffile is not None and path.lower().endswith((".tif", ".tiff")):
        pixels = tifffile.imread(path)
        if pixels.ndim == 3 and pixels.shape[0] in (3, 4) and pixels.shape[-1] not in (3, 4):
            pixels = np.moveaxis(pixels, 0, -1)  # planar TIFF
        return pixels, full_scale
    with Image.open(path) as image:
        mode = image.mode
        if mode in GREY_MODES:
            pixels = np.asarray(image)
            return (pixels.astype(np.uint16) if mode == "I" else pixels), full_scale
        if mode == "RGB":
            # Pillow decodes 48-bit RGB PNG to 8-bit RGB (high byte of each sample); v8/255 is within 1/255
            # of v16/65535, close enough for training, so no extra decoder is needed for that case.
            return np.asarray(image), (255.0 if bit_depth == 16 else full_scale)
        if mode in ("P", "LA", "RGBA", "CMYK", "YCbCr", "1"):
            return np.asarray(image.convert("RGB")), 255.0
        raise TrainingError("image_mode", f"{path}: unsupported image mode {mode}")

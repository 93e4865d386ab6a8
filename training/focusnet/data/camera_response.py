"""How other labs' cameras and software render the same light differently: exposure, white balance, tone curve,
sharpening and contrast stretching.

Our renderers draw these within narrow ranges (optics/variants.py: the glass at 45-90 % of full well, illumination
2900-3600 K against a 3200 K white balance, always the sRGB curve, never sharpened). A real stack may come from a
scientific camera that stores linear values, an LED lamp with no white balance, a consumer camera that sharpens its
JPEGs, or a lab that stretched the contrast when it converted 12-bit frames to 8 bits. None of these changes the
defocus, so each is a label-preserving perturbation; training/robustness.py --responses reads the test split
through them. All functions take 3xHxW or Nx3xHxW [0, 1] sRGB-encoded images and return 8-bit-quantised ones.
"""
import numpy as np
import torch
import torch.nn.functional as F

from ..optics.camera import srgb_decode, srgb_encode
from ..optics.generator import WAVELENGTHS_UM
from ..optics.variants import colour_temperature_balance


def _quantise(v: torch.Tensor) -> torch.Tensor:
    return torch.round(v.clamp(0.0, 1.0) * 255.0) / 255.0


def _channels(image: torch.Tensor) -> torch.Tensor:
    return image if image.dim() == 4 else image.unsqueeze(0)


def _relit(image: torch.Tensor, gains) -> torch.Tensor:
    """The light behind an sRGB image times `gains` (a number, or one per channel), clipped at full well."""
    if isinstance(gains, torch.Tensor):
        gains = gains.view(3, 1, 1).to(image)  # broadcasts over 3xHxW and Nx3xHxW alike
    return (srgb_decode(image) * gains).clamp(0.0, 1.0)


def _lamp(temperature_k: float) -> torch.Tensor:
    return colour_temperature_balance(torch.tensor([temperature_k]), WAVELENGTHS_UM)  # relative to 3200 K


def exposure(image: torch.Tensor, factor: float) -> torch.Tensor:
    """The same scene exposed `factor` times as long: linear light scaled, clipped at full well, re-encoded."""
    return _quantise(srgb_encode(_relit(image, factor)))


def colour_cast(image: torch.Tensor, temperature_k: float) -> torch.Tensor:
    """A lamp at `temperature_k` behind a camera white-balanced for our renderers' 3200 K (a white LED without white
    balance reads as 5000-6500 K: blue glass)."""
    return _quantise(srgb_encode(_relit(image, _lamp(temperature_k))))


def linear_output(image: torch.Tensor) -> torch.Tensor:
    """A scientific camera's linear values saved as they are (no sRGB curve): mid-tones darker, contrast in the
    shadows stretched."""
    return _quantise(srgb_decode(image))


def unsharp(image: torch.Tensor, amount: float = 0.8, sigma_px: float = 1.0) -> torch.Tensor:
    """A consumer camera's sharpening: image + amount x (image - Gaussian blur of sigma_px)."""
    x = _channels(image)
    radius = int(3 * sigma_px + 0.5)
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    g = torch.exp(-0.5 * (t / sigma_px) ** 2)
    g = g / g.sum()
    pad = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    blur = F.conv2d(pad, g.view(1, 1, 1, -1).expand(3, 1, 1, -1).contiguous(), groups=3)
    blur = F.conv2d(blur, g.view(1, 1, -1, 1).expand(3, 1, -1, 1).contiguous(), groups=3)
    out = _quantise(x + amount * (x - blur))
    return out if image.dim() == 4 else out[0]


def contrast_stretch(image: torch.Tensor, low: float = 0.01, high: float = 0.99) -> torch.Tensor:
    """Levels set from the image itself, as when 12-bit frames are stretched to 8 bits: the `low` and `high`
    quantiles of all channels together go to 0 and 1. Per image (here, per patch: a stronger change than a whole
    frame's)."""
    x = _channels(image)
    flat = x.reshape(x.shape[0], -1)
    lo = torch.quantile(flat, low, dim=1).view(-1, 1, 1, 1)
    hi = torch.quantile(flat, high, dim=1).view(-1, 1, 1, 1)
    out = _quantise((x - lo) / (hi - lo).clamp(min=1 / 255))
    return out if image.dim() == 4 else out[0]


def random_response(image: torch.Tensor, rng, exposure_range=(0.25, 1.5), temperature_k=(2500.0, 7000.0),
                    linear_p: float = 0.25, stretch_p: float = 0.2) -> torch.Tensor:
    """One draw of another lab's camera for a 3xHxW [0, 1] patch: exposure (log-uniform, clipping above full
    well), lamp colour without white balance, the sRGB curve or linear values (linear_p), and contrast stretched
    to the patch's own levels (stretch_p). `rng`: numpy Generator."""
    factor = float(np.exp(rng.uniform(np.log(exposure_range[0]), np.log(exposure_range[1]))))
    light = _relit(image, factor * _lamp(float(rng.uniform(*temperature_k))))
    out = _quantise(light if rng.random() < linear_p else srgb_encode(light))
    return contrast_stretch(out) if rng.random() < stretch_p else out

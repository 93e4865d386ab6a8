"""Label-preserving augmentations for defocus regression.

Allowed: spatial flips and 90-degree rotations of the image plane, colour jitter (brightness, contrast,
saturation, hue), random greyscale, additive gaussian noise, and what a colour camera's pipeline does after the
optics (a Bayer mosaic demosaiced, JPEG: camera_pipeline.py). Never a defocus-like blur, sharpening, rescaling or
anything touching the z axis: those change the defocus (or its sign) the label describes. Another camera's
response (exposure, lamp colour without white balance, linear or sRGB values, contrast stretched: camera_response.py)
changes every frame of a stack alike. The demosaic and JPEG
soften pixel-scale detail too, but every real frame of such a camera has gone through them at its own focus.
"""
import math
from dataclasses import asdict, dataclass, replace
from typing import Tuple

import numpy as np
import torch

from .camera_pipeline import LUMA, bayer_demosaic, jpeg_round_trip, monochrome
from .camera_response import random_response

_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114],
                            [0.596, -0.274, -0.322],
                            [0.211, -0.523, 0.312]], dtype=torch.float64)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


@dataclass(frozen=True)
class AugmentConfig:
    flips: bool = True
    rotations: bool = True
    jitter_p: float = 0.8
    brightness: float = 0.3
    contrast: float = 0.3
    saturation: float = 0.3
    hue: float = 0.05  # fraction of a full turn
    greyscale_p: float = 0.2
    noise_p: float = 0.5
    noise_sigma: float = 0.02  # max std of the noise, in full-scale units
    bayer_p: float = 0.0  # an RGGB mosaic, demosaiced bilinearly
    jpeg_p: float = 0.0
    jpeg_quality: Tuple[int, int] = (60, 95)
    response_p: float = 0.0  # another lab's camera response: exposure, lamp colour, tone curve (camera_response.py)

    def to_dict(self) -> dict:
        return asdict(self)


# The colour jitter and greyscale scramble how phase and absorption contrast relate, where the side of focus shows
# (docs/training.md 3b: 25 % wrong sides after one epoch with them), so `camera` leaves them out.
CAMERA = dict(jitter_p=0.0, greyscale_p=0.0, noise_p=0.0, bayer_p=0.5, jpeg_p=0.6)
PRESETS = {
    "colour": AugmentConfig(),
    "camera": AugmentConfig(**CAMERA),
    "all": replace(AugmentConfig(), bayer_p=CAMERA["bayer_p"], jpeg_p=CAMERA["jpeg_p"]),
    # a monochrome camera too: greyscale alone, without the jitter
    "camera+grey": AugmentConfig(**{**CAMERA, "greyscale_p": 0.3}),
    # other labs' exposure, lamp colour and tone curve: physical changes of the light and its encoding, where the
    # jitter's are arbitrary (robustness.py --responses: 36 % wrong sides under a 6500 K LED without white balance)
    "camera+response": AugmentConfig(**{**CAMERA, "response_p": 0.5}),
}


def augment(image: torch.Tensor, rng: np.random.Generator, config: AugmentConfig) -> torch.Tensor:
    """image: float 3xHxW in [0, 1]; returns a new tensor in [0, 1]."""
    if config.rotations:
        image = torch.rot90(image, int(rng.integers(4)), dims=(1, 2))
    if config.flips:
        if rng.random() < 0.5:
            image = image.flip(2)
        if rng.random() < 0.5:
            image = image.flip(1)
    if rng.random() < config.jitter_p:
        image = _colour_jitter(image, rng, config)
    if rng.random() < config.greyscale_p:
        image = monochrome(image)
    if rng.random() < config.response_p:
        image = random_response(image.clamp(0.0, 1.0), rng)
    if config.noise_sigma > 0 and rng.random() < config.noise_p:
        generator = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
        sigma = float(rng.uniform(0.0, config.noise_sigma))
        image = image + sigma * torch.randn(image.shape, generator=generator)
    # The camera's pipeline in its order: the mosaic at the sensor, then the file.
    if rng.random() < config.bayer_p:
        image = bayer_demosaic(image.clamp(0.0, 1.0), (int(rng.integers(2)), int(rng.integers(2))))
    if rng.random() < config.jpeg_p:
        low, high = config.jpeg_quality
        image = jpeg_round_trip(image, int(rng.integers(low, high + 1)))
    return image.clamp(0.0, 1.0).contiguous()


def _colour_jitter(image: torch.Tensor, rng: np.random.Generator, config: AugmentConfig) -> torch.Tensor:
    brightness = rng.uniform(1 - config.brightness, 1 + config.brightness)
    contrast = rng.uniform(1 - config.contrast, 1 + config.contrast)
    saturation = rng.uniform(1 - config.saturation, 1 + config.saturation)
    hue = rng.uniform(-config.hue, config.hue)
    image = image * float(brightness)
    mean = (image * LUMA.view(3, 1, 1)).sum(dim=0).mean()
    image = (image - mean) * float(contrast) + mean
    return torch.einsum("ij,jhw->ihw", _colour_matrix(saturation, hue), image)


def _colour_matrix(saturation: float, hue: float) -> torch.Tensor:
    """Hue rotation in the YIQ chroma plane and saturation scaling of the chroma, as one 3x3 matrix."""
    angle = 2 * math.pi * hue
    cos, sin = math.cos(angle) * saturation, math.sin(angle) * saturation
    chroma = torch.tensor([[1.0, 0.0, 0.0], [0.0, cos, -sin], [0.0, sin, cos]], dtype=torch.float64)
    return (_YIQ_TO_RGB @ chroma @ _RGB_TO_YIQ).float()


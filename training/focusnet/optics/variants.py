"""Domain randomisation, batched: src/hardware/optics/randomize.ts drawn per sample with torch generators.

Same ranges and the same reasoning as randomize.ts (DEFAULT_RANGES), with one difference: the stained phase scale
reaches 1.2 rad here (0.6 there). There the sharpness-fit labels had to agree with the simulator's truth, and a
stronger phase moves the sharpest plane; here every label IS the truth, and 4 um sections with an index step of
0.01-0.03 to their mounting medium carry 0.5-1.4 rad, so the wider range is the realistic one.
"""
from dataclasses import dataclass, field
from typing import Tuple

import torch

HE_STAINS = torch.tensor([[0.65, 0.704, 0.286], [0.072, 0.99, 0.105], [0.0, 0.0, 0.0]], dtype=torch.float64)
_cross = torch.cross(HE_STAINS[0], HE_STAINS[1], dim=0).abs()
HE_STAINS[2] = _cross / _cross.norm()


@dataclass(frozen=True)
class Ranges:
    na_delta: float = 0.03
    sigma: Tuple[float, float] = (0.45, 0.9)
    glass_excess_um: Tuple[float, float] = (-5.0, 20.0)
    stain_vector_jitter: float = 0.06
    stain_amount: Tuple[float, float] = (0.75, 1.25)
    phase_rad: Tuple[float, float] = (0.1, 1.2)
    unstained_phase_rad: Tuple[float, float] = (0.5, 1.5)
    unstained_absorption: Tuple[float, float] = (0.05, 0.3)
    white_fraction: Tuple[float, float] = (0.45, 0.9)
    read_noise_e: Tuple[float, float] = (1.5, 6.0)
    vignetting: Tuple[float, float] = (0.0, 0.3)
    colour_temperature_k: Tuple[float, float] = (2900.0, 3600.0)


@dataclass
class Variants:
    na: torch.Tensor
    sigma: torch.Tensor
    w040: torch.Tensor
    stain: torch.Tensor  # (B, 3, 3): OD' = M OD
    absorption: torch.Tensor
    phase_rad: torch.Tensor
    white_fraction: torch.Tensor
    read_noise_e: torch.Tensor
    vignetting: torch.Tensor
    white_balance: torch.Tensor  # (B, 3)
    extra: dict = field(default_factory=dict)


def uniform(gen: torch.Generator, shape, lo: float, hi: float, device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(shape, generator=gen, device=device)


def spherical_aberration_of_glass_waves(excess_um: torch.Tensor, na: torch.Tensor, lam: float,
                                        n: float = 1.52) -> torch.Tensor:
    return (excess_um / lam) * (1 / n - 1 / n ** 3) * na ** 4 / 8


def colour_temperature_balance(t_k: torch.Tensor, wavelengths: Tuple[float, float, float]) -> torch.Tensor:
    lam = torch.tensor(wavelengths, dtype=torch.float64, device=t_k.device).view(1, 3)
    t = t_k.double().view(-1, 1)
    planck = lambda l, tt: 1 / (l ** 5 * (torch.exp(14387.77 / (l * tt)) - 1))  # noqa: E731
    rel = planck(lam, t) / planck(lam, torch.full_like(t, 3200.0))
    return (rel / rel[:, 1:2]).float()


def stain_jitter(gen: torch.Generator, batch: int, ranges: Ranges, device) -> torch.Tensor:
    """randomize.ts stainJitterMatrix: unmix with the reference H&E stains, rescale, remix with jittered ones."""
    s = HE_STAINS.to(device)
    jitter = uniform(gen, (batch, 3, 3), -ranges.stain_vector_jitter, ranges.stain_vector_jitter, device).double()
    sj = (s.unsqueeze(0) + jitter).clamp(min=0.01)
    sj = sj / sj.norm(dim=2, keepdim=True)
    alpha = torch.ones(batch, 3, dtype=torch.float64, device=device)
    alpha[:, :2] = uniform(gen, (batch, 2), *ranges.stain_amount, device).double()
    sjt_a = sj.transpose(1, 2) * alpha.unsqueeze(1)  # columns = stains, scaled
    return (sjt_a @ torch.linalg.inv(s.t())).float()


def draw(gen: torch.Generator, batch: int, base_na: float, kinds: torch.Tensor, wavelengths, ranges: Ranges,
         device) -> Variants:
    """kinds: (B,) bool, True for unstained samples."""
    na = (base_na + uniform(gen, batch, -ranges.na_delta, ranges.na_delta, device)).clamp(0.05, 0.98)
    glass = uniform(gen, batch, *ranges.glass_excess_um, device)
    w040 = spherical_aberration_of_glass_waves(glass, na, wavelengths[1])
    stain = stain_jitter(gen, batch, ranges, device)
    eye = torch.eye(3, device=device).expand(batch, 3, 3)
    stain = torch.where(kinds.view(-1, 1, 1), eye, stain)
    phase = torch.where(kinds, uniform(gen, batch, *ranges.unstained_phase_rad, device),
                        uniform(gen, batch, *ranges.phase_rad, device))
    absorption = torch.where(kinds, uniform(gen, batch, *ranges.unstained_absorption, device),
                             torch.ones(batch, device=device))
    temperature = uniform(gen, batch, *ranges.colour_temperature_k, device)
    return Variants(
        na=na, sigma=uniform(gen, batch, *ranges.sigma, device), w040=w040, stain=stain, absorption=absorption,
        phase_rad=phase, white_fraction=uniform(gen, batch, *ranges.white_fraction, device),
        read_noise_e=uniform(gen, batch, *ranges.read_noise_e, device),
        vignetting=uniform(gen, batch, *ranges.vignetting, device),
        white_balance=colour_temperature_balance(temperature, wavelengths),
    )

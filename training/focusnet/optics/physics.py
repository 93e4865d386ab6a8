"""Brightfield image formation in PyTorch, batched: the virtual microscope's fast model on a GPU.

This is the same physics as src/hardware/optics (pupil.ts, render.ts, sample.ts), written for whole batches so that
training can draw fresh defocused patches on the fly instead of reading a finite export:

  pupil     P(k) = circ(k <= NA/lambda) exp(i 2 pi (z (sqrt((n/lambda)^2 - k^2) - n/lambda) + W040 (k lambda/NA)^4))
            (+z propagates the field downstream: the objective moved away from the sample, DESIGN.md's sign)
  WOTF      W(f) = sum_s P*(s) P(s + f) / N_s over a uniform condenser disc |s| <= sigma NA/lambda
  image     I = F^-1[ Re W * F(|t|^2) - 2 Im W * F(|t|^2 phi) ]          (transmittance-linear, render.ts)

W is radially symmetric, so it is computed once per (sample, channel) as a radial profile by an FFT
cross-correlation on a frequency grid fine enough for the defocus phase ramp, then spread over the image spectrum.
"""
import math
from typing import Tuple

import torch

# Frequency grid of the WOTF cross-correlation: 512 points over 2.2 (R + rc) samples the pupil's defocus phase with
# at least 4 points per cycle for |z| <= 15 um at NA 0.78 (pupil.ts picks its grid the same way, per z).
WOTF_GRID = 512
PARTIAL_COHERENCE_FACTOR = 0.88  # src/main/acquisition/bestFocus.ts: measured on the virtual microscope


def pupil(k: torch.Tensor, z: torch.Tensor, na: torch.Tensor, n: torch.Tensor, lam: torch.Tensor,
          w040: torch.Tensor) -> torch.Tensor:
    """Complex pupil at radial frequency k (cycles/um); every argument broadcasts against k."""
    radius = na / lam
    nl = n / lam
    kz = torch.sqrt(torch.clamp(nl * nl - k * k, min=0.0))
    rho = k / radius
    phase = 2 * math.pi * (z * (kz - nl) + w040 * rho ** 4)
    inside = (k <= radius).to(k.dtype)
    return torch.polar(inside, phase)


def wotf_profile(z: torch.Tensor, na: torch.Tensor, n: torch.Tensor, lam: torch.Tensor, w040: torch.Tensor,
                 sigma: torch.Tensor, grid: int = WOTF_GRID) -> Tuple[torch.Tensor, torch.Tensor]:
    """W(j * delta) for j = 0..grid/2 and delta, for a flat batch of channel optics (every argument shape (N,))."""
    device = z.device
    radius = na / lam
    rc = sigma * radius
    delta = 2.2 * (radius + rc) / grid  # (N,)
    j = torch.arange(grid, device=device, dtype=torch.float32)
    j = torch.where(j < grid / 2, j, j - grid)
    fy = j.view(1, grid, 1) * delta.view(-1, 1, 1)
    fx = j.view(1, 1, grid) * delta.view(-1, 1, 1)
    k = torch.sqrt(fx * fx + fy * fy)
    col = lambda v: v.view(-1, 1, 1)  # noqa: E731
    p = pupil(k, col(z), col(na), col(n), col(lam), col(w040))
    source = (k <= col(rc)).to(torch.float32)
    n_source = source.sum(dim=(1, 2)).clamp(min=1.0)
    fa = torch.fft.fft2(p * source)
    fb = torch.fft.fft2(p)
    # Row y = 0 of ifft2(conj(FA) FB) is the 1-D inverse over kx of the mean over ky.
    row = torch.fft.ifft(torch.mean(torch.conj(fa) * fb, dim=1), dim=-1)
    profile = row[:, : grid // 2 + 1] / n_source.view(-1, 1)
    return profile, delta


def transfer_functions(freq: torch.Tensor, z: torch.Tensor, na: torch.Tensor, n: torch.Tensor, lam: torch.Tensor,
                       w040: torch.Tensor, sigma: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Absorption TF Re W and phase TF -2 Im W at the radial frequencies `freq` (H, W), per channel optics (N,)."""
    profile, delta = wotf_profile(z, na, n, lam, w040, sigma)
    u = freq.unsqueeze(0) / delta.view(-1, 1, 1)
    last = profile.shape[1] - 1
    j0 = torch.clamp(u.floor().long(), 0, last - 1)
    w = (u - j0).clamp(0.0, 1.0)
    flat = j0.view(j0.shape[0], -1)
    re, im = profile.real, profile.imag
    r0 = torch.gather(re, 1, flat).view_as(u)
    r1 = torch.gather(re, 1, flat + 1).view_as(u)
    i0 = torch.gather(im, 1, flat).view_as(u)
    i1 = torch.gather(im, 1, flat + 1).view_as(u)
    cutoff = (na * (1 + sigma) / lam).view(-1, 1, 1)
    keep = ((freq.unsqueeze(0) <= cutoff) & (u < last)).to(freq.dtype)
    ha = (r0 + (r1 - r0) * w) * keep
    hp = -2 * (i0 + (i1 - i0) * w) * keep
    return ha, hp


def image_intensity(transmission: torch.Tensor, phase: torch.Tensor, pitch_um: float, z: torch.Tensor,
                    na: torch.Tensor, n: torch.Tensor, wavelengths: torch.Tensor, w040: torch.Tensor,
                    sigma: torch.Tensor) -> torch.Tensor:
    """Relative intensity (B, C, H, W) of thin samples with |t|^2 = transmission and phase `phase` (rad).

    z, na, n, w040, sigma: (B,) per sample; wavelengths: (C,) um. The grid is periodic: callers leave a margin.
    """
    batch, channels, height, width = transmission.shape
    device = transmission.device
    fy = torch.fft.fftfreq(height, d=pitch_um, device=device)
    fx = torch.fft.rfftfreq(width, d=pitch_um, device=device)
    freq = torch.sqrt(fy.view(-1, 1) ** 2 + fx.view(1, -1) ** 2)
    per = lambda v: v.view(-1, 1).expand(batch, channels).reshape(-1)  # noqa: E731
    lam = wavelengths.view(1, -1).expand(batch, channels).reshape(-1)
    ha, hp = transfer_functions(freq, per(z), per(na), per(n), lam, per(w040), per(sigma))
    x = torch.fft.rfft2(transmission.reshape(-1, height, width))
    y = torch.fft.rfft2((transmission * phase).reshape(-1, height, width))
    image = torch.fft.irfft2(ha * x + hp * y, s=(height, width))
    return image.view(batch, channels, height, width)


def best_focus_shift_um(na: torch.Tensor, n: torch.Tensor, w040: torch.Tensor, lam: float) -> torch.Tensor:
    """Best focus minus paraxial focus (um) for W040 waves: src/main/acquisition/bestFocus.ts, batched."""
    steps = 2000
    rho = (torch.arange(steps, device=na.device, dtype=torch.float64) + 0.5) / steps
    na64, n64, w64 = (v.double().view(-1, 1) for v in (na, n, w040))
    g = (torch.sqrt(n64 * n64 - rho * rho * na64 * na64) - n64) / lam
    a = w64 * rho ** 4
    weight = rho / rho.sum()
    mean_g = (weight * g).sum(1)
    mean_a = (weight * a).sum(1)
    cov = (weight * g * a).sum(1) - mean_g * mean_a
    var = (weight * g * g).sum(1) - mean_g ** 2
    return (-cov / var * PARTIAL_COHERENCE_FACTOR).to(na.dtype)

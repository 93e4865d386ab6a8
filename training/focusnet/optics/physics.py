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
    """W(j * delta) for j = 0..grid/2 and delta, for a flat batch of channel optics (every argument shape (N,)).

    W(f, 0) = sum over source points s of P*(s) P(s + f), a cross-correlation along kx summed over the rows ky.
    Only rows inside the condenser disc contribute, so those rows alone are correlated (1-D FFTs along kx): at
    sigma 0.9 that is 111 of the 512 rows (ky and -ky are the same row), and a tenth of the cost of the full 2-D correlation.
    """
    device = z.device
    radius = na / lam
    rc = sigma * radius
    delta = 2.2 * (radius + rc) / grid  # (N,)
    half = min(grid // 2 - 1, int(torch.max(rc / delta).item()) + 1)
    j = torch.arange(grid, device=device, dtype=torch.float32)
    j = torch.where(j < grid / 2, j, j - grid)
    # Rows ky and -ky are the same (pupil and source are radial): rows 0..half, the others counted twice.
    rows = torch.arange(0, half + 1, device=device, dtype=torch.float32)
    twice = torch.where(rows > 0, 2.0, 1.0).view(1, -1, 1)
    fy = rows.view(1, -1, 1) * delta.view(-1, 1, 1)
    fx = j.view(1, 1, grid) * delta.view(-1, 1, 1)
    k = torch.sqrt(fx * fx + fy * fy)
    col = lambda v: v.view(-1, 1, 1)  # noqa: E731
    p = pupil(k, col(z), col(na), col(n), col(lam), col(w040))
    source = (k <= col(rc)).to(torch.float32)
    n_source = (source * twice).sum(dim=(1, 2)).clamp(min=1.0)
    fa = torch.fft.fft(p * (source * twice), dim=-1)
    fb = torch.fft.fft(p, dim=-1)
    row = torch.fft.ifft(torch.sum(torch.conj(fa) * fb, dim=1), dim=-1)
    profile = row[:, : grid // 2 + 1] / n_source.view(-1, 1)
    return profile, delta


def transfer_functions(freq: torch.Tensor, z: torch.Tensor, na: torch.Tensor, n: torch.Tensor, lam: torch.Tensor,
                       w040: torch.Tensor, sigma: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Absorption TF Re W and phase TF -2 Im W at the radial frequencies `freq` (H, W), per channel optics (N,)."""
    profile, delta = wotf_profile(z, na, n, lam, w040, sigma)
    u = freq.unsqueeze(0) / delta.view(-1, 1, 1)
    last = profile.shape[1] - 1
    j0 = torch.clamp(u.long(), 0, last - 1)  # u >= 0: truncation is the floor
    w = (u - j0).clamp(0.0, 1.0)
    flat = j0.view(j0.shape[0], -1)
    c0 = torch.gather(profile, 1, flat).view(u.shape)
    c1 = torch.gather(profile, 1, flat + 1).view(u.shape)
    cutoff = (na * (1 + sigma) / lam).view(-1, 1, 1)
    keep = ((freq.unsqueeze(0) <= cutoff) & (u < last)).to(freq.dtype)
    value = torch.view_as_real((c0 + (c1 - c0) * w) * keep)
    return value[..., 0], -2 * value[..., 1]


def image_intensity(transmission: torch.Tensor, phase: torch.Tensor, pitch_um: float, z: torch.Tensor,
                    na: torch.Tensor, n: torch.Tensor, wavelengths: torch.Tensor, w040: torch.Tensor,
                    sigma: torch.Tensor, pixel_bins: int = 1) -> torch.Tensor:
    """Relative intensity (B, C, H, W) of thin samples with |t|^2 = transmission and phase `phase` (rad).

    z, na, n, w040, sigma: (B,) per sample; wavelengths: (C,) um. The grid is periodic: callers leave a margin.
    pixel_bins = m > 1: the grid is the camera's and the image is what m x m binning of an m-times finer grid
    would give, the binning's transfer applied to the spectrum (pixel_aperture) instead of rendering m^2 times
    the pixels. What that leaves out is the aliasing of the passband above the camera's Nyquist frequency.
    """
    batch, channels, height, width = transmission.shape
    device = transmission.device
    fy = torch.fft.fftfreq(height, d=pitch_um, device=device)
    fx = torch.fft.rfftfreq(width, d=pitch_um, device=device)
    freq = torch.sqrt(fy.view(-1, 1) ** 2 + fx.view(1, -1) ** 2)
    per = lambda v: v.view(-1, 1).expand(batch, channels).reshape(-1)  # noqa: E731
    lam = wavelengths.view(1, -1).expand(batch, channels).reshape(-1)
    ha, hp = transfer_functions(freq, per(z), per(na), per(n), lam, per(w040), per(sigma))
    if pixel_bins > 1:
        aperture = pixel_aperture(fy, pitch_um, pixel_bins).view(-1, 1) * pixel_aperture(fx, pitch_um, pixel_bins)
        ha, hp = ha * aperture, hp * aperture
    x = torch.fft.rfft2(transmission.reshape(-1, height, width))
    y = torch.fft.rfft2((transmission * phase).reshape(-1, height, width))
    image = torch.fft.irfft2(ha * x + hp * y, s=(height, width))
    return image.view(batch, channels, height, width)


def pixel_aperture(freq: torch.Tensor, pixel_um: float, bins: int) -> torch.Tensor:
    """Transfer of averaging `bins` samples at pixel_um / bins along one axis (resample.ts 'bin'), at `freq`:
    sin(pi f p) / (m sin(pi f p / m)), which is cos(pi f p / 2) for m = 2."""
    x = math.pi * freq * pixel_um
    small = torch.sin(x / bins).abs() < 1e-6
    ratio = torch.sin(x) / (bins * torch.where(small, torch.ones_like(x), torch.sin(x / bins)))
    return torch.where(small, torch.ones_like(x), ratio)


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

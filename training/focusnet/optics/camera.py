"""Camera model, batched (src/hardware/optics/camera-model.ts): photo-electrons, vignetting, shot and read noise,
sRGB encoding and 8-bit quantisation. Shot noise uses the normal approximation everywhere (the TypeScript model is
exact below 30 e-, where these frames never are: the glass gives 4700-9500 e-)."""
import torch

FULL_WELL_E = 10_500.0


def srgb_encode(v: torch.Tensor) -> torch.Tensor:
    return torch.where(v <= 0.0031308, 12.92 * v, 1.055 * torch.clamp(v, min=0.0031308) ** (1 / 2.4) - 0.055)


def srgb_decode(v: torch.Tensor) -> torch.Tensor:
    """sRGB-encoded values -> linear light (the inverse of srgb_encode; slides.py does it in numpy on load)."""
    return torch.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def digitise(intensity: torch.Tensor, white_fraction: torch.Tensor, white_balance: torch.Tensor,
             read_noise_e: torch.Tensor, vignetting: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """(B, 3, H, W) relative intensity -> 8-bit values scaled to [0, 1], as the export's PNGs decode."""
    batch, _, height, width = intensity.shape
    device = intensity.device
    y = torch.linspace(-1, 1, height, device=device).view(-1, 1)
    x = torch.linspace(-1, 1, width, device=device).view(1, -1)
    radius2 = (x * x + y * y) / 2
    vig = 1 - vignetting.view(-1, 1, 1, 1) * radius2
    gain = white_balance.view(batch, 3, 1, 1) * (white_fraction.view(-1, 1, 1, 1) * FULL_WELL_E)
    electrons = intensity.clamp(min=0) * gain * vig
    rn = read_noise_e.view(-1, 1, 1, 1)
    noise = torch.randn(intensity.shape, generator=gen, device=device)
    electrons = electrons + torch.sqrt(electrons + rn * rn) * noise
    encoded = srgb_encode((electrons / FULL_WELL_E).clamp(0.0, 1.0))
    return torch.round(encoded * 255.0) / 255.0

"""Fresh, labelled, defocused patches drawn on the fly: a random slide region, a random rendering variant
(variants.py), a random defocus, the image formation of physics.py and the camera of camera.py.

Labels are the simulator's truth, d = z - z_focus, with z_focus the best focus of the variant's spherical
aberration (bestFocus.ts), exactly as `dataset label-from-truth` labels synthetic stacks.
"""
import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from . import camera, physics, variants
from .slides import SlideRaster

SETUPS = {  # src/shared/optics.ts SETUP_PRESETS (the fields image formation needs)
    "20x": {"setup_id": "20x", "magnification": 20, "na": 0.75, "immersion_index": 1.0, "pixel_size_um": 3.45 / 20,
            "name": "20X/0.75 air, Sony IMX264 colour (2448x2048, 3.45 um)"},
    "40x": {"setup_id": "40x", "magnification": 40, "na": 0.65, "immersion_index": 1.0, "pixel_size_um": 2.2 / 40,
            "name": "40X/0.65 air, 5 MP colour (2592x1944, 2.2 um)"},
}
WAVELENGTHS_UM = (0.61, 0.54, 0.465)
MIN_CONTENT_OD = 0.03  # std of the mean optical density over the patch: below it, bare glass


@dataclass(frozen=True)
class GeneratorConfig:
    setup: str = "20x"
    patch: int = 224
    defocus_range_um: Tuple[float, float] = (-10.0, 10.0)
    ranges: variants.Ranges = variants.Ranges()
    # Where the camera is coarser than Nyquist (20x), render on the camera's own grid with the binning's transfer
    # (physics.pixel_aperture) rather than on an m-times finer grid binned m x m as geometry.ts does: a quarter
    # of the pixels, and the slides hold nothing finer than their 0.17 um pixels anyway. False: the finer grid.
    camera_grid: bool = False

    def pixel_bins(self) -> int:
        """m of the m x m binning a camera coarser than Nyquist needs (1: the camera is fine enough)."""
        camera_um = SETUPS[self.setup]["pixel_size_um"]
        return max(1, math.ceil(camera_um / self._nyquist_um() - 1e-9))

    def _na_max(self) -> float:
        return SETUPS[self.setup]["na"] + self.ranges.na_delta

    def _nyquist_um(self) -> float:
        return 1 / (2 * self._na_max() * (1 + self.ranges.sigma[1]) / min(WAVELENGTHS_UM))

    def grid(self) -> Tuple[float, int, int]:
        """(grid pitch um, camera pixels per grid pixel as a ratio, FFT grid size)."""
        camera_um = SETUPS[self.setup]["pixel_size_um"]
        na_max = self._na_max()
        nyquist = self._nyquist_um()
        if camera_um > nyquist:  # bin m x m grid pixels per camera pixel (pixel area)
            pitch = camera_um if self.camera_grid else camera_um / self.pixel_bins()
        else:  # render coarser, upsample to the camera
            pitch = camera_um * max(1, math.floor(nyquist / camera_um))
        content = math.ceil(self.patch * camera_um / pitch)
        tan = na_max / math.sqrt(1 - na_max ** 2)
        reach = max(abs(v) for v in self.defocus_range_um) + 1.0  # + the best-focus shift
        margin = math.ceil((reach * tan + 1.5) / pitch)
        size = 32 * math.ceil((content + 2 * margin) / 32)
        return pitch, camera_um / pitch, size


class PatchGenerator:
    def __init__(self, slides: Sequence[SlideRaster], config: GeneratorConfig, seed: int,
                 device: torch.device):
        self.config = config
        self.device = device
        self.pitch, self.ratio, self.size = config.grid()
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(seed)
        self.slides: List[SlideRaster] = list(slides)
        pad = self.size // 2 + 1
        # Mirror-tile like slide.ts, so a field may sit anywhere on the slide.
        self.padded = [self._mirror_pad(s.od, pad) for s in self.slides]
        areas = torch.tensor([float(s.od.shape[1] * s.od.shape[2]) for s in self.slides])
        self.weights = (areas.sqrt() / areas.sqrt().sum()).to(device)
        self.unstained = torch.tensor([s.kind == "unstained" for s in self.slides], device=device)
        self.wavelengths = torch.tensor(WAVELENGTHS_UM, device=device)

    @staticmethod
    def _mirror_pad(od: torch.Tensor, pad: int) -> torch.Tensor:
        out = od.unsqueeze(0)
        while min(out.shape[2], out.shape[3]) <= pad:  # reflect needs pad < size: tile first
            out = torch.cat([out, out.flip(2)], 2)
            out = torch.cat([out, out.flip(3)], 3)
        return F.pad(out, (pad, pad, pad, pad), mode="reflect")[0]

    def _fields(self, picks: torch.Tensor) -> torch.Tensor:
        size = self.size
        draws = torch.rand((picks.numel(), 3), generator=self.gen, device=self.device).tolist()  # one sync
        fields = []
        for index, (fy, fx, ft) in zip(picks.tolist(), draws):
            raster = self.padded[index]
            y0 = int(fy * max(raster.shape[1] - size, 1))
            x0 = int(fx * max(raster.shape[2] - size, 1))
            field = raster[:, y0:y0 + size, x0:x0 + size]
            fields.append(dihedral(field, int(ft * 8)))
        return torch.stack(fields)

    def _content_fields(self, batch: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Fields whose camera region holds tissue: the export rejects blank patches, and so does autofocus, so
        a patch of bare glass would teach a label it can never see. Draws twice the batch, keeps the first
        `batch` with an optical-density spread above MIN_CONTENT_OD (topped up with the rest if too few)."""
        picks = torch.multinomial(self.weights, 2 * batch, replacement=True, generator=self.gen)
        fields = self._fields(picks)
        p = self.config.patch
        content = max(8, round(p * self.ratio))
        start = (self.size - content) // 2
        spread = fields[:, :, start:start + content, start:start + content].mean(dim=1).flatten(1).std(dim=1)
        order = torch.argsort((spread < MIN_CONTENT_OD).int(), stable=True)[:batch]
        return picks[order], fields[order]

    def sample(self, batch: int, defocus_um: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """(patches (B, 3, P, P) in [0, 1], labels d in um (B,))."""
        cfg = self.config
        setup = SETUPS[cfg.setup]
        device = self.device
        picks, fields = self._content_fields(batch)
        kinds = self.unstained[picks]
        v = variants.draw(self.gen, batch, setup["na"], kinds, WAVELENGTHS_UM, cfg.ranges, device)
        if defocus_um is None:
            defocus_um = variants.uniform(self.gen, batch, *cfg.defocus_range_um, device)
        shift = physics.best_focus_shift_um(v.na, torch.full_like(v.na, setup["immersion_index"]), v.w040,
                                            WAVELENGTHS_UM[1])
        od = torch.relu(torch.einsum("bij,bjhw->bihw", v.stain, fields))
        transmission = torch.exp(-v.absorption.view(-1, 1, 1, 1) * od)
        phase_k = v.phase_rad.view(-1, 1) * (0.55 / self.wavelengths.view(1, -1))
        phase = phase_k.view(batch, 3, 1, 1) * od.mean(dim=1, keepdim=True)
        n = torch.full_like(v.na, setup["immersion_index"])
        bins = cfg.pixel_bins() if cfg.camera_grid and self.ratio == 1 else 1
        intensity = physics.image_intensity(transmission, phase, self.pitch, defocus_um + shift, v.na, n,
                                            self.wavelengths, v.w040, v.sigma, pixel_bins=bins)
        patch = self._to_camera(intensity)
        pixels = camera.digitise(patch, v.white_fraction, v.white_balance, v.read_noise_e, v.vignetting, self.gen)
        return pixels, defocus_um

    def _to_camera(self, intensity: torch.Tensor) -> torch.Tensor:
        p = self.config.patch
        if self.ratio >= 1:  # bin
            factor = round(self.ratio)
            content = p * factor
            start = (self.size - content) // 2
            crop = intensity[:, :, start:start + content, start:start + content]
            return F.avg_pool2d(crop, factor) if factor > 1 else crop
        content = math.ceil(p * self.ratio) + 4
        start = (self.size - content) // 2
        crop = intensity[:, :, start:start + content, start:start + content]
        factor = round(1 / self.ratio)
        return keys_upsample(crop, factor, p, (content * factor - p) // 2)


def dihedral(image: torch.Tensor, turn: int) -> torch.Tensor:
    """(C, H, W) image turned by the `turn`-th (0-7) of the 8 rotations and mirror images of a square."""
    if turn & 4:
        image = image.transpose(1, 2)
    return torch.rot90(image, turn & 3, dims=(1, 2))


def keys(x: torch.Tensor, a: float = -0.5) -> torch.Tensor:
    """The cubic convolution kernel of Keys (1981). With a = -0.5, as src/hardware/optics/resample.ts uses, it
    reproduces quadratics exactly; torch's bicubic uses a = -0.75, which overshoots and sharpens edges, so the
    same field would look sharper here than in the TypeScript simulator."""
    t = x.abs()
    near = (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1
    far = a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a
    return torch.where(t < 1, near, torch.where(t < 2, far, torch.zeros_like(t)))


def keys_upsample(grid: torch.Tensor, factor: int, out: int, offset: int) -> torch.Tensor:
    """(B, C, H, W) grid samples upsampled `factor` times, (B, C, out, out) from output pixel `offset` on, with
    the pixel-centre alignment of resample.ts: output pixel i sits at u = (i + offset + 0.5) / factor - 0.5 grid
    samples. Two strided transposed 1-D convolutions (the polyphase form of the cubic), since this torch's
    matrix products run on a generic BLAS at a tenth of the speed of its convolutions."""
    first = math.floor(factor / 2 - 0.5 - 2 * factor) + 1  # lowest i + offset - factor * j with a nonzero tap
    last = math.ceil(factor / 2 - 0.5 + 2 * factor) - 1
    taps = torch.arange(last - first + 1, device=grid.device, dtype=grid.dtype)
    kernel = keys((taps + first + 0.5 - factor / 2) / factor)
    b, c, h, w = grid.shape
    up = F.conv_transpose2d(grid.reshape(b * c, 1, h, w), kernel.view(1, 1, 1, -1), stride=(1, factor))
    up = F.conv_transpose2d(up, kernel.view(1, 1, -1, 1), stride=(factor, 1))
    start = offset - first
    return up[:, :, start:start + out, start:start + out].reshape(b, c, out, out)

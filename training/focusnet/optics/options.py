"""The rendering options every command that draws patches takes (--phase-rad, --grid), and the config they give."""
import argparse
import dataclasses

from . import variants
from .generator import GeneratorConfig


def add_render_options(parser: argparse.ArgumentParser, grid_default: str) -> None:
    parser.add_argument("--phase-rad", nargs=2, type=float, default=None, metavar=("LO", "HI"),
                        help="stained samples' phase scale range in rad (default %.1f-%.1f, variants.py)"
                             % variants.Ranges().phase_rad)
    parser.add_argument("--grid", choices=("fine", "camera"), default=grid_default,
                        help="20x rendering grid: 'fine' bins 2x2 as the TypeScript simulator does, 'camera' "
                             "renders the camera's pixels with the binning's transfer, 4x fewer pixels (CPU runs)")


def check_render_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.phase_rad and not 0 <= args.phase_rad[0] < args.phase_rad[1]:
        parser.error("--phase-rad LO HI needs 0 <= LO < HI")


def render_config(args: argparse.Namespace) -> GeneratorConfig:
    ranges = variants.Ranges()
    if args.phase_rad:
        ranges = dataclasses.replace(ranges, phase_rad=tuple(args.phase_rad))
    return GeneratorConfig(setup=args.setup, ranges=ranges, camera_grid=args.grid == "camera")

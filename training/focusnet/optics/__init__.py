"""The virtual microscope's image formation in PyTorch: fresh defocused patches for training, on CPU or GPU."""
from .generator import PatchGenerator, GeneratorConfig
from .slides import load_slides

__all__ = ["PatchGenerator", "GeneratorConfig", "load_slides"]

"""Model registry: every architecture is built from (name, input_size, options) so checkpoints can rebuild it."""
from typing import Optional

from torch import nn

from ..errors import TrainingError
from .botnet import botnet50
from .head import DefocusHead
from .ldse_net import LdseConfig, LdseNet
from .resnet import resnet50

ARCHITECTURES = ("ldse-net", "resnet50", "botnet")
DISPLAY_NAMES = {"ldse-net": "LDSE-NET", "resnet50": "ResNet50", "botnet": "BotNet"}


def build_model(architecture: str, input_size: int = 224, options: Optional[dict] = None) -> nn.Module:
    options = options or {}
    if architecture == "ldse-net":
        try:
            return LdseNet(LdseConfig.from_dict(options))
        except (TypeError, ValueError) as error:
            raise TrainingError("model_options", f"bad LDSE-NET option: {error}") from error
    if architecture == "resnet50":
        return resnet50()
    if architecture == "botnet":
        return botnet50(input_size=input_size, heads=int(options.get("heads", 4)))
    raise TrainingError("unknown_architecture",
                        f"Unknown model '{architecture}': choose one of {', '.join(ARCHITECTURES)}")


def default_options(architecture: str) -> dict:
    if architecture == "ldse-net":
        return LdseConfig().to_dict()
    if architecture == "botnet":
        return {"heads": 4}
    return {}


def head_of(model: nn.Module) -> DefocusHead:
    core = getattr(model, "module", model)  # unwrap DistributedDataParallel
    for module in core.modules():
        if isinstance(module, DefocusHead):
            return module
    raise TrainingError("no_head", "model has no defocus head")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

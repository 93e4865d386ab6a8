"""LDSE-NET: Lightweight Densely connected network with Squeeze-and-Excitation (Jiang et al. 2023,
doi 10.3389/fnins.2023.1213176), as a one-value defocus regressor.

Layout (224x224 input):
  stem        7x7/2 conv (padding 3) -> BN -> ReLU -> 3x3/2 max-pool            112 -> 56
  dense 1..4  composite layers BN-ReLU-1x1conv, BN-Tanh-3x3conv (DenseNet-B), concatenated
  transition  BN -> Tanh -> 1x1 conv (compression) -> 2x2/2 average pool         56 -> 28 -> 14 -> 7
  tail        BN -> ReLU -> squeeze-excitation with Tanh excitation -> 7x7 global average pool -> FC(1)

The paper does not publish growth rate, layer counts or the exact places of Tanh; the choices below (see
training/README.md) keep the network near its stated 480 KB of float32 weights.
"""
from dataclasses import asdict, dataclass, field
from typing import List, Tuple

import torch
from torch import nn

from .head import DefocusHead, SideMagnitudeHead


@dataclass(frozen=True)
class LdseConfig:
    stem_channels: int = 16
    growth_rate: int = 12
    block_layers: Tuple[int, ...] = (2, 4, 9, 4)
    bottleneck_width: int = 2  # 1x1 conv produces bottleneck_width * growth_rate channels
    compression: float = 0.5
    se_reduction: int = 8
    head: str = "linear"  # 'linear' (one value) or 'side-magnitude' (|d| and the side, head.py)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["block_layers"] = list(self.block_layers)
        return data

    @staticmethod
    def from_dict(data: dict) -> "LdseConfig":
        values = dict(data)
        values["block_layers"] = tuple(values.get("block_layers", LdseConfig.block_layers))
        return LdseConfig(**values)


class DenseLayer(nn.Module):
    """DenseNet-B composite layer; Tanh replaces the ReLU in front of the 3x3 conv so negative responses
    (which carry the side of focus) survive into the concatenated features."""

    def __init__(self, in_channels: int, growth_rate: int, bottleneck_width: int):
        super().__init__()
        inner = bottleneck_width * growth_rate
        self.body = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, inner, kernel_size=1, bias=False),
            nn.BatchNorm2d(inner),
            nn.Tanh(),
            nn.Conv2d(inner, growth_rate, kernel_size=3, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], dim=1)


class Transition(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.BatchNorm2d(in_channels),
            nn.Tanh(),
            nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
            nn.AvgPool2d(kernel_size=2, stride=2),
        )


class TanhSqueezeExcitation(nn.Module):
    """SE block whose excitation is Tanh instead of the sigmoid: channel weights in (-1, 1)."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        hidden = max(channels // reduction, 4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, kernel_size=1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, kernel_size=1)
        self.excite = nn.Tanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.excite(self.fc2(self.relu(self.fc1(self.pool(x)))))
        return x * weights


HEADS = {"linear": DefocusHead, "side-magnitude": SideMagnitudeHead}


class LdseNet(nn.Module):
    def __init__(self, config: LdseConfig = LdseConfig()):
        super().__init__()
        self.config = config
        layers: List[nn.Module] = [
            nn.Conv2d(3, config.stem_channels, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(config.stem_channels),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        ]
        channels = config.stem_channels
        for index, n_layers in enumerate(config.block_layers):
            for _ in range(n_layers):
                layers.append(DenseLayer(channels, config.growth_rate, config.bottleneck_width))
                channels += config.growth_rate
            if index < len(config.block_layers) - 1:
                reduced = int(channels * config.compression)
                layers.append(Transition(channels, reduced))
                channels = reduced
        layers += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.se = TanhSqueezeExcitation(channels, config.se_reduction)
        # Adaptive pooling is the paper's 7x7 global average pool at 224x224 and stays valid for the small
        # patches the tests use.
        self.pool = nn.AdaptiveAvgPool2d(1)
        if config.head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}, not {config.head!r}")
        self.head = HEADS[config.head](channels)
        self.out_channels = channels
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, patch: torch.Tensor) -> torch.Tensor:
        x = self.se(self.features(patch))
        return self.head(torch.flatten(self.pool(x), 1))


def describe_layers(config: LdseConfig, input_size: int = 224) -> List[dict]:
    """Rows of the architecture table (stage, output size, channels, parameters) for README and reports."""
    model = LdseNet(config)
    rows = []
    size = input_size // 4
    stem = list(model.features.children())[:4]
    rows.append({"stage": "stem 7x7/2 conv + 3x3/2 max-pool", "output": f"{size}x{size}",
                 "channels": config.stem_channels, "parameters": _count(stem)})
    children = list(model.features.children())[4:]
    block_index, pending, channels = 0, [], config.stem_channels
    for child in children:
        if isinstance(child, DenseLayer):
            pending.append(child)
            channels += config.growth_rate
        elif isinstance(child, Transition):
            rows.append({"stage": f"dense block {block_index + 1} ({len(pending)} layers)", "output": f"{size}x{size}",
                         "channels": channels, "parameters": _count(pending)})
            channels = child[2].out_channels
            size //= 2
            rows.append({"stage": f"transition {block_index + 1}", "output": f"{size}x{size}",
                         "channels": channels, "parameters": _count([child])})
            block_index, pending = block_index + 1, []
    tail = [c for c in children if isinstance(c, nn.BatchNorm2d)]
    rows.append({"stage": f"dense block {block_index + 1} ({len(pending)} layers) + BN-ReLU", "output": f"{size}x{size}",
                 "channels": channels, "parameters": _count(pending) + _count(tail)})
    rows.append({"stage": "squeeze-excitation (Tanh)", "output": f"{size}x{size}", "channels": channels,
                 "parameters": _count([model.se])})
    rows.append({"stage": f"{size}x{size} global average pool + FC", "output": "1", "channels": 1,
                 "parameters": _count([model.head])})
    return rows


def _count(modules) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())

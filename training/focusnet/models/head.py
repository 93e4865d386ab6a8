"""Regression head shared by all architectures: one linear output in micrometres."""
import torch
from torch import nn


class DefocusHead(nn.Module):
    """Linear layer whose output is rescaled by the train labels' std and mean.

    The scale and shift are buffers (not trained, saved with the weights, exported as constants), so the
    network only has to learn a unit-variance target while the output, the loss and the ONNX file stay in um.
    """

    def __init__(self, in_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)
        self.register_buffer("out_scale", torch.ones(1))
        self.register_buffer("out_shift", torch.zeros(1))
        nn.init.zeros_(self.linear.bias)

    def set_label_stats(self, mean_um: float, std_um: float) -> None:
        self.out_shift.fill_(float(mean_um))
        self.out_scale.fill_(max(float(std_um), 1e-3))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features) * self.out_scale + self.out_shift

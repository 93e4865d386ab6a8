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


class SideMagnitudeHead(DefocusHead):
    """Two outputs, |d| and the side of focus, combined into one signed value: d = |d| * sign(side).

    A plain signed regression cannot learn |d| before it knows the side: while the side is a coin toss the best
    answer under MSE is 0 whatever |d| is, the gradients of +d and -d cancel, and training sits at the label
    variance (docs/training.md: every signed run did, 340 000 fresh patches on a GPU too). Splitting the target
    lets |d| train as well as a magnitude model does while the side is learnt as a classification on the same
    features. The exported output keeps the card's contract: one signed defocus in um, its side the network's
    best guess (the autofocus loop verifies it by the next image).
    """

    def __init__(self, in_features: int):
        super().__init__(in_features)
        self.linear = nn.Linear(in_features, 2)
        nn.init.zeros_(self.linear.bias)
        self.parts = None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        raw = self.linear(features)
        magnitude = nn.functional.softplus(raw[:, :1]) * self.out_scale
        side_logit = raw[:, 1:]
        self.parts = (magnitude, side_logit)  # read by defocus_loss during training
        return magnitude * torch.sign(side_logit)


SIDE_FULL_WEIGHT_UM = 1.0  # below this |d| the side matters less (the autofocus is nearly there): weight |d|/1 um


def defocus_loss(model: nn.Module, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE (um^2), as the paper trains; for a SideMagnitudeHead: MSE of |d| + the side's cross-entropy."""
    core = getattr(model, "module", model)
    head = next((m for m in core.modules() if isinstance(m, DefocusHead)), None)
    if not isinstance(head, SideMagnitudeHead) or head.parts is None:
        return nn.functional.mse_loss(predicted, target)
    magnitude, side_logit = (part.float() for part in head.parts)
    target = target.view_as(magnitude)
    scale = head.out_scale.detach()
    magnitude_loss = nn.functional.mse_loss(magnitude / scale, target.abs() / scale)
    weight = torch.clamp(target.abs() / SIDE_FULL_WEIGHT_UM, max=1.0)
    side_loss = nn.functional.binary_cross_entropy_with_logits(side_logit, (target > 0).float(),
                                                               weight=weight)
    return magnitude_loss + side_loss

"""ResNet-50 baseline (torchvision, random init) with the one-value defocus head."""
from torch import nn
from torchvision.models import resnet50 as tv_resnet50

from .head import DefocusHead


def resnet50() -> nn.Module:
    model = tv_resnet50(weights=None)
    model.fc = DefocusHead(model.fc.in_features)
    return model

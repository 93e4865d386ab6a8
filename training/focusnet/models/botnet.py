"""BotNet-50 (Srinivas et al. 2021, "Bottleneck Transformers for Visual Recognition") as a defocus regressor.

ResNet-50 whose last stage (c5, three bottleneck blocks) replaces each 3x3 convolution by multi-head
self-attention over the feature map with 2D relative position encodings (content-content plus
content-position logits, height and width offsets learned separately). The first c5 block downsamples
with a 2x2 average pool after the attention, as in the paper.
"""
import torch
from torch import nn
from torchvision.models import resnet50

from .head import DefocusHead


class RelativePositionLogits(nn.Module):
    """q . (r_h[y'-y] + r_w[x'-x]) for every query (y, x) and key (y', x')."""

    def __init__(self, height: int, width: int, dim_head: int):
        super().__init__()
        scale = dim_head ** -0.5
        self.height, self.width = height, width
        self.rel_height = nn.Parameter(torch.randn(2 * height - 1, dim_head) * scale)
        self.rel_width = nn.Parameter(torch.randn(2 * width - 1, dim_head) * scale)
        # Constant gather indices (not Python loops) keep the ONNX graph static and exportable.
        self.register_buffer("index_h", _relative_index(height), persistent=False)
        self.register_buffer("index_w", _relative_index(width), persistent=False)

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        # q: [B, heads, H, W, d] -> logits [B, heads, H*W, H*W]
        h, w, d = self.height, self.width, q.shape[-1]
        table_w = self.rel_width[self.index_w]  # [W(query), W(key), d]
        table_h = self.rel_height[self.index_h]  # [H(query), H(key), d]
        q_w = q.permute(3, 0, 1, 2, 4).reshape(w, -1, d)  # [W, B*heads*H, d]
        logits_w = torch.matmul(q_w, table_w.transpose(1, 2))  # [W, B*heads*H, W']
        logits_w = logits_w.reshape(w, -1, h, w).permute(1, 2, 0, 3)  # [B*heads, H, W, W']
        q_h = q.permute(2, 0, 1, 3, 4).reshape(h, -1, d)  # [H, B*heads*W, d]
        logits_h = torch.matmul(q_h, table_h.transpose(1, 2))  # [H, B*heads*W, H']
        logits_h = logits_h.reshape(h, -1, w, h).permute(1, 0, 2, 3)  # [B*heads, H, W, H']
        logits = logits_h.unsqueeze(-1) + logits_w.unsqueeze(-2)  # [B*heads, H, W, H', W']
        return logits.reshape(-1, q.shape[1], h * w, h * w)


def _relative_index(length: int) -> torch.Tensor:
    positions = torch.arange(length)
    return positions[None, :] - positions[:, None] + length - 1  # [query, key]


class MultiHeadSelfAttention2d(nn.Module):
    def __init__(self, channels: int, height: int, width: int, heads: int = 4):
        super().__init__()
        if channels % heads:
            raise ValueError(f"channels {channels} not divisible by heads {heads}")
        self.heads, self.dim_head = heads, channels // heads
        self.height, self.width = height, width
        self.qkv = nn.Conv2d(channels, channels * 3, kernel_size=1, bias=False)
        self.relative = RelativePositionLogits(height, width, self.dim_head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.height, self.width
        c = self.heads * self.dim_head
        if not torch.jit.is_tracing() and tuple(x.shape[1:]) != (c, h, w):
            raise ValueError(f"BotNet attention built for {c}x{h}x{w} maps, got {tuple(x.shape[1:])}: "
                             "build the model for this input size")
        q, k, v = self.qkv(x).reshape(-1, 3, self.heads, self.dim_head, h * w).unbind(1)
        q = q * self.dim_head ** -0.5
        content = torch.matmul(q.transpose(-1, -2), k)  # [B, heads, HW(q), HW(k)]
        q_grid = q.transpose(-1, -2).reshape(-1, self.heads, h, w, self.dim_head)
        attention = torch.softmax(content + self.relative(q_grid), dim=-1)
        out = torch.matmul(attention, v.transpose(-1, -2))  # [B, heads, HW, d]
        return out.transpose(-1, -2).reshape(-1, c, h, w)


def botnet50(input_size: int = 224, heads: int = 4) -> nn.Module:
    if input_size % 32:
        raise ValueError(f"BotNet needs an input size divisible by 32, got {input_size}")
    model = resnet50(weights=None)
    c4_size, c5_size = input_size // 16, input_size // 32
    for index, block in enumerate(model.layer4):
        width = block.conv2.in_channels
        if index == 0:
            block.conv2 = nn.Sequential(MultiHeadSelfAttention2d(width, c4_size, c4_size, heads),
                                        nn.AvgPool2d(kernel_size=2, stride=2))
        else:
            block.conv2 = MultiHeadSelfAttention2d(width, c5_size, c5_size, heads)
    model.fc = DefocusHead(model.fc.in_features)
    return model

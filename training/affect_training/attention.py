"""Attention blocks of the seed method.

Paper 1 puts median-enhanced spatial-channel attention (MESCA) on the face branch: the usual average and
max descriptors of channel and spatial attention are joined by a median descriptor, which ignores the few
extreme activations (specular highlights, occluders) that dominate a max. Medians are taken with TopK so
the exported ONNX graph runs in ONNX Runtime (ONNX has no Median operator).
"""
import torch
from torch import nn


def median_over(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Lower median along `dim`, via TopK (exportable); keeps the dimension."""
    n = x.shape[dim]
    k = n // 2 + 1
    return torch.topk(x, k, dim=dim, largest=True, sorted=True).values.narrow(dim, k - 1, 1)


class MedianChannelAttention(nn.Module):
    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        hidden = max(4, channels // reduction)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1, bias=False), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        avg = flat.mean(dim=2, keepdim=True).unsqueeze(-1)
        mx = flat.amax(dim=2, keepdim=True).unsqueeze(-1)
        med = median_over(flat, 2).unsqueeze(-1)
        return torch.sigmoid(self.mlp(avg) + self.mlp(mx) + self.mlp(med))


class MedianSpatialAttention(nn.Module):
    def __init__(self, kernel: int = 7):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, kernel, padding=kernel // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = x.mean(dim=1, keepdim=True)
        mx = x.amax(dim=1, keepdim=True)
        med = median_over(x, 1)
        return torch.sigmoid(self.conv(torch.cat([avg, mx, med], dim=1)))


class MESCA(nn.Module):
    """Median-enhanced spatial-channel attention: channel gate, then spatial gate, with a residual path."""

    def __init__(self, channels: int):
        super().__init__()
        self.channel = MedianChannelAttention(channels)
        self.spatial = MedianSpatialAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x * self.channel(x)
        y = y * self.spatial(y)
        return x + y


class GlobalChannelSpatialAttention(nn.Module):
    """Paper 1's speech-branch attention over a log-mel feature map: a global (whole-utterance) channel gate
    from average and max statistics, then a frequency-time gate."""

    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        hidden = max(4, channels // reduction)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels))
        self.conv = nn.Conv2d(2, 1, 7, padding=3, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        gate = torch.sigmoid(self.mlp(flat.mean(dim=2)) + self.mlp(flat.amax(dim=2)))
        y = x * gate[:, :, None, None]
        spatial = torch.sigmoid(self.conv(torch.cat([y.mean(dim=1, keepdim=True), y.amax(dim=1, keepdim=True)], dim=1)))
        return x + y * spatial

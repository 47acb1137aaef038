"""The speech branch: paper 1's global channel-spatial attention over log-mel in a small 2-D CNN, and
paper 2's temporal convolutional network (TCN) over the 96-d speech embeddings, fused and pooled to
logits over RAVDESS's 8 emotions. Inputs are what the runtime's speech context holds: raw log-mel
frames [B, T, 32] and the embeddings inside them [B, E, 96], with T and E free (the graph exports with
dynamic batch and time). Each utterance is normalised inside the network (per-bin mean and global
spread over its own frames), so loudness and channel colour do not reach the classifier.
"""
import torch
from torch import nn

from .attention import GlobalChannelSpatialAttention


class ConvBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class TemporalBlock(nn.Module):
    """A residual dilated 1-D convolution (non-causal: the context is whole seconds already heard)."""

    def __init__(self, channels: int, dilation: int, dropout: float):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TCN(nn.Module):
    def __init__(self, cin: int, channels: int, dilations: tuple, dropout: float):
        super().__init__()
        self.inp = nn.Sequential(nn.Conv1d(cin, channels, 1, bias=False), nn.BatchNorm1d(channels), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[TemporalBlock(channels, d, dropout) for d in dilations])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.inp(x))


def stats_pool(x: torch.Tensor) -> torch.Tensor:
    """[B, C, T] → [B, 2C]: mean and max over time (any T ≥ 1)."""
    return torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)


class SpeechNet(nn.Module):
    def __init__(self, bins: int = 32, dims: int = 96, widths: tuple = (12, 24, 48, 64), tcn_channels: int = 64, dropout: float = 0.2, use_embeddings: bool = True):
        super().__init__()
        self.use_embeddings = use_embeddings
        w1, w2, w3, w4 = widths
        self.cnn = nn.Sequential(
            # 20 ms frames are enough for prosody and spectral envelope, and halve the CNN's cost on 2 cores.
            nn.AvgPool2d((2, 1)),
            ConvBlock(1, w1), nn.MaxPool2d(2),
            ConvBlock(w1, w2), nn.MaxPool2d(2),
            ConvBlock(w2, w3), GlobalChannelSpatialAttention(w3), nn.MaxPool2d(2),
            ConvBlock(w3, w4), GlobalChannelSpatialAttention(w4),
        )
        freq = bins // 8
        self.mel_tcn = TCN(w4 * freq, tcn_channels, (1, 2, 4), dropout)
        pooled = 2 * tcn_channels
        if use_embeddings:
            self.emb_norm = nn.LayerNorm(dims)
            self.emb_tcn = TCN(dims, tcn_channels, (1, 2, 4), dropout)
            pooled += 2 * tcn_channels
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(pooled, 8))

    @staticmethod
    def normalise(mel: torch.Tensor) -> torch.Tensor:
        centred = mel - mel.mean(dim=1, keepdim=True)
        spread = torch.sqrt((centred * centred).mean(dim=(1, 2), keepdim=True) + 1e-5)
        return centred / spread

    def forward(self, mel: torch.Tensor, embeddings: torch.Tensor = None) -> torch.Tensor:
        x = self.normalise(mel).unsqueeze(1)  # [B, 1, T, F]
        x = self.cnn(x)  # [B, C, T/16, F/8]
        x = x.permute(0, 1, 3, 2).flatten(1, 2)  # [B, C·F, T/16]
        parts = [stats_pool(self.mel_tcn(x))]
        if self.use_embeddings:
            e = self.emb_norm(embeddings).transpose(1, 2)  # [B, 96, E]
            parts.append(stats_pool(self.emb_tcn(e)))
        return self.head(torch.cat(parts, dim=1))

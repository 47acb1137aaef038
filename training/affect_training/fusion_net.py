"""The fusion network: the learned counterpart of the runtime's parameter-free fusion layer.

It takes the tensors the runtime builds per window (docs/fusion.md §6): `face` [B,T,10] (8 ABAW
probabilities, valence, arousal), `voice` [B,T,14] (speech probability, prosody, the voice's
8-class distribution), `weights` [B,T,2] (the key-frame aligned face/voice weights of each step)
and `current` [B,T] (1 on the window's own steps, 0 on history).

1. Key-frame weights: each modality's features are multiplied by its step weight and the weight is
   appended, so a hidden face or silence contributes nothing but its absence (paper 1).
2. Multi-scale dilated causal temporal convolutions per modality: kernels of 3 taps at dilations
   1, 2, 4, 8 side by side, mixed and added back (a TCN block). Left padding only: the block reaches
   (3−1)·8 = 16 steps back, the runtime's history, and never ahead.
3. Cross-modal attention (paper 2): visual states as queries over the audio states as keys and
   values, masked so a step attends only to itself and earlier steps.
4. The visual, attended audio and audio states are concatenated and mixed per step, pooled over the
   window's own steps (`current`), and joined by the pooled weighted inputs themselves (what the
   parameter-free layer pools), then two heads: 8 ABAW logits, and valence/arousal through tanh.

Every step's state depends on that step and earlier ones only, so a window's output is the same
whether the stream arrives window by window or the file at once (the runtime always hands the
history before the window).
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

FACE_FEATURES = 10
VOICE_FEATURES = 14
CLASSES = 8
DILATIONS = (1, 2, 4, 8)
TAPS = 3
HISTORY = (TAPS - 1) * max(DILATIONS)


class MultiScaleDilatedBlock(nn.Module):
    """Causal dilated convolutions at several rates in parallel, mixed by a 1×1 convolution, residual."""

    def __init__(self, channels: int, dilations=DILATIONS, taps: int = TAPS, dropout: float = 0.1):
        super().__init__()
        self.dilations = tuple(dilations)
        self.taps = taps
        self.branches = nn.ModuleList(nn.Conv1d(channels, channels, taps, dilation=d) for d in self.dilations)
        self.mix = nn.Conv1d(channels * len(self.dilations), channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, T]
        outs = [conv(F.pad(x, ((self.taps - 1) * d, 0))) for conv, d in zip(self.branches, self.dilations)]
        return x + self.dropout(self.mix(F.relu(torch.cat(outs, dim=1))))


class CausalCrossModalAttention(nn.Module):
    """Visual queries over audio keys/values (paper 2), each step seeing only itself and earlier steps."""

    def __init__(self, channels: int):
        super().__init__()
        self.q = nn.Linear(channels, channels)
        self.k = nn.Linear(channels, channels)
        self.v = nn.Linear(channels, channels)
        self.scale = 1.0 / math.sqrt(channels)

    def forward(self, visual: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:  # [B, T, C] each
        scores = torch.matmul(self.q(visual), self.k(audio).transpose(1, 2)) * self.scale
        steps = torch.arange(visual.shape[1], device=visual.device)
        future = steps.unsqueeze(0) > steps.unsqueeze(1)  # [query, key]: key after query
        scores = scores.masked_fill(future.unsqueeze(0), -1e4)
        return torch.matmul(torch.softmax(scores, dim=-1), self.v(audio))


class FusionNet(nn.Module):
    def __init__(self, channels: int = 32, dropout: float = 0.1):
        super().__init__()
        self.face_in = nn.Linear(FACE_FEATURES + 1, channels)
        self.voice_in = nn.Linear(VOICE_FEATURES + 1, channels)
        self.face_tcn = MultiScaleDilatedBlock(channels, dropout=dropout)
        self.voice_tcn = MultiScaleDilatedBlock(channels, dropout=dropout)
        self.attention = CausalCrossModalAttention(channels)
        self.fuse = nn.Sequential(nn.Linear(3 * channels, channels), nn.ReLU(), nn.Dropout(dropout), nn.Linear(channels, channels), nn.ReLU())
        pooled = channels + FACE_FEATURES + 1 + VOICE_FEATURES + 1
        self.expression = nn.Linear(pooled, CLASSES)
        self.valence_arousal = nn.Linear(pooled, 2)

    def weighted(self, face, voice, weights):
        wf = weights[:, :, 0:1]
        wv = weights[:, :, 1:2]
        return torch.cat([face * wf, wf], dim=-1), torch.cat([voice * wv, wv], dim=-1)

    def step_states(self, face, voice, weights):
        """Per-step fused states [B, T, C] (causal) and the weighted inputs [B, T, 26]."""
        f_in, v_in = self.weighted(face, voice, weights)
        hf = self.face_tcn(F.relu(self.face_in(f_in)).transpose(1, 2)).transpose(1, 2)
        hv = self.voice_tcn(F.relu(self.voice_in(v_in)).transpose(1, 2)).transpose(1, 2)
        attended = self.attention(hf, hv)
        return self.fuse(torch.cat([hf, attended, hv], dim=-1)), torch.cat([f_in, v_in], dim=-1)

    def forward(self, face, voice, weights, current):
        states, inputs = self.step_states(face, voice, weights)
        mask = current.unsqueeze(-1)
        count = torch.clamp(mask.sum(dim=1), min=1.0)
        pooled = torch.cat([(states * mask).sum(dim=1) / count, (inputs * mask).sum(dim=1) / count], dim=-1)
        logits = self.expression(pooled)
        va = torch.tanh(self.valence_arousal(pooled))
        return logits, va[:, 0:1], va[:, 1:2]

"""Face branch: a small ResNet-style backbone (one basic block per stage) with MESCA after the last two
stages, for 48x48 grayscale face crops. Output: logits over the seven expression classes FER2013 has."""
import torch
from torch import nn

from .attention import MESCA

FACE_CLASSES = ["neutral", "angry", "disgust", "fear", "happy", "sad", "surprise"]


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.short(x))


class FaceNet(nn.Module):
    """Input [N, 48, 48, 1] NHWC in [-1, 1] (the runtime's layout for gray crops); output logits [N, 7]
    and, from `features`, the 256-d embedding the fusion stage can use."""

    def __init__(self, widths=(32, 64, 128, 256), classes: int = len(FACE_CLASSES), dropout: float = 0.3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        self.stage1 = BasicBlock(widths[0], widths[0], 1)
        self.stage2 = BasicBlock(widths[0], widths[1], 2)
        self.stage3 = nn.Sequential(BasicBlock(widths[1], widths[2], 2), MESCA(widths[2]))
        self.stage4 = nn.Sequential(BasicBlock(widths[2], widths[3], 2), MESCA(widths[3]))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(widths[3], classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2)
        x = self.stage4(self.stage3(self.stage2(self.stage1(self.stem(x)))))
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))

"""FER2013 as laid out in ../shared/data/fer2013: <split>/<class>/*.jpg, 48x48 grayscale."""
from pathlib import Path

import numpy as np
from PIL import Image

from .face_net import FACE_CLASSES


def load_split(root: Path, split: str, limit_per_class: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    folder = root / split
    if not folder.is_dir():
        raise SystemExit(f"FER2013 split not found: {folder} (expected <root>/{split}/<class>/*.jpg)")
    images, labels = [], []
    for index, name in enumerate(FACE_CLASSES):
        files = sorted((folder / name).glob("*.jpg"))
        if limit_per_class is not None:
            files = files[:limit_per_class]
        for f in files:
            with Image.open(f) as im:
                images.append(np.asarray(im.convert("L").resize((48, 48)), dtype=np.uint8))
            labels.append(index)
    if not images:
        raise SystemExit(f"no images under {folder}")
    return np.stack(images), np.asarray(labels, dtype=np.int64)

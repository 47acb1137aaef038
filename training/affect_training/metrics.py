"""Accuracy, macro-F1 and the confusion matrix, as the ABAW challenge scores expression."""
import numpy as np


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def scores(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> dict:
    m = confusion(y_true, y_pred, classes)
    tp = np.diag(m).astype(np.float64)
    precision = tp / np.maximum(1, m.sum(axis=0))
    recall = tp / np.maximum(1, m.sum(axis=1))
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(1e-12, precision + recall), 0.0)
    return {"accuracy": float(tp.sum() / max(1, m.sum())), "macro_f1": float(f1.mean()), "per_class_f1": f1.tolist(), "confusion": m.tolist()}

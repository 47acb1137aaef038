"""Scores for the fusion comparison, as the runtime's eval scores them (src/eval/metrics.ts):
accuracy, macro-F1 over the classes present in the labels, per-class F1, confusion matrix; CCC."""
import numpy as np

ABAW = ["Neutral", "Anger", "Disgust", "Fear", "Happiness", "Sadness", "Surprise", "Other"]


def expression_scores(truth: np.ndarray, pred: np.ndarray) -> dict:
    """`pred` −1 (no expression given) counts as wrong."""
    k = len(ABAW)
    m = np.zeros((k, k + 1), dtype=np.int64)  # last column: no prediction
    np.add.at(m, (truth, np.where(pred < 0, k, pred)), 1)
    f1 = {}
    present = []
    for c in range(k):
        tp = m[c, c]
        actual = m[c].sum()
        claimed = m[:, c].sum()
        if actual == 0 and claimed == 0:
            continue
        p = tp / claimed if claimed else 0.0
        r = tp / actual if actual else 0.0
        f1[ABAW[c]] = float(2 * p * r / (p + r)) if p + r > 0 else 0.0
        if actual:
            present.append(f1[ABAW[c]])
    return {
        "count": int(len(truth)),
        "accuracy": float((truth == pred).mean()) if len(truth) else 0.0,
        "macro_f1": float(np.mean(present)) if present else 0.0,
        "per_class_f1": f1,
        "confusion": m[:, :k].tolist(),
        "no_prediction": int(m[:, k].sum()),
    }


def ccc(truth: np.ndarray, pred: np.ndarray) -> float:
    if len(truth) == 0:
        return float("nan")
    mt, mp = truth.mean(), pred.mean()
    vt, vp = truth.var(), pred.var()
    cov = ((truth - mt) * (pred - mp)).mean()
    d = vt + vp + (mt - mp) ** 2
    return float(2 * cov / d) if d > 0 else 0.0


def compare(records: list, trained: dict | None = None) -> dict:
    """Every method on the same windows. `trained`: {"label": [...], "valence": [...], "arousal": [...]} per record.
    A missing valence/arousal (a branch without a face, say) is scored as 0, the neutral point."""
    labelled = np.array([r["label"] >= 0 for r in records])
    annotated = np.array([r["valence"] is not None for r in records])
    truth = np.array([r["label"] for r in records])[labelled]
    tv = np.array([r["valence"] if r["valence"] is not None else 0.0 for r in records])[annotated]
    ta = np.array([r["arousal"] if r["arousal"] is not None else 0.0 for r in records])[annotated]
    methods = {
        "parameter_free": (
            [int(np.argmax(r["parameterFree"]["logits"])) for r in records],
            [r["parameterFree"]["valence"] for r in records],
            [r["parameterFree"]["arousal"] for r in records],
        ),
        "face_only": ([r["faceOnly"]["label"] for r in records], [r["faceOnly"]["valence"] for r in records], [r["faceOnly"]["arousal"] for r in records]),
        "voice_only": ([r["voiceOnly"]["label"] for r in records], [r["voiceOnly"]["valence"] for r in records], [r["voiceOnly"]["arousal"] for r in records]),
    }
    if trained is not None:
        methods = {"trained_fusion": (trained["label"], trained["valence"], trained["arousal"]), **methods}
    out = {}
    zero = lambda xs: np.array([0.0 if x is None else float(x) for x in xs])
    for name, (labels, valence, arousal) in methods.items():
        scores = expression_scores(truth, np.array(labels)[labelled])
        scores["ccc_valence"] = ccc(tv, zero(valence)[annotated])
        scores["ccc_arousal"] = ccc(ta, zero(arousal)[annotated])
        out[name] = scores
    return out

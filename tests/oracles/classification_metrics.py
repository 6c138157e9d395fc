"""Reference classification metrics computed with scikit-learn.

Usage: classification_metrics.py CASE_DIR OUT_JSON

CASE_DIR/manifest.json lists cases: {"name", "kind" ("multiclass",
"multilabel" or "binary"), "num_classes" (multiclass), "true", "pred"
(.npy file names in CASE_DIR)}. For each case the script writes the metrics
scikit-learn reports, under the same names the C++ test reads, to OUT_JSON.
An undefined value (NaN) is written as null.

Exit status 3 with a message naming the missing package when numpy or
scikit-learn cannot be imported, so the caller can say what to install.
"""

import json
import math
import os
import sys
import warnings

try:
    import numpy as np
    import sklearn
    from sklearn import metrics
except ImportError as error:  # reported, never skipped: the test must fail
    sys.stderr.write("missing Python package for the metrics oracle: %s\n" % error)
    sys.exit(3)


def clean(value):
    """Converts numpy scalars and arrays to JSON values, NaN to None."""
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    value = float(value)
    return None if math.isnan(value) else value


def prf_jaccard(y_true, y_pred, average, labels=None):
    p, r, f, _ = metrics.precision_recall_fscore_support(
        y_true, y_pred, average=average, labels=labels)
    j = metrics.jaccard_score(y_true, y_pred, average=average, labels=labels)
    return {"precision": clean(p), "recall": clean(r), "f1": clean(f), "jaccard": clean(j)}


def per_class(y_true, y_pred, labels=None):
    p, r, f, s = metrics.precision_recall_fscore_support(
        y_true, y_pred, average=None, labels=labels)
    j = metrics.jaccard_score(y_true, y_pred, average=None, labels=labels)
    return {"precision": clean(p), "recall": clean(r), "f1": clean(f), "jaccard": clean(j),
            "support": clean(s)}


def multiclass(y_true, y_pred, num_classes):
    all_labels = list(range(num_classes))
    out = {
        "accuracy": clean(metrics.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": clean(metrics.balanced_accuracy_score(y_true, y_pred)),
        "cohen_kappa": clean(metrics.cohen_kappa_score(y_true, y_pred)),
        "confusion": clean(metrics.confusion_matrix(y_true, y_pred, labels=all_labels)),
        "per_class": per_class(y_true, y_pred, labels=all_labels),
    }
    for average in ("macro", "micro", "weighted"):
        out[average] = prf_jaccard(y_true, y_pred, average)
        out[average + "_all"] = prf_jaccard(y_true, y_pred, average, labels=all_labels)
    return out


def multilabel(y_true, y_pred):
    out = {
        # Counted directly, not through sklearn: entries that agree.
        "binary_accuracy": clean(np.mean(y_true == y_pred)),
        "hamming_loss": clean(metrics.hamming_loss(y_true, y_pred)),
        "exact_match": clean(metrics.accuracy_score(y_true, y_pred)),
        "per_label": per_class(y_true, y_pred),
    }
    for average in ("macro", "micro", "weighted", "samples"):
        out[average] = prf_jaccard(y_true, y_pred, average)
    return out


def binary(y_true, y_pred):
    out = prf_jaccard(y_true, y_pred, "binary")
    out["accuracy"] = clean(metrics.accuracy_score(y_true, y_pred))
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    case_dir, out_path = sys.argv[1], sys.argv[2]
    with open(os.path.join(case_dir, "manifest.json")) as handle:
        cases = json.load(handle)
    # Zero-division and "label not present" warnings are the behaviour under
    # test (the default zero_division="warn" scores 0); keep stderr quiet.
    warnings.filterwarnings("ignore")
    results = {"sklearn_version": sklearn.__version__, "cases": {}}
    for case in cases:
        y_true = np.load(os.path.join(case_dir, case["true"]))
        y_pred = np.load(os.path.join(case_dir, case["pred"]))
        if case["kind"] == "multiclass":
            value = multiclass(y_true, y_pred, case["num_classes"])
        elif case["kind"] == "multilabel":
            value = multilabel(y_true, y_pred)
        elif case["kind"] == "binary":
            value = binary(y_true, y_pred)
        else:
            raise ValueError("unknown case kind %r" % case["kind"])
        results["cases"][case["name"]] = value
    with open(out_path, "w") as handle:
        json.dump(results, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())

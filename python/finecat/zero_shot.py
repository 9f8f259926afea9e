"""pipeline("zero-shot-classification"): transformers' ZeroShotClassificationPipeline on finecat.

The scoring is the C library's fc_zeroshot, which implements the pipeline's semantics: each
(sequence, label) pair is premise = sequence, hypothesis = the template filled with the label;
multi_label=False: softmax of the entailment logits across the labels; multi_label=True (or a
single label): each label's softmax of entailment against contradiction alone.
"""

import ctypes

from . import _lib
from . import _model

DEFAULT_TEMPLATE = "This example is {}."


class ZeroShotClassificationPipeline:
    """Call it as transformers' pipeline: classifier(sequences, candidate_labels, ...)."""

    task = "zero-shot-classification"

    def __init__(self, model=None, dtype=None, max_batch_tokens=None):
        self._model = _model.resolve(model, dtype)
        self._max_batch_tokens = max_batch_tokens

    @property
    def model(self):
        return self._model.path

    def __call__(self, sequences, candidate_labels=None, hypothesis_template=DEFAULT_TEMPLATE,
                 multi_label=False):
        """sequences: a str (returns one dict) or a list of str (returns a list of dicts).
        candidate_labels: a list of str, or one str of comma-separated labels.
        Each dict: {"sequence": str, "labels": [...], "scores": [...]}, labels by descending
        score."""
        single = isinstance(sequences, str)
        texts = [sequences] if single else list(sequences)
        if isinstance(candidate_labels, str):
            labels = [label.strip() for label in candidate_labels.split(",") if label.strip()]
        else:
            labels = list(candidate_labels or [])
        if not texts or not labels:
            raise ValueError("You must include at least one label and at least one sequence.")
        lib = _lib.lib()
        template = _lib.encode(hypothesis_template, "hypothesis_template")
        _check_template(lib, template, hypothesis_template)
        c_texts = (ctypes.c_char_p * len(texts))(
            *[_lib.encode(text, f"sequence {i}") for i, text in enumerate(texts)])
        c_labels = (ctypes.c_char_p * len(labels))(
            *[_lib.encode(label, f"label {i}") for i, label in enumerate(labels)])
        options = lib.fc_zeroshot_default_options()
        options.hypothesis_template = template
        options.multi_label = 1 if multi_label else 0
        if self._max_batch_tokens is not None:
            options.max_batch_tokens = self._max_batch_tokens
        n = len(texts) * len(labels)
        ranks = (ctypes.c_size_t * n)()
        scores = (ctypes.c_float * n)()
        err = _lib.Error()
        with self._model.lock:
            status = lib.fc_zeroshot(self._model.handle, c_texts, len(texts), c_labels,
                                     len(labels), ctypes.byref(options), ranks, scores,
                                     ctypes.byref(err))
        _lib.check(status, err)
        results = []
        for t, text in enumerate(texts):
            row = range(t * len(labels), (t + 1) * len(labels))
            results.append({"sequence": text, "labels": [labels[ranks[i]] for i in row],
                            "scores": [float(scores[i]) for i in row]})
        return results[0] if single else results


def _check_template(lib, template, text):
    """A template the library cannot fill is the caller's mistake: ValueError, as in transformers."""
    hypothesis = ctypes.c_void_p()
    err = _lib.Error()
    if lib.fc_zeroshot_hypothesis(template, b"label", ctypes.byref(hypothesis),
                                  ctypes.byref(err)) != 0:
        raise ValueError(f"hypothesis_template {text!r}: {err.text()}")
    lib.fc_free(hypothesis)


def pipeline(task, model=None, dtype=None, max_batch_tokens=None):
    """transformers.pipeline for the one task finecat has: "zero-shot-classification".

    model: a model folder, a CrossEncoder (shares its loaded model), or None for the default
    model ($FINECAT_MODEL, else the finecat-nli-minilm that ships with finecat).
    """
    if task != "zero-shot-classification":
        raise ValueError(f"unknown task {task!r}: finecat has \"zero-shot-classification\"")
    return ZeroShotClassificationPipeline(model, dtype, max_batch_tokens)

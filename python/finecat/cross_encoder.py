"""CrossEncoder: sentence-transformers' CrossEncoder.predict and .rank on finecat's C library."""

import ctypes

import numpy as np

from . import _lib
from ._model import Model


class CrossEncoder:
    """An NLI cross-encoder, loaded by finecat (no torch).

    model_or_path: a model folder (config.json, model.safetensors, tokenizer.json or spm.model),
        passed to the library's model loading as it is.
    dtype: weights in memory: "f32" (default), "bf16", "f16" or "int8" (also "float16",
        "bfloat16", numpy.float16 ...); low precision is implemented for ModernBERT.
    max_length: truncate each pair to this many tokens, longer text first; default: the
        model's max length (the smaller of model_max_length and max_position_embeddings).
    """

    def __init__(self, model_or_path, dtype=None, max_length=None):
        if max_length is not None and (not isinstance(max_length, int) or max_length <= 0):
            raise ValueError(f"max_length must be a positive int, got {max_length!r}")
        self._model = Model(model_or_path, dtype)
        self._max_length = max_length

    @property
    def id2label(self):
        """The model's labels by id, from its config.json: {0: "entailment", ...}."""
        return dict(self._model.id2label)

    @property
    def num_labels(self):
        return self._model.num_labels

    @property
    def max_length(self):
        return self._max_length if self._max_length is not None else self._model.max_length

    def __repr__(self):
        return f"CrossEncoder({self._model.path!r}, num_labels={self.num_labels})"

    def predict(self, sentences, batch_size=32, apply_softmax=False):
        """Classifies (premise, hypothesis) pairs.

        sentences: one pair, or a list of pairs (tuples or lists of two str).
        Returns a float32 numpy array: shape (n, num_labels) for a list, (num_labels,) for one
        pair; raw logits in the model's label order (id2label), or probabilities with
        apply_softmax=True. As in sentence-transformers, the premise is the first text.
        """
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        single = (isinstance(sentences, (tuple, list)) and len(sentences) == 2 and
                  all(isinstance(text, str) for text in sentences))
        pairs = [sentences] if single else list(sentences)
        logits = self._logits(pairs, batch_size)
        if apply_softmax:
            logits = softmax(logits)
        return logits[0] if single else logits

    def rank(self, query, documents, top_k=None, return_documents=False, batch_size=32):
        """Ranks documents by how much each one entails the query, best first.

        The score of a document is the entailment probability of the pair
        (premise = document, hypothesis = query): "does this document support the query?".
        (sentence-transformers feeds (query, document) to a one-score reranker; for an NLI
        model, the document is what can entail.)
        Returns [{"corpus_id": index in documents, "score": float[, "text": document]}, ...]
        sorted by score, descending; top_k keeps the first top_k.
        """
        if isinstance(documents, str):
            raise TypeError("documents must be a list of str, not one str")
        documents = list(documents)
        entailment = self._model.entailment_id
        if entailment < 0:
            raise _lib.FinecatError(f"{self._model.path}: no label of {self._model.id2label} "
                                    "starts with 'entail', so rank has no score to use")
        pairs = [(document, query) for document in documents]
        scores = softmax(self._logits(pairs, batch_size))[:, entailment]
        order = sorted(range(len(documents)), key=lambda i: -scores[i])  # stable: ties by index
        if top_k is not None:
            order = order[:top_k]
        results = []
        for i in order:
            result = {"corpus_id": i, "score": float(scores[i])}
            if return_documents:
                result["text"] = documents[i]
            results.append(result)
        return results

    def _logits(self, pairs, batch_size):
        n = len(pairs)
        out = np.empty((n, self._model.num_labels), dtype=np.float32)
        if n == 0:
            return out
        c_pairs = (_lib.Pair * n)()
        keep = []  # the encoded bytes must outlive the call
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"pair {i}: expected (premise, hypothesis), got {pair!r:.80}")
            premise = _lib.encode(pair[0], f"pair {i} premise")
            hypothesis = _lib.encode(pair[1], f"pair {i} hypothesis")
            keep += [premise, hypothesis]
            c_pairs[i].premise, c_pairs[i].hypothesis = premise, hypothesis
        lib = _lib.lib()
        options = lib.fc_nli_default_options()
        options.batch_size = batch_size
        if self._max_length is not None:
            options.max_length = self._max_length
        err = _lib.Error()
        with self._model.lock:
            status = lib.fc_nli_logits(self._model.handle, c_pairs, n, ctypes.byref(options),
                                       out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                       ctypes.byref(err))
        _lib.check(status, err)
        return out


def softmax(logits):
    """Row-wise softmax, in float64 then back to float32."""
    x = np.asarray(logits, dtype=np.float64)
    x = np.exp(x - x.max(axis=-1, keepdims=True))
    return (x / x.sum(axis=-1, keepdims=True)).astype(np.float32)

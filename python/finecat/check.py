"""check(): is each sentence of an answer supported by a context? (fc_check in finecat.h)"""

import ctypes
import json

from . import _lib
from . import _model


def check(context, answer, model=None, support_threshold=None, contradiction_threshold=None,
          max_batch_tokens=None):
    """Splits the answer into sentences and scores each one (hypothesis) against the context
    (premise); a context longer than the model's window is cut into overlapping windows.

    Returns the dict `finecat check --json` prints:
      {"sentences": [{"text", "start", "end", "verdict" ("supported", "unsupported" or
         "contradicted"), "entailment", "neutral", "contradiction", "window",
         "max_contradiction", "contradiction_window"}, ...],
       "windows": [{"start", "end"}, ...],
       "summary": {"supported": n, "unsupported": n, "contradicted": n},
       "support_threshold": x, "contradiction_threshold": x}
    start and end are byte offsets into the UTF-8 answer (sentences) or context (windows).
    model: a model folder, a CrossEncoder, or None for the default model; a folder is loaded
    once and kept (a cache of four).
    """
    loaded = _model.resolve(model)
    lib = _lib.lib()
    options = lib.fc_check_default_options()
    if support_threshold is not None:
        options.support_threshold = support_threshold
    if contradiction_threshold is not None:
        options.contradiction_threshold = contradiction_threshold
    if max_batch_tokens is not None:
        options.max_batch_tokens = max_batch_tokens
    for name in ("support_threshold", "contradiction_threshold"):
        value = getattr(options, name)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be within [0, 1], got {value}")
    text = ctypes.c_void_p()
    err = _lib.Error()
    context_bytes = _lib.encode(context, "context")
    answer_bytes = _lib.encode(answer, "answer")
    with loaded.lock:
        status = lib.fc_check_json(loaded.handle, context_bytes, answer_bytes,
                                   ctypes.byref(options), ctypes.byref(text), ctypes.byref(err))
    _lib.check(status, err)
    return json.loads(_lib.take_string(text))

"""finecat: NLI cross-encoders in C, from Python (ctypes; numpy; no torch).

    import finecat
    model = finecat.CrossEncoder("models/finecat-nli-minilm")
    model.predict([("A man is playing a guitar.", "A person makes music.")], apply_softmax=True)
    finecat.pipeline("zero-shot-classification")("I love pizza", ["food", "sports"])
    finecat.check(context, answer)

The library is found through $FINECAT_LIB, the dynamic loader or pkg-config (see README.md).
Library calls release the GIL (ctypes.CDLL); calls on one model run one at a time.
"""

from ._lib import FinecatError
from ._model import default_model_path
from .check import check
from .cross_encoder import CrossEncoder
from .zero_shot import ZeroShotClassificationPipeline, pipeline

__version__ = "0.1.0"
__all__ = ["CrossEncoder", "FinecatError", "ZeroShotClassificationPipeline", "check",
           "default_model_path", "library_version", "pipeline"]


def library_version():
    """The version of the libfinecat.so that was loaded (fc_version)."""
    from . import _lib
    return _lib.lib().fc_version().decode()

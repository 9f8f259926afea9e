"""A loaded fc_model, the default model's folder, and a small cache of models loaded by name."""

import ctypes
import functools
import os
import threading

from . import _lib

DEFAULT_MODEL_NAME = "finecat-nli-minilm"

# Names the weights' dtypes also go by (torch, numpy) besides finecat's own f32/bf16/f16/int8.
_DTYPE_ALIASES = {"float32": "f32", "fp32": "f32", "bfloat16": "bf16", "float16": "f16",
                  "fp16": "f16", "half": "f16"}


class Model:
    """An fc_model: loaded once, freed with the object.

    An fc_model plans its working memory once and reuses it, so one model runs one call at a
    time: `lock` serializes the calls (other threads still run Python meanwhile, as ctypes
    releases the GIL inside the library).
    """

    def __init__(self, path, dtype=None):
        lib = _lib.lib()
        self._lib = lib
        self.handle = ctypes.c_void_p()
        self.lock = threading.Lock()
        options = _lib.ModelOptions(weights=_dtype_code(lib, dtype), device=0)
        err = _lib.Error()
        path = os.fspath(path)
        # The name goes to the library as it is: a folder today, whatever fc_model_load_with
        # accepts tomorrow (hub ids).
        _lib.check(lib.fc_model_load_with(_lib.encode(path, "model path"), ctypes.byref(options),
                                          ctypes.byref(self.handle), ctypes.byref(err)), err)
        self.path = path
        self.num_labels = lib.fc_model_num_labels(self.handle)
        self.id2label = {i: lib.fc_model_label_name(self.handle, i).decode("utf-8")
                         for i in range(self.num_labels)}
        self.max_length = lib.fc_model_max_length(self.handle)
        self.entailment_id = lib.fc_model_entailment_id(self.handle)

    def __del__(self):
        handle = getattr(self, "handle", None)
        if handle:
            self._lib.fc_model_free(handle)
            self.handle = None


def _dtype_code(lib, dtype):
    if dtype is None:
        return 0  # FC_WEIGHTS_F32
    # Also numpy's dtype classes (numpy.float16.__name__) and torch's ("torch.float16").
    name = (getattr(dtype, "__name__", None) or str(dtype)).lower().split(".")[-1]
    name = _DTYPE_ALIASES.get(name, name)
    code = lib.fc_weight_dtype_from_name(name.encode())
    if code < 0:
        raise ValueError(f"dtype {dtype!r}: expected f32, bf16, f16 or int8")
    return code


def default_model_path():
    """$FINECAT_MODEL, else finecat-nli-minilm beside the library the way `make install` lays it
    out (LIBDIR/../share/finecat/models), else in the checkout it was built in (build/../models),
    else ./models, as the CLI looks for it."""
    env = os.environ.get("FINECAT_MODEL")
    if env:
        return env
    candidates = []
    lib_path = _lib.library_path()
    if lib_path:
        libdir = os.path.dirname(lib_path)
        candidates += [os.path.join(libdir, "..", "share", "finecat", "models", DEFAULT_MODEL_NAME),
                       os.path.join(libdir, "..", "models", DEFAULT_MODEL_NAME)]
    candidates.append(os.path.join("models", DEFAULT_MODEL_NAME))
    for candidate in candidates:
        if os.path.isdir(candidate):
            return os.path.normpath(candidate)
    raise _lib.FinecatError("no model given, $FINECAT_MODEL is not set, and the default model "
                            f"{DEFAULT_MODEL_NAME} is in none of " + ", ".join(candidates))


@functools.lru_cache(maxsize=4)
def _cached(path, dtype):
    return Model(path, dtype)


def resolve(model, dtype=None):
    """A Model for what a function's `model=` argument gives: a CrossEncoder or Model as is, a
    path (or None: the default model) loaded once and kept in a cache of four."""
    inner = getattr(model, "_model", model)
    if isinstance(inner, Model):
        return inner
    if model is None:
        model = default_model_path()
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a path, a CrossEncoder or None, not {type(model).__name__}")
    return _cached(os.fspath(model), None if dtype is None else str(dtype))

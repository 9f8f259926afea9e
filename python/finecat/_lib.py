"""Finding and loading libfinecat.so, and the ctypes signatures of the functions used.

The library is loaded with ctypes.CDLL, which releases the GIL for the duration of every
foreign call: while one thread waits in fc_nli_logits, other Python threads run. The
declarations below mirror include/finecat.h; the structs are the header's, field for field.
"""

import ctypes
import ctypes.util
import os
import subprocess
import threading

# The soname this package is written against (include/finecat.h's FC_VERSION_MAJOR).
SONAME = "libfinecat.so.0"
VERSION_MAJOR = 0


class FinecatError(RuntimeError):
    """An error the C library reported; the message is its fc_error text (file, key or input)."""


class Error(ctypes.Structure):
    _fields_ = [("message", ctypes.c_char * 1024)]

    def text(self):
        return self.message.decode("utf-8", errors="replace")


class Pair(ctypes.Structure):
    _fields_ = [("premise", ctypes.c_char_p), ("hypothesis", ctypes.c_char_p)]


class ModelOptions(ctypes.Structure):
    _fields_ = [("weights", ctypes.c_int), ("device", ctypes.c_int)]


class NliOptions(ctypes.Structure):
    _fields_ = [("max_length", ctypes.c_int), ("batch_size", ctypes.c_int),
                ("truncation", ctypes.c_int)]


class ZeroshotOptions(ctypes.Structure):
    _fields_ = [("hypothesis_template", ctypes.c_char_p), ("multi_label", ctypes.c_int),
                ("max_batch_tokens", ctypes.c_int)]


class CheckOptions(ctypes.Structure):
    _fields_ = [("support_threshold", ctypes.c_float), ("contradiction_threshold", ctypes.c_float),
                ("max_batch_tokens", ctypes.c_int)]


_P = ctypes.c_void_p  # fc_model *, kept opaque
_ERR = ctypes.POINTER(Error)
_SIGNATURES = {
    "fc_version": (ctypes.c_char_p, []),
    "fc_model_load_with": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(ModelOptions),
                                          ctypes.POINTER(_P), _ERR]),
    "fc_model_free": (None, [_P]),
    "fc_model_num_labels": (ctypes.c_int, [_P]),
    "fc_model_label_name": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "fc_model_max_length": (ctypes.c_int, [_P]),
    "fc_model_entailment_id": (ctypes.c_int, [_P]),
    "fc_weight_dtype_from_name": (ctypes.c_int, [ctypes.c_char_p]),
    "fc_nli_default_options": (NliOptions, []),
    "fc_nli_logits": (ctypes.c_int, [_P, ctypes.POINTER(Pair), ctypes.c_size_t,
                                     ctypes.POINTER(NliOptions), ctypes.POINTER(ctypes.c_float),
                                     _ERR]),
    "fc_zeroshot_default_options": (ZeroshotOptions, []),
    "fc_zeroshot": (ctypes.c_int, [_P, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                                   ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                                   ctypes.POINTER(ZeroshotOptions),
                                   ctypes.POINTER(ctypes.c_size_t),
                                   ctypes.POINTER(ctypes.c_float), _ERR]),
    "fc_zeroshot_hypothesis": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p,
                                              ctypes.POINTER(ctypes.c_void_p), _ERR]),
    "fc_check_default_options": (CheckOptions, []),
    "fc_check_json": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.POINTER(CheckOptions),
                                     ctypes.POINTER(ctypes.c_void_p), _ERR]),
    "fc_free": (None, [ctypes.c_void_p]),
}

_lock = threading.Lock()
_lib = None
_lib_path = None


def _candidates():
    """(description, path or soname) in the order they are tried; see README.md."""
    env = os.environ.get("FINECAT_LIB")
    if env:
        # Named explicitly: the only candidate, so that a wrong path is an error, not a fallback.
        return [("$FINECAT_LIB", env)]
    found = []
    name = ctypes.util.find_library("finecat")
    if name:
        found.append(("the dynamic loader (ctypes.util.find_library)", SONAME))
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "finecat"], check=True,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        if libdir:
            found.append(("pkg-config finecat's libdir", os.path.join(libdir, SONAME)))
    except (OSError, subprocess.SubprocessError):
        pass
    return found


def _loaded_path(lib):
    """The file the dynamic loader mapped for lib (dladdr of one of its functions)."""

    class DlInfo(ctypes.Structure):
        _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                    ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]

    info = DlInfo()
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError):
        return None
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    if dladdr(ctypes.cast(lib.fc_version, ctypes.c_void_p), ctypes.byref(info)) == 0:
        return None
    return os.path.realpath(info.dli_fname.decode()) if info.dli_fname else None


def lib():
    """The loaded library (loaded on first use, so that `import finecat` never fails)."""
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for where, path in _candidates():
            try:
                loaded = ctypes.CDLL(path)
            except OSError as e:
                tried.append(f"{where}: {path}: {e}")
                continue
            for name, (restype, argtypes) in _SIGNATURES.items():
                function = getattr(loaded, name)
                function.restype = restype
                function.argtypes = argtypes
            version = loaded.fc_version().decode()
            if int(version.split(".")[0]) != VERSION_MAJOR:
                raise OSError(f"{path} is finecat {version}; this package needs "
                              f"{VERSION_MAJOR}.x ({SONAME})")
            _lib, _lib_path = loaded, _loaded_path(loaded)
            return _lib
        if not tried:
            tried.append("$FINECAT_LIB is not set, ctypes.util.find_library('finecat') and "
                         "pkg-config finecat found nothing")
        raise OSError("finecat: cannot load libfinecat.so (" + "; ".join(tried) + "). Build it "
                      "(make) and set FINECAT_LIB=/path/to/build/libfinecat.so.0, or run "
                      "`make install`.")


def library_path():
    """The path of the loaded libfinecat.so (None if the loader does not say)."""
    lib()
    return _lib_path


def check(status, err):
    if status != 0:
        raise FinecatError(err.text())


def encode(text, what):
    """text as a C string: UTF-8, without NUL (which would end it early)."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, not {type(text).__name__}")
    if "\0" in text:
        raise ValueError(f"{what} contains a NUL character")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"{what} is not valid Unicode: {e}") from None


def take_string(pointer):
    """A string the library allocated (char * out-parameter), decoded and freed."""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib().fc_free(pointer)

"""torch tensors in, tensors out: the seam between torch and sigpu's NumPy/CuPy code.

:func:`sigpu._backend.on_input_device` hands a call to :func:`dispatch` when an argument is a
``torch.Tensor``.  A function with a registered torch implementation (:func:`register`,
usually a ``torch.autograd.Function``) runs that; any other runs on the arrays the tensors
share memory with (a CPU tensor is a NumPy array, a CUDA tensor a CuPy array through DLPack;
no copy either way) and its arrays come back as tensors on the input's device.  Gradients are
never dropped silently: a tensor that requires grad reaching a function without an autograd
implementation is a TypeError unless grad mode is off.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from .._backend import _is_cupy_array, call_on_input_device, import_module
from .._errors import ParameterError

__all__ = [
    "is_tensor",
    "to_array",
    "to_tensor",
    "register",
    "dispatch",
    "run_on_arrays",
    "numpy_dtype",
]

#: the undecorated sigpu function or method -> its torch implementation
_IMPLEMENTATIONS: dict[object, object] = {}


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a ``torch.Tensor`` (or a subclass such as ``nn.Parameter``).

    Never imports torch: without torch loaded there can be no tensor.
    """
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _check_convertible(t) -> None:
    """TypeError for tensors that no NumPy/CuPy array can stand for (one fast test for the
    usual tensor, then the reason)."""
    if (
        t.layout is torch.strided
        and (t.is_cpu or t.is_cuda)
        and not (t.is_quantized or t.is_conj() or t.is_neg())
    ):
        return
    if t.layout is not torch.strided:
        raise TypeError(
            f"a torch tensor with layout {t.layout} cannot be passed to sigpu; only dense "
            "(strided) tensors can: call .to_dense() first"
        )
    if t.is_quantized:
        raise TypeError("quantized torch tensors cannot be passed to sigpu: dequantize() first")
    if t.device.type not in ("cpu", "cuda"):
        raise TypeError(
            f"a torch tensor on device {t.device.type!r} cannot be passed to sigpu; it takes "
            "CPU and CUDA tensors"
        )
    if t.is_conj() or t.is_neg():
        raise TypeError(
            "a torch tensor with a lazy conjugate or negation bit cannot be shared with "
            "NumPy/CuPy: call .resolve_conj() / .resolve_neg() first"
        )


def to_array(t):
    """The NumPy (CPU tensor) or CuPy (CUDA tensor, via DLPack) array sharing ``t``'s memory.

    Zero copy, detached from autograd.  Sparse, quantized, meta (and other non-CPU/CUDA)
    tensors and tensors with a lazy conjugate/negation bit raise TypeError.
    """
    _check_convertible(t)
    if t.requires_grad:
        t = t.detach()
    if t.is_cuda:
        return import_module("cupy").from_dlpack(t)
    return t.numpy()


def to_tensor(a, like):
    """A torch tensor sharing ``a``'s memory (NumPy or CuPy array), on ``like``'s device.

    NumPy arrays go through ``torch.from_numpy`` (zero copy; read-only, byte-swapped or
    negatively strided arrays, which torch cannot share, are copied first), CuPy arrays
    through ``torch.from_dlpack``.
    """
    if type(a) is not np.ndarray:
        if _is_cupy_array(a):
            if not like.is_cuda:
                raise TypeError("a CuPy result cannot become a tensor on the CPU without a copy")
            return torch.from_dlpack(a)
        a = np.asarray(a)
    if like.is_cuda:
        raise TypeError("a NumPy result cannot become a CUDA tensor without a copy")
    if not (a.flags.writeable and a.dtype.isnative) or min(a.strides, default=0) < 0:
        a = np.array(a, dtype=a.dtype.newbyteorder("="))
    return torch.from_numpy(a)


def numpy_dtype(dtype) -> np.dtype:
    """The NumPy dtype of a torch dtype (TypeError for one NumPy lacks, e.g. bfloat16)."""
    try:
        return torch.empty((), dtype=dtype).numpy().dtype
    except TypeError:
        raise TypeError(f"dtype={dtype} has no NumPy equivalent") from None


def _resolve(name: str):
    """The undecorated sigpu function or method a public ``name`` ("stft", "sfi.encode",
    "STFT.__call__") stands for."""
    target = import_module("sigpu")
    for part in name.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"register({name!r}): sigpu has no {name!r}") from None
    if not callable(target):
        raise ValueError(f"register({name!r}): sigpu.{name} is not callable")
    return getattr(target, "__wrapped__", target)


def register(name: str):
    """Decorator: ``impl`` is what sigpu's ``name`` runs when given torch tensors.

    ``impl`` takes the public function's arguments (tensors as they were passed; ``self``
    first for a method) and returns tensors, usually through a ``torch.autograd.Function``.
    """
    target = _resolve(name)

    def decorate(impl):
        _IMPLEMENTATIONS[target] = impl
        return impl

    return decorate


def _walk(values):
    """The values of ``values`` and, one level down, of the lists and tuples among them."""
    for value in values:
        if type(value) in (list, tuple):
            yield from value
        else:
            yield value


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray) or _is_cupy_array(value)


def _check_arguments(func, args, kwargs):
    """The tensors among the arguments, after the checks every tensor call passes."""
    tensors = []
    for value in _walk((*args, *kwargs.values())):
        if isinstance(value, torch.Tensor):
            tensors.append(value)
        elif value is not None and type(value) not in (int, float, str, bool) and _is_array(value):
            raise TypeError(
                f"{func.__qualname__}: torch tensors and NumPy/CuPy arrays were mixed; pass "
                "all arrays as tensors (torch.as_tensor(...)) or none"
            )
    if len(tensors) > 1 and len({t.device for t in tensors}) > 1:
        devices = sorted({str(t.device) for t in tensors})
        raise TypeError(f"{func.__qualname__}: tensors on several devices ({devices})")
    for t in tensors:
        if t.is_meta:
            raise ParameterError(
                f"{func.__qualname__}: meta tensors hold no data; sigpu needs values"
            )
        _check_convertible(t)
    return tensors


def _convert(value, arrays_of):
    if isinstance(value, torch.Tensor):
        array = to_array(value)
        arrays_of[id(array)] = (array, value)
        return array
    if isinstance(value, torch.dtype):  # dtype=torch.complex64 and the like
        return numpy_dtype(value)
    if type(value) in (list, tuple) and any(isinstance(v, torch.Tensor) for v in value):
        return type(value)(_convert(v, arrays_of) for v in value)
    return value


def _back(result, like, arrays_of):
    if type(result) is tuple:
        return tuple(_back(r, like, arrays_of) for r in result)
    if _is_array(result):
        kept = arrays_of.get(id(result))
        if kept is not None and kept[0] is result:  # an ``out=`` tensor filled in place
            return kept[1]
        return to_tensor(result, like)
    return result


def dispatch(func, args, kwargs):
    """Run ``func`` (an undecorated sigpu function) on arguments holding torch tensors.

    Called by :func:`sigpu._backend.on_input_device`.  Uses the registered torch
    implementation if there is one; otherwise converts the tensors to arrays (zero copy),
    calls ``func`` and converts its arrays (also inside tuples) back to tensors on the
    input's device.  Raises TypeError for tensors mixed with NumPy/CuPy arrays, for
    unsupported tensors, and for a tensor requiring grad when ``func`` has no autograd
    implementation and grad mode is on.
    """
    tensors = _check_arguments(func, args, kwargs)
    impl = _IMPLEMENTATIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    return run_on_arrays(func, args, kwargs, tensors)


def run_on_arrays(func, args, kwargs, tensors=None):
    """``func`` on the arrays behind the tensors among ``args``/``kwargs``, its arrays back
    as tensors: :func:`dispatch` without a registered implementation, for implementations
    to fall back on (e.g. for arguments their autograd does not cover).  TypeError for a
    tensor requiring grad while grad mode is on."""
    if tensors is None:
        tensors = [v for v in _walk((*args, *kwargs.values())) if isinstance(v, torch.Tensor)]
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        raise TypeError(
            f"{func.__qualname__} has no autograd implementation, and a tensor requiring "
            "grad was passed: detach it (x.detach()) or call it under torch.no_grad()"
        )
    arrays_of: dict[int, tuple] = {}
    args = [_convert(a, arrays_of) for a in args]
    kwargs = {k: _convert(v, arrays_of) for k, v in kwargs.items()} if kwargs else kwargs
    return _back(call_on_input_device(func, args, kwargs), tensors[0], arrays_of)

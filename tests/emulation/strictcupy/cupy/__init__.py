"""A strict NumPy-backed stand-in for CuPy >= 14, for running sigpu's CuPy paths on a CPU.

``cupy.ndarray`` wraps a NumPy array and behaves like device memory as CuPy's does, only
more strictly where a GPU would fail or silently slow down:

* implicit conversion to NumPy raises ``TypeError`` (CuPy's ``__array__`` does), and a
  ``numpy.ndarray`` operand is refused (CuPy: "Unsupported type");
* reductions and scalar indexing return 0-d arrays, never host scalars;
* every device->host transfer (``bool()``, ``float()``, ``int()``, ``.item()``,
  ``.get()``, ``asnumpy``, boolean-mask indexing, ``nonzero``-style shape-from-data
  functions) is logged in :data:`SYNCS` with the sigpu file and line that caused it;
* there are two devices; arrays remember theirs, and using an array while another device
  is current raises ``ValueError`` (CuPy without peer access does; with it, it warns);
* each device has a memory size: live allocations beyond it raise ``OutOfMemoryError``,
  and ``cuda.runtime.memGetInfo`` reports what is left;
* ``RawModule`` compiles the ``.cu`` source as host C++ (``tests.emulation.cuda_emu``) and
  checks every kernel argument against the C++ signature; ``ElementwiseKernel`` compiles
  its operation the same way.

Type promotion is NumPy 2's (NEP 50), which CuPy 14 follows; sigpu declares CuPy >= 14.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import traceback
import weakref

import numpy as _np

IS_EMULATION = True
__version__ = "14.0.0"

#: ``(what, "sigpu/file.py:line")`` of every device->host transfer, in order.
SYNCS: list[tuple[str, str]] = []
#: Other notable events (a host array assigned into device memory, ...).
EVENTS: list[tuple[str, str]] = []

N_DEVICES = 2
DEFAULT_DEVICE_MEMORY = 16 << 30


def _where() -> str:
    """The innermost sigpu frame of the current stack (else the innermost test frame)."""
    stack = traceback.extract_stack()[:-2]
    for marker in ("/sigpu/", "/tests/"):
        for frame in reversed(stack):
            if marker in frame.filename and "/emulation/" not in frame.filename:
                return f"{marker.strip('/')}/{frame.filename.split(marker)[-1]}:{frame.lineno}"
    return "?"


def _sync(what: str) -> None:
    SYNCS.append((what, _where()))


# ---- devices ------------------------------------------------------------------------------
_local = threading.local()


def _current() -> int:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else 0


class Device:
    """``cupy.cuda.Device``: a device id that is also a context manager."""

    def __init__(self, device=None):
        if device is None:
            device = _current()
        self.id = int(device.id if isinstance(device, Device) else device)
        if not 0 <= self.id < N_DEVICES:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id}")

    def __enter__(self):
        _local.stack = [*getattr(_local, "stack", []), self.id]
        return self

    def __exit__(self, *exc):
        _local.stack.pop()
        return False

    def use(self):
        stack = getattr(_local, "stack", None) or [0]
        stack[0] = self.id  # the bottom of the stack is the thread's current device
        _local.stack = stack

    def synchronize(self):
        pass

    compute_capability = "90"

    def __int__(self):
        return self.id

    __index__ = __int__

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("Device", self.id))

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


# ---- device memory ------------------------------------------------------------------------
class OutOfMemoryError(MemoryError):
    """``cupy.cuda.memory.OutOfMemoryError``."""


_memory_lock = threading.Lock()
_memory_limit = [DEFAULT_DEVICE_MEMORY] * N_DEVICES
_memory_used = [0] * N_DEVICES
_memory_peak = [0] * N_DEVICES
_owned: dict[int, weakref.ref] = {}


def _release(key: int, device: int, nbytes: int) -> None:
    with _memory_lock:
        _memory_used[device] -= nbytes
        _owned.pop(key, None)


def _account(a: _np.ndarray, device: int) -> None:
    """Charge ``a``'s buffer to ``device`` if ``a`` owns it and is not charged yet."""
    if a.base is not None or a.nbytes == 0:
        return
    key = id(a)
    with _memory_lock:
        ref = _owned.get(key)
        if ref is not None and ref() is a:
            return
        if _memory_used[device] + a.nbytes > _memory_limit[device]:
            raise OutOfMemoryError(
                f"Out of memory allocating {a.nbytes:,} bytes on device {device} "
                f"({_memory_used[device]:,} of {_memory_limit[device]:,} in use; emulated)"
            )
        _memory_used[device] += a.nbytes
        _memory_peak[device] = max(_memory_peak[device], _memory_used[device])
        _owned[key] = weakref.ref(a)
    weakref.finalize(a, _release, key, device, a.nbytes)


@contextlib.contextmanager
def emulated_memory(free_bytes: int, device: int = 0):
    """Test helper: ``device`` has ``free_bytes`` free inside the block (on top of what is
    allocated already, e.g. sigpu's cached tables); yields a function returning the peak
    of the bytes allocated since entry."""
    with _memory_lock:
        base = _memory_used[device]
        old, _memory_limit[device] = _memory_limit[device], base + int(free_bytes)
        _memory_peak[device] = base
    try:
        yield lambda: _memory_peak[device] - base
    finally:
        with _memory_lock:
            _memory_limit[device] = old


def _memory_info(device: int) -> tuple[int, int]:
    with _memory_lock:
        return _memory_limit[device] - _memory_used[device], _memory_limit[device]


# ---- the array ----------------------------------------------------------------------------
def _check_device(arrays) -> None:
    current = _current()
    for a in arrays:
        if a._device != current:
            raise ValueError(
                f"The device where the array resides ({a._device}) is different from the "
                f"current device ({current}). Peer access is unavailable between these "
                f"devices. (emulated CuPy, at {_where()})"
            )


def _unwrap(x, seen: list, what: str):
    if isinstance(x, ndarray):
        seen.append(x)
        return x._a
    if isinstance(x, _np.ndarray):
        raise TypeError(
            f"Unsupported type <class 'numpy.ndarray'> in cupy{what}: a host array where "
            f"CuPy needs a cupy.ndarray (emulated CuPy, at {_where()})"
        )
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, seen, what) for v in x)
    return x


def _wrap(x, device: int | None = None):
    device = _current() if device is None else device
    if isinstance(x, _np.ndarray):
        _account(x, device)
        return ndarray(x, device)
    if isinstance(x, _np.generic) and not isinstance(x, (_np.str_, _np.bytes_)):
        return ndarray(_np.asarray(x), device)  # CuPy returns 0-d arrays, not host scalars
    if isinstance(x, tuple):
        return tuple(_wrap(v, device) for v in x)
    if isinstance(x, list):
        return [_wrap(v, device) for v in x]
    return x


def _function(name: str, func, *, syncs: str | None = None):
    """``func`` (a NumPy callable) as a device function: device arrays in and out, host
    arrays refused, every array on the current device."""

    def call(*args, **kwargs):
        seen: list[ndarray] = []
        args = _unwrap(args, seen, "." + name)
        kwargs = {k: _unwrap(v, seen, "." + name) for k, v in kwargs.items()}
        _check_device(seen)
        if syncs:
            _sync(syncs)
        with _np.errstate(all="ignore"):  # a GPU never warns about floating-point errors
            result = func(*args, **kwargs)
        out = kwargs.get("out")
        if out is not None and result is out:
            return next(a for a in seen if a._a is out)
        return _wrap(result)

    call.__name__ = call.__qualname__ = name
    return call


class ndarray:  # noqa: N801  (CuPy's name)
    """A device array: a NumPy array in emulated device memory."""

    __array_priority__ = 100

    def __init__(self, a, device: int = 0):
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_device", device)

    # --- the host/device boundary
    def __array__(self, *args, **kwargs):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
            f"construct a NumPy array explicitly. (emulated CuPy, at {_where()})"
        )

    def get(self, stream=None, order="C", out=None, blocking=True):
        _sync("get()")
        return _np.array(self._a, order=order)

    def set(self, arr, stream=None):
        self._a[...] = arr

    def __bool__(self):
        _sync("bool()")
        return bool(self._a)

    def __float__(self):
        _sync("float()")
        return float(self._a)

    def __int__(self):
        _sync("int()")
        return int(self._a)

    def __complex__(self):
        _sync("complex()")
        return complex(self._a)

    def __index__(self):
        _sync("index")
        return self._a.__index__()

    def item(self):
        _sync("item()")
        return self._a.item()

    def tolist(self):
        _sync("tolist()")
        return self._a.tolist()

    def __repr__(self):
        return f"array({_np.array2string(self._a, separator=', ')}, device={self._device})"

    __str__ = __repr__

    # --- NumPy's protocols: NumPy functions on device arrays run "on the device"
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _function(ufunc.__name__, getattr(ufunc, method))(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return getattr(sys.modules[__name__], func.__name__)(*args, **kwargs)

    # --- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    base = property(lambda self: None if self._a.base is None else ndarray(self._a.base))
    device = property(lambda self: Device(self._device))
    T = property(lambda self: self._view(self._a.T))
    mT = property(lambda self: self._view(_np.swapaxes(self._a, -1, -2)))
    real = property(lambda self: self._view(self._a.real))
    imag = property(lambda self: self._view(self._a.imag))

    def _view(self, a):
        return ndarray(a, self._device)

    def __setattr__(self, name, value):
        if name == "shape":
            self._a.shape = value
        else:
            raise AttributeError(f"cannot set {name!r} of cupy.ndarray")

    def __getattr__(self, name):  # methods: astype, reshape, view, copy, sum, ...
        if name.startswith("__"):  # __array_interface__ would hand NumPy the host memory
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr, self._device)
        method = _function(name, attr)

        def bound(*args, **kwargs):
            _check_device([self])
            return method(*args, **kwargs)

        return bound

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def _key(self, key):
        seen: list[ndarray] = []
        key = _unwrap(key, seen, "[]")
        _check_device([self, *seen])
        parts = key if isinstance(key, tuple) else (key,)
        if any(isinstance(k, _np.ndarray) and k.dtype == _np.bool_ for k in parts):
            _sync("boolean mask index")  # the result's shape depends on the data
        return key

    def __getitem__(self, key):
        return _wrap(self._a[self._key(key)], self._device)

    def __setitem__(self, key, value):
        if isinstance(value, _np.ndarray):
            EVENTS.append(("host array assigned into a device array", _where()))
        elif isinstance(value, ndarray):
            _check_device([value])
            value = value._a
        self._a[self._key(key)] = value

    def __dlpack_device__(self):
        return (2, self._device)  # kDLCUDA


def _binary(ufunc_name: str):
    ufunc = getattr(_np, ufunc_name)

    def op(self, other):
        return _function(ufunc_name, ufunc)(self, other)

    def reflected(self, other):
        return _function(ufunc_name, ufunc)(other, self)

    def inplace(self, other):
        _function(ufunc_name, ufunc)(self, other, out=self)
        return self

    return op, reflected, inplace


for _name, _ufunc in [
    ("add", "add"),
    ("sub", "subtract"),
    ("mul", "multiply"),
    ("truediv", "true_divide"),
    ("floordiv", "floor_divide"),
    ("mod", "remainder"),
    ("pow", "power"),
    ("matmul", "matmul"),
    ("and", "bitwise_and"),
    ("or", "bitwise_or"),
    ("xor", "bitwise_xor"),
    ("lshift", "left_shift"),
    ("rshift", "right_shift"),
]:
    _op, _reflected, _inplace = _binary(_ufunc)
    setattr(ndarray, f"__{_name}__", _op)
    setattr(ndarray, f"__r{_name}__", _reflected)
    setattr(ndarray, f"__i{_name}__", _inplace)
for _name, _ufunc in [
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
    ("eq", "equal"),
    ("ne", "not_equal"),
]:
    setattr(ndarray, f"__{_name}__", _binary(_ufunc)[0])
ndarray.__neg__ = lambda self: _function("negative", _np.negative)(self)
ndarray.__pos__ = lambda self: _function("positive", _np.positive)(self)
ndarray.__abs__ = lambda self: _function("absolute", _np.absolute)(self)
ndarray.__invert__ = lambda self: _function("invert", _np.invert)(self)
ndarray.__hash__ = None

# ---- the module namespace: NumPy's names, on the device -----------------------------------
from numpy import (  # noqa: E402,F401
    bool_,
    can_cast,
    complex64,
    complex128,
    complexfloating,
    e,
    finfo,
    float16,
    float32,
    float64,
    floating,
    iinfo,
    inf,
    int8,
    int16,
    int32,
    int64,
    integer,
    intp,
    isdtype,
    issubdtype,
    nan,
    newaxis,
    pi,
    promote_types,
    result_type,
    uint8,
    uint16,
    uint32,
    uint64,
)

# Functions whose result's shape (or value on the host) depends on the data: CuPy must
# copy to the host to answer them.
_DATA_DEPENDENT = {"nonzero", "flatnonzero", "argwhere", "unique", "extract", "compress"}


def asarray(a, dtype=None, order=None, *, blocking=False):
    """Host data is copied to the current device; a device array is returned as is."""
    if isinstance(a, ndarray):
        if dtype is None or _np.dtype(dtype) == a.dtype:
            return a
        return a.astype(dtype)
    if isinstance(a, (list, tuple)) and any(isinstance(v, ndarray) for v in a):
        stacked = sys.modules[__name__].stack(a)
        return stacked if dtype is None else stacked.astype(dtype)
    return _wrap(_np.array(a, dtype=dtype, order=order or "K", copy=True))


def array(a, dtype=None, copy=True, order="K", ndmin=0, **kwargs):
    if isinstance(a, ndarray):
        _check_device([a])
        return _wrap(_np.array(a._a, dtype=dtype, copy=True, order=order, ndmin=ndmin))
    return _wrap(_np.array(a, dtype=dtype, copy=True, order=order, ndmin=ndmin))


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if isinstance(a, ndarray):
        return a.get(order=order)
    return _np.asarray(a, order=order)


def ascontiguousarray(a, dtype=None):
    if not isinstance(a, ndarray):
        raise TypeError(
            f"Unsupported type {type(a)} in cupy.ascontiguousarray (emulated CuPy, at {_where()})"
        )
    _check_device([a])
    result = _np.ascontiguousarray(a._a, dtype=dtype)
    return a if result is a._a else _wrap(result)


def empty(shape, dtype=float, order="C"):
    out = _np.empty(shape, dtype=dtype, order=order)
    if out.dtype.kind in "fc":
        out.fill(_np.nan)  # uninitialised device memory shows up as NaN, not as zeros
    return _wrap(out)


def empty_like(a, dtype=None, order="K", subok=None, shape=None):
    return empty(a.shape if shape is None else shape, dtype=a.dtype if dtype is None else dtype)


def argsort(a, axis=-1, kind=None):
    return _function("argsort", _np.argsort)(a, axis=axis, kind="stable")


def get_array_module(*args):
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else _np


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    obj = getattr(_np, name)
    if isinstance(obj, type) or not callable(obj):
        return obj
    return _function(name, obj, syncs=name if name in _DATA_DEPENDENT else None)


# CuPy's namespace, as far as ``from cupy import *`` (array-api-compat) needs it.
__all__ = sorted(
    n
    for n in dir(_np)
    if not n.startswith("_")
    and n
    not in {
        "testing",
        "ma",
        "rec",
        "char",
        "ctypeslib",
        "lib",
        "polynomial",
        "random",
        "typing",
        "dtypes",
        "exceptions",
        "strings",
        "f2py",
        "matlib",
        "version",
        "show_config",
        "show_runtime",
        "emath",
        "ndarray",
        "linalg",
        "fft",
    }
)


from . import cuda, fft, lib, linalg  # noqa: E402,F401
from ._elementwise import ElementwiseKernel  # noqa: E402,F401
from ._raw import RawKernel, RawModule  # noqa: E402,F401


class _MemoryPool:
    """CuPy's default pool, without caching: freed memory returns to the device at once."""

    def free_bytes(self) -> int:
        return 0

    def used_bytes(self) -> int:
        return _memory_used[_current()]

    def total_bytes(self) -> int:
        return _memory_used[_current()]

    def free_all_blocks(self) -> None:
        pass


_pool = _MemoryPool()


def get_default_memory_pool():
    return _pool


def get_default_pinned_memory_pool():
    return _pool


dtype = _np.dtype  # after the functions whose parameters are named dtype

"""The one place that knows about NumPy versus CuPy.

Every public function calls :func:`array_namespace` on its array arguments and
then writes its math once against the returned namespace ``xp`` (an
array-api-compat namespace: ``numpy`` or ``cupy`` plus the Array API names).
What ``xp`` cannot express well lives here (strided frame views, the FFT module
with a thread pool on the CPU, device placement) or in :mod:`sigpu._kernels`,
looked up through :func:`kernel`.  No other module imports numba or cupy or
branches on the backend.

CuPy is never imported unless the caller passed a CuPy array (or asked for the
CuPy namespace by name), so ``import sigpu`` stays light and works without a
GPU.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import threading
import types

import array_api_compat
import array_api_compat.numpy
import numpy as np

__all__ = [
    "array_namespace",
    "namespace_for",
    "is_device_array",
    "on_input_device",
    "call_on_input_device",
    "errstate",
    "import_module",
    "backend_name",
    "is_cupy",
    "device_of",
    "device_key",
    "asarray_on",
    "frames",
    "frame_pieces",
    "write_frames",
    "centered_frames",
    "fft_module",
    "kernel",
    "kernel_constant",
    "single_threaded_blas",
    "synchronize",
    "to_host",
]


def _is_cupy_array(a) -> bool:
    # Checked by module name so that NumPy-only callers never import cupy.
    return type(a).__module__.split(".", 1)[0] == "cupy"


def is_device_array(a) -> bool:
    """Whether ``a`` is a CuPy (device) array; never imports cupy."""
    return _is_cupy_array(a)


# One lock for sigpu's lazy imports: modules imported on first use from several threads
# at once could otherwise be seen half-initialised (KeyError or AttributeError in the
# importing thread).
_import_lock = threading.RLock()


def import_module(name: str):
    """``importlib.import_module(name)``, serialised across threads for first imports."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    if module is not None and not getattr(spec, "_initializing", False):
        return module  # fully imported: no lock on the hot path
    with _import_lock:
        return importlib.import_module(name)


def _cuda_device_id(value):
    """The CUDA device id of a CuPy array, of an object with a CUDA ``device`` attribute
    (e.g. an SFI filter family with CuPy parameters) or of the first such item of a list
    or tuple; None otherwise (NumPy arrays' ``device`` is the string "cpu")."""
    if isinstance(value, (list, tuple)):
        return next((d for d in map(_cuda_device_id, value) if d is not None), None)
    if isinstance(value, np.ndarray):
        return None
    return getattr(getattr(value, "device", None), "id", None)


def _first_device_id(args, kwargs):
    for a in (*args, *kwargs.values()):
        device_id = _cuda_device_id(a)
        if device_id is not None:
            return device_id
    return None


def _holds_tensor(tensor_type, args, kwargs) -> bool:
    for a in (*args, *kwargs.values()):
        if isinstance(a, tensor_type):
            return True
        if isinstance(a, (list, tuple)) and any(isinstance(b, tensor_type) for b in a):
            return True
    return False


def on_input_device(func):
    """Decorator: run ``func`` with the CUDA device of its first CuPy argument (an array,
    or an object with a CUDA ``device``) current, so that its work, tables, kernels and FFT
    plans go where its data is, not to whichever device happens to be current.  NumPy
    calls pay one scan of the arguments.

    A call with a torch tensor among its arguments goes to the torch bridge
    (:func:`sigpu.torch._bridge.dispatch`).  torch is never imported here: without it in
    ``sys.modules`` no argument can be a tensor, and the check is one dictionary lookup."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        torch = sys.modules.get("torch")
        if torch is not None and _holds_tensor(torch.Tensor, args, kwargs):
            return import_module("sigpu.torch._bridge").dispatch(func, args, kwargs)
        return call_on_input_device(func, args, kwargs)

    wrapper.follows_input_device = True
    return wrapper


def call_on_input_device(func, args, kwargs):
    """``func(*args, **kwargs)`` with the CUDA device of its first CuPy argument current (what
    :func:`on_input_device` does; the torch bridge calls it with the arrays behind tensors)."""
    device_id = _first_device_id(args, kwargs)
    if device_id is None:
        return func(*args, **kwargs)
    cupy = import_module("cupy")
    with cupy.cuda.Device(device_id):
        return func(*args, **kwargs)


def errstate(xp, **kwargs):
    """``numpy.errstate(**kwargs)`` for NumPy work; nothing for CuPy, which never warns
    about floating-point errors."""
    return contextlib.nullcontext() if is_cupy(xp) else np.errstate(**kwargs)


def array_namespace(*arrays, func: str | None = None):
    """Return the array-api-compat namespace shared by ``arrays``.

    ``None`` entries are skipped.  Anything that is not a NumPy or CuPy
    ndarray, or a mix of the two libraries, raises :class:`TypeError`; data is
    never moved between host and device behind the caller's back.
    """
    where = f"{func}: " if func else ""
    kinds = set()
    for a in arrays:
        if a is None:
            continue
        if isinstance(a, np.ndarray):
            kinds.add("numpy")
        elif _is_cupy_array(a):
            kinds.add("cupy")
        else:
            raise TypeError(
                f"{where}expected a numpy.ndarray or cupy.ndarray, got "
                f"{type(a).__module__}.{type(a).__name__}; convert it with "
                "numpy.asarray(...) or cupy.asarray(...) first"
            )
    if len(kinds) > 1:
        raise TypeError(
            f"{where}NumPy and CuPy arrays were mixed; move all inputs to one "
            "device first (cupy.asarray(...) or cupy.asnumpy(...))"
        )
    if kinds == {"cupy"}:
        return array_api_compat.array_namespace(*[a for a in arrays if a is not None])
    return array_api_compat.numpy


def namespace_for(xp=None):
    """Map a user's ``xp=`` argument (None, a module or a name) to a namespace.

    Accepts ``None`` (NumPy), ``"numpy"``, ``"cupy"``, the ``numpy`` or
    ``cupy`` modules, or an array-api-compat namespace of either.
    """
    if xp is None:
        return array_api_compat.numpy
    name = xp if isinstance(xp, str) else getattr(xp, "__name__", "")
    if name in ("numpy", "array_api_compat.numpy"):
        return array_api_compat.numpy
    if name in ("cupy", "array_api_compat.cupy"):
        import_module("cupy")
        return import_module("array_api_compat.cupy")
    raise TypeError(f"xp={xp!r} must be None, 'numpy', 'cupy' or one of those modules")


def backend_name(xp) -> str:
    """``"numpy"`` or ``"cupy"`` for a namespace returned by this module."""
    return "cupy" if "cupy" in xp.__name__ else "numpy"


def is_cupy(xp) -> bool:
    """Whether ``xp`` is the CuPy namespace."""
    return backend_name(xp) == "cupy"


def device_of(x):
    """The device id of a CuPy array, or ``"cpu"`` for a NumPy array."""
    return x.device.id if _is_cupy_array(x) else "cpu"


def device_key(xp, device=None):
    """Hashable key of (backend, device) for per-device caches."""
    if not is_cupy(xp):
        return ("numpy", "cpu")
    import cupy

    dev = cupy.cuda.Device(device) if device is not None else cupy.cuda.Device()
    return ("cupy", dev.id)


def asarray_on(host: np.ndarray, xp, dtype, device=None):
    """Copy a host array to ``xp`` on ``device`` (current device if None) as ``dtype``."""
    if not is_cupy(xp):
        return np.asarray(host, dtype=dtype)
    import cupy

    with cupy.cuda.Device(device if device is not None else cupy.cuda.Device().id):
        return cupy.asarray(host, dtype=dtype)


def frames(x, frame_length: int, hop_length: int):
    """Strided view of ``x (..., n)`` as ``(..., n_frames, frame_length)``.

    No copy: frame ``t`` starts at sample ``t * hop_length``.  The caller checks
    that ``n >= frame_length``.
    """
    n = x.shape[-1]
    n_frames = 1 + (n - frame_length) // hop_length
    shape = x.shape[:-1] + (n_frames, frame_length)
    step = x.strides[-1]
    strides = x.strides[:-1] + (step * hop_length, step)
    if _is_cupy_array(x):
        from cupy.lib.stride_tricks import as_strided
    else:
        from numpy.lib.stride_tricks import as_strided
    return as_strided(x, shape=shape, strides=strides)


def frame_pieces(x, frame_length: int, hop_length: int, n_frames: int, pad_mode=None):
    """Strided views covering frames ``[0, n_frames)``: a list of ``(first, views)``,
    ``views`` of shape ``(..., k, frame_length)`` holding frames ``first .. first + k - 1``.

    ``pad_mode=None``: the frames of ``x`` itself (one piece, no copy).  Otherwise the
    frames of ``x`` padded by ``frame_length // 2`` on both sides with ``xp.pad(...,
    mode=pad_mode)``, without padding the whole signal: only the first and last few
    frames reach into the padding, so only a short piece at each end is padded (a
    small copy) and the frames in between are views of ``x``.  ``pad_mode`` is one of
    numpy's local modes ("constant", "edge", "linear_ramp", "reflect", "symmetric"):
    the padding at an end depends on the samples near that end only.  The caller
    checks that the (padded) signal holds ``n_frames`` frames.
    """
    if pad_mode is None:
        return [(0, frames(x, frame_length, hop_length)[..., :n_frames, :])]
    xp = array_namespace(x)
    n = x.shape[-1]
    pad = frame_length // 2
    lead = ((0, 0),) * (x.ndim - 1)
    # frame t reads x[t*hop - pad : t*hop - pad + frame_length]: inside x for t in [lo, hi)
    lo = -(-pad // hop_length)
    hi = min(n_frames, (n + pad - frame_length) // hop_length + 1)
    # an end piece holds at least pad + 1 samples, so that "reflect" pads it as it would
    # the whole signal
    if lo >= hi or n <= 2 * (pad + 1):
        padded = xp.pad(x, lead + ((pad, pad),), mode=pad_mode)
        return [(0, frames(padded, frame_length, hop_length)[..., :n_frames, :])]
    head_len = max((lo - 1) * hop_length + frame_length - pad, pad + 1)
    head = xp.pad(x[..., :head_len], lead + ((pad, 0),), mode=pad_mode)
    inner = x[..., lo * hop_length - pad :]
    pieces = [
        (0, frames(head, frame_length, hop_length)[..., :lo, :]),
        (lo, frames(inner, frame_length, hop_length)[..., : hi - lo, :]),
    ]
    if hi < n_frames:
        start = min(hi * hop_length - pad, n - (pad + 1))  # in x
        tail = xp.pad(x[..., start:], lead + ((0, pad),), mode=pad_mode)
        # frame hi starts at padded index hi*hop, i.e. at tail index hi*hop - pad - start
        tail = tail[..., hi * hop_length - pad - start :]
        pieces.append((hi, frames(tail, frame_length, hop_length)[..., : n_frames - hi, :]))
    return pieces


def write_frames(out, pieces, first: int = 0, window=None):
    """Copy frames ``[first, first + out.shape[-2])`` of :func:`frame_pieces`' ``pieces``
    into ``out (..., k, frame_length)``, times ``window`` when given."""
    xp = array_namespace(out)
    stop = first + out.shape[-2]
    for start, views in pieces:
        a, b = max(start, first), min(start + views.shape[-2], stop)
        if a >= b:
            continue
        src = views[..., a - start : b - start, :]
        dst = out[..., a - first : b - first, :]
        if window is None:
            dst[...] = src
        else:
            xp.multiply(src, window, out=dst)
    return out


def centered_frames(x, frame_length: int, hop_length: int, n_frames: int, pad_mode: str):
    """Contiguous ``(..., n_frames, frame_length)`` frames of ``x`` padded by
    ``frame_length // 2`` on both sides (``xp.pad(..., mode=pad_mode)``): the same
    numbers as ``frames(xp.pad(x, ...))[..., :n_frames, :]`` without the padded copy
    of the whole signal (see :func:`frame_pieces`)."""
    xp = array_namespace(x)
    out = xp.empty(x.shape[:-1] + (n_frames, frame_length), dtype=x.dtype)
    return write_frames(out, frame_pieces(x, frame_length, hop_length, n_frames, pad_mode))


def memory_order(a) -> list[int]:
    """``a``'s axes from the largest stride to the smallest: ``a.transpose(memory_order(a))``
    walks memory in order (C-contiguous for any permuted-axes view of a contiguous array,
    such as the STFT's time-major ``(..., F, T)`` view)."""
    return sorted(range(a.ndim), key=lambda axis: -abs(a.strides[axis]))


def in_memory_order(a):
    """``(flat, restore)``: ``a``'s elements as one C-contiguous 1-D array in memory order
    (a view when ``a`` is a permuted view of contiguous memory, else a copy), and a function
    giving an array of that flat layout back ``a``'s shape and axis order."""
    order = memory_order(a)
    walked = a.transpose(order)
    flat = walked.reshape(-1)  # a view exactly when walked is C-contiguous
    inverse = [order.index(axis) for axis in range(a.ndim)]

    def restore(flat_result):
        return flat_result.reshape(walked.shape).transpose(inverse)

    return flat, restore


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, e.g. under ``taskset`` or a batch
    job), not the machine's: more threads than that only contend and evict each other's
    cache."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


#: Name prefix of the threads of sigpu's CPU block pool (``_kernels/cpu_threads.py``).
BLOCK_THREAD_PREFIX = "sigpu-block"


def on_block_thread() -> bool:
    """Whether the caller runs on sigpu's CPU block pool: code called there runs serially
    (the pool already uses every core, and not every numba threading layer may be entered
    from several threads at once)."""
    return threading.current_thread().name.startswith(BLOCK_THREAD_PREFIX)


def _cpu_fft():
    # scipy.fft with a worker pool: NumPy's own FFT is single-threaded.
    scipy_fft = import_module("scipy.fft")

    workers = usable_cpus()

    def threaded(func):
        def call(*args, **kwargs):
            # one FFT thread each on the block pool's threads
            return func(*args, workers=1 if on_block_thread() else workers, **kwargs)

        call.__name__ = call.__qualname__ = func.__name__
        call.__doc__ = func.__doc__
        return call

    names = ("fft", "ifft", "rfft", "irfft", "dct", "idct")
    return types.SimpleNamespace(
        **{n: threaded(getattr(scipy_fft, n)) for n in names},
        next_fast_len=scipy_fft.next_fast_len,
    )


_FFT_MODULES: dict[str, object] = {}


def fft_module(xp):
    """FFT functions with scipy.fft signatures for ``xp``'s arrays.

    NumPy: ``scipy.fft`` with one worker per usable core (pocketfft, native
    float32). CuPy: ``cupyx.scipy.fft`` (cuFFT, plans cached by CuPy).
    Both provide ``fft, ifft, rfft, irfft, dct, idct, next_fast_len``.
    """
    name = backend_name(xp)
    if name not in _FFT_MODULES:
        with _import_lock:
            if name not in _FFT_MODULES:
                _FFT_MODULES[name] = (
                    import_module("cupyx.scipy.fft") if name == "cupy" else _cpu_fft()
                )
    return _FFT_MODULES[name]


def _kernel_module(xp, topic: str):
    suffix = "cuda" if is_cupy(xp) else "numba"
    return import_module(f"sigpu._kernels.{topic}_{suffix}")


def kernel(xp, name: str):
    """Look up kernel ``"topic.function"`` for ``xp``'s backend.

    NumPy arrays get ``sigpu._kernels.<topic>_numba.<function>``, CuPy arrays
    ``sigpu._kernels.<topic>_cuda.<function>``; both follow the contract in
    :mod:`sigpu._kernels`.  The module is imported on first use, so numba and
    cupy load only when a kernel is needed.  Constants of those modules are read
    with :func:`kernel_constant`.
    """
    topic, func = name.split(".")
    found = getattr(_kernel_module(xp, topic), func)
    if not callable(found):
        raise TypeError(f"kernel(xp, {name!r}) names a constant: use kernel_constant")
    return found


def kernel_constant(xp, name: str):
    """Look up constant ``"topic.NAME"`` of ``xp``'s kernel module, as :func:`kernel` does a
    kernel: a tuning value the backends choose apart (``"harmonic.GEMM_BLOCK_COLUMNS"``, the
    columns per GEMM block: cache-sized on the CPU, launch-sized on the GPU)."""
    topic, constant = name.split(".")
    return getattr(_kernel_module(xp, topic), constant)


class _SingleThreadedBlas:
    """The process's BLAS at one thread while the main thread is inside a
    :func:`single_threaded_blas` block (nested blocks restore once, at the outermost).

    BLAS thread counts are process-wide, and OpenBLAS (0.3.30, pthreads) takes a raised
    count only from the main thread: a limit set and restored from other threads changed
    the BLAS of every thread meanwhile and could leave it at one thread for good (a
    restore from a worker thread is ignored).  So only the main thread limits; calls from
    other threads leave BLAS as it is, which can oversubscribe the cores but never
    changes another thread's arithmetic or leaks.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._holders = 0
        self._limit = None
        self._controller = None  # threadpoolctl's scan of the loaded libraries (~1 ms)
        self._modules_seen = -1  # len(sys.modules) at that scan

    @contextlib.contextmanager
    def __call__(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        with self._lock:
            if self._holders == 0:
                self._limit = self._start()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._limit is not None:
                    self._limit.restore_original_limits()
                    self._limit = None

    def _start(self):
        # Scan again after new imports: one may have loaded another BLAS (scipy.linalg
        # brings its own OpenBLAS), which a kept scan would leave unlimited.
        if self._controller is None or self._modules_seen != len(sys.modules):
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:  # without threadpoolctl BLAS keeps its own threading
                return None
            self._controller = ThreadpoolController()
            self._modules_seen = len(sys.modules)
        return self._controller.limit(limits=1, user_api="blas")


_single_threaded_blas = _SingleThreadedBlas()


def single_threaded_blas(xp):
    """Context manager limiting the CPU BLAS to one thread (no-op on CuPy).

    Many small multi-threaded GEMMs synchronise their threads on every call,
    which collapses when the cores are shared (measured: the 84-bin CQT of
    16 x 10 s took 0.137 s with OpenBLAS threads, 0.084 s without).  Used
    around loops of small GEMMs and while sigpu's own thread pool runs blocks.
    Safe to nest; a no-op outside the main thread (see :class:`_SingleThreadedBlas`).
    """
    return contextlib.nullcontext() if is_cupy(xp) else _single_threaded_blas()


def synchronize(xp) -> None:
    """Wait for queued device work (no-op on NumPy); for timing only."""
    if is_cupy(xp):
        import cupy

        cupy.cuda.get_current_stream().synchronize()


def to_host(x) -> np.ndarray:
    """Explicit device-to-host copy, for the CLI, the benchmarks and sigpu.display (drawing)."""
    if _is_cupy_array(x):
        return x.get()
    return np.asarray(x)

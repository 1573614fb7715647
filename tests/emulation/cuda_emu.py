"""Run a ``.cu`` file's kernels on the CPU: a checking stand-in for ``cupy.RawModule``.

The source is compiled unmodified as host C++ through ``cuda_emu.h`` (which says what is
and is not emulated) into a shared library linked to the launcher (``cuda_emu_runtime.cpp``,
built once per set of flags), and its kernels are launched on NumPy arrays::

    module = EmuModule(code, ("-std=c++17",), ["overlap_add<float>"], filename="ola.cu")
    kernel = module.get_function("overlap_add<float>")
    kernel((n_blocks,), (256,), (frames, window, out, np.int64(batch), ...))

A launch checks what a GPU silently gets wrong and raises :class:`EmuError` instead:

* each argument against the C++ parameter type of the instantiation, with CuPy's
  conversion rules for scalars (Python ``bool``/``int``/``float``/``complex`` travel as
  ``bool``/``long long``/``double``/``complex<double>``, a NumPy scalar as its own type):
  a Python float for a ``long long`` or an ``np.int32`` for a ``long long`` would be
  reinterpreted bytes on a GPU;
* arrays behind pointers: dtype (``complex64`` may stand behind ``float*`` as interleaved
  pairs, ``int64`` behind ``unsigned long long*`` as a count), C-contiguity, alignment,
  read-only memory behind a non-const pointer, and overlapping ``__restrict__`` arrays
  when one of them is written;
* the launch configuration (zero or oversized grid or block, more than 1024 threads);
* barriers that not every thread of a block reaches together (reported by the C++ side).

Environment: ``CUDA_EMU_BUILD`` (build cache; default a per-user directory under the
system temp dir), ``CUDA_EMU_SANITIZE=1`` (AddressSanitizer + UBSan builds: run Python
under ``LD_PRELOAD=$(g++ -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0``),
``CUDA_EMU_SEED=<n>`` (shuffled block and thread schedules), ``CUDA_EMU_WORKERS=<n>``
(OS threads per launch; default one per core).

Test infrastructure only: nothing in the ``sigpu`` package imports this module.
"""

from __future__ import annotations

import collections
import ctypes
import hashlib
import operator
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = Path(__file__).resolve().with_name("cuda_emu.h")
RUNTIME = HEADER.with_name("cuda_emu_runtime.cpp")
COMPILER = "g++"
NAME_TAG = "// name_expressions:"

#: CUDA's launch limits (every architecture since sm_30).
MAX_THREADS_PER_BLOCK = 1024
MAX_BLOCK_DIM = (1024, 1024, 64)
MAX_GRID_DIM = (2**31 - 1, 65535, 65535)

#: Successful launches per instantiation name (``"overlap_add<float>"``), all modules.
LAUNCHES: collections.Counter[str] = collections.Counter()

_WARP_LEVEL = re.compile(r"__(shfl\w*|ballot_sync|any_sync|all_sync|activemask|syncwarp)\b")

# Which array dtypes may stand behind each pointer element type.  CuPy passes a bare device
# pointer, so these are the reinterpretations sigpu relies on and nothing else.
_POINTER_DTYPES = {
    "float32": {np.dtype(np.float32), np.dtype(np.complex64)},
    "float64": {np.dtype(np.float64), np.dtype(np.complex128)},
    "int8": {np.dtype(np.int8)},
    "uint8": {np.dtype(np.uint8)},
    "int16": {np.dtype(np.int16)},
    "uint16": {np.dtype(np.uint16)},
    "int32": {np.dtype(np.int32)},
    "uint32": {np.dtype(np.uint32)},
    "int64": {np.dtype(np.int64)},
    "uint64": {np.dtype(np.uint64), np.dtype(np.int64)},
    "bool": {np.dtype(np.bool_)},
}


class EmuError(RuntimeError):
    """A build failure, a bad kernel argument or launch configuration, or an error the
    kernel's run reported (barrier divergence)."""


def name_expressions(code: str) -> list[str]:
    """The instantiations listed on the source's ``// name_expressions:`` lines."""
    names: list[str] = []
    for line in code.splitlines():
        if line.startswith(NAME_TAG):
            names.extend(line[len(NAME_TAG) :].split())
    return names


_declared_names = name_expressions  # EmuModule's parameter of the same name shadows it


def compiler_available() -> bool:
    """Whether the C++ compiler the emulation needs is on ``PATH``."""
    return shutil.which(COMPILER) is not None


def build_dir() -> Path:
    """Where built libraries are cached: ``$CUDA_EMU_BUILD`` or a per-user temp dir."""
    default = Path(tempfile.gettempdir()) / f"sigpu-cuda-emu-{os.getuid()}"
    path = Path(os.environ.get("CUDA_EMU_BUILD") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sanitizer_requested() -> bool:
    """Whether ``CUDA_EMU_SANITIZE=1`` asks for sanitizer builds."""
    return os.environ.get("CUDA_EMU_SANITIZE") == "1"


# ---- reading the source ----------------------------------------------------------------


def _strip_comments(code: str) -> str:
    """The code with comments blanked out (line structure kept)."""

    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    return re.sub(r"//[^\n]*|/\*.*?\*/", blank, code, flags=re.DOTALL)


def _matching(text: str, start: int, open_char: str, close_char: str) -> int:
    """Index just past the bracket that closes the one at ``text[start]``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_char:
            depth += 1
        elif text[i] == close_char:
            depth -= 1
            if depth == 0:
                return i + 1
    raise EmuError(f"unbalanced {open_char}{close_char} in the kernel source")


def _split_parameters(text: str) -> list[str]:
    parameters, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parameters.append(" ".join(current.split()))
            current = ""
            continue
        depth += {"(": 1, "<": 1, ")": -1, ">": -1}.get(char, 0)
        current += char
    if current.strip():
        parameters.append(" ".join(current.split()))
    return parameters


@dataclass(frozen=True)
class _KernelSource:
    parameters: tuple[str, ...]  # declarations as written, e.g. "T* __restrict__ out"
    body: str


def _kernels_in(code: str) -> dict[str, _KernelSource]:
    """Every ``__global__`` function of the source: base name -> parameters and body."""
    text = _strip_comments(code)
    kernels = {}
    for match in re.finditer(r"__global__\s+void\s+(\w+)\s*\(", text):
        close = _matching(text, match.end() - 1, "(", ")")
        brace = text.index("{", close)
        end = _matching(text, brace, "{", "}")
        parameters = tuple(_split_parameters(text[match.end() : close - 1]))
        kernels[match.group(1)] = _KernelSource(parameters, text[brace:end])
    return kernels


def _barrier_outside_kernels(code: str, kernels: dict[str, _KernelSource]) -> bool:
    """Whether some ``__syncthreads`` sits outside every kernel body (in a helper a kernel
    may call): then every kernel of the module runs as fibers, to be safe."""
    in_kernels = sum(k.body.count("__syncthreads") for k in kernels.values())
    return _strip_comments(code).count("__syncthreads") > in_kernels


# ---- building --------------------------------------------------------------------------


def _compile_flags(options, sanitize: bool) -> list[str]:
    # NVRTC's -std is honoured only upwards: the header itself needs C++20 (atomic_ref).
    flags = ["-std=c++20", "-O2", "-fPIC", "-shared", "-pthread", "-Wall"]
    flags += ["-Wno-unused-variable", "-Wno-unused-function", "-Wno-unknown-pragmas"]
    for option in options:
        if option.startswith(("-D", "--define-macro=")):
            flags.append("-D" + option.split("=", 1)[1] if option.startswith("--") else option)
        elif option.startswith("-std=") and option[5:] not in ("c++03", "c++11", "c++14", "c++17"):
            flags.append(option)
        # other NVRTC options (architecture, --use_fast_math, ...) have no host meaning
    if sanitize:
        # -O0 builds in half the time of -O1 and hides no access from ASan; -g: its reports
        # name the .cu line (worth the extra second here only)
        flags += ["-O0", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined"]
        # UBSan aborts at its first report, so that a test cannot miss it in the output
        flags += ["-fsanitize=float-cast-overflow", "-fno-sanitize-recover=undefined"]
    return flags


def _write_atomically(path: Path, build: Callable[[Path], None]) -> None:
    """Make ``path`` with ``build(temporary_path)`` and rename it into place, so that a
    process building the same file at the same time never sees half of it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        build(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _compile(command: list[str], what: str) -> Callable[[Path], None]:
    """A builder for :func:`_write_atomically` that runs the compiler into the temp path."""

    def run(tmp: Path) -> None:
        proc = subprocess.run([*command, "-o", str(tmp)], capture_output=True, text=True)
        if proc.returncode:
            raise EmuError(f"{COMPILER} failed on {what}:\n{proc.stderr[-8000:]}")

    return run


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


_building = collections.defaultdict(threading.Lock)  # one build of each library at a time


def _runtime_library(flags: list[str]) -> Path:
    """The launcher (cuda_emu_runtime.cpp) built for ``flags``, once for every kernel
    library: it holds most of the code, so kernel builds stay short."""
    runtime_flags = [f for f in flags if not f.startswith("-D")]  # the runtime reads none
    sources = (HEADER.read_text(), RUNTIME.read_text())
    sanitized = "-asan" if "-fsanitize=address,undefined" in flags else ""
    library = build_dir() / f"cuda_emu_runtime{sanitized}-{_key(*sources, *runtime_flags)}.so"
    with _building[library]:
        if not library.exists():
            command = [COMPILER, *runtime_flags, str(RUNTIME)]
            _write_atomically(library, _compile(command, RUNTIME.name))
    return library


def build_library(code, options=(), names=None, *, sanitize=None, filename="kernel.cu") -> Path:
    """Compile ``code`` (or take it from the cache) and return the shared library's path,
    without loading it: a sanitizer build can be made in a process without ASan, and
    several builds can run at once from threads.  Arguments as for :class:`EmuModule`."""
    if not compiler_available():
        raise EmuError(f"the CUDA emulation needs {COMPILER} on PATH")
    sanitize = sanitizer_requested() if sanitize is None else bool(sanitize)
    names = list(names) if names else _declared_names(code)
    if not names:
        raise EmuError(f"{filename}: no name_expressions, so nothing would be instantiated")
    exports = "\n".join(f"EMU_EXPORT({i}, {name})" for i, name in enumerate(names))
    source = (
        f'#include "{HEADER}"\n#line 1 "{filename}"\n{code}\n#line 1 "emu_exports.cpp"\n{exports}\n'
    )
    flags = _compile_flags(options, sanitize)
    runtime = _runtime_library(flags)
    stem = Path(filename).stem + ("-asan" if sanitize else "")
    library = build_dir() / f"{stem}-{_key(source, HEADER.read_text(), str(runtime), *flags)}.so"
    if library.exists():
        return library
    cpp = library.with_suffix(".cpp")  # kept: g++ messages and gdb point into it
    _write_atomically(cpp, lambda tmp: tmp.write_text(source))
    # the runtime is linked by its absolute path, which the loader then finds it by
    command = [COMPILER, *flags, "-x", "c++", str(cpp), "-x", "none", str(runtime)]
    _write_atomically(library, _compile(command, filename))
    return library


def asan_runtime_loaded() -> bool:
    """Whether this process has the AddressSanitizer runtime, which loading a sanitizer
    build needs (it must be preloaded: it cannot come with a library loaded later)."""
    return hasattr(ctypes.CDLL(None), "__asan_init")


class EmuModule:
    """Stand-in for ``cupy.RawModule(code=..., options=..., name_expressions=...)``.

    Parameters
    ----------
    code : str
        CUDA C++ source, compiled unmodified.
    options : sequence of str
        NVRTC options; ``-D`` macros reach the compiler, ``-std`` only when above C++17,
        the others have no host meaning and are ignored.
    name_expressions : sequence of str, optional
        Instantiations to export; default: the source's ``// name_expressions:`` lines.
    sanitize : bool, optional
        AddressSanitizer + UBSan build; default ``CUDA_EMU_SANITIZE=1``.  The process must
        have the ASan runtime preloaded (see the module docstring).
    filename : str
        Name of the source in compiler messages and in the build cache.
    """

    def __init__(
        self, code, options=(), name_expressions=None, *, sanitize=None, filename="kernel.cu"
    ):
        self.code = code
        self.filename = filename
        self.names = list(name_expressions) if name_expressions else _declared_names(code)
        warp_level = _WARP_LEVEL.search(_strip_comments(code))
        if warp_level:
            raise EmuError(f"{filename}: {warp_level.group(0)} (warp-level) is not emulated")
        self.sanitize = sanitizer_requested() if sanitize is None else bool(sanitize)
        if self.sanitize and not asan_runtime_loaded():
            raise EmuError(
                "a sanitizer build needs the ASan runtime loaded first: run Python under "
                "LD_PRELOAD=$(g++ -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0"
            )
        self._sources = _kernels_in(code)
        self._barrier_in_helper = _barrier_outside_kernels(code, self._sources)
        library = build_library(
            code, options, self.names, sanitize=self.sanitize, filename=filename
        )
        self.library = ctypes.CDLL(str(library))
        self._kernels: dict[str, EmuKernel] = {}

    def get_function(self, name: str) -> EmuKernel:
        """The kernel of one instantiation, e.g. ``"overlap_add<float>"``."""
        if name not in self.names:
            raise EmuError(
                f"{name!r} is not one of {self.filename}'s name_expressions {self.names}"
            )
        if name not in self._kernels:
            base = name.split("<", 1)[0].strip()
            if base not in self._sources:
                raise EmuError(f"{self.filename} has no __global__ void {base}(...)")
            source = self._sources[base]
            uses_barriers = self._barrier_in_helper or "__syncthreads" in source.body
            self._kernels[name] = EmuKernel(
                self, name, self.names.index(name), source, uses_barriers
            )
        return self._kernels[name]


# ---- launching -------------------------------------------------------------------------


def cupy_scalar_dtype(value) -> np.dtype | None:
    """The type CuPy passes a scalar kernel argument as, or None for a non-scalar."""
    if isinstance(value, np.generic):
        return value.dtype
    return {
        bool: np.dtype(np.bool_),
        int: np.dtype(np.int64),
        float: np.dtype(np.float64),
        complex: np.dtype(np.complex128),
    }.get(type(value))


def _dims(value, name: str) -> tuple[int, int, int]:
    values = tuple(value) if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(values) <= 3:
        raise EmuError(f"{name}={value!r} must have one to three entries")
    return tuple(operator.index(v) for v in values) + (1,) * (3 - len(values))


def check_launch_configuration(grid, block) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(grid, block)`` as 3-tuples; EmuError for what CUDA refuses with
    ``cudaErrorInvalidConfiguration`` (or ``cudaErrorInvalidValue``)."""
    grid, block = _dims(grid, "grid"), _dims(block, "block")
    if min(grid + block) <= 0:
        raise EmuError(f"invalid configuration: grid {grid}, block {block} has a zero dimension")
    if block[0] * block[1] * block[2] > MAX_THREADS_PER_BLOCK:
        raise EmuError(
            f"invalid configuration: block {block} has more than {MAX_THREADS_PER_BLOCK} threads"
        )
    if any(b > limit for b, limit in zip(block, MAX_BLOCK_DIM, strict=True)):
        raise EmuError(f"invalid configuration: block {block} exceeds {MAX_BLOCK_DIM}")
    if any(g > limit for g, limit in zip(grid, MAX_GRID_DIM, strict=True)):
        raise EmuError(f"invalid configuration: grid {grid} exceeds {MAX_GRID_DIM}")
    return grid, block


class EmuKernel:
    """One instantiation, called like a ``cupy.RawKernel``:
    ``kernel(grid, block, args, *, shared_mem=0, stream=None, seed=None, workers=None)``.

    ``seed`` (default ``$CUDA_EMU_SEED`` or 0) shuffles the block and thread schedule when
    nonzero; ``workers`` (default ``$CUDA_EMU_WORKERS`` or one per core) sets the OS
    threads; ``stream`` is accepted and ignored (a launch returns when it has finished).
    ``signature`` holds the C++ parameter types (``"const float32*"``, ``"int64"``),
    ``parameters`` their declarations in the source.
    """

    def __init__(self, module, name, index, source: _KernelSource, uses_barriers: bool):
        self.module, self.name = module, name
        self.parameters = source.parameters
        self.uses_barriers = uses_barriers
        signature = getattr(module.library, f"emu_signature_{index}")
        signature.restype = ctypes.c_char_p
        text = signature().decode()
        self.signature = tuple(text.split(",")) if text else ()
        if len(self.parameters) != len(self.signature):
            raise EmuError(f"{name}: could not read its parameter list {self.parameters}")
        self._restrict = tuple("__restrict__" in p for p in self.parameters)
        self._launch = getattr(module.library, f"emu_launch_{index}")
        self._launch.restype = ctypes.c_longlong
        self._launch.argtypes = [ctypes.c_uint] * 6 + [
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_size_t,
        ]
        self.launches = 0

    def _where(self, i: int) -> str:
        return f"{self.name} argument {i} ({self.parameters[i]})"

    def _pointer_value(self, i: int, value, kind: str):
        where = self._where(i)
        if not isinstance(value, np.ndarray):
            raise EmuError(f"{where}: needs an array, got {type(value).__name__}")
        element = kind.removeprefix("const ").removesuffix("*")
        if value.dtype not in _POINTER_DTYPES.get(element, ()):
            raise EmuError(f"{where}: an array of dtype {value.dtype} behind a {element} pointer")
        if value.size == 0:
            return ctypes.c_void_p(0)  # CuPy passes a null pointer for an empty array
        if not value.flags.c_contiguous:
            raise EmuError(
                f"{where}: the array is not C-contiguous (shape {value.shape}, strides "
                f"{value.strides}), but the kernel indexes it densely"
            )
        if value.ctypes.data % np.dtype(element).itemsize:
            raise EmuError(f"{where}: the array's address is not aligned to its element size")
        if not kind.startswith("const") and not value.flags.writeable:
            raise EmuError(f"{where}: a read-only array behind a non-const pointer")
        return ctypes.c_void_p(value.ctypes.data)

    def _scalar_value(self, i: int, value, kind: str):
        where = self._where(i)
        passed = cupy_scalar_dtype(value)
        if passed is None or kind.startswith("struct"):
            raise EmuError(f"{where}: cannot pass a {type(value).__name__} for {kind}")
        expected = np.dtype(kind)
        if passed != expected:
            raise EmuError(
                f"{where}: CuPy passes {type(value).__name__} {value!r} as {passed}, but the "
                f"kernel reads {expected} (reinterpreted bytes on a GPU)"
            )
        try:
            raw = np.asarray(value, dtype=expected).tobytes()
        except OverflowError as exc:
            raise EmuError(f"{where}: {value!r} does not fit {expected}") from exc
        return ctypes.create_string_buffer(raw, len(raw))

    def _check_restrict(self, args) -> None:
        # C's restrict: no two restrict pointers reach the same memory if either is written.
        pointers = [
            (i, a, kind.startswith("const"))
            for i, (a, kind) in enumerate(zip(args, self.signature, strict=True))
            if kind.endswith("*") and self._restrict[i] and a.size
        ]
        for x, (i, a, a_const) in enumerate(pointers):
            for j, b, b_const in pointers[x + 1 :]:
                if not (a_const and b_const) and np.may_share_memory(a, b):
                    raise EmuError(
                        f"{self.name}: __restrict__ arguments {i} and {j} overlap and one of "
                        "them is written (undefined behaviour; wrong results under nvcc's "
                        "reordering)"
                    )

    def _pack(self, args):
        """``(values kept alive, argv)``: argv[i] points at argument i's value."""
        if len(args) != len(self.signature):
            raise EmuError(
                f"{self.name}: {len(args)} arguments for {len(self.signature)} parameters "
                f"({', '.join(self.parameters)})"
            )
        values = [
            self._pointer_value(i, a, kind)
            if kind.endswith("*")
            else self._scalar_value(i, a, kind)
            for i, (a, kind) in enumerate(zip(args, self.signature, strict=True))
        ]
        self._check_restrict(args)
        argv = (ctypes.c_void_p * max(1, len(values)))(*(ctypes.addressof(v) for v in values))
        return values, argv

    def __call__(self, grid, block, args, *, shared_mem=0, stream=None, seed=None, workers=None):
        grid, block = check_launch_configuration(grid, block)
        if shared_mem:
            raise EmuError(f"{self.name}: dynamic shared memory is not emulated")
        values, argv = self._pack(tuple(args))
        seed = int(os.environ.get("CUDA_EMU_SEED") or 0) if seed is None else int(seed)
        if not 0 <= seed < 2**32:
            raise EmuError(f"seed={seed} must fit an unsigned 32-bit integer")
        if workers is None:
            workers = int(os.environ.get("CUDA_EMU_WORKERS") or 0)
        message = ctypes.create_string_buffer(4096)
        errors = self._launch(
            *grid, *block, argv, int(self.uses_barriers), seed, int(workers), message, len(message)
        )
        del values  # the argument buffers had to outlive the launch
        if errors:
            raise EmuError(
                f"{self.name}: {errors} error(s) during the launch:\n{message.value.decode()}"
            )
        self.launches += 1
        LAUNCHES[self.name] += 1

"""``cupy.ElementwiseKernel``: the operation (CUDA C++) compiled by the host C++ compiler
into a loop over the broadcast elements, with CuPy's binding of type placeholders.

Supported: parameters ``"T x"`` / ``"float32 y"`` / ``"raw T z"``, placeholders bound from
the arrays' dtypes (every use of a placeholder must agree), outputs given or allocated
from a bound type, the index ``i`` and ``_ind.size()``.  Complex values are
``std::complex`` (CuPy's ``thrust::complex`` has the same ``real()``/``imag()`` members).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as _np

from . import _check_device, _wrap, ndarray

_C_TYPES = {
    "bool": "bool",
    "int8": "signed char",
    "uint8": "unsigned char",
    "int16": "short",
    "uint16": "unsigned short",
    "int32": "int",
    "uint32": "unsigned int",
    "int64": "long long",
    "uint64": "unsigned long long",
    "float32": "float",
    "float64": "double",
    "complex64": "complex<float>",
    "complex128": "complex<double>",
}


def _build_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"sigpu-cuda-emu-{os.getuid()}"
    path = Path(os.environ.get("CUDA_EMU_BUILD", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _parse(params: str):
    """``[(is_raw, type_name, name), ...]`` of a parameter list."""
    parsed = []
    for part in filter(None, (p.strip() for p in params.split(","))):
        words = part.split()
        is_raw = words[0] == "raw"
        if is_raw:
            words = words[1:]
        if len(words) != 2:
            raise ValueError(f"cannot parse ElementwiseKernel parameter {part!r}")
        parsed.append((is_raw, words[0], words[1]))
    return parsed


class ElementwiseKernel:
    def __init__(self, in_params, out_params, operation, name="kernel", **kwargs):
        self.inputs, self.outputs = _parse(in_params), _parse(out_params)
        self.operation, self.name = operation, name
        self._compiled = {}

    def __call__(self, *args, size=None, **kwargs):
        n_in, n_out = len(self.inputs), len(self.outputs)
        if len(args) not in (n_in, n_in + n_out):
            raise TypeError(f"{self.name}: wrong number of arguments ({len(args)})")
        ins, outs = list(args[:n_in]), list(args[n_in:])
        for a in ins + outs:
            if isinstance(a, _np.ndarray):
                raise TypeError(f"Unsupported type {type(a)} for ElementwiseKernel {self.name}")
        _check_device([a for a in ins + outs if isinstance(a, ndarray)])
        types = self._bind(ins, outs)
        shape = _np.broadcast_shapes(
            *(
                a.shape
                for (raw, _, _), a in zip(self.inputs, ins, strict=True)
                if not raw and isinstance(a, ndarray)
            )
        )
        if not outs:
            outs = [_wrap(_np.empty(shape, dtype=types.get(t, t))) for _, t, _ in self.outputs]
        host_in = []
        for (raw, t, _), a in zip(self.inputs, ins, strict=True):
            value = a._a if isinstance(a, ndarray) else _np.asarray(a, dtype=types.get(t, t))
            if not raw:
                value = _np.broadcast_to(value, shape)
            host_in.append(_np.ascontiguousarray(value))
        host_out = [_np.ascontiguousarray(o._a) for o in outs]
        library = self._library(tuple(sorted(types.items())))
        pointers = (ctypes.c_void_p * (n_in + n_out))(*(a.ctypes.data for a in host_in + host_out))
        library.elementwise(pointers, ctypes.c_longlong(int(_np.prod(shape))))
        for o, h in zip(outs, host_out, strict=True):
            if h is not o._a:
                o._a[...] = h
        return outs[0] if n_out == 1 else tuple(outs)

    def _bind(self, ins, outs) -> dict[str, _np.dtype]:
        """Placeholder -> dtype, from every array argument."""
        types: dict[str, _np.dtype] = {}
        for (_, t, _name), a in zip(self.inputs + self.outputs, ins + outs, strict=False):
            if t in _C_TYPES or not isinstance(a, ndarray):
                continue
            if t in types and types[t] != a.dtype:
                raise TypeError(f"{self.name}: type {t} bound to {types[t]} and {a.dtype}")
            types[t] = a.dtype
        for _, t, name in self.inputs + self.outputs:
            if t not in _C_TYPES and t not in types:
                raise TypeError(f"{self.name}: cannot determine type {t} of {name}")
        return types

    def _library(self, binding):
        if binding not in self._compiled:
            self._compiled[binding] = self._build(dict(binding))
        return self._compiled[binding]

    def _build(self, types):
        concrete = {t: t for _, t, _ in self.inputs + self.outputs if t in _C_TYPES and t != "bool"}
        typedefs = "".join(
            f"  typedef {_C_TYPES[str(_np.dtype(d))]} {t};\n"
            for t, d in {**concrete, **types}.items()
        )
        lines = []
        for k, (raw, t, name) in enumerate(self.inputs):
            star = "*" if raw else ""
            index = "" if raw else "[i]"
            lines.append(f"    const {t}{star} {name} = static_cast<const {t}*>(args[{k}]){index};")
        for k, (raw, t, name) in enumerate(self.outputs, start=len(self.inputs)):
            ref = "*" if raw else "&"
            index = "" if raw else "[i]"
            lines.append(f"    {t}{ref} {name} = static_cast<{t}*>(args[{k}]){index};")
        body = "\n".join(lines)
        source = (
            "#include <cmath>\n#include <complex>\nusing std::complex;\nusing namespace std;\n"
            "struct Index { long long n; long long size() const { return n; } };\n"
            'extern "C" void elementwise(void** args, long long n) {\n'
            f"{typedefs}  const Index _ind{{n}};\n"
            "  for (long long i = 0; i < n; ++i) {\n"
            f"{body}\n    {self.operation};\n  }}\n}}\n"
        )
        for t in types:  # a placeholder is a type, not a CuPy "T" string, in the source
            if not re.fullmatch(r"[A-Za-z_]\w*", t):
                raise TypeError(f"{self.name}: bad type name {t!r}")
        key = hashlib.sha256(source.encode()).hexdigest()[:16]
        so = _build_dir() / f"elementwise-{self.name}-{key}.so"
        if not so.exists():
            cpp = so.with_suffix(f".{os.getpid()}.cpp")
            cpp.write_text(source)
            tmp = so.with_suffix(f".{os.getpid()}.tmp")
            flags = ["-std=c++17", "-O2", "-fPIC", "-shared"]
            proc = subprocess.run(
                ["g++", *flags, str(cpp), "-o", str(tmp)], capture_output=True, text=True
            )
            if proc.returncode:
                raise RuntimeError(
                    f"ElementwiseKernel {self.name} failed to compile:\n{proc.stderr[-4000:]}"
                )
            os.replace(tmp, so)
        library = ctypes.CDLL(str(so))
        library.elementwise.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_longlong]
        return library

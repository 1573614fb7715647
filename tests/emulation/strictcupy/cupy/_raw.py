"""``cupy.RawModule`` / ``cupy.RawKernel`` through ``tests.emulation.cuda_emu``: the CUDA
source compiled as host C++, each launch's arguments checked against the kernel's C++
parameter types, every array argument on the current device."""

from __future__ import annotations

import numpy as _np

from . import _check_device, _current, ndarray


def _emulator():
    from tests.emulation import cuda_emu  # imported late: the stand-in loads without g++

    return cuda_emu


class RawKernel:
    """One kernel of a module, launched as ``kernel(grid, block, args)``."""

    def __init__(self, module, name: str):
        self._module, self.name = module, name

    def __call__(
        self, grid, block, args, *, shared_mem=0, stream=None, enable_cooperative_groups=False
    ):
        arrays = [a for a in args if isinstance(a, ndarray)]
        for a in args:
            if isinstance(a, _np.ndarray):
                raise TypeError(
                    f"Unsupported type <class 'numpy.ndarray'> for RawKernel {self.name}: "
                    "a host array as a kernel argument"
                )
        _check_device(arrays)
        kernel = self._module._compiled(_current()).get_function(self.name)
        host_args = tuple(a._a if isinstance(a, ndarray) else a for a in args)
        kernel(grid, block, host_args, shared_mem=shared_mem)


class RawModule:
    """``cupy.RawModule(code=..., options=..., name_expressions=...)``: compiled once per
    device on first use, as CuPy does."""

    def __init__(
        self, code=None, *, path=None, options=(), backend="nvrtc", name_expressions=None, **kwargs
    ):
        if code is None:
            with open(path) as f:
                code = f.read()
        self.code, self.options = code, tuple(options)
        self.name_expressions = list(name_expressions or [])
        self._per_device = {}

    def _compiled(self, device: int):
        if device not in self._per_device:
            self._per_device[device] = _emulator().EmuModule(
                self.code, self.options, self.name_expressions
            )
        return self._per_device[device]

    def get_function(self, name: str) -> RawKernel:
        if name not in self.name_expressions:
            raise KeyError(f"{name!r} is not one of this module's name_expressions")
        return RawKernel(self, name)

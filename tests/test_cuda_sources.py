"""Every CUDA source compiles under NVRTC for compute_80 and compute_90 (no GPU needed).

This is how CI, which has no GPU, catches syntax and type errors in the ``.cu``
files and template instantiations that would otherwise only fail on a GPU.
"""

from __future__ import annotations

import pytest

from sigpu._kernels import cuda_sources, name_expressions

nvrtc = pytest.importorskip("cupy_backends.cuda.libs.nvrtc")

SOURCES = cuda_sources()


def test_there_are_cuda_sources():
    assert SOURCES, "no .cu files found in sigpu/_kernels"


@pytest.mark.parametrize("arch", ["compute_80", "compute_90"])
@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_cuda_source_compiles(source, arch):
    names = name_expressions(source)
    assert names, f"{source.name} declares no '// name_expressions:' line"
    program = nvrtc.createProgram(source.read_text(), source.name, [], [])
    try:
        for name in names:
            nvrtc.addNameExpression(program, name)
        try:
            nvrtc.compileProgram(program, [f"--gpu-architecture={arch}", "-std=c++17"])
        except nvrtc.NVRTCError as exc:
            pytest.fail(f"{source.name} ({arch}) failed:\n{nvrtc.getProgramLog(program)}\n{exc}")
        for name in names:
            assert nvrtc.getLoweredName(program, name)
        assert len(nvrtc.getPTX(program)) > 0
    finally:
        nvrtc.destroyProgram(program)

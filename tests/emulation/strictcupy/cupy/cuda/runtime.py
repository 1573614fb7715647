"""``cupy.cuda.runtime``: the emulated devices' count, properties and free memory."""

from .. import N_DEVICES, _current, _memory_info


class CUDARuntimeError(RuntimeError):
    pass


def getDeviceCount():  # noqa: N802  (CUDA's name)
    return N_DEVICES


def getDevice():  # noqa: N802
    return _current()


def memGetInfo():  # noqa: N802
    """``(free, total)`` bytes of the current device."""
    return _memory_info(_current())


def getDeviceProperties(device):  # noqa: N802
    return {
        "name": f"Emulated CUDA device {int(device)} (CPU)".encode(),
        "major": 9,
        "minor": 0,
        "totalGlobalMem": _memory_info(int(device))[1],
        "multiProcessorCount": 1,
    }


def runtimeGetVersion():  # noqa: N802
    return 12090


def driverGetVersion():  # noqa: N802
    return 12090

"""Import time of sigpu in a fresh interpreter (must stay light: no numba, no cupy)."""


def timeraw_import_sigpu():
    return "import sigpu"

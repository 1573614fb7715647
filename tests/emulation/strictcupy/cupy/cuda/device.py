"""``cupy.cuda.device``: where array-api-compat finds ``Device``."""

from .. import Device  # noqa: F401

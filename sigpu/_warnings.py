"""Warnings that point at the caller's line, however deep inside sigpu they are raised.

``warnings.warn(..., stacklevel=n)`` counts frames, so every wrapper, plan method or
decorator between the public function and the ``warn`` call shifts the reported line
into sigpu itself.  :func:`warn` walks up to the first frame outside the package
instead (what Python 3.12's ``skip_file_prefixes`` does; sigpu supports 3.11).
"""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` attributed to the first caller outside sigpu."""
    frame = sys._getframe(1)
    stacklevel = 2  # 1 would be this function, 2 its caller
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        stacklevel += 1
    warnings.warn(message, category, stacklevel=stacklevel)

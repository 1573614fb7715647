from .. import OutOfMemoryError  # noqa: F401

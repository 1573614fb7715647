"""The exception every public function raises for a bad argument value."""


class ParameterError(ValueError):
    """An argument has a value outside its accepted range.

    Subclasses :class:`ValueError` (unlike librosa's ``ParameterError``), so
    ``except ValueError`` catches it.  The message names the parameter and the
    accepted range, e.g. ``hop_length=0 must be a positive integer``.

    See Also
    --------
    check_finite : Skip the non-finite input checks within a block.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> try:
    ...     sigpu.stft(np.zeros(4096, np.float32), hop_length=0)
    ... except sigpu.ParameterError as err:
    ...     print(err)
    hop_length=0 must be a positive integer
    """

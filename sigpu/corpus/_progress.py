"""Progress of a corpus run (tqdm where installed, else a plain line) and its summary."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from ._optional import optional


class Progress:
    """Files done out of ``total``, on stderr; silent with ``show=False``."""

    def __init__(self, total: int, show: bool):
        self.total, self.done, self.show = total, 0, show
        tqdm = optional("tqdm") if show else None
        self.bar = tqdm.tqdm(total=total, unit="file", file=sys.stderr) if tqdm else None

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.show:
            print(f"\rsigpu features: {self.done}/{self.total} files", end="", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.show:
            print(file=sys.stderr)


@dataclass
class ExtractSummary:
    """What a run of :func:`sigpu.corpus.extract` did.

    Parameters
    ----------
    files : int
        Files named by the inputs.
    written : int
        Files whose features this run computed and stored.
    skipped : int
        Files already stored by an earlier run (complete, same content, verified).
    failures : dict
        ``{path: error message}`` of the files that could not be read or analysed.
    audio_seconds : float
        Duration of the audio this run analysed (skipped files not counted).
    seconds : float
        Wall-clock time of the run, cluster start included.
    out : str
        The Zarr store.

    See Also
    --------
    sigpu.corpus.extract : The run that returns it.

    Notes
    -----
    ``realtime_factor`` is ``audio_seconds / seconds``; ``str(summary)`` is the
    report ``sigpu features`` prints, one line more per failed file.

    Examples
    --------
    >>> from sigpu.corpus import ExtractSummary
    >>> summary = ExtractSummary(files=3, written=2, skipped=0, failures={"c.wav": "empty"},
    ...                          audio_seconds=7200.0, seconds=60.0, out="out.zarr")
    >>> summary.realtime_factor
    120.0
    >>> print(summary)
    3 files: 2 written, 0 already stored, 1 failed -> out.zarr
    2.0000 h of audio in 60.0 s (realtime factor 120.0)
      failed: c.wav: empty
    """

    files: int
    written: int
    skipped: int
    failures: dict = field(default_factory=dict)
    audio_seconds: float = 0.0
    seconds: float = 0.0
    out: str = ""

    @property
    def realtime_factor(self) -> float:
        """Audio seconds analysed per wall-clock second (0 when nothing was analysed)."""
        return self.audio_seconds / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        lines = [
            f"{self.files} files: {self.written} written, {self.skipped} already stored, "
            f"{len(self.failures)} failed -> {self.out}",
            f"{self.audio_seconds / 3600:.4f} h of audio in {self.seconds:.1f} s "
            f"(realtime factor {self.realtime_factor:.1f})",
        ]
        lines += [f"  failed: {path}: {error}" for path, error in sorted(self.failures.items())]
        return "\n".join(lines)

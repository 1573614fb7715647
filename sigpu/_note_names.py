"""Spelling of the twelve pitch classes in a key, as librosa's ``key_to_notes`` spells them.

``midi_to_note`` and ``hz_to_note`` name each pitch class by this table, so that a key
resolves enharmonic equivalents (``D♭`` in ``F:min``, ``C♯`` in ``A:maj``).  The rules are
librosa 0.11's: a tonic with accidentals keeps their kind (sharps or flats); otherwise the
key signature with fewer accidentals wins, sharps on a tie in major and flats in minor; from
the sixth sharp (flat) on, the white keys the signature alters are respelled (``E♯``,
``B♯``, then double sharps; ``C♭``, ``F♭``, then double flats); tonics with two or more
accidentals are the key a semitone nearer respelled one accidental further; modes are the
notes of their relative major.
"""

from __future__ import annotations

import functools
import re

from ._errors import ParameterError

_KEY_RE = re.compile(
    r"^(?P<tonic>[A-Ga-g])(?P<accidental>[#♯𝄪b!♭𝄫♮n]*)"
    r":((?P<scale>(maj|min)(or)?)|"
    r"(?P<mode>(((ion|dor|phryg|lyd|mixolyd|aeol|locr)(ian)?)|phr|mix|aeo|loc)))$"
)
_LETTERS = "CDEFGAB"
_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTAL = {"#": 1, "♯": 1, "𝄪": 2, "b": -1, "!": -1, "♭": -1, "𝄫": -2, "♮": 0, "n": 0}
_ASCII = str.maketrans({"♯": "#", "𝄪": "##", "♭": "b", "𝄫": "bb", "♮": "n"})
# Semitones from each mode's tonic down to its relative major's (C dorian: B♭ major);
# the major's tonic letter is the mode's degree (its position here) letters down.
_MODE_SEMITONES = {"ion": 0, "dor": 2, "phr": 4, "lyd": 5, "mix": 7, "aeo": 9, "loc": 11}
# The order in which key signatures add sharps and flats (circle of fifths).
_SHARP_ORDER = "FCGDAEB"
_FLAT_ORDER = "BEADGCF"


def _spell(letter, offset):
    """``letter`` with ``offset`` semitones of accidentals, singles before doubles
    (``offset = 3``: ``"♯𝄪"``), as librosa simplifies note names."""
    if offset >= 0:
        return letter + "♯" * (offset % 2) + "𝄪" * (offset // 2)
    return letter + "♭" * (offset % 2) + "𝄫" * (-offset // 2)


def _offset(accidentals):
    return sum(_ACCIDENTAL[a] for a in accidentals)


def _pitch_class(note):
    return (_PITCH[note[0]] + _offset(note[1:])) % 12


def _relative_major(letter, accidentals, mode):
    """The relative major key (``"E𝄫:maj"``) of ``letter + accidentals`` in ``mode``."""
    degree = list(_MODE_SEMITONES).index(mode)
    major_letter = _LETTERS[(_LETTERS.index(letter) - degree) % 7]
    shift = (_PITCH[letter] - _MODE_SEMITONES[mode] - _PITCH[major_letter] + 6) % 12 - 6
    return _spell(major_letter, shift + _offset(accidentals)) + ":maj"


def _altered(order, count, sign):
    """``(pitch class, spelling)`` of the ``count``-th accidental a signature adds in
    ``order`` (1-based): past the seventh, the same letters again with doubles."""
    letter = order[(count - 1) % 7]
    times = 1 + (count - 1) // 7
    return (_PITCH[letter] + sign * times) % 12, _spell(letter, sign * times)


def key_to_notes(key, unicode=True):
    """The names of pitch classes 0..11 (C..B) in ``key`` (``"C:maj"``, ``"F#:min"``,
    ``"Eb:dorian"``): a tuple of 12 strings; ParameterError for a malformed key."""
    if not isinstance(key, str):
        raise TypeError(f"key={key!r} must be a string such as 'C:maj'")
    return _key_to_notes(key, bool(unicode))


@functools.lru_cache(maxsize=64)
def _key_to_notes(key, unicode):
    match = _KEY_RE.match(key)
    if match is None:
        raise ParameterError(
            f"key={key!r} is not a key such as 'C:maj', 'F#:min' or 'Eb:dorian' (tonic, ':', "
            "then maj/major, min/minor or a mode ionian..locrian)"
        )
    letter, accidentals = match["tonic"].upper(), match["accidental"]
    if match["mode"]:
        return _key_to_notes(_relative_major(letter, accidentals, match["mode"][:3]), unicode)
    scale = match["scale"][:3]
    offset = _offset(accidentals)
    if abs(offset) >= 2:
        # the key one accidental nearer, each name moved one accidental further, C first
        extra = 1 if offset > 0 else -1
        nearer = _key_to_notes(_spell(letter, offset - extra) + ":" + scale, True)
        names = [_spell(n[0], _offset(n[1:]) + extra) for n in nearer]
        first = [_pitch_class(n) for n in names].index(0)
        names = names[first:] + names[:first]
    else:
        names = list(_simple_key(letter, offset, scale == "maj"))
    return tuple(n.translate(_ASCII) for n in names) if not unicode else tuple(names)


def _simple_key(letter, offset, major):
    """Names in a key whose tonic has at most one accidental (net)."""
    # clockwise steps on the circle of fifths from C major (the number of sharps)
    fifths = ((_PITCH[letter] + offset) * 7 + (0 if major else 9)) % 12
    if offset != 0:
        use_sharps = offset > 0  # the tonic's own accidental decides
    else:  # fewer accidentals; a natural tonic is never 6 steps away
        use_sharps = fifths < 6
    sign, order = (1, _SHARP_ORDER) if use_sharps else (-1, _FLAT_ORDER)
    names = _chromatic(sign)
    if use_sharps:
        count = 12 if fifths == 0 and letter == "B" else fifths  # B♯ major, not C major
    else:
        count = (12 - fifths) % 12
    for k in range(6, count + 1):  # from the sixth accidental on, white keys respelled
        pitch, name = _altered(order, k, sign)
        names[pitch] = name
    return names


def _chromatic(sign):
    """The twelve pitch classes with the black keys spelled as sharps (``sign = 1``: C, C♯,
    D, ...) or flats (``sign = -1``: C, D♭, D, ...)."""
    natural = {pitch: letter for letter, pitch in _PITCH.items()}
    return [
        natural[pitch] if pitch in natural else _spell(natural[(pitch - sign) % 12], sign)
        for pitch in range(12)
    ]

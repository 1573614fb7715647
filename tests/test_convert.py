"""Unit conversions against librosa and hand-checkable values (spectral spec)."""

from __future__ import annotations

import numpy as np
import pytest

from sigpu import convert
from sigpu._errors import ParameterError

from .helpers import to_np

librosa = pytest.importorskip("librosa")


def test_hand_values():
    assert convert.hz_to_mel(1000.0) == pytest.approx(15.0)
    assert convert.hz_to_mel(6400.0) == pytest.approx(42.0)
    assert convert.hz_to_mel(1000.0, htk=True) == pytest.approx(999.9855, abs=1e-4)
    f = convert.cqt_frequencies(84, fmin=convert.note_to_hz("C1"))
    assert f[0] == pytest.approx(32.70319566) and f[-1] == pytest.approx(3951.06641)


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_matches_librosa(xp, htk):
    f = np.linspace(0.0, 11025.0, 257)
    mel = convert.hz_to_mel(xp.asarray(f), htk=htk)
    np.testing.assert_allclose(to_np(mel), librosa.hz_to_mel(f, htk=htk), rtol=1e-13)
    back = convert.mel_to_hz(mel, htk=htk)
    np.testing.assert_allclose(to_np(back), librosa.mel_to_hz(to_np(mel), htk=htk), rtol=1e-12)
    np.testing.assert_allclose(
        to_np(convert.mel_frequencies(40, fmin=30.0, fmax=8000.0, htk=htk, xp=xp)),
        librosa.mel_frequencies(40, fmin=30.0, fmax=8000.0, htk=htk),
        rtol=1e-12,
    )


def test_float32_arrays_stay_float32(xp):
    out = convert.hz_to_mel(xp.asarray([100.0, 2000.0], dtype=xp.float32))
    assert out.dtype == np.float32


def test_frequency_grids_match_librosa():
    np.testing.assert_allclose(
        convert.fft_frequencies(sr=16000, n_fft=1023),
        librosa.fft_frequencies(sr=16000, n_fft=1023),
    )
    np.testing.assert_allclose(
        convert.cqt_frequencies(36, fmin=55.0, bins_per_octave=24, tuning=0.3),
        librosa.cqt_frequencies(36, fmin=55.0, bins_per_octave=24, tuning=0.3),
        rtol=1e-14,
    )


@pytest.mark.parametrize("note", ["C1", "A4", "C#3", "Db3", "B-1", "E4+25", "F♯5", "Gb2"])
def test_notes_match_librosa(note):
    assert convert.note_to_hz(note) == pytest.approx(librosa.note_to_hz(note), rel=1e-12)
    assert convert.note_to_midi(note) == librosa.note_to_midi(note)


def test_midi_round_trip(xp):
    m = xp.asarray([21.0, 60.5, 108.0])
    np.testing.assert_allclose(to_np(convert.hz_to_midi(convert.midi_to_hz(m))), to_np(m))


@pytest.mark.parametrize("n_fft", [None, 2048])
def test_frame_time_conversions_match_librosa(n_fft):
    frames = np.arange(0, 50, 7)
    np.testing.assert_allclose(
        convert.frames_to_time(frames, sr=22050, hop_length=512, n_fft=n_fft),
        librosa.frames_to_time(frames, sr=22050, hop_length=512, n_fft=n_fft),
    )
    times = np.linspace(0.0, 3.0, 11)
    np.testing.assert_array_equal(
        convert.time_to_frames(times, sr=22050, hop_length=512, n_fft=n_fft),
        librosa.time_to_frames(times, sr=22050, hop_length=512, n_fft=n_fft),
    )
    samples = np.array([0, 100, 1023, 1024, 50000])
    np.testing.assert_array_equal(
        convert.samples_to_frames(samples, hop_length=256, n_fft=n_fft),
        librosa.samples_to_frames(samples, hop_length=256, n_fft=n_fft),
    )


def test_bad_input():
    with pytest.raises(ParameterError, match="note="):
        convert.note_to_hz("H2")
    with pytest.raises(ParameterError, match="n_mels"):
        convert.mel_frequencies(0)
    with pytest.raises(ParameterError, match="hop_length"):
        convert.frames_to_time(3, hop_length=0)
    with pytest.raises(ParameterError, match="fmin"):
        convert.cqt_frequencies(12, fmin=0.0)


# ---- inputs that gave silent garbage or leaked internal errors (issue 16) ----


def test_time_to_samples_and_frames_on_float16_do_not_overflow(xp):
    """float16 times * sr overflowed to inf and cast to -9.2e18; they compute in float32."""
    times = xp.asarray(np.array([0.5, 3.0, 60.0], dtype=np.float16))
    samples = convert.time_to_samples(times, sr=22050)
    assert to_np(samples).tolist() == [11025, 66150, 1323000]
    frames = convert.time_to_frames(times, sr=22050, hop_length=512)
    assert to_np(frames).tolist() == librosa.time_to_frames([0.5, 3.0, 60.0], sr=22050).tolist()
    mels = convert.hz_to_mel(xp.asarray(np.array([60000.0], dtype=np.float16)))
    assert np.isfinite(to_np(mels)).all()


def test_values_without_an_index_are_a_parameter_error(xp):
    for bad in (np.nan, np.inf, 1e300):
        with pytest.raises(ParameterError, match="times must be finite"):
            convert.time_to_samples(xp.asarray(np.array([1.0, bad])))
        with pytest.raises(ParameterError, match="frames must be finite"):
            convert.frames_to_samples(bad)
        with pytest.raises(ParameterError, match="samples must be finite"):
            convert.samples_to_frames(bad)


@pytest.mark.parametrize(
    "func", [convert.hz_to_mel, convert.hz_to_midi, convert.time_to_samples, convert.midi_to_hz]
)
def test_non_numbers_are_a_type_error_naming_the_input(func):
    for bad in ("abc", [1.0, "x"], None, {1: 2}, np.array(["a"]), np.array([1 + 2j])):
        with pytest.raises(TypeError, match="(frequencies|times|notes).*(real number|dtype)"):
            func(bad)


def test_note_names_must_be_strings_or_sequences():
    with pytest.raises(TypeError, match="note=123 must be a note name"):
        convert.note_to_hz(123)  # was "'int' object is not iterable"
    assert convert.note_to_midi(["A4", "C4"]).tolist() == [69, 60]


def test_frequency_grids_reject_empty_or_non_finite_ranges():
    with pytest.raises(ParameterError, match="fmax=0.0 must be greater than fmin=0.0"):
        convert.mel_frequencies(10, fmax=0)
    with pytest.raises(ParameterError, match="fmax=100.0 must be greater than fmin=200.0"):
        convert.mel_frequencies(10, fmin=200, fmax=100)
    with pytest.raises(ParameterError, match="tuning=nan must be finite"):
        convert.cqt_frequencies(12, fmin=32.7, tuning=np.nan)


# ---------------------------------------------------------------------------
# note names: midi_to_note, hz_to_note and librosa's key spelling
# ---------------------------------------------------------------------------

KEYS = [
    f"{tonic}{accidental}:{scale}"
    for tonic in "CDEFGABcdefgab"
    for accidental in ("", "#", "b", "♯", "♭", "𝄪", "𝄫", "##", "bbb", "#b", "♮", "n", "!", "x")
    for scale in ("maj", "min", "major", "minor", "dor", "lydian", "locr", "mix", "Maj", "q")
]


def _outcome(func, *args, **kwargs):
    """The result as plain strings, or the exception's type name."""
    try:
        result = func(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 (compared by type name with librosa's)
        return type(err).__name__
    return [str(n) for n in result]


def test_key_spellings_match_librosa():
    """Every tonic and accidental combination in major, minor and modes, including the
    double-accidental keys librosa respells and the malformed ones it refuses."""
    from sigpu._note_names import key_to_notes

    for key in KEYS:
        for unicode in (True, False):
            want = _outcome(librosa.key_to_notes, key, unicode=unicode)
            assert _outcome(key_to_notes, key, unicode) == want, (key, unicode)


def test_midi_to_note_matches_librosa():
    midi = np.concatenate([np.arange(-30, 140), np.linspace(-13.5, 130.25, 577)])
    for key in ("C:maj", "F:min", "F#:maj", "Cb:maj", "B#:maj", "Ebb:dorian", "A:locrian"):
        for kw in (
            dict(),
            dict(octave=False),
            dict(cents=True),
            dict(unicode=False, cents=True),
        ):
            got = convert.midi_to_note(midi, key=key, **kw)
            want = librosa.midi_to_note(midi, key=key, **kw)
            assert got.shape == want.shape and got.dtype.kind == "U"
            np.testing.assert_array_equal(got, want)
    assert convert.midi_to_note(60) == librosa.midi_to_note(60) == "C4"
    assert isinstance(convert.midi_to_note(np.float32(61.4), cents=True), str)
    assert convert.midi_to_note(np.float32(61.4), cents=True) == librosa.midi_to_note(
        np.float32(61.4), cents=True
    )
    grid = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(convert.midi_to_note(grid), librosa.midi_to_note(grid))
    assert convert.midi_to_note([70, 71]).tolist() == librosa.midi_to_note([70, 71]).tolist()


def test_hz_and_note_names_round_trip_as_librosa():
    f = np.geomspace(8.0, 20000.0, 400)
    for kw in (dict(), dict(cents=True, key="Bb:min", unicode=False)):
        np.testing.assert_array_equal(convert.hz_to_note(f, **kw), librosa.hz_to_note(f, **kw))
    assert convert.hz_to_note(440.0) == librosa.hz_to_note(440.0) == "A4"
    notes = librosa.midi_to_note(np.arange(20, 110))
    np.testing.assert_allclose(convert.note_to_hz(notes), librosa.note_to_hz(notes), rtol=1e-12)
    for note in ("A4+49", "C♯3-30", "Bb-1+12"):
        got = convert.note_to_hz(note, round_midi=False)
        assert got == pytest.approx(librosa.note_to_hz(note, round_midi=False), rel=1e-12)


def test_note_names_refuse_bad_input(xp):
    with pytest.raises(ParameterError, match="Cannot encode cents without octave"):
        convert.midi_to_note(60, cents=True, octave=False)
    with pytest.raises(ParameterError, match="key='H:maj' is not a key"):
        convert.midi_to_note(60, key="H:maj")
    with pytest.raises(TypeError, match="key=5 must be a string"):
        convert.midi_to_note(60, key=5)
    for bad in (np.nan, [60.0, np.inf]):
        with pytest.raises(ParameterError, match="midi must hold finite numbers"):
            convert.midi_to_note(bad)
    for bad in (0.0, [440.0, -1.0], np.inf):
        with pytest.raises(ParameterError, match="frequencies must be positive and finite"):
            convert.hz_to_note(bad)
    with pytest.raises(TypeError, match="octave=1 must be True or False"):
        convert.midi_to_note(60, octave=1)
    for bad in ("A4", [1.0, "x"], None):
        with pytest.raises(TypeError, match="midi=.* must be a number"):
            convert.midi_to_note(bad)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        convert.hz_to_note(440.0, octaves=False)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        convert.note_to_hz("A4", cents=True)
    midi = xp.asarray(np.array([60.0, 61.0]))
    if isinstance(midi, np.ndarray):
        assert convert.midi_to_note(midi).tolist() == ["C4", "C♯4"]
    else:  # strings live on the host: no silent copy from the device
        with pytest.raises(TypeError, match="midi_to_note: note names are host strings"):
            convert.midi_to_note(midi)
        with pytest.raises(TypeError, match="hz_to_note: note names are host strings"):
            convert.hz_to_note(midi)

"""sigpu.corpus.extract and ``sigpu features`` on a real Dask LocalCluster (two worker
processes) writing a real Zarr store.

The reference for every stored array is the in-memory call in this process:
``sigpu.load`` then the feature function, compared bit for bit.  The corpus is generated
here (WAV and FLAC at several rates, lengths and channel counts, one corrupt file, one
empty file).  One cluster serves the module; the test that kills a worker runs last.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import threadpoolctl

import sigpu
import sigpu.corpus
from sigpu import ParameterError

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
zarr = pytest.importorskip("zarr")
soundfile = pytest.importorskip("soundfile")

SR = 22050
MEL = dict(n_mels=40, hop_length=256, n_fft=1024)
# (name, samplerate, seconds, channels, soundfile subtype)
GOOD_FILES = [
    ("a_mono.wav", 22050, 1.0, 1, "PCM_16"),
    ("b_stereo.wav", 44100, 0.7, 2, "PCM_24"),
    ("sub/c_mono.flac", 16000, 1.3, 1, "PCM_16"),
    ("sub/d_stereo_float.wav", 8000, 0.5, 2, "FLOAT"),
    ("sub/deeper/e_stereo.flac", 48000, 0.4, 2, "PCM_16"),
]
BAD_FILES = ("corrupt.wav", "empty.wav")


def _write_corpus(folder):
    rng = np.random.default_rng(20261203)
    for name, rate, seconds, channels, subtype in GOOD_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(rate * seconds)) / rate
        tone = 0.4 * np.sin(2 * np.pi * rng.uniform(100, 2000) * t)
        data = tone[:, None] + 0.05 * rng.standard_normal((t.size, channels))
        soundfile.write(path, data, rate, subtype=subtype)
    # a RIFF header and nothing a decoder can use; a valid WAV of zero samples
    (folder / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage" * 4)
    soundfile.write(folder / "empty.wav", np.zeros((0, 1)), SR, subtype="PCM_16")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    _write_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def client():
    """The cluster ``extract`` starts by default (``sigpu.corpus.local_cluster``), with
    two single-threaded worker processes, started once for the module."""
    with sigpu.corpus.local_cluster(workers=2) as cluster:
        with distributed.Client(cluster) as dask_client:
            yield dask_client


def test_local_cluster_workers_and_their_malloc_settings(client):
    """Two worker processes of one thread, without Dask's MALLOC_TRIM_THRESHOLD_ and
    its statistical profiler, each on its own CPUs (see local_cluster's Notes)."""
    info = client.scheduler_info()["workers"]
    assert len(info) == 2 and all(w["nthreads"] == 1 for w in info.values())
    environments = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert set(environments.values()) == {None}
    profiling = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    assert set(profiling.values()) == {False}
    ticks = client.run(lambda: dask.config.get("distributed.admin.tick.interval"))
    assert set(ticks.values()) == {"1s"}
    # each worker on its own share of this process's CPUs (sigpu sizes its threads by it)
    masks = sorted(map(sorted, client.run(lambda: os.sched_getaffinity(0)).values()))
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        assert masks == [cpus[: len(cpus) // 2], cpus[len(cpus) // 2 :]]
    else:
        assert masks == [cpus, cpus]
    with pytest.raises(ParameterError, match="backend"):
        sigpu.corpus.local_cluster(backend="gpu")
    with pytest.raises(ParameterError, match="workers=0"):
        sigpu.corpus.local_cluster(workers=0)


def test_worker_cpu_shares():
    from sigpu.corpus._worker_cores import share

    assert [share(i, 2, [3, 1, 2, 0]) for i in range(2)] == [[0, 1], [2, 3]]
    assert [share(i, 3, range(4)) for i in range(3)] == [[0], [1], [2, 3]]
    assert [share(i, 3, [5, 7]) for i in range(3)] == [[5], [7], [5]]


@pytest.mark.parametrize(
    ("values", "chunks"),
    [
        (np.arange(2 * 3 * 10, dtype=np.float32).reshape(2, 3, 10) - 7.5, (2, 3, 4)),
        (np.random.default_rng(1).standard_normal((5, 9)), (5, 9)),
        (np.array([np.nan, np.inf, -0.0, 1e-300]), (3,)),
        (np.array([3, -2, 2**40], dtype=np.int64), (2,)),
        (np.zeros((4, 0), dtype=np.float32), (4, 1)),
        (np.array(["a", "", "b\u00e9/\u4e2d", "x" * 300], dtype=object), (3,)),
        (np.array([], dtype=object), (1,)),
    ],
)
def test_zarr_v3_writer_is_read_back_by_zarr(tmp_path, values, chunks):
    """The store's own Zarr v3 writer (sigpu.corpus._zarr_v3): zarr-python reads back
    the same values, shape, dtype and attributes, edge chunks included."""
    from sigpu.corpus._zarr_v3 import write_array, write_group

    write_group(str(tmp_path / "g.zarr"), {"run": [1, "x"]})
    write_array(str(tmp_path / "g.zarr" / "a"), values, {"k": 1.5}, chunks)
    group = zarr.open_group(str(tmp_path / "g.zarr"), mode="r")
    assert group.attrs["run"] == [1, "x"]
    array = group["a"]
    assert array.shape == values.shape and array.chunks == chunks
    assert dict(array.attrs) == {"k": 1.5}
    got = array[...]
    if values.dtype == object:
        assert [str(v) for v in got] == list(values)
    else:
        assert got.dtype == values.dtype
        np.testing.assert_array_equal(got, values)
        assert np.array_equal(np.signbit(got), np.signbit(values))
    with pytest.raises(TypeError, match="complex128"):
        write_array(str(tmp_path / "c"), np.zeros(2, complex), {}, (2,))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_load_of_16_bit_files_equals_libsndfile_floats(tmp_path, channels, fmt):
    """sigpu.load reads 16-bit files as integers and scales them itself (the corpus
    path's decode): the same numbers as libsndfile's float conversion, then NumPy's
    mean over the channels (librosa.to_mono), for full-scale noise and both extremes."""
    rng = np.random.default_rng(channels)
    data = rng.integers(-(2**15), 2**15, size=(5000, channels), dtype=np.int16)
    data[:3] = [[-(2**15)], [2**15 - 1], [-1]]
    path = tmp_path / f"full_scale.{fmt.lower()}"
    soundfile.write(path, data, 8000, format=fmt, subtype="PCM_16")
    for dtype in (np.float32, np.float64):
        floats, _ = soundfile.read(path, dtype=dtype.__name__, always_2d=True)
        mono, _ = sigpu.load(path, sr=None, dtype=dtype)
        np.testing.assert_array_equal(mono, np.mean(floats.T, axis=0))
        assert mono.dtype == dtype
        kept, _ = sigpu.load(path, sr=None, mono=False, dtype=dtype, offset=0.1)
        want = floats[800:].T if channels > 1 else floats[800:, 0]
        np.testing.assert_array_equal(kept, want)
        assert kept.dtype == dtype and kept.flags.c_contiguous


@pytest.mark.parametrize(("up", "down"), [(1, 2), (2, 1), (160, 441), (147, 160), (3, 2)])
@pytest.mark.parametrize("res_type", ["sinc_hq", "polyphase"])
def test_resampler_filter_equals_scipy_firwin(up, down, res_type):
    """The resampler designs its Kaiser-windowed sinc itself (importing scipy.signal
    was most of a fresh worker's first load): scipy.signal.firwin's filter."""
    scipy_signal = pytest.importorskip("scipy.signal")
    from sigpu import _resample

    h = _resample.lowpass(up, down, res_type)
    if res_type == "polyphase":
        cutoff, beta = 1.0 / max(up, down), 5.0
    else:
        cutoff = (_resample.SINC_HQ_PASSBAND + _resample.SINC_HQ_STOPBAND) / (2 * max(up, down))
        beta = 0.1102 * (_resample.SINC_HQ_ATTENUATION_DB - 8.7)
    want = scipy_signal.firwin(h.size, cutoff, window=("kaiser", beta)) * up
    np.testing.assert_allclose(h, want, rtol=0, atol=1e-15 * np.abs(want).max())


def _good_paths(corpus):
    return sorted(str(corpus / name) for name, *_ in GOOD_FILES)


def _reference(path, feature="mel", options=MEL, sr=SR):
    """The in-memory call the store must equal: sigpu.load, then the feature function,
    with one BLAS thread as in a worker process (Dask's nanny sets OMP_NUM_THREADS=1;
    several threads sum a matrix product in another order, different in the last bits)."""
    with threadpoolctl.threadpool_limits(1):
        return _in_memory(path, feature, options, sr)


def _in_memory(path, feature, options, sr):
    y, _ = sigpu.load(path, sr=sr)
    if feature == "mel":
        return sigpu.melspectrogram(y, sr=sr, **options)
    if feature == "stft":
        return np.abs(sigpu.stft(y, **options))
    if feature == "mfcc":
        return sigpu.mfcc(y, sr=sr, **options)
    if feature == "cqt":
        return np.abs(sigpu.cqt(y, sr=sr, **options))
    if feature == "gammatone":
        return sigpu.gammatonegram(y, sr=sr, **options)
    if feature == "chroma_stft":
        return sigpu.chroma_stft(y, sr=sr, **options)
    if feature == "reassigned":
        return np.stack(sigpu.reassigned_spectrogram(y, sr=sr, **options))
    if feature == "linear_reassignment":
        return sigpu.linear_reassignment(y, sr=sr, **options)
    raise AssertionError(feature)


def _stored(out, path):
    root = zarr.open_group(str(out), mode="r")
    table = {k: v[...] for k, v in root["table"].arrays()}
    row = list(table["path"]).index(path)
    return root["features"][str(table["key"][row])]


def _extract(corpus_or_paths, out, client, **kwargs):
    kwargs = dict(dict(feature="mel", sr=SR, options=MEL, progress=False), **kwargs)
    return sigpu.corpus.extract(corpus_or_paths, out=out, client=client, **kwargs)


def test_every_array_equals_load_then_feature_bit_for_bit(corpus, client, tmp_path):
    out = tmp_path / "mel.zarr"
    summary = _extract(corpus, out, client, files_per_task=2)
    assert (summary.files, summary.written, summary.skipped) == (7, 5, 0)
    assert sorted(os.path.basename(p) for p in summary.failures) == sorted(BAD_FILES)
    assert "cannot read" in summary.failures[str(corpus / "corrupt.wav")]
    assert "empty" in summary.failures[str(corpus / "empty.wav")]
    durations = sum(seconds for _, _, seconds, _, _ in GOOD_FILES)
    assert summary.audio_seconds == pytest.approx(durations, abs=1e-3)
    assert summary.realtime_factor == pytest.approx(summary.audio_seconds / summary.seconds)
    assert "5 written" in str(summary) and "2 failed" in str(summary)

    root = zarr.open_group(str(out), mode="r")
    assert root.attrs["sigpu"]["version"] == sigpu.__version__
    assert root.attrs["sigpu"]["feature"] == "mel"
    assert root.attrs["sigpu"]["options"] == MEL
    table = {k: v[...] for k, v in root["table"].arrays()}
    assert sorted(table["path"]) == _good_paths(corpus)
    for name, rate, _, channels, _ in GOOD_FILES:
        path = str(corpus / name)
        row = list(table["path"]).index(path)
        want = _reference(path)
        got = _stored(out, path)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got[...], want), name
        info = soundfile.info(path)
        assert table["samplerate"][row] == rate and table["channels"][row] == channels
        assert table["duration"][row] == pytest.approx(info.frames / rate)
        assert json.loads(str(table["shape"][row])) == list(want.shape)
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()
        assert table["content_hash"][row] == "sha256:" + digest
    failures = {k: v[...] for k, v in root["failures"].arrays()}
    assert sorted(os.path.basename(str(p)) for p in failures["path"]) == sorted(BAD_FILES)


@pytest.mark.parametrize(
    ("feature", "options"),
    [
        ("stft", dict(n_fft=512, hop_length=128)),
        ("mfcc", dict(n_mfcc=13, n_mels=40)),
        ("cqt", dict(hop_length=256, fmin=110.0, n_bins=36)),
        ("gammatone", dict(n_bins=24, n_fft=512)),
        ("chroma_stft", dict(n_fft=1024)),
        ("reassigned", dict(n_fft=512, hop_length=256)),
        ("linear_reassignment", dict(tdeci=256, minf=200.0, maxf=4000.0, over=2, noct=6)),
    ],
)
def test_other_features_equal_the_in_memory_call(feature, options, corpus, client, tmp_path):
    paths = _good_paths(corpus)[:2]
    out = tmp_path / f"{feature}.zarr"
    summary = _extract(paths, out, client, feature=feature, options=options)
    assert (summary.written, summary.failures) == (2, {})
    for path in paths:
        want = _reference(path, feature, options)
        got = _stored(out, path)[...]
        assert got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True), (feature, path)


def test_channels_kept_and_float64(corpus, client, tmp_path):
    paths = [str(corpus / "b_stereo.wav"), str(corpus / "a_mono.wav")]
    out = tmp_path / "stereo.zarr"
    summary = _extract(paths, out, client, mono=False, dtype=np.float64, sr=16000)
    assert (summary.written, summary.failures) == (2, {})
    root = zarr.open_group(str(out), mode="r")
    assert root.attrs["sigpu"]["mono"] is False and root.attrs["sigpu"]["dtype"] == "float64"
    for path in paths:
        with threadpoolctl.threadpool_limits(1):
            y, _ = sigpu.load(path, sr=16000, mono=False, dtype=np.float64)
            want = sigpu.melspectrogram(y, sr=16000, **MEL)
        got = _stored(out, path)[...]
        assert got.dtype == np.float64 and got.shape == want.shape
        assert np.array_equal(got, want)
    assert _stored(out, paths[0]).shape[0] == 2  # (channels, n_mels, frames)


def _chunk_files(array_dir):
    """{file: (mtime_ns, bytes)} of everything stored under an array's directory."""
    found = {}
    for root, _, names in os.walk(array_dir):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                found[path] = (os.stat(path).st_mtime_ns, file.read())
    return found


def test_resume_skips_verified_arrays_and_rewrites_the_rest(corpus, client, tmp_path):
    paths = _good_paths(corpus)
    out = tmp_path / "resume.zarr"
    assert _extract(paths, out, client).written == 5
    root = zarr.open_group(str(out), mode="r+")
    keys = {p: _stored(out, p).basename for p in paths}
    interrupted, corrupted, deleted = paths[0], paths[1], paths[2]
    untouched = paths[3:]
    # a run killed while writing: the array half written under partial/, none in features/
    half = root["features"][keys[interrupted]][...]
    del root["features"][keys[interrupted]]
    leftover = root["partial"].create_array(f"{keys[interrupted]}-dead", data=half)
    leftover[..., half.shape[-1] // 2 :] = 0.0
    # an array without its completion mark, and one whose values changed after it
    del root["features"][keys[corrupted]].attrs["complete"]
    root["features"][keys[corrupted]][..., 0] = 1.0
    del root["features"][keys[deleted]]
    before = {p: _chunk_files(out / "features" / keys[p]) for p in untouched}
    time.sleep(0.01)  # a rewrite would get a later mtime

    summary = _extract(paths, out, client)
    assert (summary.written, summary.skipped, summary.failures) == (3, 2, {})
    assert summary.audio_seconds == pytest.approx(
        sum(soundfile.info(p).duration for p in (interrupted, corrupted, deleted))
    )
    for path in untouched:  # written nothing twice
        assert _chunk_files(out / "features" / keys[path]) == before[path]
    for path in paths:
        assert np.array_equal(_stored(out, path)[...], _reference(path))
    after = zarr.open_group(str(out), mode="r")
    assert sorted(after["table"]["path"][...]) == paths
    assert list(after["partial"].keys()) == []  # the leftover of the killed run is gone


def test_resume_rewrites_a_file_whose_content_changed(corpus, client, tmp_path):
    source = tmp_path / "changing.wav"
    soundfile.write(source, np.sin(np.arange(8000) / 5.0) * 0.3, SR)
    out = tmp_path / "changed.zarr"
    # client=None: the run starts (and closes) its own LocalCluster of one worker process
    assert _extract(str(source), out, None, workers=1).written == 1
    soundfile.write(source, np.sin(np.arange(9000) / 7.0) * 0.3, SR)
    summary = _extract(str(source), out, client)
    assert (summary.written, summary.skipped) == (1, 0)
    assert np.array_equal(_stored(out, str(source))[...], _reference(str(source)))


def test_a_store_of_other_parameters_is_refused(corpus, client, tmp_path):
    out = tmp_path / "params.zarr"
    path = _good_paths(corpus)[0]
    _extract(path, out, client)
    with pytest.raises(ParameterError, match="n_mels"):
        _extract(path, out, client, options=dict(MEL, n_mels=20))
    with pytest.raises(ParameterError, match="feature"):
        _extract(path, out, client, feature="stft", options={})


def test_inputs_directories_globs_and_lists(corpus):
    from sigpu.corpus._inputs import audio_files

    everything = audio_files(corpus)
    assert len(everything) == 7  # recursive, the corrupt and empty files included
    flacs = audio_files(str(corpus / "**" / "*.flac"))
    assert [os.path.basename(p) for p in flacs] == ["c_mono.flac", "e_stereo.flac"]
    assert audio_files([corpus / "a_mono.wav", str(corpus / "a_mono.wav")]) == [
        str(corpus / "a_mono.wav")
    ]
    with pytest.raises(ParameterError, match="no file, directory or glob"):
        audio_files(corpus / "missing.wav")
    with pytest.raises(ParameterError, match="name no audio file"):
        audio_files(str(corpus / "*.mp3"))
    with pytest.raises(TypeError, match="inputs"):
        audio_files(3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(feature="melody"), ParameterError, "feature='melody' must be one of"),
        (dict(options=dict(n_mel=40)), ParameterError, "takes no option 'n_mel'"),
        (dict(options=dict(n_mels=0)), ParameterError, "n_mels=0"),
        (dict(options=dict(sr=8000)), ParameterError, "takes no option 'sr'"),
        (dict(options=[("n_mels", 4)]), TypeError, "options"),
        (dict(sr=0), ParameterError, "sr=0"),
        (dict(backend="gpu"), ParameterError, "backend"),
        (dict(files_per_task=0), ParameterError, "files_per_task=0"),
        (dict(dtype=np.int16), TypeError, "dtype"),
        (dict(out=3), TypeError, "out=3"),
        (dict(out="s3://bucket/mel.zarr"), ParameterError, "not a URL"),
        (dict(feature="linear_reassignment", options={}), TypeError, "tdeci"),
        (dict(workers=0), ParameterError, "workers=0"),
        (dict(workers=2, client="tcp://127.0.0.1:1"), ParameterError, "workers=2"),
    ],
)
def test_bad_arguments_fail_before_anything_is_written(corpus, tmp_path, kwargs, error, match):
    out = tmp_path / "never.zarr"
    arguments = dict(dict(feature="mel", sr=SR, out=out, progress=False), **kwargs)
    with pytest.raises(error, match=match):
        sigpu.corpus.extract(corpus, **arguments)
    assert not out.exists() and not os.path.exists("s3:")


def test_import_sigpu_imports_no_corpus_dependency():
    code = (
        "import sys, sigpu, sigpu.corpus, sigpu.cli; "
        "print(sorted({'dask', 'distributed', 'zarr', 'tqdm'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_missing_extra_is_a_clear_import_error(monkeypatch, corpus, tmp_path):
    from sigpu.corpus import _optional

    def missing(name):
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(_optional, "import_module", missing)
    with pytest.raises(ImportError, match=r"needs zarr: pip install 'sigpu\[corpus\]'"):
        sigpu.corpus.extract(corpus, feature="mel", out=tmp_path / "x.zarr", progress=False)
    with pytest.raises(ImportError, match="needs dask"):
        sigpu.corpus.stft(np.zeros(100, np.float32))


def test_cupy_backend_without_dask_cuda_or_gpu_is_a_clear_error(corpus, tmp_path):
    out = tmp_path / "gpu.zarr"
    with pytest.raises((ImportError, RuntimeError), match="dask-cuda|dask_cuda|CUDA GPU"):
        sigpu.corpus.extract(corpus, feature="mel", out=out, backend="cupy", progress=False)
    assert not out.exists()


def test_worker_feature_on_cupy_equals_numpy(corpus, cupy_module):
    """The per-file function of a GPU worker (backend="cupy") on this process's CuPy
    (emulated where no GPU is usable): same values as the NumPy worker."""
    from sigpu.corpus._features import feature_spec
    from sigpu.corpus._tasks import Job, features_of
    from tests.helpers import assert_array

    spec = feature_spec("mel", MEL, SR, np.float32)
    path = _good_paths(corpus)[1]
    job = dict(out="", spec=spec, sr=SR, mono=True, dtype="float32", res_type="sinc_hq")
    on_gpu, rate, channels, _ = features_of(path, Job(backend="cupy", **job))
    on_cpu, *_ = features_of(path, Job(backend="numpy", **job))
    y, _ = sigpu.load(path, sr=SR)
    assert_array(spec.compute(cupy_module.asarray(y), SR), cupy_module, dtype=np.float32)
    assert isinstance(on_gpu, np.ndarray) and on_gpu.shape == on_cpu.shape
    assert (rate, channels) == (44100, 2)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=2e-5, atol=2e-6 * on_cpu.max())


def test_progress_line_without_tqdm(monkeypatch, capsys):
    from sigpu.corpus import _progress

    monkeypatch.setattr(_progress, "optional", lambda name: None)
    bar = _progress.Progress(3, show=True)
    bar.update(2)
    bar.update(1)
    bar.close()
    assert capsys.readouterr().err.split("\r")[-1].strip() == "sigpu features: 3/3 files"


def test_cli_features_on_an_existing_scheduler(corpus, client, tmp_path, capsys):
    from sigpu.cli import main

    out = tmp_path / "cli.zarr"
    address = client.scheduler.address
    argv = ["features", str(corpus), "-o", str(out), "--feature", "mel", "--n-mels", "40"]
    argv += ["--hop-length", "256", "--n-fft", "1024", "--scheduler", address, "--quiet"]
    assert main(argv) == 1  # the corrupt and the empty file failed
    report = capsys.readouterr().out
    assert "5 written" in report and "corrupt.wav" in report and "empty.wav" in report
    for path in _good_paths(corpus):
        assert np.array_equal(_stored(out, path)[...], _reference(path))
    good = [str(corpus / "a_mono.wav"), "-o", str(tmp_path / "ok.zarr"), "--scheduler", address]
    assert main(["features", *good, "--quiet", "--n-mels", "40"]) == 0
    assert main(["features", *good, "--n-mels", "-4"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "sigpu features: error: options for feature='mel': n_mels=-4 must be a positive integer"
    ]


def test_a_worker_killed_mid_run_loses_no_file(corpus, client, tmp_path):
    """Kill a worker process while it computes a file; Dask runs its task again on a
    worker that lives (the nanny also restarts the dead one) and every array is right."""
    paths = _good_paths(corpus)
    out = tmp_path / "killed.zarr"
    pids = client.run(os.getpid)
    killed = {}

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                killed[busy[0]] = client.processing()[busy[0]]
                os.kill(pids[busy[0]], signal.SIGKILL)
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    # cqt: the slowest of the features here, so the kill lands while a file is computed
    options = dict(hop_length=256, fmin=55.0, n_bins=60)
    summary = _extract(paths, out, client, feature="cqt", options=options, files_per_task=1)
    killer.join()
    assert killed, "no worker was busy during the run"
    # A worker killed after it stored its file but before Dask heard back: the task's rerun
    # finds the file stored and verified, and reports it skipped (it is not written twice).
    assert summary.failures == {}
    assert summary.written + summary.skipped == 5
    for path in paths:
        assert np.array_equal(_stored(out, path)[...], _reference(path, "cqt", options))


def test_a_task_dask_gives_up_on_becomes_failure_rows_and_the_run_goes_on(corpus, tmp_path):
    """A worker that dies while it runs a task, on a scheduler that allows no failure
    (``distributed.scheduler.allowed-failures = 0``): Dask gives the task up
    (KilledWorker) with every other task the scheduler had given that worker, their
    files become failure rows, the other files are stored, and a re-run stores them."""
    paths = _good_paths(corpus)
    out = tmp_path / "given_up.zarr"
    options = dict(hop_length=256, fmin=55.0, n_bins=60)  # cqt: slow enough to be caught
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = sigpu.corpus.local_cluster(workers=1)
    with cluster, distributed.Client(cluster) as one_worker:
        pid = next(iter(one_worker.run(os.getpid).values()))
        killed = threading.Event()

        def kill_the_busy_worker():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not killed.is_set():
                if any(one_worker.processing().values()):
                    os.kill(pid, signal.SIGKILL)
                    killed.set()
                time.sleep(0.005)

        killer = threading.Thread(target=kill_the_busy_worker)
        killer.start()
        summary = _extract(paths, out, one_worker, feature="cqt", options=options, files_per_task=1)
        killer.join()
        assert killed.is_set(), "the worker was never busy"
        # every task the scheduler had given the dead worker (running or queued there)
        assert summary.failures and summary.written + len(summary.failures) == 5
        assert all("KilledWorker" in error for error in summary.failures.values())
        failures = zarr.open_group(str(out), mode="r")["failures"]
        assert sorted(str(p) for p in failures["path"][...]) == sorted(summary.failures)
        assert all("KilledWorker" in str(error) for error in failures["error"][...])

        again = _extract(paths, out, one_worker, feature="cqt", options=options)
    assert again.failures == {} and again.written + again.skipped == 5
    for path in paths:
        assert np.array_equal(_stored(out, path)[...], _reference(path, "cqt", options))

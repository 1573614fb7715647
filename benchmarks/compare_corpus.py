"""Corpus throughput: sigpu.corpus.extract (Dask LocalCluster, Zarr) against the loop users
write today, librosa + multiprocessing (``Pool.map`` over the files of ``librosa.load`` +
``librosa.feature.melspectrogram`` + ``np.save``), on the same generated corpus, at 1 and
2 worker processes.

Run: /work/venv/bin/python benchmarks/compare_corpus.py [--files 40] [--repeats 7]

The corpus: WAV files of 6 to 14 s, half 44.1 kHz stereo 16-bit (decoded, mixed down and
resampled to 22050 Hz), half 22050 Hz mono.  The same feature on both sides: float32 mel
spectrograms with librosa's defaults (n_fft 2048, hop 512, 128 mels, power 2); librosa's
resampler is soxr_hq, sigpu's its sinc_hq (see sigpu.audio).  Outputs: one .npy file per
input for the baseline, a Zarr v3 store (one zstd-compressed array per file, the file
table, content hashes, resumable) for sigpu.

Same cores: the k-worker rows run with this process (and so the pool's and the cluster's
processes, which inherit it) restricted to k CPUs; the pool's processes use one BLAS
thread each (threadpoolctl), Dask's worker processes one thread each, each pinned by
``local_cluster`` to one of the k CPUs.  Warm: the cluster / pool is started and has
processed the corpus once before the timed runs (the steady state of a long job); cold:
one whole call, process start-up included.  Each timed run writes a new store / folder.
Prints the best of ``--repeats`` interleaved runs (sigpu, librosa, sigpu, ...), files/s,
realtime factor (audio seconds per second), the ratio sigpu / librosa against the goal
(>= 2x), and the scaling efficiency from 1 to 2 workers.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import time

import numpy as np

SR = 22050
GOAL = 2.0  # issue 18: at least 2x the baseline's files/s on the same cores


def write_corpus(folder, n_files, seed=0):
    """(paths, total seconds) of a generated corpus."""
    import soundfile

    rng = np.random.default_rng(seed)
    paths, total = [], 0.0
    for i in range(n_files):
        seconds = rng.uniform(6.0, 14.0)
        rate, channels = (44100, 2) if i % 2 == 0 else (22050, 1)
        t = np.arange(int(seconds * rate)) / rate
        tone = np.sin(2 * np.pi * rng.uniform(80, 4000) * t * (1 + 0.1 * t))
        y = 0.3 * tone[:, None] + 0.05 * rng.standard_normal((t.size, channels))
        path = os.path.join(folder, f"{i:03d}.wav")
        soundfile.write(path, y, rate, subtype="PCM_16")
        paths.append(path)
        total += t.size / rate
    return paths, total


# ----------------------------------------------------------------------------- baseline
def _one_blas_thread():
    import threadpoolctl

    global _LIMITS
    _LIMITS = threadpoolctl.threadpool_limits(1)


def librosa_mel_to_npy(job):
    """The user's per-file function: librosa.load, melspectrogram, np.save."""
    import librosa

    path, out_dir = job
    y, sr = librosa.load(path, sr=SR)
    S = librosa.feature.melspectrogram(y=y, sr=sr)
    np.save(os.path.join(out_dir, os.path.basename(path) + ".npy"), S)


def baseline_run(pool, paths, out_dir):
    os.makedirs(out_dir)
    pool.map(librosa_mel_to_npy, [(p, out_dir) for p in paths], chunksize=1)


# ----------------------------------------------------------------------------- sigpu
def sigpu_run(client, folder, out, workers=None):
    import sigpu.corpus

    summary = sigpu.corpus.extract(
        folder, feature="mel", sr=SR, out=out, client=client, workers=workers, progress=False
    )
    assert summary.written and not summary.failures, summary
    return summary


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def accuracy(folder, paths):
    """max|sigpu - librosa| / max|librosa| of the first 44.1 kHz file's mel spectrogram
    (the resamplers differ: sigpu's sinc_hq is not soxr; see sigpu.audio)."""
    import librosa

    import sigpu

    y_l, _ = librosa.load(paths[0], sr=SR)
    want = librosa.feature.melspectrogram(y=y_l, sr=SR)
    y_s, _ = sigpu.load(paths[0], sr=SR)
    got = sigpu.melspectrogram(y_s, sr=SR)
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    import distributed

    import sigpu.corpus

    root = tempfile.mkdtemp(prefix="sigpu-corpus-bench-")
    folder = os.path.join(root, "audio")
    os.mkdir(folder)
    paths, audio_seconds = write_corpus(folder, args.files)
    print(
        f"corpus: {len(paths)} WAV files, {audio_seconds / 60:.1f} min of audio; "
        f"os.cpu_count() = {os.cpu_count()}"
    )
    counter = iter(range(10**6))

    def fresh(name):
        return os.path.join(root, f"{name}-{next(counter)}")

    warm = {}
    cold = {}
    context = multiprocessing.get_context("fork")
    cpus = sorted(os.sched_getaffinity(0))
    for workers in args.workers:
        if workers > len(cpus):
            raise SystemExit(f"--workers {workers}: this process may use {len(cpus)} CPUs")
        os.sched_setaffinity(0, cpus[:workers])  # both sides: the same `workers` CPUs
        # cold: one whole call each, process start-up included
        cold[("sigpu", workers)] = timed(
            lambda w=workers: sigpu_run(None, folder, fresh("cold.zarr"), workers=w)
        )

        def cold_pool(w=workers):
            with context.Pool(w, initializer=_one_blas_thread) as pool:
                baseline_run(pool, paths, fresh("cold-npy"))

        cold[("librosa", workers)] = timed(cold_pool)
        cluster = sigpu.corpus.local_cluster(workers=workers)  # the one extract starts
        client = distributed.Client(cluster)
        pool = context.Pool(workers, initializer=_one_blas_thread)
        sigpu_run(client, folder, fresh("warmup.zarr"))
        baseline_run(pool, paths, fresh("warmup-npy"))
        times = {"sigpu": [], "librosa": []}
        for _ in range(args.repeats):  # interleaved: both see the same machine load
            times["sigpu"].append(timed(lambda c=client: sigpu_run(c, folder, fresh("run.zarr"))))
            times["librosa"].append(timed(lambda p=pool: baseline_run(p, paths, fresh("run-npy"))))
        for name, values in times.items():
            warm[(name, workers)] = min(values)
            print(f"  {name} x{workers}: " + ", ".join(f"{v:.2f}" for v in values) + " s")
        pool.close()
        pool.join()
        client.close()
        cluster.close()
    os.sched_setaffinity(0, cpus)

    n = len(paths)
    print(f"\nload average after the runs: {os.getloadavg()[0]:.2f}")
    print(
        "| workers | run | librosa + Pool files/s | sigpu files/s | librosa realtime factor "
        "| sigpu realtime factor | sigpu / librosa | goal | |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for workers in args.workers:
        for label, table in (("warm", warm), ("cold", cold)):
            base, ours = table[("librosa", workers)], table[("sigpu", workers)]
            verdict = "met" if base / ours >= GOAL else "missed"
            print(
                f"| {workers} | {label} | {n / base:.1f} | {n / ours:.1f} | "
                f"{audio_seconds / base:.0f} | {audio_seconds / ours:.0f} | "
                f"{base / ours:.2f}x | >= {GOAL:g}x | {verdict} |"
            )
    if 1 in args.workers and 2 in args.workers:
        for name in ("sigpu", "librosa"):
            efficiency = warm[(name, 1)] / warm[(name, 2)] / 2
            print(f"scaling efficiency 1 -> 2 workers (warm), {name}: {efficiency:.2f}")
    print(f"mel max|sigpu - librosa| / max|librosa| (44.1 kHz file): {accuracy(folder, paths):.1e}")
    shutil.rmtree(root)


if __name__ == "__main__":
    main()

"""Check that the published asv dashboard renders, in headless Chromium, and screenshot it.

Serves ``asv_bench/html`` (the output of ``asv publish``) from a local HTTP server on
127.0.0.1, loads ``index.html`` and one benchmark's graph page in headless Chromium, lets the
page's JavaScript run (virtual-time budget), dumps the DOM and checks that

* the summary grid lists benchmarks that are in ``benchmarks.json`` (names rendered by JS),
* the summary graphs were drawn (flot ``canvas`` elements with the benchmark links),
* a benchmark's own graph page draws its plot (``canvas`` inside the main plot area).

Then writes a screenshot of the summary grid (``--screenshot``).  Needs Chromium (Debian:
``apt-get install chromium``); not part of the pytest suite.

The published ``index.html`` loads jQuery, flot, bootstrap, stupidtable and blueimp-md5 from
CDNs.  A machine whose browser cannot reach them (like the CI/VM this was written on) gets the
same versions from the npm registry (``npm pack``; Debian's packaged copy where npm has none),
cached in ``asv_bench/.asv/dashboard_assets``; the served copy of ``index.html`` points at
them (integrity attributes dropped).  ``--cdn`` serves the page untouched instead.

    cd asv_bench && asv publish && cd .. && python benchmarks/dashboard_check.py

Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _npm(spec: str, member: str):
    return ("npm", spec, member)


def _file(path: str):
    return ("file", path, "")


# CDN file name in asv's index.html -> where to get the same library offline (first that works)
ASSETS = {
    "jquery-3.3.1.min.js": [
        _npm("jquery@3.3.1", "package/dist/jquery.min.js"),
        _file("/usr/share/javascript/jquery/jquery.min.js"),
    ],
    "jquery.flot.min.js": [_npm("flot@0.8.3", "package/jquery.flot.js")],
    "jquery.flot.time.min.js": [_npm("flot@0.8.3", "package/jquery.flot.time.js")],
    "jquery.flot.selection.min.js": [_npm("flot@0.8.3", "package/jquery.flot.selection.js")],
    "jquery.flot.categories.min.js": [_npm("flot@0.8.3", "package/jquery.flot.categories.js")],
    "jquery.flot.orderBars.js": [
        _npm("flot-orderbars@1.0.0", "package/js/jquery.flot.orderBars.js")
    ],
    "stupidtable.min.js": [_file("/usr/share/javascript/jquery-stupidtable/stupidtable.min.js")],
    "md5.min.js": [
        _npm("blueimp-md5@2.19.0", "package/js/md5.min.js"),
        _file("/usr/share/javascript/blueimp-md5/md5.min.js"),
    ],
    "bootstrap.min.js": [_npm("bootstrap@3.1.1", "package/dist/js/bootstrap.min.js")],
    "bootstrap.min.css": [_npm("bootstrap@3.1.1", "package/dist/css/bootstrap.min.css")],
}
CDN_URL = re.compile(r'(src|href)="(https://[^"]+/([^/"]+\.(?:js|css)))"')


def fetch_assets(cache: Path) -> list[str]:
    """Put every library of :data:`ASSETS` in ``cache``; return the names still missing."""
    import tarfile

    cache.mkdir(parents=True, exist_ok=True)
    packs: dict[str, Path] = {}
    missing = []
    for name, sources in ASSETS.items():
        target = cache / name
        for kind, where, member in sources if not target.exists() else []:
            try:
                if kind == "file":
                    shutil.copyfile(where, target)
                else:
                    if where not in packs:
                        out = subprocess.run(
                            ["npm", "pack", where, "--silent", "--pack-destination", str(cache)],
                            capture_output=True,
                            text=True,
                            timeout=120,
                            check=True,
                        )
                        packs[where] = cache / out.stdout.strip().splitlines()[-1]
                    with tarfile.open(packs[where]) as tar:
                        target.write_bytes(tar.extractfile(member).read())
                break
            except (OSError, subprocess.SubprocessError, KeyError, AttributeError) as exc:
                print(f"asset {name}: {kind} {where} failed ({type(exc).__name__})")
        if not target.exists():
            missing.append(name)
    return missing


def offline_index(html: Path) -> bytes:
    """index.html with the CDN libraries replaced by the local copies under /_assets/."""
    text = (html / "index.html").read_text()

    def local(match):
        name = match.group(3)
        return f'{match.group(1)}="/_assets/{name}"' if name in ASSETS else match.group(0)

    text = CDN_URL.sub(local, text)
    text = re.sub(r'\s(integrity|crossorigin|referrerpolicy)="[^"]*"', "", text)
    return text.encode()


def find_chromium(explicit: str | None) -> str:
    for name in ([explicit] if explicit else []) + [
        "chromium",
        "chromium-browser",
        "google-chrome",
    ]:
        path = shutil.which(name) if name else None
        if path:
            return path
    sys.exit("Chromium not found (apt-get install chromium, or pass --chromium PATH)")


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; with ``assets`` set, index.html is rewritten to the local libraries."""

    assets: Path | None = None
    index: bytes = b""

    def do_GET(self):  # noqa: N802 - name fixed by the base class
        path = self.path.split("?")[0].split("#")[0]
        if self.assets is not None and path in ("/", "/index.html"):
            return self._send(self.index, "text/html")
        if self.assets is not None and path.startswith("/_assets/"):
            file = self.assets / Path(path).name
            if file.exists():
                kind = "text/css" if file.suffix == ".css" else "application/javascript"
                return self._send(file.read_bytes(), kind)
        return super().do_GET()

    def _send(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass


def serve(directory: Path, assets: Path | None) -> tuple[http.server.ThreadingHTTPServer, str]:
    attrs = {"assets": assets, "index": offline_index(directory) if assets else b""}
    handler = functools.partial(type("H", (Handler,), attrs), directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def chromium(binary: str, url: str, *extra: str, budget_ms: int, timeout: int) -> str:
    with tempfile.TemporaryDirectory(prefix="asv-chromium-") as profile:
        cmd = [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={budget_ms}",
            *extra,
            url,
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"chromium exit {res.returncode}: {res.stderr[-500:]}")
    return res.stdout


def published_benchmarks(html: Path) -> list[str]:
    """Benchmark names the dashboard should show (from the published index)."""
    index = json.loads((html / "index.json").read_text())
    return sorted(index["benchmarks"])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--html", type=Path, default=ROOT / "asv_bench" / "html")
    p.add_argument("--screenshot", type=Path, default=ROOT / "docs" / "img" / "asv_dashboard.png")
    p.add_argument(
        "--graph-screenshot", type=Path, default=ROOT / "docs" / "img" / "asv_graph_stft.png"
    )
    p.add_argument("--graph", default="bench_spectrum.STFT.time_stft", help="graph page to check")
    p.add_argument("--chromium")
    p.add_argument("--cdn", action="store_true", help="load the CDN libraries as published")
    p.add_argument("--assets", type=Path, default=ROOT / "asv_bench" / ".asv" / "dashboard_assets")
    p.add_argument("--budget-ms", type=int, default=20000, help="virtual time for the page JS")
    p.add_argument("--window", default="1400,1000", help="graph page screenshot size")
    p.add_argument("--grid-window", default="1400,3000", help="grid screenshot: the whole grid")
    p.add_argument("--timeout", type=int, default=180)
    args = p.parse_args(argv)

    if not (args.html / "index.html").exists():
        sys.exit(f"{args.html}/index.html missing: run `asv publish` in asv_bench first")
    binary = find_chromium(args.chromium)
    names = published_benchmarks(args.html)
    assets = None
    if not args.cdn:
        missing = fetch_assets(args.assets)
        if missing:
            print(
                f"no offline copy of {missing}: those load from their CDN (Debian: "
                "apt-get install libjs-jquery libjs-jquery-stupidtable libjs-blueimp-md5)"
            )
        assets = args.assets
    server, base = serve(args.html, assets)
    failures = []
    try:
        # a tall window: the grid draws a summary graph only once it is scrolled into view
        dom = chromium(
            binary,
            f"{base}/index.html",
            "--dump-dom",
            "--window-size=1400,20000",
            budget_ms=args.budget_ms,
            timeout=args.timeout,
        )
        shown = [n for n in names if n in dom]
        canvases = len(re.findall(r"<canvas", dom))
        print(
            f"index.html: {len(dom)} chars of DOM, {len(shown)}/{len(names)} benchmark names, "
            f"{canvases} canvas elements"
        )
        if not shown:
            failures.append("no benchmark name in the rendered summary grid")
        if canvases == 0:
            failures.append("no graph (canvas) drawn on the summary grid")

        graph = args.graph if args.graph in names else (names[0] if names else "")
        gdom = chromium(
            binary,
            f"{base}/index.html#{graph}",
            "--dump-dom",
            budget_ms=args.budget_ms,
            timeout=args.timeout,
        )
        plot = re.search(r'id="main-graph".*?<canvas', gdom, re.S) or re.search(r"flot-base", gdom)
        print(f"graph page {graph}: plot canvas {'found' if plot else 'MISSING'}")
        if not plot:
            failures.append(f"graph page {graph} drew no plot")

        args.screenshot.parent.mkdir(parents=True, exist_ok=True)
        chromium(
            binary,
            f"{base}/index.html",
            f"--screenshot={args.screenshot.resolve()}",
            f"--window-size={args.grid_window}",
            budget_ms=args.budget_ms,
            timeout=args.timeout,
        )
        args.graph_screenshot.parent.mkdir(parents=True, exist_ok=True)
        chromium(
            binary,
            f"{base}/index.html#{graph}",
            f"--screenshot={args.graph_screenshot.resolve()}",
            f"--window-size={args.window}",
            budget_ms=args.budget_ms,
            timeout=args.timeout,
        )
        for shot in (args.screenshot, args.graph_screenshot):
            size = shot.stat().st_size if shot.exists() else 0
            print(f"screenshot: {shot} ({size} bytes)")
            if size < 10_000:
                failures.append(f"screenshot {shot.name} missing or blank")
    finally:
        server.shutdown()
    for f in failures:
        print(f"FAIL: {f}")
    print("dashboard OK" if not failures else "dashboard check FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

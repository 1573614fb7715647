"""The gallery's figures: made at build time, each one present and not blank, and the code
of every example on the pages that show code narrow enough for the page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.test_docs import DOCS, built_site

#: pages whose examples are code a reader copies (the API pages hold docstrings)
EXAMPLE_PAGES = (
    "index.rst",
    "install.rst",
    "quickstart.rst",
    "gallery.rst",
    "migration.rst",
    "api/display.rst",
)
#: characters of code that the theme shows without a scroll bar at its content width
CODE_WIDTH = 80


def code_lines(text: str):
    """``(line number, code)`` of the lines in the reST's code blocks and plot directives."""
    in_block, indent = False, None
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"\s*\.\. (plot|code-block|code)::", line) or line.rstrip().endswith("::"):
            in_block, indent = True, None
            continue
        if not in_block or not line.strip():
            continue
        width = len(line) - len(line.lstrip())
        if indent is None:
            if width == 0:
                in_block = False
                continue
            indent = width
        if width < indent:
            in_block = False
            continue
        if not line.lstrip().startswith(":"):  # a directive option, not code
            yield number, line[indent:]


@pytest.mark.parametrize("page", EXAMPLE_PAGES)
def test_example_code_fits_the_page_width(page):
    text = (DOCS / page).read_text()
    lines = list(code_lines(text))
    assert lines, f"{page} shows no code"
    too_wide = [f"{page}:{n}: {len(code)} chars" for n, code in lines if len(code) > CODE_WIDTH]
    assert not too_wide, "\n".join(too_wide)


def test_code_lines_reader_finds_code_and_stops_at_prose():
    text = "Intro::\n\n   x = 1\n     y = 2\n\nProse again.\n\n.. plot::\n   :alt: a\n\n   z = 3\n"
    assert [code for _, code in code_lines(text)] == ["x = 1", "  y = 2", "z = 3"]


@pytest.fixture(scope="module")
def site() -> Path:
    return built_site()


def _image_sources(html: str) -> list[str]:
    return re.findall(r'<img[^>]+src="([^"]+\.png)"', html)


def test_every_gallery_figure_exists_and_is_not_blank(site):
    from matplotlib import image

    n_plots = (DOCS / "gallery.rst").read_text().count(".. plot::")
    page = site / "gallery.html"
    sources = _image_sources(page.read_text())
    assert n_plots >= 8 and len(sources) == n_plots, (n_plots, sources)
    for source in sources:
        path = (page.parent / source).resolve()
        assert path.exists(), f"missing figure {source}"
        pixels = image.imread(path)[..., :3]
        # a drawn figure: varied pixels, and a good share that are not the white background
        assert pixels.std() > 0.05, f"{source} is nearly uniform"
        assert np.mean(pixels.min(axis=-1) < 0.9) > 0.05, f"{source} is nearly empty"


@pytest.mark.parametrize("page", ["index.html", "quickstart.html"])
def test_front_page_and_quickstart_show_figures(site, page):
    sources = _image_sources((site / page).read_text())
    assert sources and all((site / page).parent.joinpath(s).exists() for s in sources)


def test_headless_browser_screenshot_of_the_gallery_is_not_blank(site, tmp_path):
    """The gallery page as a browser draws it (headless Chromium, where installed): the
    figures and text are on the page, not a blank or unstyled one."""
    from matplotlib import image

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium here (Debian: apt-get install chromium)")
    shot = tmp_path / "gallery.png"
    subprocess.run(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,2400",
            f"--screenshot={shot}",
            (site / "gallery.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pixels = image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1280)
    dark = pixels.min(axis=-1) < 0.5
    assert dark.mean() > 0.03  # text and figures, not an empty page
    # a figure's colour map: many saturated pixels (magma's purples and oranges)
    saturation = pixels.max(axis=-1) - pixels.min(axis=-1)
    assert (saturation > 0.3).mean() > 0.02

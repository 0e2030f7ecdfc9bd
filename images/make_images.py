"""Regenerate the guide's figures: diagrams, notebook plots and screenshots.

    .venv/bin/python images/make_images.py [--only diagrams plots screenshots]

- diagrams: every images/*.dot rendered to SVG with Graphviz (`apt-get install graphviz`);
- plots: figures taken from the notebooks that `make workshop` executed (build/executed/);
- screenshots: JupyterLab and the local registry page,
  in headless Chromium driven by Playwright. They need a completed `make workshop`; the
  local platform is started if it is not running, and stopped again if this script started it.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat

from jukebox_workshop.local.ports import free_port
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import OUTPUT_DIR

IMAGES = Path(__file__).resolve().parent
REPO = IMAGES.parent
EXECUTED = REPO / "build" / "executed"
WORKSPACE = Workspace(OUTPUT_DIR)
CHROMIUM = os.environ.get("JUKEBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}

# image file -> (executed notebook, text in the source of the cell whose figure it is)
PLOTS = {
    "plot-01-country-profiles.png": ("01-explore.ipynb", "How some countries' charts differ"),
    "plot-03-training-curves.png": ("03-train.ipynb", "Loss (lower is better)"),
    "plot-04-confusion-matrix.png": ("04-evaluate.ipynb", "Where the top guess goes"),
    "plot-07-optimisation-history.png": ("07-refine.ipynb", "Optimisation history"),
}


def fail(message: str) -> None:
    sys.exit(f"make_images: {message}")


def diagrams() -> None:
    if not shutil.which("dot"):
        fail(
            "Graphviz's `dot` is not installed: apt-get install -y graphviz (or brew install graphviz)."
        )
    for source in sorted(IMAGES.glob("*.dot")):
        target = source.with_suffix(".svg")
        subprocess.run(["dot", "-Tsvg", str(source), "-o", str(target)], check=True)
        print(f"wrote {target.relative_to(REPO)}")


def plots() -> None:
    for name, (notebook_name, marker) in PLOTS.items():
        path = EXECUTED / notebook_name
        if not path.exists():
            fail(f"{path.relative_to(REPO)} is missing: run `make workshop` first.")
        notebook = nbformat.read(path, as_version=4)
        cell = next(
            (c for c in notebook.cells if c.cell_type == "code" and marker in c.source), None
        )
        if cell is None:
            fail(f"no cell containing {marker!r} in {notebook_name}: update PLOTS in {__file__}.")
        png = next(
            (o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})), None
        )
        if png is None:
            fail(
                f"the cell with {marker!r} in {notebook_name} has no figure: run `make workshop` again."
            )
        (IMAGES / name).write_bytes(base64.b64decode(png))
        print(f"wrote images/{name}")


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextmanager
def jupyterlab():
    """JupyterLab on a copy of jukebox/ (so nothing it saves reaches the repository); yields its URL."""
    with tempfile.TemporaryDirectory(prefix="jukebox-lab-") as tmp:
        root, settings = Path(tmp) / "jukebox", Path(tmp) / "settings"
        root.mkdir()
        for notebook in sorted((REPO / "jukebox").glob("*.ipynb")):
            shutil.copy(notebook, root)
        (root / "data").symlink_to(REPO / "jukebox" / "data")
        news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        news.parent.mkdir(parents=True)
        news.write_text('{"fetchNews": "false", "checkForUpdates": false}')
        port, token = free_port(), secrets.token_hex(16)
        command = [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabServerApp.user_settings_dir={settings}",
            f"--LabServerApp.workspaces_dir={Path(tmp) / 'workspaces'}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # containers often run as root
        ]
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(Path(tmp) / "runtime")}
        log = open(Path(tmp) / "lab.log", "w")  # noqa: SIM115 - closed with the server below
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_for(f"http://127.0.0.1:{port}/api/status?token={token}")
            except OSError:
                log.flush()
                fail(f"JupyterLab did not start:\n{(Path(tmp) / 'lab.log').read_text()[-2000:]}")
            yield f"http://127.0.0.1:{port}", token
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


def screenshot_jupyterlab(browser) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with jupyterlab() as (url, token):
        page = browser.new_page(viewport={"width": 1280, "height": 1080})
        page.goto(f"{url}/lab/tree/01-explore.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
        )
        # Run the set-up cell, as an attendee would, so that the picture shows [1] and [ ].
        page.locator(".jp-StatusBar-Widget", has_text="Idle").first.wait_for(timeout=60_000)
        setup = page.locator(".jp-Notebook .jp-CodeCell").first
        for attempt in range(3):  # a key press can be lost while the kernel connects
            setup.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            try:
                setup.locator(".jp-InputArea-prompt", has_text=re.compile(r"\[\d+\]")).wait_for(
                    timeout=20_000
                )
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        page.keyboard.press("Escape")
        page.locator(".jp-WindowedPanel-outer").first.evaluate("element => element.scrollTo(0, 0)")
        page.wait_for_timeout(1000)
        page.screenshot(path=IMAGES / "jupyterlab-01-explore.png")
        page.close()
    print("wrote images/jupyterlab-01-explore.png")


def screenshot_registry(browser, environment: dict[str, str]) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(environment["MODEL_REGISTRY_URL"] + "/")
    page.wait_for_load_state("networkidle")
    # Wide enough for the longest property values; then crop to the page's content.
    page.set_viewport_size({"width": 2400, "height": 800})
    left, right = page.evaluate(
        "(() => { const boxes = [...document.body.querySelectorAll('*')].map(e => e.getBoundingClientRect())"
        "  .filter(b => b.width > 0); return [Math.min(...boxes.map(b => b.left)),"
        "  Math.max(...boxes.map(b => b.right))]; })()"
    )
    height = min(page.evaluate("document.documentElement.scrollHeight"), 1400)
    page.set_viewport_size({"width": 2400, "height": height})
    clip = {"x": max(left - 30, 0), "y": 0, "width": right - left + 60, "height": height}
    page.screenshot(path=IMAGES / "registry-page.png", clip=clip)
    page.close()
    print("wrote images/registry-page.png")


def screenshots() -> None:
    if not Path(CHROMIUM).exists():
        fail(
            f"Chromium not found at {CHROMIUM}. Install it (Debian/Ubuntu: "
            "sudo apt-get update && sudo apt-get install -y chromium), or set JUKEBOX_CHROMIUM "
            "to its path. Playwright's own browser download is not used."
        )
    version = WORKSPACE.latest_version()
    if not version:
        fail(f"no completed workshop run in {WORKSPACE.runs_dir}/: run `make workshop` first.")
    if not WORKSPACE.run(version).registration_file.exists():
        fail(f"version {version} is not registered: run `make workshop` first.")

    from playwright.sync_api import sync_playwright

    from jukebox_workshop.local import lifecycle

    started = lifecycle.start()
    try:
        environment = lifecycle.environment()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                screenshot_jupyterlab(browser)
                screenshot_registry(browser, environment)
            finally:
                browser.close()
    finally:
        if started:
            lifecycle.stop()


STEPS = {"diagrams": diagrams, "plots": plots, "screenshots": screenshots}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=STEPS, default=list(STEPS))
    for step in parser.parse_args(argv).only:
        STEPS[step]()
    return 0


if __name__ == "__main__":
    sys.exit(main())

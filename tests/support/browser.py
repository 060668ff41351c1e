"""Headless Chromium for the tests that check what a browser draws (the web UI, the corpus report)."""

import shutil
import subprocess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(*args: str, budget_ms: int = 5000) -> subprocess.CompletedProcess:
    """One headless Chromium run; a run that hangs (seen in CI on a loaded machine) is killed and tried again."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # tests run as root in CI
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1600,1000",
        f"--virtual-time-budget={budget_ms}",  # virtual time: the page settles, then is captured
        f"--timeout={budget_ms + 25000}",  # wall-clock cap: capture even when virtual time never runs out
        *args,
    ]
    for attempt in range(3):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=90)
        except subprocess.TimeoutExpired:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")

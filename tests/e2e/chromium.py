"""The Chromium that the browser tests drive, installed on first use when it is missing.

Playwright drives Debian's `chromium` package, not a browser of its own: `playwright install`
downloads builds from outside the package registries, which a CI machine cannot reach. On a
machine without the package, a run as root with apt-get installs it (a fresh CI machine is
one); anywhere else the run stops before any test, with the one command that fixes it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

DEBIAN_PATH = "/usr/bin/chromium"
SKIP_HINT = "or skip the browser tests: make test ARGS=\"-m 'not e2e'\""


class ChromiumMissing(Exception):
    """No Chromium, and none could be installed: the message says what to run."""


def path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEBIAN_PATH


def _usable(binary: str) -> bool:
    return os.path.isfile(binary) and os.access(binary, os.X_OK)


def _is_root() -> bool:
    return os.geteuid() == 0


def _apt_get() -> str | None:
    return shutil.which("apt-get")


def _run_apt(apt_get: str, *args: str) -> None:
    # Waits for another apt run's lock instead of failing (two suites may start at once).
    command = [apt_get, "-qq", "-o", "DPkg::Lock::Timeout=300", *args]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if done.returncode:
        why = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise ChromiumMissing(f"`apt-get {' '.join(args)}` failed ({why[0]}): {SKIP_HINT}")


def ensure(say=print) -> str:
    """The Chromium binary to launch, installing Debian's package first if it is missing."""
    binary = path()
    if _usable(binary):
        return binary
    if binary != DEBIAN_PATH:
        raise ChromiumMissing(
            f"CHROMIUM_PATH={binary} is not a Chromium binary: point it at one, or unset it "
            f"to use Debian's chromium package ({SKIP_HINT})"
        )
    apt_get = _apt_get()
    if apt_get is None:
        raise ChromiumMissing(
            f"The browser tests need Chromium: install it with your system's package manager "
            f"and set CHROMIUM_PATH to it ({SKIP_HINT})"
        )
    if not _is_root():
        raise ChromiumMissing(
            f"The browser tests need Chromium: run `sudo apt-get install chromium` ({SKIP_HINT})"
        )
    say("Chromium is missing: installing Debian's chromium package (apt-get install chromium)")
    _run_apt(apt_get, "update")
    _run_apt(apt_get, "install", "-y", "chromium")
    if not _usable(binary):
        raise ChromiumMissing(f"apt-get installed chromium, but {binary} is not there")
    return binary

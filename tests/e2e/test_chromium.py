"""Getting the browser tests their Chromium (chromium.py), on machines with and without it.

No browser here: the binary is a file under tmp_path and apt-get a recorder, so these run
(and are not marked e2e) wherever the suite does.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e import chromium


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A machine whose Debian Chromium path is under tmp_path and missing, root, with apt-get
    that records its calls and "installs" the binary."""
    binary = tmp_path / "chromium"
    calls = []

    def fake_run(command, **kwargs):
        calls.append(command[command.index("DPkg::Lock::Timeout=300") + 1 :])
        if "install" in command:
            binary.write_text("#!/bin/sh\n")
            binary.chmod(0o755)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    monkeypatch.setattr(chromium, "DEBIAN_PATH", str(binary))
    monkeypatch.setattr(chromium, "_is_root", lambda: True)
    monkeypatch.setattr(chromium, "_apt_get", lambda: "/usr/bin/apt-get")
    monkeypatch.setattr(chromium.subprocess, "run", fake_run)
    return binary, calls


def test_a_present_chromium_is_used_as_it_is(machine):
    binary, calls = machine
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert chromium.ensure() == str(binary)
    assert calls == []


def test_as_root_with_apt_the_package_is_installed(machine):
    binary, calls = machine
    said = []
    assert chromium.ensure(say=said.append) == str(binary)
    assert calls == [["update"], ["install", "-y", "chromium"]]
    assert said == [
        "Chromium is missing: installing Debian's chromium package (apt-get install chromium)"
    ]


def test_without_root_the_run_stops_with_the_command_that_fixes_it(machine, monkeypatch):
    _, calls = machine
    monkeypatch.setattr(chromium, "_is_root", lambda: False)
    with pytest.raises(chromium.ChromiumMissing) as missing:
        chromium.ensure()
    assert "`sudo apt-get install chromium`" in str(missing.value)
    assert "\n" not in str(missing.value)
    assert calls == []


def test_without_apt_the_run_stops_and_says_how_to_point_at_a_browser(machine, monkeypatch):
    monkeypatch.setattr(chromium, "_apt_get", lambda: None)
    with pytest.raises(chromium.ChromiumMissing, match="set CHROMIUM_PATH"):
        chromium.ensure()


def test_a_chromium_path_that_is_not_there_is_named_and_not_installed(machine, monkeypatch):
    _, calls = machine
    monkeypatch.setenv("CHROMIUM_PATH", "/nowhere/chromium")
    with pytest.raises(chromium.ChromiumMissing, match="CHROMIUM_PATH=/nowhere/chromium"):
        chromium.ensure()
    assert calls == []


def test_a_failing_apt_get_is_reported_with_its_last_line(machine, monkeypatch):
    def refuse(command, **kwargs):
        return subprocess.CompletedProcess(command, 100, "", "E: Unable to locate package x\n")

    monkeypatch.setattr(chromium.subprocess, "run", refuse)
    with pytest.raises(chromium.ChromiumMissing, match="Unable to locate package x"):
        chromium.ensure()

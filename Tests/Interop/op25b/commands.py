"""Running the tools the OP25B suites drive (ip, nft, iptables, portcullis): a failure is an
assertion naming the command and its output."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def run(cmd, *, input=None, check=True, timeout=120):
    result = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"`{' '.join(map(str, cmd))}` exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result


def require_tools(suite: str, why_root: str, tools: list[tuple[str, str]]) -> str:
    """The portcullis binary to test, after checking root and every (tool, Debian package);
    anything missing fails `suite` with what to install."""
    problems = []
    if os.geteuid() != 0:
        problems.append(f"must run as root ({why_root})")
    for tool, package in tools:
        if shutil.which(tool) is None:
            problems.append(f"{tool} missing (apt-get install -y {package})")
    binary = os.environ.get("PORTCULLIS_BIN")
    if not binary:
        problems.append("PORTCULLIS_BIN is not set: build the CLI (swift build) and point PORTCULLIS_BIN at it")
    elif not os.access(binary, os.X_OK):
        problems.append(f"PORTCULLIS_BIN={binary} is not an executable file")
    if problems:
        pytest.fail(f"{suite} cannot run: " + "; ".join(problems))
    return os.path.abspath(binary)

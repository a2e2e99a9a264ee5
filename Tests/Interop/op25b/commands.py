"""Running the tools the OP25B suites drive (ip, nft, iptables, portcullis): a failure is an
assertion naming the command and its output."""

from __future__ import annotations

import subprocess


def run(cmd, *, input=None, check=True, timeout=120):
    result = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"`{' '.join(map(str, cmd))}` exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result

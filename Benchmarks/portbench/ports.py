"""Free TCP ports on loopback for the servers and sinks of one run.

The ports are taken *below* the kernel's ephemeral range (net.ipv4.ip_local_port_range): a
run opens tens of thousands of client connections, and a listening port chosen by bind(0)
lies inside that range, so between two runs a client socket could take it as its source port
and the next server start would fail with EADDRINUSE.
"""

from __future__ import annotations

import random
import socket


def ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as handle:
            low, high = handle.read().split()
            return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(count: int, host: str = "127.0.0.1", low: int = 20000) -> list[int]:
    """`count` distinct ports below the ephemeral range that nothing listens on right now.

    Each candidate is bound (and held until all are found) to prove it is free; a small race
    with other programs remains, as with any such helper.
    """
    ephemeral_low, _ = ephemeral_range()
    high = max(low + 1000, ephemeral_low)
    candidates = random.Random().sample(range(low, high), k=min(2000, high - low))
    held: list[socket.socket] = []
    try:
        for port in candidates:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((host, port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
            if len(held) == count:
                return [s.getsockname()[1] for s in held]
        raise RuntimeError(f"found only {len(held)} free ports in {low}-{high}")
    finally:
        for sock in held:
            sock.close()

"""Free TCP ports on loopback for the servers and sinks of one run."""

from __future__ import annotations

import socket


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports nothing listens on right now.

    All sockets are held open until every port is chosen, so the kernel cannot hand the same
    port out twice; they are closed before returning (a small race with other programs remains,
    as with any such helper).
    """
    held = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            held.append(sock)
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()

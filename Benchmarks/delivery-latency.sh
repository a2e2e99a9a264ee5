#!/usr/bin/env bash
# How long one relayed message waits between its 250 and the next hop having it, on an idle
# server, one message at a time: Postfix and Portcullis side by side (Benchmarks/portbench/latency.py).
# As root on Debian 12, with Postfix installed (smtp-sink, a private instance; see compare-postfix.sh):
#
#   Benchmarks/delivery-latency.sh                                   # .build-release/release/portcullis
#   Benchmarks/delivery-latency.sh --portcullis before=/path/to/old --portcullis after=.build-release/release/portcullis
#   Benchmarks/delivery-latency.sh --count 50                        # more messages (default 20)
#
# Every server, sink and Postfix process it starts is stopped by its PID; traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
    echo "delivery-latency.sh: run as root (a private Postfix master and smtp-sink -u postfix need it)" >&2
    exit 2
fi
export PYTHONPATH="$PWD/Benchmarks${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m portbench.latency "$@"

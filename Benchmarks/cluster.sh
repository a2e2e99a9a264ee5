#!/usr/bin/env bash
# The multi-node back ends against the embedded ones on this machine (Benchmarks/cluster.py):
# the directory on PostgreSQL against SQLite, local delivery over LMTP into Dovecot against
# Maildirs. As root, on Debian 12, after scripts/install-test-deps (PostgreSQL, Dovecot, Postfix's
# smtp-source and smtp-sink, the Python environment):
#
#   Benchmarks/cluster.sh              # 3 runs a row, servers alternating (about 5 minutes)
#   Benchmarks/cluster.sh --runs 1     # one run
#
# Builds the release binaries in .build-release unless PORTCULLIS_BIN and PORTCULLIS_LOADGEN_BIN
# name them. All traffic stays on 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
    echo "cluster.sh: run as root (private PostgreSQL and Dovecot instances need it)" >&2
    exit 2
fi
binary="${PORTCULLIS_BIN:-}"
loadgen="${PORTCULLIS_LOADGEN_BIN:-}"
if [[ -z "$binary" || -z "$loadgen" ]]; then
    swift build -c release --build-path .build-release --product portcullis
    swift build -c release --build-path .build-release --product portcullis-loadgen
    binary="${binary:-$PWD/.build-release/release/portcullis}"
    loadgen="${loadgen:-$PWD/.build-release/release/portcullis-loadgen}"
fi
exec .venv-test/bin/python Benchmarks/cluster.py --binary "$binary" --loadgen "$loadgen" "$@"

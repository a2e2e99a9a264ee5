#!/usr/bin/env bash
# Portcullis' POP3 service vs Dovecot's on this machine, in one run. As root, on Debian 12:
#
#   Benchmarks/pop3-vs-dovecot.sh            # the run recorded in BENCHMARKS.md (3 runs a row, ~10 minutes)
#   Benchmarks/pop3-vs-dovecot.sh --quick    # one run, short login phase, 20 idle sessions
#   Benchmarks/pop3-vs-dovecot.sh --help     # every option
#
# 1. installs what is missing from Debian: dovecot-core and dovecot-pop3d (no service is started:
#    a policy-rc.d denies it for the install when none is in place; the benchmark runs its own
#    instance, `dovecot -F -c FILE`, on loopback ports with its own base_dir);
# 2. builds the Portcullis release binary (swift build -c release) unless PORTCULLIS_BIN points
#    at one;
# 3. runs Benchmarks/pop3bench.py: a private Portcullis (interop harness, data dir under
#    test-artifacts/) and a private Dovecot over the same Maildirs, Dovecot authenticating from a
#    passwd-file with the yescrypt hashes Portcullis stored; it drives both with a Python POP3S
#    load client, stops every process it started by PID, and prints the tables.
# All traffic stays on 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

if [[ $EUID -ne 0 ]]; then
    echo "pop3-vs-dovecot.sh: run as root (Dovecot's master and its mail user need it)" >&2
    exit 2
fi

need_apt=()
command -v dovecot >/dev/null || need_apt+=(dovecot-core)
[[ -x /usr/lib/dovecot/pop3 ]] || need_apt+=(dovecot-pop3d)
command -v openssl >/dev/null || need_apt+=(openssl)
if ((${#need_apt[@]})); then
    echo "installing: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

binary="${PORTCULLIS_BIN:-$repo/.build/release/portcullis}"
if [[ -z "${PORTCULLIS_BIN:-}" ]]; then
    echo "building the release binary (swift build -c release --product portcullis)"
    swift build -c release --product portcullis 2>&1 | tail -n 3
fi
if [[ ! -x "$binary" ]]; then
    echo "pop3-vs-dovecot.sh: no executable Portcullis binary at $binary" >&2
    exit 2
fi

# 100 idle sessions and 20 clients: descriptors on both sides, with headroom.
ulimit -n 65536 2>/dev/null || true

exec python3 "$repo/Benchmarks/pop3bench.py" --binary "$binary" "$@"

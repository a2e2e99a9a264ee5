#!/usr/bin/env bash
# Portcullis vs Postfix on this machine, in one run. As root, on Debian 12:
#
#   Benchmarks/compare-postfix.sh            # every section at full length (about 1.5 hours)
#   Benchmarks/compare-postfix.sh --messages 10000 --sessions 1,20 --settle 20   # the run in BENCHMARKS.md (an hour)
#   Benchmarks/compare-postfix.sh --quick    # 1,000 messages a point, one run: for iteration
#   Benchmarks/compare-postfix.sh --help     # every option (sections, sizes, sessions, counts)
#
# 1. installs what is missing from Debian: Postfix (smtp-source, smtp-sink, a private instance),
#    Cyrus SASL sasldb tools for Postfix's submission service, perf and strace for the profiles,
#    mkfs.ext4 and losetup for the journaled file system (in Debian's base system anyway),
#    OpenDKIM (opendkim, opendkim-tools: a private milter for the DKIM rows, never the package's
#    own service) and dkimpy with PyNaCl (python3-dkim, python3-nacl) to verify what was signed;
# 2. builds the Portcullis release binary in .build-release (its own scratch path, so a debug
#    .build is left alone), unless PORTCULLIS_BIN points at one; and, the same way, the
#    submission load generator portcullis-loadgen (Swift, SwiftNIO) unless PORTCULLIS_LOADGEN_BIN
#    points at one. If it cannot be built, the Python generator (portbench/submission.py) runs
#    and the report says so;
# 3. raises the open-file limit (10,000 idle sessions need as many descriptors on each side);
# 4. runs Benchmarks/portbench (Python, standard library only; the DKIM check runs dkimpy in a
#    child process), which starts a private Postfix (`postfix -c <tmp>/etc`, loopback ports,
#    never the system instance) and Portcullis, drives both, stops every process it started by
#    PID, and prints the tables. The smtp-sinks the
#    servers deliver to dump each message to a directory under /dev/shm (tmpfs, removed at the
#    end; up to one point's messages at a time, 2 GB for 20,000 of 100 KiB) so that end to end
#    counts distinct messages.
# Section journal (in the full run) also makes a 4 GiB file under /var/tmp, mounts it as a
# journaled ext4 on a loop device, and unmounts, detaches and deletes it at the end.
# All traffic stays on 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

if [[ $EUID -ne 0 ]]; then
    echo "compare-postfix.sh: run as root (a private Postfix master and smtp-sink -u postfix need it)" >&2
    exit 2
fi

need_apt=()
command -v smtp-source >/dev/null || need_apt+=(postfix)
command -v saslpasswd2 >/dev/null || need_apt+=(sasl2-bin)
dpkg -s libsasl2-modules >/dev/null 2>&1 || need_apt+=(libsasl2-modules)
command -v perf        >/dev/null || need_apt+=(linux-perf)
command -v strace      >/dev/null || need_apt+=(strace)
command -v openssl     >/dev/null || need_apt+=(openssl)
command -v mkfs.ext4   >/dev/null || need_apt+=(e2fsprogs)
command -v losetup     >/dev/null || need_apt+=(mount)
command -v opendkim    >/dev/null || need_apt+=(opendkim)
command -v opendkim-genkey >/dev/null || need_apt+=(opendkim-tools)
dpkg -s python3-dkim >/dev/null 2>&1 || need_apt+=(python3-dkim)
dpkg -s python3-nacl >/dev/null 2>&1 || need_apt+=(python3-nacl)
if ((${#need_apt[@]})); then
    echo "installing: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Postfix would otherwise ask how to configure the system instance; we configure nothing
    # there (no /etc/postfix/main.cf) and start nothing: the benchmark brings its own config.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

binary="${PORTCULLIS_BIN:-$repo/.build-release/release/portcullis}"
if [[ -z "${PORTCULLIS_BIN:-}" ]]; then
    echo "building the release binary (swift build -c release, scratch path .build-release)"
    swift build -c release --product portcullis --scratch-path "$repo/.build-release" 2>&1 | tail -n 3
fi
if [[ ! -x "$binary" ]]; then
    echo "compare-postfix.sh: no executable Portcullis binary at $binary" >&2
    exit 2
fi

# The Python load generator costs about 1 ms of client CPU per message and caps the submission
# rate near 500/s on this machine against either server; the Swift one is the default.
loadgen="${PORTCULLIS_LOADGEN_BIN:-$repo/.build-release/release/portcullis-loadgen}"
if [[ -z "${PORTCULLIS_LOADGEN_BIN:-}" ]]; then
    echo "building the load generator (swift build -c release --product portcullis-loadgen)"
    swift build -c release --product portcullis-loadgen --scratch-path "$repo/.build-release" 2>&1 | tail -n 3 \
        || echo "compare-postfix.sh: portcullis-loadgen did not build; the Python load generator will run" >&2
fi

# 10,000 idle sessions: one descriptor each in the client and in the server, plus headroom.
# Raise the hard limit where allowed (a container may forbid it), then the soft one up to it.
ulimit -Hn 1048576 2>/dev/null || true
hard=$(ulimit -Hn)
if [[ $hard == unlimited || $hard -ge 65536 ]]; then ulimit -n 65536; else ulimit -n "$hard"; fi
if (( $(ulimit -n) < 12000 )); then
    echo "compare-postfix.sh: open-file limit $(ulimit -n) is too low for 10,000 idle sessions" >&2
fi

export PYTHONPATH="$repo/Benchmarks${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m portbench --binary "$binary" --loadgen-binary "$loadgen" "$@"

#!/usr/bin/env bash
# OP25B benchmark (not a test): load the rendered 100,000-prefix / 10,000-exemption policy into a
# fresh network namespace and measure load time and kernel memory. Numbers go to Benchmarks/op25b.md.
#
#   PORTCULLIS_BENCH_OUT=/tmp/op25b-bench swift test -c release --filter OP25BBenchmark   # render, timings.txt
#   Tests/Interop/op25b/bench_op25b.sh /tmp/op25b-bench                                   # load, memory
#
# Needs root, nft, iptables-restore. Memory is what the kernel charges to a memory cgroup (v1)
# created for the nft process: the ruleset's sets and rules, which stay after nft exits.
set -euo pipefail

dir=${1:?usage: bench_op25b.sh DIR (with bench.nft, bench.iptables, bench.ip6tables)}
ns="pc-bench-$RANDOM$RANDOM"
cg=""
cleanup() {
    ip netns del "$ns" 2>/dev/null || true
    if [[ -n "$cg" && -d "$cg" ]]; then rmdir "$cg" 2>/dev/null || true; fi
}
trap cleanup EXIT

ip netns add "$ns"
# Keep file reads out of the measurement: the page cache would be charged to the cgroup.
cat "$dir"/bench.nft "$dir"/bench.iptables "$dir"/bench.ip6tables >/dev/null

seconds() { /usr/bin/time -f "%e s wall, %M KiB max RSS" "$@" 2>&1 >/dev/null | tail -1; }

echo "== $(nproc) cores, $(uname -r), $(nft --version)"
echo "elements: $(grep -cE '^\s+[0-9a-f.:]+/[0-9]+( comment ".*")?,$' "$dir/bench.nft") set elements in bench.nft ($(du -h "$dir/bench.nft" | cut -f1))"
echo "nft -c -f (check only):       $(seconds ip netns exec "$ns" nft -c -f "$dir/bench.nft")"

if [[ -w /sys/fs/cgroup/memory ]]; then
    cg="/sys/fs/cgroup/memory/$ns"
    mkdir "$cg"
    echo "nft -f, first load:           $(seconds sh -c "echo \$\$ > $cg/cgroup.procs; exec ip netns exec $ns nft -f $dir/bench.nft")"
    echo "kernel memory after load:     $(( $(cat "$cg/memory.usage_in_bytes") / 1024 / 1024 )) MiB charged to the loading cgroup (peak $(( $(cat "$cg/memory.max_usage_in_bytes") / 1024 / 1024 )) MiB incl. nft itself)"
else
    echo "nft -f, first load:           $(seconds ip netns exec "$ns" nft -f "$dir/bench.nft")"
    echo "kernel memory:                no writable memory cgroup; not measured"
fi
echo "nft -f, atomic replace:       $(seconds ip netns exec "$ns" nft -f "$dir/bench.nft")"
echo "tables after two loads:       $(ip netns exec "$ns" nft list tables | tr '\n' ' ')"
echo "nft list table (read back):   $(seconds ip netns exec "$ns" nft list table inet portcullis_op25b)"
ip netns exec "$ns" nft flush ruleset
echo "iptables-restore (IPv4):      $(seconds ip netns exec "$ns" iptables-restore "$dir/bench.iptables")"
echo "ip6tables-restore (IPv6):     $(seconds ip netns exec "$ns" ip6tables-restore "$dir/bench.ip6tables")"

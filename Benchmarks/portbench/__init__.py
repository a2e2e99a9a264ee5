"""Portcullis vs Postfix benchmark harness.

Entry point: `Benchmarks/compare-postfix.sh` (installs what is missing, builds the release
binaries portcullis and portcullis-loadgen, then runs `python3 -m portbench`). Each module
covers one concern:

- `procfs`      CPU ticks, VmHWM/VmRSS/Pss of server processes, read from /proc
- `ports`       free loopback ports
- `sink`        an `smtp-sink` with a live message counter
- `postfix`     a private Postfix instance under a temporary directory (`postfix -c DIR`)
- `portcullis`  a Portcullis instance from a template data directory
- `relay`       the smtp-source matrix (1/20/100 sessions x 4 KiB/100 KiB, alternating servers)
- `submission`  the STARTTLS + AUTH PLAIN load generator in Python (also runnable on its own)
- `loadgen`     which generator runs: portcullis-loadgen (Swift, Benchmarks/Loadgen) if built, else `submission`
- `dkim`        DKIM on: signed submission, Postfix + a private OpenDKIM milter vs Portcullis (dual, Ed25519)
- `dkimverify`  dkimpy check of the sinks' dumps (run with a Python that has python3-dkim)
- `idle`        10,000 idle sessions after EHLO, RSS before and after
- `profiling`   perf (cpu-clock) and strace syscall counts at 20 sessions
- `report`      tables and the JSON record of a run
"""

#!/usr/bin/env python3
"""net_compare.py -- gort's network servers against Go's and Boost.Asio's, under load
generators that are the same for every server: one command, one table.

    python3 bench/net_compare.py                         # 3 rounds, 5 s each, 100 and 1000 connections
    python3 bench/net_compare.py --rounds 7 --seconds 10 --conns 100
    python3 bench/net_compare.py --no-build --filter echo

Servers (all on 127.0.0.1, GOMAXPROCS / max_procs / threads = --procs, default 2):
  http   gort   bench/net/http_hello.cpp        minimal HTTP/1.1 keep-alive on gort::net
         go     bench/go/http_hello             the same server on Go's net package
         go-nethttp bench/go/http_nethttp       Go's net/http (reference row)
         asio   bench/net/asio_http_hello.cpp   Boost.Asio, C++20 coroutines
  echo   gort   bench/net/echo_server.cpp       echo, a goroutine per connection
         go     bench/go/echo_server            the same on Go's net
Load: Debian's `wrk -t1 --latency` for http; for echo, bench/go/echo_client (64-byte
round trips on every connection, the same binary against both servers).  Each round
starts every server afresh and measures them one after another (gort, go, ... then the
next round), so drift on a shared machine hits all alike; the table shows medians over
rounds and the ratio of gort's median to each other server's.  Targets (requests/s
>= 1.3x Go's net twin and >= Asio's; p99 latency <= both) are marked.

Needs wrk (apt-get install wrk), Boost's headers for the Asio twin (libboost-dev) and
Go; it installs what is missing when run as root.  The soft RLIMIT_NOFILE is raised to
the hard limit for the servers and the load generators (1000 connections).
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402  (build(), ensure_go(), machine facts, formatting)

NET_BIN = compare.BUILD / "bench" / "net"
GO_BIN = compare.GO_BIN

SERVERS = {
    "http": [("gort", NET_BIN / "http_hello"), ("go", GO_BIN / "http_hello"),
             ("go-nethttp", GO_BIN / "http_nethttp"), ("asio", NET_BIN / "asio_http_hello")],
    "echo": [("gort", NET_BIN / "echo_server"), ("go", GO_BIN / "echo_server")],
}
# gort must do at least this well against each of these (requests/s ratio, p99 ratio).
TARGETS = {"go": (1.3, 1.0), "asio": (1.0, 1.0)}

LISTENING = re.compile(r"^LISTENING \S+:(\d+)\s*$")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_tools() -> None:
    missing = [pkg for tool, pkg in (("wrk", "wrk"),) if not shutil.which(tool)]
    if not Path("/usr/include/boost/asio.hpp").exists():
        missing.append("libboost-dev")
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"net_compare.py: missing {' '.join(missing)}; run as root to install them")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    compare.sh(["apt-get", "update"], env=env)
    compare.sh(["apt-get", "install", "-y"] + missing, env=env)


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    """A server process, started afresh; its port is read from its LISTENING line."""

    def __init__(self, binary: Path, procs: int):
        self.proc = subprocess.Popen([str(binary), f"--procs={procs}", "--port=0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = LISTENING.match(line)
        if not m:
            self.stop()
            raise RuntimeError(f"{binary.name}: no LISTENING line (got {line!r})")
        self.port = int(m.group(1))

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def to_us(text: str) -> float:
    m = re.match(r"^([\d.]+)(us|ms|s)$", text)
    if not m:
        raise ValueError(f"latency {text!r}")
    return float(m.group(1)) * {"us": 1.0, "ms": 1e3, "s": 1e6}[m.group(2)]


def run_wrk(port: int, conns: int, seconds: int) -> Dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    if not (rps and p50 and p99):
        raise RuntimeError(f"wrk printed no result:\n{out[-800:]}")
    if errors:
        log(f"    wrk: socket errors: {errors.group(1)}")
    return {"rps": float(rps.group(1)), "p50_us": to_us(p50.group(1)), "p99_us": to_us(p99.group(1))}


def run_echo_client(port: int, conns: int, seconds: int) -> Dict[str, float]:
    got = compare.run_twin(GO_BIN / "echo_client",
                           [f"--addr=127.0.0.1:{port}", f"--conns={conns}", f"--seconds={seconds}"])
    return {"rps": got["roundtrips_per_s"][0], "p50_us": got["latency_p50_us"][0], "p99_us": got["latency_p99_us"][0]}


def measure(workload: str, conns: int, procs: int, seconds: int, rounds: int) -> Dict[str, Dict[str, List[float]]]:
    samples: Dict[str, Dict[str, List[float]]] = {}
    for r in range(rounds):
        for name, binary in SERVERS[workload]:
            if not binary.exists():
                log(f"  {workload} {name}: {binary} not built; skipped")
                continue
            log(f"  {workload} c={conns} round {r + 1}/{rounds}: {name}")
            server = Server(binary, procs)
            try:
                time.sleep(0.2)
                load = run_wrk if workload == "http" else run_echo_client
                got = load(server.port, conns, seconds)
            finally:
                server.stop()
            for k, v in got.items():
                samples.setdefault(name, {}).setdefault(k, []).append(v)
            time.sleep(0.5)  # TIME_WAIT and the like settle between servers
    return samples


def report(results: List[tuple], facts: Dict[str, str], args) -> bool:
    print("## gort's network servers vs Go and Boost.Asio\n")
    for k, v in facts.items():
        print(f"- {k}: {v}")
    print(f"- {args.rounds} rounds of {args.seconds} s per server and setting, servers alternating within a "
          f"round, each a fresh process; {args.procs} Ps / GOMAXPROCS / Asio threads; medians; "
          "http load: wrk -t1 --latency; echo load: bench/go/echo_client (64-byte round trips)\n")
    print("| workload | conns | server | req/s | p50 | p99 | gort req/s vs it | gort p99 vs it | target | met |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---|---|")
    all_met = True
    for workload, conns, samples in results:
        med = {s: {k: statistics.median(v) for k, v in m.items()} for s, m in samples.items()}
        gort = med.get("gort")
        for server, m in med.items():
            rps_ratio = p99_ratio = target = met = "-"
            if gort and server != "gort":
                rps_ratio = f"{gort['rps'] / m['rps']:.2f}x"
                p99_ratio = f"{gort['p99_us'] / m['p99_us']:.2f}x"
                if server in TARGETS:
                    want_rps, want_p99 = TARGETS[server]
                    ok = gort["rps"] / m["rps"] >= want_rps and gort["p99_us"] / m["p99_us"] <= want_p99
                    all_met &= ok
                    target = f"req/s >= {want_rps:g}x, p99 <= {want_p99:g}x"
                    met = "yes" if ok else "**no**"
            spread = compare.spread(samples[server]["rps"])
            print(f"| {workload} | {conns} | {server} | {m['rps']:.0f} (±{spread}) | {m['p50_us']:.0f} us | "
                  f"{m['p99_us']:.0f} us | {rps_ratio} | {p99_ratio} | {target} | {met} |")
    return all_met


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", default="100,1000", help="comma-separated connection counts")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--filter", default="", help="regex on workload names (http, echo)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    compare.ensure_go()
    ensure_tools()
    if not args.no_build:
        compare.build()
    raise_fd_limit()
    load_before = compare.load_average()
    results = []
    for workload in SERVERS:
        if not re.search(args.filter, workload):
            continue
        for conns in (int(c) for c in args.conns.split(",")):
            results.append((workload, conns, measure(workload, conns, args.procs, args.seconds, args.rounds)))
    report(results, compare.machine_facts(load_before), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""compare.py -- gort against Go, one command: build, run twin pairs, print a table.

    python3 bench/compare.py                      # everything, 5 runs per pair
    python3 bench/compare.py --filter spawn --runs 9 --json out.json
    python3 bench/compare.py --no-micro --no-build
    python3 bench/compare.py --svg chart.svg        # also draw the gort/Go ratios
    python3 bench/compare.py --svg-from out.json --svg chart.svg   # redraw a saved run, run nothing

What it does: installs Go if `go` is missing (apt-get, as root), builds gort's
`bench` preset and every Go twin (bench/go/<name> -> build/bench/go/<name>), runs
each configured setting of each pair alternately (gort, Go, gort, Go, ...) --runs
times, each run a fresh process, and prints a markdown table of medians: gort, Go,
the ratio of the two medians, the target.  Then the Google Benchmark binaries
(build/bench/bench/*_bench) in a separate "micro" section (medians of 5 repetitions).

--svg FILE draws the table's gort/Go ratios as a bar chart (matplotlib; Debian's
python3-matplotlib is installed with apt-get if missing, as root): one bar per
benchmark and metric, on a log scale, coloured by whether the target was met, with
the ratio targets marked.

The RESULT protocol.  A twin reports a measurement as one stdout line
    RESULT <metric> <value> <unit>
and both twins of a pair print the same metric names with the same units; all other
output is ignored (diagnostics go to stderr).  The one exception is a pair's
gort_only metrics: measurements with no Go counterpart (a C++ baseline such as
std::mutex, timed in the gort twin's process), which the Go twin does not print and
the table shows with "-" for Go -- rather than have the Go twin print some other
figure under that name.  Both take the same flags, written --name=value (Go's flag
package accepts that form too): at least --procs (max_procs / GOMAXPROCS) and
usually --n; --verbose prints runtime figures on stderr.

Adding a pair (a channel, select, timer or mutex benchmark):
  1. bench/compare/<name>.cpp, the gort twin (bench/CMakeLists.txt picks it up), using
     compare/harness.hpp for flags and RESULT lines;
  2. bench/go/<name>/main.go, the Go twin, doing the same work the same way, using
     gortbench/internal/harness;
  3. one Pair(...) entry in SUITE below: its settings (flags per run) and its metrics
     with their targets.
Micro benchmarks need no entry: every build/bench/bench/*_bench binary is run.
"""

import argparse
import dataclasses
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent  # the project (this file is bench/compare.py)
BUILD = ROOT / "build" / "bench"                 # binaryDir of the `bench` CMake preset
GORT_BIN = BUILD / "bench" / "compare"           # compare/<name>.cpp -> here/<name>
MICRO_BIN = BUILD / "bench"                      # <concept>_bench.cpp -> here/<concept>_bench
GO_SRC = ROOT / "bench" / "go"
GO_BIN = BUILD / "go"

# Keys of Google Benchmark's JSON output that are not user counters.
GBENCH_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
               "repetition_index", "threads", "aggregate_name", "aggregate_unit", "iterations", "real_time",
               "cpu_time", "time_unit", "error_occurred", "error_message"}

RUN_TIMEOUT_S = 600          # one process; the 1,000,000-goroutine runs take seconds
MICRO_REPETITIONS = 5        # issue "Foundation 1": medians of 5 repetitions


@dataclasses.dataclass(frozen=True)
class Target:
    """A goal for one metric: gort/Go ratio at most `ratio`, gort at most `max`, or gort
    at least `min` (e.g. a timer's lateness: never negative).  With `subject`, the
    ratio is not to Go: gort's median of the metric `subject` (of the same pair and
    setting) must be at most `ratio` times gort's median of this one -- for a baseline
    only the gort twin measures (std::mutex: "ns_per_lock <= 1.2x this")."""
    ratio: Optional[float] = None
    max: Optional[float] = None
    min: Optional[float] = None
    subject: Optional[str] = None

    def describe(self, unit: str) -> str:
        if self.subject is not None:
            return f"{self.subject} <= {self.ratio:g}x this"
        if self.ratio is not None:
            return f"<= {self.ratio:g}x Go"
        if self.max is not None:
            return f"<= {self.max:g} {unit}"
        return f">= {self.min:g} {unit}"

    def met(self, gort: float, go: Optional[float], gort_medians: Dict[str, float]) -> bool:
        if self.subject is not None:
            return gort > 0 and gort_medians[self.subject] / gort <= self.ratio
        if self.ratio is not None:
            return go is not None and go > 0 and gort / go <= self.ratio
        if self.max is not None:
            return gort <= self.max
        return gort >= self.min


@dataclasses.dataclass(frozen=True)
class Pair:
    name: str                           # compare/<name>.cpp and go/<name>/main.go
    settings: List[Dict[str, int]]      # one process run per setting: --key=value flags
    metrics: Dict[str, Optional[Target]]  # RESULT metric names expected, with targets
    gort_only: Tuple[str, ...] = ()     # metrics the Go twin cannot report (Go column: "-")


# The suite.  Targets are those of issue "Foundation 2" (Go 1.19 reference figures on
# this class of machine: spawn+join ~1,000 ns, Gosched 65 ns, 2.7 KiB per parked goroutine).
SUITE = [
    Pair("spawn_join",
         settings=[{"procs": 1, "n": 1_000_000}, {"procs": 2, "n": 1_000_000}],
         metrics={"ns_per_goroutine": Target(ratio=0.25)}),
    Pair("yield",
         settings=[{"procs": 1, "n": 1_000_000}],
         metrics={"ns_per_yield": Target(ratio=0.25)}),
    # Each n in its own process, so the 100k round's pooled memory cannot skew the 1M one.
    Pair("parked_rss",
         settings=[{"procs": 2, "n": 100_000}, {"procs": 2, "n": 1_000_000}],
         metrics={"kib_per_goroutine": Target(max=4.5), "park_ns_per_goroutine": None}),
    # Channels, select and timers: targets of issue "Channels, select, timers" (Go 1.19
    # on this machine: pingpong 421 / 438 ns at 1 / 2 Ps, mpmc 57 / 53 ns, select
    # 397 / 431 ns, skynet 1,412 / 1,002 ms, sleepers p99 lateness 131 / 56 ms).
    Pair("pingpong",
         settings=[{"procs": 1, "n": 1_000_000}, {"procs": 2, "n": 1_000_000}],
         metrics={"ns_per_roundtrip": Target(ratio=0.5)}),
    Pair("mpmc",  # the target is for 2 Ps; 1 P is an extra setting
         settings=[{"procs": 2, "n": 10_000_000}, {"procs": 1, "n": 10_000_000}],
         metrics={"ns_per_item": Target(ratio=0.7)}),
    Pair("select",
         settings=[{"procs": 1, "n": 2_000_000}, {"procs": 2, "n": 2_000_000}],
         metrics={"ns_per_message": Target(ratio=0.5)}),
    Pair("skynet",
         settings=[{"procs": 1, "n": 1_000_000}, {"procs": 2, "n": 1_000_000}],
         metrics={"ms_total": Target(ratio=0.5)}),
    Pair("sleepers",
         settings=[{"procs": 1, "n": 100_000}, {"procs": 2, "n": 100_000}],
         metrics={"total_ms": None, "lateness_p50_us": None, "lateness_p99_us": Target(ratio=1.0),
                  "lateness_max_us": None}),
    Pair("timer_churn",
         settings=[{"procs": 1, "n": 1_000_000}],
         metrics={"ns_per_create_stop": Target(ratio=0.5), "ns_per_reset": Target(ratio=0.5)}),
    # The issue: a timer never fires early; on an idle machine it fires within 1 ms of
    # its deadline at p99.  200 sleeps each of 1, 5 and 20 ms: ~5.3 s per run.
    Pair("timer_accuracy",
         settings=[{"procs": 1, "n": 200}],
         metrics={"lateness_p50_us": None, "lateness_p99_us": Target(max=1000), "lateness_min_us": Target(min=0),
                  "lateness_max_us": None, "lateness_p99_1ms_us": None, "lateness_p99_5ms_us": None,
                  "lateness_p99_20ms_us": None}),
    # Mutex, RWMutex, WaitGroup, Context.  mutex_uncontended's gort twin also times
    # std::mutex in the same process (gort-only: Go has none); the target is an
    # uncontended gort::Mutex within 1.2x of it.
    Pair("mutex_contended",
         settings=[{"procs": 1, "n": 1_000_000}, {"procs": 2, "n": 1_000_000}],
         metrics={"ns_per_lock": Target(ratio=1.0)}),
    Pair("mutex_uncontended",
         settings=[{"procs": 1, "n": 10_000_000}],
         metrics={"ns_per_lock": Target(ratio=1.0),
                  "std_mutex_ns_per_lock": Target(ratio=1.2, subject="ns_per_lock")},
         gort_only=("std_mutex_ns_per_lock",)),
    Pair("rwmutex_read_mostly",
         settings=[{"procs": 1, "n": 1_000_000}, {"procs": 2, "n": 1_000_000}],
         metrics={"ns_per_op": Target(ratio=1.0)}),
    Pair("waitgroup_fanout",
         settings=[{"procs": 1, "n": 100_000}, {"procs": 2, "n": 100_000}],
         metrics={"ns_per_goroutine": Target(ratio=1.0)}),
    Pair("context_tree",
         settings=[{"procs": 1, "n": 100_000}],
         metrics={"ns_per_child_create": None, "cancel_ms": None}),
]

RESULT_LINE = re.compile(r"^RESULT (\S+) (\S+) (\S+)\s*$")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sh(cmd: List[str], cwd: Path = ROOT, env: Optional[dict] = None) -> None:
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=sys.stderr)  # stdout: the report only


def output_of(cmd: List[str]) -> str:
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


# ------------------------------------------------------------------ setup and build

def apt_install(package: str, why: str) -> None:
    if os.geteuid() != 0:
        sys.exit(f"compare.py: {why} is missing; run as root to install it (apt-get install {package})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sh(["apt-get", "update"], env=env)
    sh(["apt-get", "install", "-y", package], env=env)


def ensure_go() -> None:
    if not shutil.which("go"):
        apt_install("golang-go", "`go`")


SYSTEM_PYTHON = "/usr/bin/python3"  # the interpreter Debian's python3-matplotlib is installed for


def has_module(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def ensure_matplotlib() -> None:
    """Makes `import matplotlib` work: installs Debian's package if needed, and re-runs
    this script with the system interpreter if the one running it (a pyenv or venv
    python3 first on PATH) cannot see Debian's packages."""
    if has_module(sys.executable, "matplotlib"):
        return
    if not has_module(SYSTEM_PYTHON, "matplotlib"):
        apt_install("python3-matplotlib", "matplotlib")
    if has_module(sys.executable, "matplotlib"):
        return
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and has_module(SYSTEM_PYTHON, "matplotlib"):
        log(f"re-running with {SYSTEM_PYTHON}, which has Debian's matplotlib")
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, str(Path(__file__).resolve())] + sys.argv[1:])
    sys.exit("compare.py: matplotlib cannot be imported, even after apt-get install python3-matplotlib")


def build() -> None:
    sh(["cmake", "--preset", "bench"])
    sh(["cmake", "--build", "--preset", "bench"])
    GO_BIN.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GOTOOLCHAIN="local")  # never fetch a toolchain: build with this go
    for main in sorted(GO_SRC.glob("*/main.go")):
        name = main.parent.name
        sh(["go", "build", "-o", str(GO_BIN / name), "./" + name], cwd=GO_SRC, env=env)


# ---------------------------------------------------------------------- measuring

def flags_of(setting: Dict[str, int]) -> List[str]:
    return [f"--{k}={v}" for k, v in setting.items()]


def label_of(pair: Pair, setting: Dict[str, int]) -> str:
    return " ".join([pair.name] + [f"{k}={v}" for k, v in setting.items()])


def run_twin(binary: Path, args: List[str]) -> Dict[str, tuple]:
    """Runs one twin once; returns {metric: (value, unit)}.  Raises on failure."""
    proc = subprocess.run([str(binary)] + args, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"{binary.name} {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    results = {}
    for line in proc.stdout.splitlines():
        m = RESULT_LINE.match(line)
        if m:
            results[m.group(1)] = (float(m.group(2)), m.group(3))
    return results


def measure_pair(pair: Pair, runs: int) -> List[dict]:
    rows = []
    for setting in pair.settings:
        label = label_of(pair, setting)
        samples = {"gort": {m: [] for m in pair.metrics}, "go": {m: [] for m in pair.metrics}}
        units = {"gort": {}, "go": {}}
        error = None
        for i in range(runs):
            for side, binary in (("gort", GORT_BIN / pair.name), ("go", GO_BIN / pair.name)):
                log(f"  {label}: run {i + 1}/{runs} {side}")
                try:
                    got = run_twin(binary, flags_of(setting))
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                    error = str(e)
                    break
                for metric in pair.metrics:
                    if side == "go" and metric in pair.gort_only:
                        continue
                    if metric not in got:
                        error = f"{side} twin printed no RESULT {metric}"
                        break
                    samples[side][metric].append(got[metric][0])
                    units[side][metric] = got[metric][1]
                if error:
                    break
            if error:
                break
        gort_medians = {m: statistics.median(xs) for m, xs in samples["gort"].items() if xs}
        for metric, target in pair.metrics.items():
            row = {"benchmark": label, "metric": metric, "target": None, "error": error}
            if error is None:
                gort, go = samples["gort"][metric], samples["go"][metric]
                only_gort = metric in pair.gort_only  # no Go sample: go == [], go_median None
                if not only_gort and units["gort"][metric] != units["go"][metric]:
                    row["error"] = f"units differ: {units['gort'][metric]} vs {units['go'][metric]}"
                row.update(unit=units["gort"][metric], gort=gort, go=go, gort_median=gort_medians[metric],
                           go_median=None if only_gort else statistics.median(go))
                row["ratio"] = row["gort_median"] / row["go_median"] if row["go_median"] else None
                if target is not None:
                    row["target"] = target.describe(row["unit"])
                    row["met"] = target.met(row["gort_median"], row["go_median"], gort_medians)
            rows.append(row)
    return rows


def run_micro(binary: Path) -> List[dict]:
    """Medians of a Google Benchmark binary: real time, and per_<thing> counters in ns."""
    proc = subprocess.run([str(binary), f"--benchmark_repetitions={MICRO_REPETITIONS}",
                           "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if proc.returncode != 0:
        return [{"binary": binary.name, "benchmark": "-", "error": f"exited {proc.returncode}"}]
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    rows = []
    for b in json.loads(proc.stdout)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        counters = {k: v * 1e9 for k, v in b.items()  # per_<thing> counters: seconds per thing
                    if k.startswith("per_") and k not in GBENCH_KEYS}
        rows.append({"binary": binary.name, "benchmark": b["run_name"],
                     "median_ns": b["real_time"] * scale[b["time_unit"]], "counters_ns": counters})
    return rows


# ----------------------------------------------------------------------- reporting

def fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def spread(xs: List[float]) -> str:
    if not xs:
        return "-"
    m = statistics.median(xs)
    return f"{100 * (max(xs) - min(xs)) / m:.0f}%" if m else "-"


def built_at() -> str:
    """When the gort library was last linked (with --no-build it may predate the tree)."""
    lib = BUILD / "src" / "libgort.a"
    if not lib.exists():
        return "?"
    return datetime.datetime.fromtimestamp(lib.stat().st_mtime).astimezone().isoformat(timespec="seconds")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_facts(load_before: str) -> Dict[str, str]:
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "kernel": platform.release(),
        "g++": output_of(["g++", "--version"]),
        "go": output_of(["go", "version"]),
        "gort tree": output_of(["git", "describe", "--always", "--dirty"]),
        "binaries built": built_at(),
        # Other work on the machine skews timings: the 1/5/15-minute load, before and after.
        "load average": f"{load_before} before, {load_average()} after",
    }


def print_report(facts: Dict[str, str], runs: int, rows: List[dict], micro: List[dict]) -> None:
    print("## gort vs Go\n")
    for k, v in facts.items():
        print(f"- {k}: {v}")
    print(f"- runs: {runs} per twin, alternating gort/Go, each a fresh process; medians; "
          "ratio = gort median / Go median; spread = (max-min)/median\n")
    if rows:
        print("| benchmark | metric | gort median | Go median | gort/Go | target | met | spread gort / Go |")
        print("|---|---|---:|---:|---:|---|---|---|")
        for r in rows:
            if r.get("error") or r.get("gort") is None:
                print(f"| {r['benchmark']} | {r['metric']} | error | | | | | {r['error']} |")
                continue
            u = r["unit"]
            ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
            go = f"{fmt(r['go_median'])} {u}" if r["go_median"] is not None else "-"
            met = "-" if r["target"] is None else ("yes" if r["met"] else "**no**")
            print(f"| {r['benchmark']} | {r['metric']} | {fmt(r['gort_median'])} {u} | {go} | "
                  f"{ratio} | {r['target'] or '-'} | {met} | {spread(r['gort'])} / {spread(r['go'])} |")
    if micro:
        print(f"\n## micro (Google Benchmark, median of {MICRO_REPETITIONS} repetitions)\n")
        print("| binary | benchmark | median time | counters |")
        print("|---|---|---:|---|")
        for m in micro:
            if "error" in m:
                print(f"| {m['binary']} | - | error: {m['error']} | |")
                continue
            counters = ", ".join(f"{k} {fmt(v)} ns" for k, v in m["counters_ns"].items())
            print(f"| {m['binary']} | {m['benchmark']} | {fmt(m['median_ns'])} ns | {counters} |")


TARGET_RATIO = re.compile(r"<= ([0-9.]+)x Go")  # Target.describe() of a ratio target


def write_svg(path: str, facts: Dict[str, str], rows: List[dict]) -> None:
    """The gort/Go ratio of every row that has one, as horizontal bars on a log scale."""
    import matplotlib
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    rows = [r for r in rows if not r.get("error") and r.get("ratio")]
    if not rows:
        sys.exit("compare.py: no gort/Go ratio to draw")
    rows.reverse()  # barh draws bottom-up: keep the table's order top-down
    labels = [f"{r['benchmark']}  {r['metric']}" for r in rows]
    colours = ["#8d99ae" if not r.get("target") else ("#2a9d8f" if r.get("met") else "#e76f51") for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.3 * len(rows) + 1.6))
    ys = range(len(rows))
    ax.barh(ys, [r["ratio"] for r in rows], color=colours, height=0.7)
    for y, r in zip(ys, rows):
        m = TARGET_RATIO.search(r.get("target") or "")
        if m:
            ax.plot([float(m.group(1))] * 2, [y - 0.4, y + 0.4], color="black", linewidth=1.5)
        ax.text(r["ratio"] * 1.03, y, f"{r['ratio']:.2f}x", va="center", fontsize=7)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(list(ys), labels, fontsize=7)
    ax.set_xlabel("gort median / Go median (log scale; below 1: gort is faster or smaller)")
    ax.set_title(f"gort vs Go -- {facts.get('date', '')}, {facts.get('cpu', '')}, nproc {facts.get('nproc', '')}\n"
                 "green: target met, red: missed, grey: no target; black tick: the ratio target", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})  # no timestamp: reruns diff cleanly
    plt.close(fig)
    log(f"wrote {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per twin and setting (default 5)")
    ap.add_argument("--filter", default="", help="regex on pair names and micro binary names")
    ap.add_argument("--json", metavar="FILE", help="also write every sample to FILE")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--no-micro", action="store_true", help="skip the Google Benchmark binaries")
    ap.add_argument("--micro-only", action="store_true", help="only the Google Benchmark binaries")
    ap.add_argument("--svg", metavar="FILE", help="also draw the gort/Go ratios as an SVG bar chart")
    ap.add_argument("--svg-from", metavar="JSON", help="with --svg: draw from a saved --json file, run nothing")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.svg_from and not args.svg:
        ap.error("--svg-from needs --svg")
    pattern = re.compile(args.filter)

    if args.svg:
        ensure_matplotlib()  # before an hour of measuring, not after
    if args.svg_from:
        with open(args.svg_from) as f:
            saved = json.load(f)
        write_svg(args.svg, saved["machine"], saved["pairs"])
        return 0

    ensure_go()
    if not args.no_build:
        try:
            build()
        except subprocess.CalledProcessError as e:
            sys.exit(f"compare.py: build failed ({' '.join(e.cmd)}); --no-build runs the binaries already built")
    load_before = load_average()

    rows: List[dict] = []
    if not args.micro_only:
        for pair in SUITE:
            if pattern.search(pair.name):
                log(f"pair {pair.name}")
                rows += measure_pair(pair, args.runs)
    micro: List[dict] = []
    if not args.no_micro:
        for binary in sorted(MICRO_BIN.glob("*_bench")):
            if pattern.search(binary.name):
                log(f"micro {binary.name}")
                micro += run_micro(binary)

    facts = machine_facts(load_before)
    print_report(facts, args.runs, rows, micro)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": facts, "runs": args.runs, "pairs": rows, "micro": micro}, f, indent=2)
    if args.svg:
        write_svg(args.svg, facts, rows)
    return 1 if any(r.get("error") for r in rows + micro) else 0


if __name__ == "__main__":
    sys.exit(main())

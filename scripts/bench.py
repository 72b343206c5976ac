"""Measures host against the EC2 emulator and prints a table of figure, value
and goal. scripts/bench builds what this needs and runs it.

Every EC2 call is answered 50 ms late and a NAT gateway stays pending (and
deleting) for 5 s, so that the emulator behaves like a fast EC2 and the
tool's own share of an apply shows. The figures:

- apply of one region (the three regions with the most zones, each alone)
  and of 17 regions at once: wall time, the ratio of 17 regions to the
  slowest single region, and the ratio of a single region to its critical
  path bound, with the chain of calls the executor took;
- the same 17-region apply with --concurrency 1;
- EC2 calls: mutating calls by action, CreateTags calls, resources written
  more than once, reads per region on a no-op re-apply, the same for
  destroy, and the emulator's CPU while it answered;
- host plan offline for 17 regions, cold (no compile cache) and warm, the
  plugin call and each policy rule;
- peak memory of the 17-region apply.

Usage: python scripts/bench.py HOST PLUGIN
"""

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "tests/fixtures/facts.json"
LATENCY = 0.050
NAT_SECONDS = 5.0
WARM_RUNS = 20

# The calls any correct executor must make one after another for a region
# with a regional NAT gateway: the account's regions, the region's own reads
# (one round, all at once), the VPC, the internet gateway's attachment (the
# gateway itself can be created beside the VPC), the NAT gateway, the poll
# that finds it available, and the private default route to it. Subnets,
# tables and associations can all run beside these.
BOUND_CHAIN = [
    "DescribeRegions",
    "region reads",
    "CreateVpc",
    "AttachInternetGateway",
    "CreateNatGateway",
    "DescribeNatGateways",
    "CreateRoute",
]

MUTATING = re.compile(r"^(Create|Delete|Modify|Attach|Detach|Associate|Disassociate|Allocate|Release|Replace)")
ELAPSED = re.compile(r"elapsed=([0-9.]+)(ns|µs|us|ms|s)\b")
UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


class Emulator:
    """The emulator, on loopback, with latency and NAT times set."""

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.log = self.dir / "calls.jsonl"
        faults = self.dir / "faults.json"
        faults.write_text(json.dumps({"latency_ms": int(LATENCY * 1000)}))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = dict(
            os.environ,
            HOST_EMULATOR_CALL_LOG=str(self.log),
            HOST_EMULATOR_FAULTS_FILE=str(faults),
            HOST_EMULATOR_NAT_PENDING_SECONDS=str(NAT_SECONDS),
            HOST_EMULATOR_NAT_DELETING_SECONDS=str(NAT_SECONDS),
        )
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/emulator/server.py"), str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("the emulator did not start")
                time.sleep(0.1)

    def env(self, cache):
        return dict(
            os.environ,
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{self.port}",
            AWS_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="AKIAEMULATOREXAMPLE",
            AWS_SECRET_ACCESS_KEY="emulator",
            AWS_EC2_METADATA_DISABLED="true",
            HOST_CACHE_DIR=str(cache),
        )

    def dump(self, regions):
        """What each region holds, read with boto3 (tests/emulator/probe.py)."""
        probe = [sys.executable, str(ROOT / "tests/emulator/probe.py")]
        done = subprocess.run([*probe, f"http://127.0.0.1:{self.port}", "dump", *regions],
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    def calls(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def cpu_seconds(self):
        """User and system CPU the emulator has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait()


class Run:
    """One host process: its wall time, peak memory and output, and the EC2
    calls the emulator logged while it ran."""

    def __init__(self, host, args, env, emulator=None):
        mark = len(emulator.calls()) if emulator else 0
        cpu = emulator.cpu_seconds() if emulator else 0.0
        with tempfile.NamedTemporaryFile() as peak:
            command = ["/usr/bin/time", "-f", "%M", "-o", peak.name, host, *args]
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            self.wall = time.perf_counter() - started
            self.peak_mib = int(Path(peak.name).read_text().split()[-1]) / 1024
        if done.returncode != 0:
            sys.exit(f"host {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        self.stdout, self.stderr = done.stdout, done.stderr
        self.calls = emulator.calls()[mark:] if emulator else []
        self.emulator_cpu = (emulator.cpu_seconds() - cpu) if emulator else 0.0


def timed(host, args, env):
    """The wall time and stderr of one host process, run directly."""
    started = time.perf_counter()
    done = subprocess.run([host, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"host {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, done.stderr


def config(workdir, name, regions):
    path = Path(workdir) / f"{name}.yml"
    listed = ", ".join(regions)
    path.write_text(f"type: aws\npublic_ips: false\nregions: [{listed}]\ncreds:\n  type: default\n")
    return str(path)


def by_region(calls, mutating):
    counts = defaultdict(Counter)
    for call in calls:
        if bool(MUTATING.match(call["action"])) == mutating:
            counts[call["region"]][call["action"]] += 1
    return counts


def chain(calls):
    """The calls the executor waited on, last to first: from the call that
    ended last, back through each call that ended latest before the one
    after it started."""
    if not calls:
        return []
    current = max(calls, key=lambda call: call["end"])
    path = [current]
    while True:
        before = [c for c in calls if c["end"] <= current["time"] + 0.001 and c is not current]
        if not before:
            return path[::-1]
        current = max(before, key=lambda call: call["end"])
        path.append(current)


def shown_chain(path):
    """A chain as `A → B ×3 → C`."""
    words = []
    for call in path:
        action = call["action"]
        if words and words[-1][0] == action:
            words[-1][1] += 1
        else:
            words.append([action, 1])
    return " → ".join(a if n == 1 else f"{a} ×{n}" for a, n in words)


def seconds_logged(stderr, message):
    """Every `elapsed` that debug lines holding `message` report, in seconds."""
    found = []
    for line in stderr.splitlines():
        if message in line:
            match = ELAPSED.search(line)
            if match:
                found.append(float(match.group(1)) * UNITS[match.group(2)])
    return found


def plan_figures(host, plugin, workdir, regions, rows):
    cfg = config(workdir, "plan17", regions)
    args = ["plan", "--config", cfg, "--plugin", plugin, "--facts", str(FACTS), "--output", "json"]
    env = dict(os.environ, HOST_CACHE_DIR=str(Path(workdir) / "plan-cache"))
    colds = []
    for attempt in range(3):
        env["HOST_CACHE_DIR"] = str(Path(workdir) / f"cold-cache-{attempt}")
        colds.append(timed(host, args, env)[0])
    env["HOST_CACHE_DIR"] = str(Path(workdir) / "cold-cache-0")
    warm = [timed(host, args, env)[0] for _ in range(WARM_RUNS)]
    rows.append(("plan, 17 regions offline, cold (compiles the plugin), median of 3", ms(statistics.median(colds)), ""))
    rows.append((f"plan, 17 regions offline, warm, median of {WARM_RUNS}", ms(statistics.median(warm)), "≤ 30 ms"))
    verbose = [timed(host, [*args, "-vv"], env)[1] for _ in range(5)]
    plugin_calls = [t for stderr in verbose for t in seconds_logged(stderr, "plugin returned")]
    rows.append(("plan: the plugin call, median", ms(statistics.median(plugin_calls), 2), ""))
    per_rule = defaultdict(list)
    for stderr in verbose:
        for line in stderr.splitlines():
            rule = re.search(r"rule=(\S+)", line)
            if "rule evaluated" in line and rule:
                per_rule[rule.group(1)].extend(seconds_logged(line, "rule evaluated"))
    for rule, times in sorted(per_rule.items()):
        rows.append((f"plan: policy rule `{rule}`, median", ms(statistics.median(times), 2), ""))


def apply_figures(host, plugin, workdir, emulator, regions, singles, rows):
    env = emulator.env(Path(workdir) / "cache")
    Run(host, ["plan", "--config", config(workdir, "warmup", []), "--plugin", plugin], env, emulator)

    def apply(cfg, *extra):
        return Run(host, ["apply", "--config", cfg, "--plugin", plugin, "--yes", *extra], env, emulator)

    def destroy(cfg):
        return Run(host, ["destroy", "--config", cfg, "--yes"], env, emulator)

    single_walls = {}
    for region in singles:
        cfg = config(workdir, f"single-{region}", [region])
        run = apply(cfg)
        single_walls[region] = run.wall
        bound = len(BOUND_CHAIN) * LATENCY + NAT_SECONDS
        path = chain([c for c in run.calls if c["region"] == region or c["action"] == "DescribeRegions"])
        rows.append((f"apply, 1 region ({region}), wall", s(run.wall), ""))
        rows.append((f"apply, 1 region ({region}) / its critical path bound ({s(bound)})", ratio(run.wall / bound), "≤ 1.15"))
        print(f"chain the executor took in {region} ({len(path)} calls): {shown_chain(path)}")
        destroy(cfg)
    slowest = max(single_walls, key=single_walls.get)

    cfg17 = config(workdir, "all17", regions)
    full = apply(cfg17)
    rows.append(("apply, 17 regions, wall", s(full.wall), ""))
    rows.append((f"apply, 17 regions / slowest single region ({slowest})", ratio(full.wall / single_walls[slowest]), "≤ 1.25"))
    rows.append(("apply, 17 regions, peak memory of host", f"{full.peak_mib:.0f} MiB", ""))
    rows.append(("apply, 17 regions, emulator CPU / wall (1.00 = one core busy)", ratio(full.emulator_cpu / full.wall), ""))
    call_figures("apply", full.calls, rows)
    rows.append(("apply: resources written more than once", str(rewritten(full.calls, emulator.dump(regions))), "0"))

    again = apply(cfg17)
    reads = by_region(again.calls, mutating=False)
    writes = sum(sum(c.values()) for c in by_region(again.calls, mutating=True).values())
    rows.append(("re-apply on a converged account, wall", s(again.wall), ""))
    rows.append(("re-apply: mutating calls", str(writes), "0"))
    rows.append(("re-apply: reads per region, most", str(most_reads(reads)), "≤ 8"))
    rows.append(("re-apply: reads for the whole account (DescribeRegions)", str(account_reads(again.calls)), ""))

    gone = destroy(cfg17)
    rows.append(("destroy, 17 regions, wall", s(gone.wall), ""))
    call_figures("destroy", gone.calls, rows)

    serial = apply(cfg17, "--concurrency", "1")
    rows.append(("apply, 17 regions, --concurrency 1, wall", s(serial.wall), ""))
    rows.append(("apply, 17 regions: --concurrency 1 / default", ratio(serial.wall / full.wall), ""))
    destroy(cfg17)


def call_figures(what, calls, rows):
    writes = by_region(calls, mutating=True)
    reads = by_region(calls, mutating=False)
    per_region = [sum(c.values()) for c in writes.values()]
    rows.append((f"{what}: mutating calls per region, fewest–most", f"{min(per_region)}–{max(per_region)}", ""))
    actions = Counter()
    for counts in writes.values():
        actions.update(counts)
    regions = len(writes)
    shown = ", ".join(f"{a} {n / regions:.1f}" for a, n in sorted(actions.items()))
    print(f"{what}: mutating calls per region by action, averaged over {regions}: {shown}")
    rows.append((f"{what}: CreateTags calls", str(actions.get("CreateTags", 0)), "0"))
    rows.append((f"{what}: reads per region, most", str(most_reads(reads)), ""))


# What each create call makes, by the kind of resource a region's dump lists.
CREATES = {
    "CreateVpc": "vpcs",
    "CreateInternetGateway": "internet_gateways",
    "CreateSubnet": "subnets",
    "CreateRouteTable": "route_tables",
    "AllocateAddress": "addresses",
    "CreateNatGateway": "nat_gateways",
}


def rewritten(calls, dump):
    """Writes beyond one per resource: create calls beyond the managed
    resources of their kind, and any other change sent twice for the same
    resources (the same action with the same id parameters)."""
    excess = 0
    for region, counts in by_region(calls, mutating=True).items():
        for action, kind in CREATES.items():
            managed = [
                r for r in dump[region][kind]
                if r["tags"].get("host:managed") == "true" and r.get("state") != "deleted"
            ]
            excess += max(0, counts.get(action, 0) - len(managed))
    changes = Counter(
        (call["region"], call["action"], tuple(call["ids"]))
        for call in calls
        if MUTATING.match(call["action"]) and call["action"] not in CREATES
    )
    return excess + sum(n - 1 for n in changes.values())


def most_reads(reads):
    """The most reads one region made, the account's DescribeRegions aside."""
    return max(sum(n for action, n in c.items() if action != "DescribeRegions") for c in reads.values())


def account_reads(calls):
    return sum(call["action"] == "DescribeRegions" for call in calls)


def s(seconds):
    return f"{seconds:.2f} s"


def ms(seconds, digits=0):
    return f"{seconds * 1000:.{digits}f} ms"


def ratio(value):
    return f"{value:.2f}"


def main():
    host, plugin = sys.argv[1:3]
    facts = json.loads(FACTS.read_text())
    by_zones = sorted(facts["regions"], key=lambda r: -sum(z["zone_type"] == "availability-zone" for z in r["zones"]))
    regions = [region["region"] for region in facts["regions"]]
    singles = [region["region"] for region in by_zones[:3]]
    rows = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        plan_figures(host, plugin, workdir, regions, rows)
        emulator = Emulator(workdir)
        try:
            apply_figures(host, plugin, workdir, emulator, regions, singles, rows)
        finally:
            emulator.stop()
    width = max(len(figure) for figure, _, _ in rows)
    print(f"\n{'figure':<{width}}  {'value':>10}  goal")
    for figure, value, goal in rows:
        print(f"{figure:<{width}}  {value:>10}  {goal}")
    print(f"\n(the suite took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()

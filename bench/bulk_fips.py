# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (not a test): 1,000 FIPs in one task, against a no-op playbook and a loop.

Every figure but the in-process ones is the wall time of a whole ansible-playbook run, which
is what a user waits for. On a real OVN lab holding one project, it times:

- a no-op playbook: one ``ansible.builtin.debug`` task with ``verbosity: 1``, so skipped
  (Ansible's own start-up); for reference, one ``ansible.builtin.ping`` task (plus one module
  process) and one converged single-form ``kubedc.network.fip`` task (the collection's own
  no-op task);
- --fips FIPs as the list form of ``kubedc.network.fip`` in one task: the first run, which
  creates them (and allocates an external address for each), the idempotent re-run, which
  must report no change, and the prune of them all (``fips: []`` with ``exclusive: true``),
  which makes room for the next create; --repeat rounds of the three;
- the same FIPs (the first --loop-fips of them) as a ``loop:`` over the single form: the
  first run and the re-run, once each by default (~0.5 s an item: 1,000 take ~17 minutes);
- the list-form task's module in this process (connect, read, plan, write, close), for the
  create, the re-run and the prune, to separate Ansible's cost from the module's.

It also records the peak RSS of the largest process of each ansible-playbook run's process
tree, waits for ovn-northd (``ovn-nbctl --wait=sb sync``) before each timed run, and prints a
Markdown table.

    .venv/bin/python bench/bulk_fips.py [--fips 1000] [--repeat 5] [--loop-fips N] [--skip-loop]

Results and the machine they were measured on are in docs/performance.md.
"""

import argparse
import ipaddress
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]

from ovn_lab import OvnLab  # noqa: E402
from support import EXT_CLOUD, make_collection_importable, run_module  # noqa: E402

ORGANIZATION, PROJECT_NAME = "acme", "prod"
# The first target; lower addresses are left to the project's router and friends.
FIRST_TARGET = 11
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def network_for(base, hosts, largest_prefix):
    """The network at ``base`` with room for ``hosts`` addresses, at most /largest_prefix."""
    prefix = min(largest_prefix, 32 - (hosts + 1).bit_length())
    return ipaddress.ip_network("%s/%d" % (base, prefix))


def lab_setup(fips):
    """The external network and the project, sized for ``fips`` FIPs."""
    # EXT_CLOUD reserves .2-.99 and the project takes one address for its gateway.
    ext_cidr = network_for("100.65.0.0", fips + 128, 24)
    ext = dict(EXT_CLOUD, cidr=str(ext_cidr))
    project_cidr = network_for("10.0.0.0", fips + FIRST_TARGET + 8, 24)
    project = dict(organization=ORGANIZATION, name=PROJECT_NAME, cidr=str(project_cidr))
    items = [dict(name="fip-%04d" % i, ip_address=str(project_cidr[FIRST_TARGET + i])) for i in range(fips)]
    return ext, project, items


class Bench(object):
    def __init__(self, lab, workdir):
        self.lab = lab
        self.nb = lab.nb_remote
        self.workdir = Path(workdir)
        self.ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")

    # ------------------------------------------------------------ playbooks

    def playbook(self, name, tasks):
        """Write a one-play playbook (JSON is YAML) and return its path."""
        path = self.workdir / (name + ".yml")
        play = dict(name=name, hosts="localhost", gather_facts=False, connection="local", tasks=tasks)
        path.write_text(json.dumps([play]))
        return path

    def bulk_task(self, items, exclusive=False):
        args = dict(organization=ORGANIZATION, project=PROJECT_NAME, ovn_nb_connection=self.nb, fips=items)
        if exclusive:
            args["exclusive"] = True
        return {"name": "%d FIPs in one task" % len(items), "kubedc.network.fip": args}

    def loop_task(self, items):
        args = dict(organization=ORGANIZATION, project=PROJECT_NAME, ovn_nb_connection=self.nb,
                    name="{{ item.name }}", ip_address="{{ item.ip_address }}")
        return {"name": "%d FIPs as a loop" % len(items), "kubedc.network.fip": args, "loop": items,
                "loop_control": {"label": "{{ item.name }}"}}

    def run(self, path, changed):
        """One timed ansible-playbook run; ``changed`` is the recap's expected changed count.

        Returns (seconds, peak RSS in MiB of the largest process of the run's tree).
        """
        # ovn-northd may still be turning the last run's rows into flows on the other core.
        self.lab.sync()
        command = [self.ansible_playbook, "-i", "localhost,", "-e", "ansible_python_interpreter=" + sys.executable, str(path)]
        with tempfile.TemporaryFile(mode="w+", dir=self.workdir) as output:
            start = time.perf_counter()
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
            # wait4 reports the child's own usage merged with that of the descendants it reaped:
            # ru_maxrss is then the largest peak of any one process of the run.
            _pid, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            output.seek(0)
            text = output.read()
        recap = RECAP.findall(text)
        ok = proc.returncode == 0 and len(recap) == 1 and recap[0][3] == "0" and int(recap[0][1]) == changed
        if not ok:
            raise AssertionError("%s: exit %d, expected changed=%d\n%s" % (path.name, proc.returncode, changed, text[-4000:]))
        return elapsed, usage.ru_maxrss / 1024.0

    # ---------------------------------------------------------------- checks

    def nat_count(self):
        rows = self.lab.nbctl("--bare", "--columns=_uuid", "find", "NAT", "type=dnat_and_snat")
        return len(rows.split())

    def fip_allocations(self, ext):
        allocated = run_module("external_network", dict(ext, ovn_nb_connection=self.nb), check=True)["external_network"]["allocated"]
        return sum(1 for a in allocated if a["owner"].startswith("fip/"))

    def expect_fips(self, ext, count, when):
        found = (self.nat_count(), self.fip_allocations(ext))
        assert found == (count, count), "%s: %d FIP NAT rows and %d FIP addresses, expected %d" % ((when,) + found + (count,))

    # ------------------------------------------------------------ in-process

    def module_call(self, items, exclusive, expect_changed):
        args = dict(organization=ORGANIZATION, project=PROJECT_NAME, ovn_nb_connection=self.nb,
                    fips=[dict(i) for i in items], exclusive=exclusive)
        self.lab.sync()
        start = time.perf_counter()
        result = run_module("fip", args)
        elapsed = time.perf_counter() - start
        assert result["changed"] is expect_changed, (result["changed"], result["commands"][:5])
        if not expect_changed:
            assert result["commands"] == [], result["commands"][:5]
        return elapsed, result


class Samples(object):
    """Timings of one kind of run."""

    def __init__(self):
        self.seconds = []
        self.rss = []

    def add(self, seconds, rss=None):
        self.seconds.append(seconds)
        if rss is not None:
            self.rss.append(rss)

    @property
    def median(self):
        return statistics.median(self.seconds)

    def summary(self):
        out = dict(runs=len(self.seconds), median_s=round(self.median, 3), min_s=round(min(self.seconds), 3),
                   max_s=round(max(self.seconds), 3))
        if self.rss:
            out["peak_rss_mib"] = round(max(self.rss), 1)
        return out


def measure(bench, ext, items, solo_ip, args):
    n = len(items)
    samples = {}

    def sample(key):
        return samples.setdefault(key, Samples())

    # Skipped at the default verbosity: a task that does nothing but shows in the recap (meta: noop does not).
    noop = bench.playbook("noop", [{"name": "nothing", "ansible.builtin.debug": {"msg": "nothing", "verbosity": 1}}])
    ping = bench.playbook("ping", [{"name": "one module", "ansible.builtin.ping": {}}])
    bulk = bench.playbook("bulk", [bench.bulk_task(items)])
    prune = bench.playbook("prune", [bench.bulk_task([], exclusive=True)])

    # The collection's own converged one-task playbook: one FIP of the single form, as in
    # bench/startup.py, on a project holding only that FIP.
    solo = dict(organization=ORGANIZATION, project=PROJECT_NAME, name="solo", ip_address=solo_ip, ovn_nb_connection=bench.nb)
    single = bench.playbook("single", [{"name": "one converged FIP", "kubedc.network.fip": solo}])
    first = dict(organization=ORGANIZATION, project=PROJECT_NAME, ovn_nb_connection=bench.nb, **items[0])
    single_among = bench.playbook("single_among", [{"name": "one of the FIPs, converged", "kubedc.network.fip": first}])
    run_module("fip", solo)
    bench.run(noop, 0)  # warm the page cache
    for _round in range(args.repeat):
        sample("noop").add(*bench.run(noop, 0))
        sample("ping").add(*bench.run(ping, 0))
        sample("single").add(*bench.run(single, 0))
    run_module("fip", dict(solo, state="absent", ip_address=None))

    facts = {}
    if not args.skip_bulk:
        for _round in range(args.repeat):
            # Once more in each round: the machine is shared, and its load drifts.
            sample("noop").add(*bench.run(noop, 0))
            sample("bulk_create").add(*bench.run(bulk, 1))
            bench.expect_fips(ext, n, "after the bulk create")
            sample("bulk_rerun").add(*bench.run(bulk, 0))
            # The same NB, one of those FIPs declared alone: the same module with nothing to do.
            sample("single_among").add(*bench.run(single_among, 0))
            sample("bulk_prune").add(*bench.run(prune, 1))
            bench.expect_fips(ext, 0, "after the bulk prune")

        # The same task's module in this process; the first call imports everything.
        bench.module_call([], False, False)
        for _round in range(args.repeat):
            seconds, created = bench.module_call(items, False, True)
            sample("module_create").add(seconds)
            assert len(created["fips"]) == n and created["removed"] == [], (len(created["fips"]), created["removed"][:5])
            facts["create_commands"] = len(created["commands"])
            sample("module_rerun").add(bench.module_call(items, False, False)[0])
            seconds, pruned = bench.module_call([], True, True)
            sample("module_prune").add(seconds)
            assert sorted(pruned["removed"]) == sorted(i["name"] for i in items), pruned["removed"][:5]
            facts["prune_commands"] = len(pruned["commands"])
            bench.expect_fips(ext, 0, "after the in-process prune")

    if not args.skip_loop:
        looped = items[:args.loop_fips]
        loop = bench.playbook("loop", [bench.loop_task(looped)])
        for _round in range(args.loop_repeat):
            sample("loop_create").add(*bench.run(loop, 1))
            bench.expect_fips(ext, len(looped), "after the loop create")
            sample("loop_rerun").add(*bench.run(loop, 0))
            if args.skip_bulk:
                break
            # The list form must see the loop's FIPs as its own: no change.
            bulk_over_loop = bench.playbook("bulk_over_loop", [bench.bulk_task(looped)])
            try:
                sample("bulk_rerun_over_loop").add(*bench.run(bulk_over_loop, 0))
                facts["bulk_over_loop_changed"] = False
            except AssertionError as err:
                facts["bulk_over_loop_changed"] = str(err)[-2000:]
                print("bulk task over the loop's FIPs did not report changed=0:\n%s" % err, file=sys.stderr)
            sample("loop_prune").add(*bench.run(prune, 1))
            bench.expect_fips(ext, 0, "after pruning the loop's FIPs")
    return samples, facts


def machine():
    ovn = subprocess.run(["ovn-nbctl", "--version"], capture_output=True, text=True, check=False).stdout.splitlines()
    from ansible.release import __version__ as ansible_version

    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")), "0")
    return dict(
        cores=os.cpu_count(),
        memory_gib=round(int(memory) / 1024.0 / 1024.0, 1),
        python=platform.python_version(),
        ansible_core=ansible_version,
        ovn=" / ".join(line.strip() for line in ovn[:2]),
        os=platform.platform(),
        loadavg=[round(x, 2) for x in os.getloadavg()],
    )


def markdown(samples, facts, args, n, loop_n):
    def row(label, key, per=None):
        if key not in samples:
            return None
        s = samples[key]
        cells = [label, str(len(s.seconds)), "%.3f s" % s.median, "%.3f s" % min(s.seconds)]
        cells.append("%.0f" % max(s.rss) if s.rss else "-")
        cells.append("%.2f" % (s.median / samples["noop"].median) if s.rss else "-")
        if per:
            cells[0] += " (%.1f ms an item)" % (1000.0 * per)
        return "| " + " | ".join(cells) + " |"

    noop = samples["noop"].median
    loop_items = loop_n if loop_n else 1
    rows = [
        "| run | runs | median | min | peak RSS, MiB | median / no-op |",
        "|---|---|---|---|---|---|",
        row("no-op playbook (`debug` skipped by `verbosity: 1`)", "noop"),
        row("one-module playbook (`ping`)", "ping"),
        row("one converged FIP, single form (`fip`)", "single"),
        row("one of the %d FIPs, converged, single form, with all %d in the NB" % (n, n), "single_among"),
        row("%d FIPs in one task, create" % n, "bulk_create"),
        row("%d FIPs in one task, idempotent re-run" % n, "bulk_rerun"),
        row("%d FIPs pruned (`fips: []`, `exclusive: true`)" % n, "bulk_prune"),
        row("%d FIPs as a `loop:`, create" % loop_n, "loop_create",
            per=(samples["loop_create"].median - noop) / loop_items if "loop_create" in samples else None),
        row("%d FIPs as a `loop:`, idempotent re-run" % loop_n, "loop_rerun",
            per=(samples["loop_rerun"].median - noop) / loop_items if "loop_rerun" in samples else None),
        row("one task over the %d FIPs the loop made (must not change)" % loop_n, "bulk_rerun_over_loop"),
        row("%d FIPs pruned after the loop" % loop_n, "loop_prune"),
        row("module in-process, %d FIPs, create" % n, "module_create"),
        row("module in-process, %d FIPs, idempotent re-run" % n, "module_rerun"),
        row("module in-process, %d FIPs, prune" % n, "module_prune"),
    ]
    lines = [r for r in rows if r]
    ratios = []

    def ratio(label, top, bottom, scale=1.0, target=None):
        if top in samples and bottom in samples:
            value = samples[top].median / (samples[bottom].median * scale)
            note = "" if target is None else (" (target ≤ %.1f: %s)" % (target, "met" if value <= target else "NOT met"))
            ratios.append("| %s | %.2f%s |" % (label, value, note))

    ratio("%d-FIP task re-run / no-op playbook" % n, "bulk_rerun", "noop", target=1.3)
    ratio("%d-FIP task create / no-op playbook" % n, "bulk_create", "noop", target=1.3)
    ratio("%d-FIP task prune / no-op playbook" % n, "bulk_prune", "noop")
    ratio("%d-FIP task re-run / one-module playbook" % n, "bulk_rerun", "ping")
    ratio("%d-FIP task re-run / one converged FIP task" % n, "bulk_rerun", "single", target=1.3)
    ratio("%d-FIP task create / one converged FIP task" % n, "bulk_create", "single", target=1.3)
    ratio("%d-FIP task re-run / one of them converged alone, same NB" % n, "bulk_rerun", "single_among", target=1.3)
    if loop_n == n:
        ratio("loop create / one-task create", "loop_create", "bulk_create")
        ratio("loop re-run / one-task re-run", "loop_rerun", "bulk_rerun")
    elif loop_n:
        # Extrapolated: the loop's time an item, times n, against the one task.
        for kind in ("create", "rerun"):
            if "loop_" + kind in samples and "bulk_" + kind in samples:
                per = (samples["loop_" + kind].median - noop) / loop_n
                value = (noop + per * n) / samples["bulk_" + kind].median
                ratios.append("| loop %s / one-task %s (loop of %d extrapolated to %d) | %.2f |" % (kind, kind, loop_n, n, value))
    if ratios:
        lines += ["", "| ratio of medians | |", "|---|---|"] + ratios
    if "module_rerun" in samples and "bulk_rerun" in samples:
        lines.append("")
        lines.append("Ansible's share of the %d-FIP re-run: %.3f s of %.3f s (module in-process %.3f s); "
                     "of the create: %.3f s of %.3f s (module %.3f s, %d commands)." % (
                         n, samples["bulk_rerun"].median - samples["module_rerun"].median, samples["bulk_rerun"].median,
                         samples["module_rerun"].median, samples["bulk_create"].median - samples["module_create"].median,
                         samples["bulk_create"].median, samples["module_create"].median, facts.get("create_commands", 0)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--fips", type=int, default=1000, help="FIPs in the one task (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each one-task playbook and module call (default 5)")
    parser.add_argument("--loop-fips", type=int, help="FIPs in the loop (default: --fips)")
    parser.add_argument("--loop-repeat", type=int, default=1, help="runs of the loop (default 1; ~0.5 s an item)")
    parser.add_argument("--skip-loop", action="store_true", help="do not time the loop")
    parser.add_argument("--skip-bulk", action="store_true", help="time only the no-op playbooks and the loop")
    args = parser.parse_args()
    if args.loop_fips is None:
        args.loop_fips = args.fips
    args.loop_fips = min(args.loop_fips, args.fips)
    loop_n = 0 if args.skip_loop else args.loop_fips

    ext, project, items = lab_setup(args.fips)
    facts = dict(machine_before=machine())
    owned_collections = make_collection_importable()
    directory = tempfile.mkdtemp(prefix="kdc-bench-", dir="/tmp")
    started = time.monotonic()
    try:
        with OvnLab(directory, timeout=600) as lab:
            nb = lab.nb_remote
            run_module("external_network", dict(ext, ovn_nb_connection=nb))
            run_module("project_network", dict(project, ovn_nb_connection=nb))
            samples, found = measure(Bench(lab, directory), ext, items, str(ipaddress.ip_network(project["cidr"])[FIRST_TARGET - 1]), args)
            facts.update(found)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if owned_collections is not None:
            shutil.rmtree(owned_collections, ignore_errors=True)
    report = dict(
        fips=args.fips,
        loop_fips=loop_n,
        repeat=args.repeat,
        external_network=ext["cidr"],
        project_cidr=project["cidr"],
        results=dict((key, s.summary()) for key, s in samples.items()),
        facts=facts,
        loadavg_after=[round(x, 2) for x in os.getloadavg()],
        bench_wall_s=round(time.monotonic() - started, 1),
        bench_process_peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    )
    print(json.dumps(report, indent=2))
    m = facts["machine_before"]
    print()
    print("Machine: %d cores, %s GiB, Python %s, ansible-core %s, %s; load average before %s, after %s." % (
        m["cores"], m["memory_gib"], m["python"], m["ansible_core"], m["ovn"], m["loadavg"], report["loadavg_after"]))
    print()
    print(markdown(samples, facts, args, args.fips, loop_n))


if __name__ == "__main__":
    main()

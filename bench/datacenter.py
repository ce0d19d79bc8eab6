# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (not a test): a datacenter file of many projects through playbooks/site.yml.

Issue 5 asks that a 100-project file re-run with no changes in seconds. On a fresh OVN lab,
it writes a file of --projects projects (each a /24 with one EIP, two FIPs - one of them a
service exposed by FIP - and two load-balanced services, one on its own EIP and one on the
project's default-gateway address), then times with ansible-playbook: the first converge,
--repeat idempotent re-runs (each must report changed=0), a --check --diff re-run, and
playbooks/teardown.yml. Prints a Markdown table; results are in docs/performance.md.

    .venv/bin/python bench/datacenter.py [--projects 100] [--repeat 3]
"""

import argparse
import json
import os
import re
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
from support import make_collection_importable  # noqa: E402

RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def datacenter(projects):
    orgs = {}
    for index in range(projects):
        org = "org%02d" % (index // 10)
        cidr = "10.%d.%d.0/24" % (index // 250, index % 250)
        base = cidr.rsplit(".", 1)[0]
        orgs.setdefault(org, []).append(dict(
            name="p%03d" % index,
            cidr=cidr,
            eips=[dict(name="db")],
            fips=[dict(name="admin", ip_address=base + ".12", eip="db")],
            services=[
                dict(name="bastion", app="ssh", ip_address=base + ".11"),
                dict(name="game", app="udp", port=7777, backends=[base + ".20:7777"]),
                dict(name="web", expose="load_balancer", eip="default-gw", port=80, backends=[base + ".21:8080"]),
            ],
        ))
    return dict(kubedc_datacenter=dict(
        platform="ovn",
        exclusive=True,
        external_networks=[dict(name="ext-cloud", network_type="cloud", cidr="100.64.0.0/16", gateway="100.64.0.1", gateway_chassis=["gw-1"])],
        organizations=[dict(name=org, projects=p) for org, p in sorted(orgs.items())],
    ))


def play(lab, workdir, playbook, *options, changed=None):
    env = dict(os.environ, OVN_NB_DB=lab.nb_remote, ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(REPO / "tests/integration/files/inventory.yml"),
               "-e", "@" + str(workdir / "datacenter.yml"), str(playbook), *options]
    lab.sync()
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    recap = RECAP.findall(proc.stdout)
    if proc.returncode != 0 or not recap or (changed is not None and (int(recap[-1][1]) > 0) != changed):
        raise AssertionError("%s %s: exit %d\n%s" % (playbook.name, options, proc.returncode, proc.stdout[-4000:]))
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    owned = make_collection_importable()
    workdir = Path(tempfile.mkdtemp(prefix="kdc-dc-", dir="/tmp"))
    (workdir / "datacenter.yml").write_text(json.dumps(datacenter(args.projects)))
    (workdir / "noop.yml").write_text(json.dumps([dict(name="noop", hosts="localhost", gather_facts=False,
                                                       tasks=[{"ansible.builtin.debug": {"msg": "x", "verbosity": 1}}])]))
    site, teardown = REPO / "playbooks" / "site.yml", REPO / "playbooks" / "teardown.yml"
    times = {}
    try:
        with OvnLab(workdir / "lab", timeout=600) as lab:
            times["no-op playbook (debug, skipped)"] = [play(lab, workdir, workdir / "noop.yml") for _round in range(args.repeat)]
            times["first converge"] = [play(lab, workdir, site, changed=True)]
            times["idempotent re-run"] = [play(lab, workdir, site, changed=False) for _round in range(args.repeat)]
            times["re-run --check --diff"] = [play(lab, workdir, site, "--check", "--diff", changed=False) for _round in range(args.repeat)]
            times["teardown"] = [play(lab, workdir, teardown, changed=True)]
            nat = lab.nbctl("--bare", "--columns=_uuid", "list", "NAT").split()
            assert nat == [], "teardown left %d NAT rows" % len(nat)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)
    per = 2 + 2 + 2 + 1  # EIPs (db, game), FIPs (admin, bastion), bindings (game, web), the project network
    print("%d projects (%d objects with the projects' own networks), %d cores, load %s" % (
        args.projects, args.projects * per, os.cpu_count(), [round(x, 2) for x in os.getloadavg()]))
    print("| run | runs | median | min |\n|---|---|---|---|")
    for label, values in times.items():
        print("| %s | %d | %.2f s | %.2f s |" % (label, len(values), statistics.median(values), min(values)))


if __name__ == "__main__":
    main()

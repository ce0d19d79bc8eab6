# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (not a test): does a task's start-up grow with unrelated rows in the NB?

Runs converged (no-op) project_network and fip calls in this process, which is the modules'
own work in an Ansible task: connect, scoped read, plan, close; and a whole ansible-playbook
run of each as one task, which is what a user waits for. It is timed on a lab holding only
the project's rows, then after adding --ports unrelated logical switch ports (and
--ports/100 unrelated routers with a NAT each). For contrast it also times a naive session
that monitors every NB table, as an ovsdbapp client does by default.

    .venv/bin/python bench/startup.py [--ports 50000] [--repeat 15]

Results and the machine they were measured on are in docs/performance.md.
"""

import argparse
import json
import os
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

import ovs.db.idl  # noqa: E402
import ovs.jsonrpc  # noqa: E402
import ovs.poller  # noqa: E402
import ovs.stream  # noqa: E402

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
FIP = dict(organization="acme", project="prod", name="bastion", ip_address="10.0.0.10")
# The converged (no-op) tasks measured: module -> its arguments.
TASKS = {"project_network": PROJECT, "fip": FIP}


def module_call(nb, module):
    start = time.perf_counter()
    result = run_module(module, dict(TASKS[module], ovn_nb_connection=nb))
    elapsed = time.perf_counter() - start
    assert result["changed"] is False, result["commands"]
    return elapsed


def naive_monitor(nb):
    """Connect with every table monitored and wait for the initial dump."""
    start = time.perf_counter()
    helper = ovs.db.idl.SchemaHelper("/usr/share/ovn/ovn-nb.ovsschema")
    helper.register_all()
    idl = ovs.db.idl.Idl(nb, helper)
    while not idl.has_ever_connected():
        idl.run()
        poller = ovs.poller.Poller()
        idl.wait(poller)
        # Idl.wait() alone does not wake for the first connect: bound every poll.
        poller.timer_wait(50)
        poller.block()
    rows = sum(len(t.rows) for t in idl.tables.values())
    idl.close()
    return time.perf_counter() - start, rows


def playbook_run(nb, workdir, module):
    """A whole ansible-playbook run with one converged task of ``module``."""
    playbook = Path(workdir) / "noop.yml"
    args = dict(TASKS[module], ovn_nb_connection=nb)
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [{"kubedc.network." + module: args}]}]))
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
        "-e", "ansible_python_interpreter=" + sys.executable, str(playbook),
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0 and "changed=0" in proc.stdout, proc.stdout[-2000:]
    return elapsed


def measure(nb, repeat, workdir):
    result = {}
    for module in TASKS:
        module_call(nb, module)  # warm imports
        calls = [module_call(nb, module) for _call in range(repeat)]
        plays = [playbook_run(nb, workdir, module) for _call in range(max(3, repeat // 3))]
        result[module] = dict(
            module_median_s=round(statistics.median(calls), 4),
            module_max_s=round(max(calls), 4),
            playbook_median_s=round(statistics.median(plays), 3),
        )
    naive = [naive_monitor(nb) for _call in range(max(3, repeat // 5))]
    result["naive_monitor_median_s"] = round(statistics.median(n[0] for n in naive), 4)
    result["naive_monitor_rows"] = naive[0][1]
    return result


def _transact(nb, operations):
    """One raw OVSDB transaction: ovn-nbctl is quadratic when adding thousands of ports."""
    error, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(nb), 10000)
    assert not error, os.strerror(error)
    rpc = ovs.jsonrpc.Connection(stream)
    try:
        request = ovs.jsonrpc.Message.create_request("transact", ["OVN_Northbound"] + operations)
        error, reply = rpc.transact_block(request)
    finally:
        rpc.close()
    assert not error and not reply.error, (error, reply and reply.error)
    failed = [r for r in reply.result if isinstance(r, dict) and "error" in r]
    assert not failed, failed[:3]


def add_unrelated(nb, ports):
    """A switch with ``ports`` ports, and ports/100 routers with a port and a SNAT each."""
    operations = []
    for i in range(ports):
        mac = "0a:00:00:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255)
        operations.append(
            {
                "op": "insert",
                "table": "Logical_Switch_Port",
                "uuid-name": "p%d" % i,
                "row": {"name": "p%d" % i, "addresses": "%s 172.30.%d.%d" % (mac, i >> 8 & 255, i & 255)},
            }
        )
    operations.append(
        {
            "op": "insert",
            "table": "Logical_Switch",
            "row": {"name": "unrelated", "ports": ["set", [["named-uuid", "p%d" % i] for i in range(ports)]]},
        }
    )
    for i in range(ports // 100):
        operations.append({"op": "insert", "table": "NAT", "uuid-name": "n%d" % i,
                           "row": {"type": "snat", "external_ip": "192.0.2.%d" % (i % 250 + 1), "logical_ip": "172.16.%d.0/24" % (i % 250)}})
        operations.append({"op": "insert", "table": "Logical_Router_Port", "uuid-name": "rp%d" % i,
                           "row": {"name": "r%d-p" % i, "mac": "0a:00:01:00:%02x:%02x" % (i >> 8 & 255, i & 255), "networks": "172.16.%d.1/24" % (i % 250)}})
        operations.append({"op": "insert", "table": "Logical_Router",
                           "row": {"name": "r%d" % i, "ports": ["named-uuid", "rp%d" % i], "nat": ["named-uuid", "n%d" % i]}})
    _transact(nb, operations)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    owned_collections = make_collection_importable()
    directory = tempfile.mkdtemp(prefix="kdc-bench-", dir="/tmp")
    try:
        with OvnLab(directory, timeout=600) as lab:
            nb = lab.nb_remote
            run_module("external_network", dict(EXT_CLOUD, ovn_nb_connection=nb))
            run_module("project_network", dict(PROJECT, ovn_nb_connection=nb))
            run_module("fip", dict(FIP, ovn_nb_connection=nb))
            empty = measure(nb, args.repeat, directory)
            add_unrelated(nb, args.ports)
            # ovn-northd recomputes flows for the new rows for several seconds; on a
            # 2-core machine that would slow whatever is measured next.
            lab.sync()
            loaded = measure(nb, args.repeat, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if owned_collections is not None:
            shutil.rmtree(owned_collections, ignore_errors=True)
    report = dict(
        unrelated_ports=args.ports,
        unrelated_routers=args.ports // 100,
        repeat=args.repeat,
        only_project_rows=empty,
        with_unrelated_rows=loaded,
        ratios=dict(
            (module, dict(
                module=round(loaded[module]["module_median_s"] / empty[module]["module_median_s"], 2),
                playbook=round(loaded[module]["playbook_median_s"] / empty[module]["playbook_median_s"], 2),
            ))
            for module in TASKS
        ),
        peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure the time from a converge to the first real packet, per path, on the lab's datapath.

Each round starts a fresh lab with its datapath mode (tools/ovn_lab.py), plugs workloads and an
outside host on each external network, then converges one object at a time through the
collection's modules and measures, from the module's return, how long until the first real
packet of the path it made gets through (or, for a removal, until the path stops answering).
No ``--wait=hv`` is given in between: the figure is what a client of the network sees. The
figures go to docs/datapath.md; nothing here is a test and nothing is asserted::

    .venv/bin/python tools/datapath_figures.py --rounds 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]

from ovn_lab import DEFAULT_INTERNET_ADDRESS, Datapath, OvnLab  # noqa: E402
from support import EXT_CLOUD, EXT_PUBLIC, VMS, Lab, make_collection_importable  # noqa: E402

WHO = dict(organization="acme", project="prod")
EGRESS_PORT = 8000


def until(probe: Callable[[], Any], timeout: float = 10.0) -> float | None:
    return Datapath.first(probe, timeout, interval=0.01)


def one_round() -> dict[str, float | None]:
    directory = tempfile.mkdtemp(prefix="kdc-fig-", dir="/tmp")
    ovn = OvnLab(directory)
    figures: dict[str, float | None] = {}
    try:
        ovn.start()
        lab = Lab(ovn, {"ovn_nb_connection": ovn.nb_remote, "ovn_nb_timeout": 20})
        lab.run("external_network", EXT_CLOUD)
        lab.run("external_network", EXT_PUBLIC)
        started = time.monotonic()
        dp = ovn.start_datapath("chassis-1")
        figures["datapath start (s)"] = time.monotonic() - started
        hosts = {}
        for ext in (EXT_CLOUD, EXT_PUBLIC):
            hosts[ext["name"]] = dp.add_outside_host(ext["name"], "%s/%s" % (ext["gateway"], ext["cidr"].split("/")[1]))
            dp.serve(hosts[ext["name"]].namespace, [EGRESS_PORT], name="outside-" + ext["name"])
        cloud, public = hosts["ext-cloud"], hosts["ext-public"]
        # The clock of the SNAT figure starts at the project's converge: its router, switch and
        # SNAT are new, so the first packet also waits for the workload's port to come up.
        project = lab.run("project_network", dict(organization="acme", name="prod", cidr="10.0.0.0/24"))["project_network"]
        converged = time.monotonic()

        def leaves(workload: Any, host: Any, source: str) -> Callable[[], bool]:
            def probe() -> bool:
                answer = dp.request(workload.namespace, DEFAULT_INTERNET_ADDRESS, EGRESS_PORT, timeout=0.5)
                return answer is not None and answer.name == "outside-" + host.switch and answer.peer_ip == source
            return probe

        def reaches(host: Any, address: str, port: int, names: set[str]) -> Callable[[], bool]:
            def probe() -> bool:
                answer = dp.request(host.namespace, address, port, src=DEFAULT_INTERNET_ADDRESS, timeout=0.5)
                return answer is not None and answer.name in names
            return probe

        vms = {}

        def plug(name: str) -> None:
            lab.workload_port(project["switch"], name, *VMS[name])
            vms[name] = dp.attach_workload(name, wait=False)
            dp.serve(vms[name].namespace, [22, 8443], name=name)

        plug("vm1")
        first = until(leaves(vms["vm1"], cloud, project["default_gateway_ip"]))
        figures["SNAT egress, after the project converge, its port plugged in meanwhile (s)"] = (
            None if first is None else time.monotonic() - converged)
        for name in ("vm2", "web1", "web2"):
            plug(name)
        bound = time.monotonic()
        for workload in vms.values():
            dp.wait_bound(workload.port)
        figures["3 more ports bound + --wait=hv (s)"] = time.monotonic() - bound

        fip = lab.run("fip", dict(WHO, name="bastion", ip_address="10.0.0.10"))["fip"]
        figures["FIP in (TCP), after the fip converge (s)"] = until(reaches(cloud, fip["external_ip"], 22, {"vm1"}))
        figures["FIP out, right after FIP in (s)"] = until(leaves(vms["vm1"], cloud, fip["external_ip"]))

        admin = lab.run("fip", dict(WHO, name="admin", ip_address="10.0.0.11", external_network_type="public"))["fip"]
        figures["public FIP in via reroute, after the converge (s)"] = until(reaches(public, admin["external_ip"], 22, {"vm2"}))

        binding = lab.run("lb_binding", dict(WHO, name="web", port=443, backends=["10.0.0.20:8443", "10.0.0.21:8443"]))["lb_binding"]
        figures["LB VIP, after the lb_binding converge (s)"] = until(reaches(cloud, binding["address"], 443, {"web1", "web2"}))

        lab.run("fip", dict(WHO, name="bastion", ip_address="10.0.0.20"))
        figures["FIP retarget, after the converge (s)"] = until(reaches(cloud, fip["external_ip"], 22, {"web1"}))

        lab.run("fip", dict(WHO, name="bastion", state="absent"))
        figures["FIP removed: first unanswered connection, after the converge (s)"] = _stops(
            reaches(cloud, fip["external_ip"], 22, {"web1"})
        )
    finally:
        ovn.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return figures


def _stops(probe: Callable[[], bool], timeout: float = 10.0) -> float | None:
    """When the first attempt that ``probe`` finds unanswered began (an unanswered attempt
    lasts its whole timeout, which is not part of the figure)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        began = time.monotonic()
        if not probe():
            return began - start
        time.sleep(0.01)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    make_collection_importable()
    rounds = [one_round() for _round in range(args.rounds)]
    print("| path | median | min | max | rounds |")
    print("|---|---|---|---|---|")
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        got = [v for v in values if v is not None]
        if not got:
            print("| %s | never | | | 0 of %d |" % (key, len(values)))
            continue
        print("| %s | %.3f | %.3f | %.3f | %d of %d |" % (key, statistics.median(got), min(got), max(got), len(got), len(values)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

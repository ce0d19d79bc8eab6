# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: converge the example datacenter on a fresh local OVN lab and prove it.

1. starts a fresh lab (NB, SB, northd) in --lab-dir, stopping an older one there;
2. shows the plan of examples/datacenter.yml (playbooks/site.yml with --check --diff), as a
   pull request review would;
3. converges it with playbooks/demo.yml (site.yml, then a report of what was made), then runs
   it again, which must change nothing;
4. prints what was made: provider networks with their allocations, project networks, EIPs,
   FIPs and load balancer bindings;
5. attaches demo VM ports (as a cloud controller would), lets the lab learn the upstream
   gateways' MACs (as ovn-controller would from their ARP replies), and shows with ovn-trace,
   checked against the declaration: a VM without a FIP leaving SNATed to its project's address;
   the internet reaching a VM on its FIP and the VM leaving from it; a client reaching every
   backend of a load balancer VIP;
6. runs playbooks/verify.yml, the collection's own check: no drift, and every FIP and VIP
   backend proven with ovn-trace by the network_trace module;
7. real packets: starts the lab's datapath mode (an OVS userspace datapath and ovn-controller
   as the gateway chassis, see docs/datapath.md), plugs a workload namespace into each of those
   VM ports and an outside host into each external network, and sends real traffic: ping and a
   TCP connection from the internet to each FIP, requests to each load balancer VIP until every
   backend has answered, and each workload's egress, seen by the outside host with its source
   (its FIP, or the project's SNAT address). It prints the time to the first packet of each
   path. Where the machine cannot run the datapath it says why and skips this step.

The lab stays up afterwards for a look around (with the datapath, if it ran); `make lab-stop`
stops all of it.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ovn_lab import DEFAULT_INTERNET_ADDRESS, DatapathUnavailable, OvnLab

REPO = Path(__file__).resolve().parents[1]
UPSTREAM_MAC = "0a:ff:00:00:00:01"
DEMO_VM_IP_HOST = 10  # the demo VM takes the 10th address of each project subnet


DATACENTER = REPO / "examples" / "datacenter.yml"


def run_playbook(lab, playbook, *options):
    """Run one of the collection's playbooks on the example datacenter file, streaming its
    output; return the PLAY RECAP counters. The modules find the lab's NB and SB in OVN_NB_DB
    and OVN_SB_DB, as an AWX credential would give them."""
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i", "localhost,", "-c", "local",
        "-e", "ansible_python_interpreter=" + sys.executable,
        "-e", "@" + str(DATACENTER),
        *options,
        str(REPO / "playbooks" / playbook),
    ]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", **lab.env())
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    if proc.wait() != 0:
        raise SystemExit("playbooks/%s failed (exit %d)" % (playbook, proc.returncode))
    recap = re.search(r"ok=(\d+)\s+changed=(\d+)", "".join(lines))
    return dict(ok=int(recap.group(1)), changed=int(recap.group(2)))


def heading(text):
    print("\n" + "=" * 78 + "\n" + text + "\n" + "=" * 78)


def show_made(report):
    heading("What the collection made")
    for net in report["external_networks"]:
        print("external network %-11s %-15s type=%-6s gateway=%s vlan=%s chassis=%s" % (
            net["name"], net["cidr"], net["network_type"], net["gateway"], net["vlan"], ",".join(net["gateway_chassis"])))
        for item in net["allocated"]:
            print("    allocated %-15s to %s" % (item["address"], item["owner"]))
        print("    %d addresses free" % net["free"])
    for project in report["projects"]:
        print("project %-13s router=%s switch=%s subnet=%s gateway=%s" % (
            project["namespace"], project["router"], project["switch"], project["cidr"], project["gateway"]))
        print("    egress via %s (%s): gateway port %s on %s, SNAT %s -> %s" % (
            project["external_network"], project["egress_network_type"], project["gateway_router_port"],
            ",".join(project["gateway_chassis"]), project["cidr"], project["default_gateway_ip"]))
    for eip in report["eips"]:
        print("eip %s/%s: %s on %s" % (eip["namespace"], eip["name"], eip["address"], eip["external_network"]))
    for fip in report["fips"]:
        print("fip %s/%s: %s (%s) -> %s" % (fip["namespace"], fip["name"], fip["external_ip"], fip["external_network"], fip["ip_address"]))
    for binding in report["lb_bindings"]:
        print("lb_binding %s/%s: %s %s:%d -> %s" % (
            binding["namespace"], binding["name"], binding["protocol"], binding["address"], binding["port"], ",".join(binding["backends"])))
    for network in report["networks"]:
        print("network_info %s: %d NAT rows, %d policies, drift: %s" % (
            network["namespace"], len(network["nat"]), len(network["policies"]),
            "; ".join("%s: %s" % (d["declaration"], d["commands"] or d["error"]) for d in network["drift"]) or "none"))


class Prover(object):
    """Attaches demo VMs, traces packets with ovn-trace and checks them against the declaration."""

    def __init__(self, lab, report):
        self.lab = lab
        self.projects = dict((p["namespace"], p) for p in report["projects"])
        self.gateways = dict((n["name"], n["gateway"]) for n in report["external_networks"])
        self.failures = 0
        self.total = 0

    def vm(self, namespace, ip):
        """A VM port for ``ip`` on the project switch, as a cloud controller would add it."""
        project = self.projects[namespace]
        octets = [int(o) for o in ip.split(".")]
        index = sorted(self.projects).index(namespace) + 1
        port = "vm-%d.%s" % (octets[3], namespace)
        mac = "0a:00:%02x:%02x:%02x:%02x" % (index, octets[1], octets[2], octets[3])
        self.lab.nbctl("--may-exist", "lsp-add", project["switch"], port, "--", "lsp-set-addresses", port, "%s %s" % (mac, ip))
        return port, mac

    def router_port_mac(self, name):
        return self.lab.nbctl("get", "Logical_Router_Port", name, "mac").strip().strip('"')

    def upstream(self, router, network):
        """The router's gateway port on ``network`` has learned the upstream gateway's MAC."""
        port = "%s-%s" % (router, network)
        self.lab.learn_mac(port, self.gateways[network], UPSTREAM_MAC)
        return port

    def check(self, what, trace, outputs, expect):
        self.total += 1
        fields = dict(trace.final_fields.get(outputs[0], {})) if trace.outputs else {}
        ok = trace.outputs == outputs and all(fields.get(k) == v for k, v in expect.items())
        self.failures += not ok
        print("\n%s: %s  [%s]" % (what, trace.verdict(), "OK" if ok else "UNEXPECTED"))
        print("    expected: to %s with %s" % (", ".join(outputs), ", ".join("%s=%s" % kv for kv in sorted(expect.items()))))
        print("    ovn-trace --minimal %s '%s'" % (trace.datapath, trace.microflow))
        for line in trace.minimal.strip().splitlines():
            print("      " + line)

    def egress(self, namespace, ip, source, network):
        project = self.projects[namespace]
        port, mac = self.vm(namespace, ip)
        self.upstream(project["router"], project["external_network"])
        flow = ('inport=="%s" && eth.src==%s && eth.dst==%s && ip4.src==%s && ip4.dst==8.8.8.8 && '
                "ip.ttl==64 && udp && udp.src==40000 && udp.dst==53") % (
                    port, mac, self.router_port_mac("%s-%s" % (project["router"], project["switch"])), ip)
        self.check("%s: VM %s -> internet" % (namespace, ip), self.lab.trace(project["switch"], flow),
                   ["localnet." + network], {"ip4.src": source})

    def inbound(self, namespace, address, network, port_number, expect_port, expect_dst, lb_dst=None):
        router = self.projects[namespace]["router"]
        gateway_port = self.upstream(router, network)
        flow = ('inport=="localnet.%s" && eth.src==%s && eth.dst==%s && ip4.src==203.0.113.9 && ip4.dst==%s && '
                "ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst==%d") % (
                    network, UPSTREAM_MAC, self.router_port_mac(gateway_port), address, port_number)
        trace = self.lab.trace(network, flow, ct=["new"] if lb_dst else (), lb_dst=lb_dst)
        self.check("%s: internet -> %s:%d" % (namespace, address, port_number), trace, [expect_port], {"ip4.dst": expect_dst})


def prove(lab, report):
    prover = Prover(lab, report)
    heading("Proof 1: a VM without a FIP reaches the internet, SNATed to its project's address")
    for project in report["projects"]:
        prefix = project["cidr"].split("/")[0].rsplit(".", 1)[0]
        prover.egress(project["namespace"], "%s.%d" % (prefix, DEMO_VM_IP_HOST), project["default_gateway_ip"], project["external_network"])
    heading("Proof 2: the internet reaches a VM on its FIP, and the VM leaves from its FIP")
    for fip in report["fips"]:
        port, _mac = prover.vm(fip["namespace"], fip["ip_address"])
        prover.inbound(fip["namespace"], fip["external_ip"], fip["external_network"], 22, port, fip["ip_address"])
        prover.egress(fip["namespace"], fip["ip_address"], fip["external_ip"], fip["external_network"])
    heading("Proof 3: a client reaches every backend of a load balancer VIP")
    for binding in report["lb_bindings"]:
        network = next(
            net["name"] for net in report["external_networks"]
            if any(a["address"] == binding["address"] for a in net["allocated"])
        )
        for backend in binding["backends"]:
            ip = backend.rsplit(":", 1)[0]
            port, _mac = prover.vm(binding["namespace"], ip)
            prover.inbound(binding["namespace"], binding["address"], network, binding["port"], port, ip, lb_dst=backend)
    return prover.failures, prover.total, prover


EGRESS_PORT = 8000  # where the outside hosts listen, to see a workload's egress and its source
FIP_PORT = 22  # what the internet reaches a FIP's VM on, as network_trace traces it
VIP_TRIES = 16  # connections per load balancer VIP, each with a new source port for the LB to hash


class RealTraffic(object):
    """Real packets through the lab's datapath mode, checked against the declaration."""

    def __init__(self, lab, report, prover, chassis):
        self.report = report
        self.prover = prover
        self.dp = lab.start_datapath(chassis)
        self.projects = dict((p["namespace"], p) for p in report["projects"])
        self.outside = {}
        self.workloads = {}
        self.failures = 0
        self.total = 0
        self.figures = []

    def plug(self):
        """An outside host on each external network (at its gateway address, with the internet
        address behind it) and a workload on each VM port the proof uses, serving what is
        published on it."""
        for net in self.report["external_networks"]:
            host = self.dp.add_outside_host(net["name"], "%s/%s" % (net["gateway"], net["cidr"].split("/")[1]))
            self.dp.serve(host.namespace, [EGRESS_PORT], name="outside-" + net["name"])
            self.outside[net["name"]] = host
        ports = {}
        for project in self.report["projects"]:
            ports.setdefault((project["namespace"], self.demo_vm_ip(project)), set())
        for fip in self.report["fips"]:
            ports.setdefault((fip["namespace"], fip["ip_address"]), set()).add(FIP_PORT)
        for binding in self.report["lb_bindings"]:
            for backend in binding["backends"]:
                ip, port = backend.rsplit(":", 1)
                ports.setdefault((binding["namespace"], ip), set()).add(int(port))
        for (namespace, ip), served in sorted(ports.items()):
            port, _mac = self.prover.vm(namespace, ip)
            workload = self.dp.attach_workload(port, wait=False)
            self.dp.serve(workload.namespace, sorted(served) or [FIP_PORT], name=port)
            self.workloads[(namespace, ip)] = workload
        for workload in self.workloads.values():
            self.dp.wait_bound(workload.port)
        # Every flow of the NB is on the chassis from here on: the figures below are the time
        # from a programmed datapath to the first packet through it.
        self.dp.sync()
        print("datapath: chassis %s, %d workloads, outside hosts on %s; namespaces %s-*" % (
            self.dp.chassis, len(self.workloads), ", ".join(sorted(self.outside)), self.dp.prefix))

    @staticmethod
    def demo_vm_ip(project):
        return "%s.%d" % (project["cidr"].split("/")[0].rsplit(".", 1)[0], DEMO_VM_IP_HOST)

    def check(self, what, ok, detail, first):
        self.total += 1
        self.failures += not ok
        self.figures.append((what, first))
        timing = "first packet after %.3f s" % first if first is not None else "no packet"
        print("%s: %s  (%s)  [%s]" % (what, detail, timing, "OK" if ok else "UNEXPECTED"))

    def request(self, host, address, port, src=DEFAULT_INTERNET_ADDRESS):
        return self.dp.first_answer(lambda: self.dp.request(host.namespace, address, port, src=src), 10.0)

    def egress(self, namespace, ip, network, source):
        workload = self.workloads[(namespace, ip)]
        answer, first = self.dp.first_answer(
            lambda: self.dp.request(workload.namespace, DEFAULT_INTERNET_ADDRESS, EGRESS_PORT), 10.0)
        ok = answer is not None and answer.name == "outside-" + network and answer.peer_ip == source
        detail = ("seen by the outside host on %s from %s, expected %s" % (network, answer.peer_ip, source)
                  if answer else "never seen outside, expected from %s on %s" % (source, network))
        self.check("%s: %s -> internet (%s)" % (namespace, ip, workload.port), ok, detail, first)

    def fip_in(self, fip):
        host = self.outside[fip["external_network"]]
        workload = self.workloads[(fip["namespace"], fip["ip_address"])]
        pinged = self.dp.first(lambda: self.dp.ping(host.namespace, fip["external_ip"], src=DEFAULT_INTERNET_ADDRESS), 10.0)
        self.check("%s: internet ping %s" % (fip["namespace"], fip["external_ip"]), pinged is not None,
                   "echo reply" if pinged is not None else "no echo reply", pinged)
        answer, first = self.request(host, fip["external_ip"], FIP_PORT)
        ok = answer is not None and answer.name == workload.port and answer.peer_ip == DEFAULT_INTERNET_ADDRESS
        detail = ("answered by %s (%s:%d), which saw the client %s" % (answer.name, answer.local_ip, answer.local_port, answer.peer_ip)
                  if answer else "no answer, expected %s" % workload.port)
        self.check("%s: internet -> %s:%d" % (fip["namespace"], fip["external_ip"], FIP_PORT), ok, detail, first)

    def vip(self, binding):
        network = next(net["name"] for net in self.report["external_networks"]
                       if any(a["address"] == binding["address"] for a in net["allocated"]))
        host = self.outside[network]
        expected = set(self.workloads[(binding["namespace"], b.rsplit(":", 1)[0])].port for b in binding["backends"])
        answer, first = self.request(host, binding["address"], binding["port"])
        answers = [answer] + [self.dp.request(host.namespace, binding["address"], binding["port"], src=DEFAULT_INTERNET_ADDRESS)
                              for _attempt in range(VIP_TRIES - 1)]
        seen = sorted(set(a.name for a in answers if a is not None))
        unanswered = sum(a is None for a in answers)
        ok = set(seen) == expected and not unanswered
        self.check("%s: internet -> VIP %s:%d (%s)" % (binding["namespace"], binding["address"], binding["port"], binding["name"]), ok,
                   "%d connections answered by %s%s" % (len(answers) - unanswered, ", ".join(seen) or "nobody",
                                                        ", %d unanswered" % unanswered if unanswered else ""), first)


def real_traffic(lab, report, prover):
    """Step 7; returns (failures, total), or None where the datapath cannot run."""
    # One chassis hosts every gateway port: the first that all external networks name, which
    # ovn-controller makes active wherever it is the only chassis there is.
    networks = report["external_networks"]
    common = [c for c in networks[0]["gateway_chassis"] if all(c in n["gateway_chassis"] for n in networks)]
    chassis = (common or networks[0]["gateway_chassis"])[0]
    heading("Real packets: an OVS userspace datapath with ovn-controller as gateway chassis %s" % chassis)
    try:
        real = RealTraffic(lab, report, prover, chassis)
    except DatapathUnavailable as exc:
        print("skipped: this machine cannot run the datapath: %s" % exc)
        return None
    real.plug()
    print("\nInbound, from the internet host %s behind each external network's gateway:" % DEFAULT_INTERNET_ADDRESS)
    for fip in report["fips"]:
        real.fip_in(fip)
    for binding in report["lb_bindings"]:
        real.vip(binding)
    print("\nEgress, seen by the outside host, with the source it arrived from:")
    for fip in report["fips"]:
        real.egress(fip["namespace"], fip["ip_address"], fip["external_network"], fip["external_ip"])
    for project in report["projects"]:
        real.egress(project["namespace"], real.demo_vm_ip(project), project["external_network"], project["default_gateway_ip"])
    timed = [first for _what, first in real.figures if first is not None]
    if timed:
        print("\ntime to first packet, per path: min %.3f s, max %.3f s (%d paths)" % (min(timed), max(timed), len(timed)))
    return real.failures, real.total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab-dir", default=str(REPO / ".lab"))
    parser.add_argument("--no-datapath", action="store_true", help="skip step 7, the real packets")
    args = parser.parse_args(argv)
    lab = OvnLab(args.lab_dir)
    lab.stop()
    lab.start()
    heading("OVN lab running in %s (NB %s)" % (args.lab_dir, lab.nb_remote))
    heading("The plan of %s, as a review would see it (--check --diff)" % DATACENTER.relative_to(REPO))
    run_playbook(lab, "site.yml", "--check", "--diff")
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        heading("Converge it")
        first = run_playbook(lab, "demo.yml", "-e", "demo_report=" + str(report_path))
        heading("Second run of the same playbook: it must change nothing")
        second = run_playbook(lab, "demo.yml", "-e", "demo_report=" + str(report_path))
        report = json.loads(report_path.read_text())
    show_made(report)
    failures, total, prover = prove(lab, report)
    heading("playbooks/verify.yml: the collection's own check, now that the VMs are attached")
    run_playbook(lab, "verify.yml")
    real = None if args.no_datapath else real_traffic(lab, report, prover)
    heading("Summary")
    print("first run: %d changed; second run: %d changed (idempotent: %s)" % (
        first["changed"], second["changed"], "yes" if second["changed"] == 0 else "NO"))
    print("ovn-trace proof: %d of %d paths as declared" % (total - failures, total))
    drifted = [d for network in report["networks"] for d in network["drift"]]
    print("drift after converging: %s" % (len(drifted) or "none"))
    print("verify.yml: passed")
    if real is None:
        print("real packets: skipped" + (" (--no-datapath)" if args.no_datapath else " (no datapath on this machine, see above)"))
    else:
        print("real packets: %d of %d paths as declared" % (real[1] - real[0], real[1]))
        print("\nThe datapath runs too: `ip netns list` shows its namespaces; run a command in one with"
              " `ip netns exec NAMESPACE ...`.")
    print("\nThe lab is still running. Look around with:\n    export %s\n    ovn-nbctl show\nStop it with: make lab-stop" % "  ".join(
        "%s=%s" % kv for kv in sorted(lab.env().items())))
    return 1 if failures or second["changed"] or drifted or (real and real[0]) else 0


if __name__ == "__main__":
    sys.exit(main())

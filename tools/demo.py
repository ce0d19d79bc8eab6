# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: converge the example datacenter on a fresh local OVN lab and prove it.

1. starts a fresh lab (NB, SB, northd) in --lab-dir, stopping an older one there;
2. runs playbooks/demo.yml, then runs it again, which must change nothing;
3. prints what was made: provider networks with their allocations, project networks;
4. attaches a demo VM port to every project (as a cloud controller would), lets the lab
   learn the upstream gateway's MAC (as ovn-controller would from its ARP reply), and shows
   with ovn-trace that the VM's traffic to the internet leaves through the project's gateway
   port, SNATed to the project's default-gateway address.

The lab stays up afterwards for a look around; `make lab-stop` stops it.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ovn_lab import OvnLab

REPO = Path(__file__).resolve().parents[1]
UPSTREAM_MAC = "0a:ff:00:00:00:01"
DEMO_VM_IP_HOST = 10  # the demo VM takes the 10th address of each project subnet


def run_playbook(nb_remote, report):
    """Run the demo playbook, streaming its output; return the PLAY RECAP counters."""
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i", "localhost,", "-c", "local",
        "-e", "ansible_python_interpreter=" + sys.executable,
        "-e", "ovn_nb_connection=" + nb_remote,
        "-e", "demo_report=" + str(report),
        str(REPO / "playbooks" / "demo.yml"),
    ]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    if proc.wait() != 0:
        raise SystemExit("the demo playbook failed (exit %d)" % proc.returncode)
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


def prove(lab, report):
    heading("Proof: ovn-trace of a VM's packet to the internet, per project")
    gateways = dict((net["name"], net["gateway"]) for net in report["external_networks"])
    failures = 0
    for index, project in enumerate(report["projects"]):
        prefix = project["cidr"].split("/")[0].rsplit(".", 1)[0]
        vm_ip = "%s.%d" % (prefix, DEMO_VM_IP_HOST)
        vm_mac = "0a:00:00:00:%02x:%02x" % (index + 1, DEMO_VM_IP_HOST)
        vm_port = "demo-vm.%s" % project["namespace"]
        lab.nbctl("--may-exist", "lsp-add", project["switch"], vm_port, "--", "lsp-set-addresses", vm_port, "%s %s" % (vm_mac, vm_ip))
        lab.learn_mac(project["gateway_router_port"], gateways[project["external_network"]], UPSTREAM_MAC)
        router_mac = lab.nbctl("get", "Logical_Router_Port", "%s-%s" % (project["router"], project["switch"]), "mac").strip().strip('"')
        flow = ('inport=="%s" && eth.src==%s && eth.dst==%s && ip4.src==%s && ip4.dst==8.8.8.8 && '
                "ip.ttl==64 && udp && udp.src==40000 && udp.dst==53") % (vm_port, vm_mac, router_mac, vm_ip)
        trace = lab.trace(project["switch"], flow)
        expected_port = "localnet." + project["external_network"]
        ok = trace.outputs == [expected_port] and trace.snat == [project["default_gateway_ip"]]
        failures += not ok
        print("\n%s: VM %s -> 8.8.8.8: %s  [%s]" % (project["namespace"], vm_ip, trace.verdict(), "OK" if ok else "UNEXPECTED"))
        print("    expected: out of %s with source %s" % (expected_port, project["default_gateway_ip"]))
        print("    ovn-trace --minimal %s '%s'" % (project["switch"], flow))
        for line in trace.minimal.strip().splitlines():
            print("      " + line)
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab-dir", default=str(REPO / ".lab"))
    args = parser.parse_args(argv)
    lab = OvnLab(args.lab_dir)
    lab.stop()
    lab.start()
    heading("OVN lab running in %s (NB %s)" % (args.lab_dir, lab.nb_remote))
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        first = run_playbook(lab.nb_remote, report_path)
        heading("Second run of the same playbook: it must change nothing")
        second = run_playbook(lab.nb_remote, report_path)
        report = json.loads(report_path.read_text())
    show_made(report)
    failures = prove(lab, report)
    heading("Summary")
    print("first run: %d changed; second run: %d changed (idempotent: %s)" % (
        first["changed"], second["changed"], "yes" if second["changed"] == 0 else "NO"))
    print("ovn-trace proof: %d of %d projects as declared" % (len(report["projects"]) - failures, len(report["projects"])))
    print("\nThe lab is still running. Look around with:\n    export %s\n    ovn-nbctl show\nStop it with: make lab-stop" % "  ".join(
        "%s=%s" % kv for kv in sorted(lab.env().items())))
    return 1 if failures or second["changed"] else 0


if __name__ == "__main__":
    sys.exit(main())

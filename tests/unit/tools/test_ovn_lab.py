# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for tools/ovn_lab.py against real ovsdb-server, ovn-northd and ovn-trace."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[3] / "tools" / "ovn_lab.py"
_spec = importlib.util.spec_from_file_location("ovn_lab", TOOL)
ovn_lab = importlib.util.module_from_spec(_spec)
sys.modules["ovn_lab"] = ovn_lab  # dataclasses look their module up there
_spec.loader.exec_module(ovn_lab)

pytestmark = pytest.mark.skipif(
    not all(shutil.which(b) for b in ("ovsdb-server", "ovsdb-tool", "ovsdb-client", "ovn-northd", "ovn-trace"))
    or not (ovn_lab.SCHEMA_DIR / "ovn-nb.ovsschema").exists(),
    reason="needs the OVN central tools (Debian package ovn-central)",
)

UPSTREAM_MAC = "0a:00:00:00:99:01"  # the provider's gateway, 100.65.0.1
VM1_MAC, VM2_MAC = "0a:00:00:00:10:05", "0a:00:00:00:10:06"
LRP_INSIDE_MAC, LRP_OUTSIDE_MAC = "0a:00:00:00:00:01", "0a:00:00:00:00:02"

VM1_TO_INTERNET = (
    f'inport=="vm1" && eth.src=={VM1_MAC} && eth.dst=={LRP_INSIDE_MAC} && '
    "ip4.src==10.0.0.5 && ip4.dst==8.8.8.8 && ip.ttl==64 && udp && udp.src==1000 && udp.dst==53"
)


def from_internet(ip_dst: str, tcp_dst: int) -> str:
    """A packet arriving from the provider network on the localnet port."""
    return (
        f'inport=="localnet.ext-cloud" && eth.src=={UPSTREAM_MAC} && eth.dst=={LRP_OUTSIDE_MAC} && '
        f"ip4.src==8.8.8.8 && ip4.dst=={ip_dst} && ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst=={tcp_dst}"
    )


def lab_processes(directory: Path) -> list[int]:
    """Pids of live processes whose command line mentions ``directory``."""
    marker = os.fsencode(str(directory))
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


def build_topology(lab) -> None:
    """The external provider switch and one project: router org-p1 with a
    distributed gateway port on ext-cloud, a default route to 100.65.0.1,
    SNAT of 10.0.0.0/24 to the router's address, and two VMs."""
    lab.nbctl(
        "ls-add", "ext-cloud",
        "--", "lsp-add", "ext-cloud", "localnet.ext-cloud",
        "--", "lsp-set-type", "localnet.ext-cloud", "localnet",
        "--", "lsp-set-addresses", "localnet.ext-cloud", "unknown",
        "--", "lsp-set-options", "localnet.ext-cloud", "network_name=physnet",
    )  # fmt: skip
    lab.nbctl("lr-add", "org-p1", "--", "ls-add", "org-p1-default")
    lab.nbctl(
        "lrp-add", "org-p1", "org-p1-org-p1-default", LRP_INSIDE_MAC, "10.0.0.1/24",
        "--", "lsp-add", "org-p1-default", "org-p1-default-org-p1",
        "--", "lsp-set-type", "org-p1-default-org-p1", "router",
        "--", "lsp-set-addresses", "org-p1-default-org-p1", "router",
        "--", "lsp-set-options", "org-p1-default-org-p1", "router-port=org-p1-org-p1-default",
    )  # fmt: skip
    lab.nbctl(
        "lrp-add", "org-p1", "org-p1-ext-cloud", LRP_OUTSIDE_MAC, "100.65.0.102/16",
        "--", "lrp-set-gateway-chassis", "org-p1-ext-cloud", "chassis-1", "100",
        "--", "lsp-add", "ext-cloud", "ext-cloud-org-p1",
        "--", "lsp-set-type", "ext-cloud-org-p1", "router",
        "--", "lsp-set-addresses", "ext-cloud-org-p1", "router",
        "--", "lsp-set-options", "ext-cloud-org-p1", "router-port=org-p1-ext-cloud",
    )  # fmt: skip
    lab.nbctl("lr-route-add", "org-p1", "0.0.0.0/0", "100.65.0.1")
    lab.nbctl("lr-nat-add", "org-p1", "snat", "100.65.0.102", "10.0.0.0/24")
    lab.nbctl("lsp-add", "org-p1-default", "vm1", "--", "lsp-set-addresses", "vm1", f"{VM1_MAC} 10.0.0.5")
    lab.nbctl("lsp-add", "org-p1-default", "vm2", "--", "lsp-set-addresses", "vm2", f"{VM2_MAC} 10.0.0.6")


@pytest.fixture
def lab_dir():
    # Not pytest's tmp_path: its deep paths can exceed the unix socket limit.
    directory = Path(tempfile.mkdtemp(prefix="ovnlab-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def lab(lab_dir):
    with ovn_lab.OvnLab(lab_dir) as running:
        build_topology(running)
        yield running
    assert lab_processes(lab_dir) == []


def test_start_stop_leaves_no_process(lab_dir):
    lab = ovn_lab.OvnLab(lab_dir)
    lab.start()
    pids = lab.status()
    assert all(pids.values()), pids
    assert lab.env() == {"OVN_NB_DB": f"unix:{lab_dir}/nb.sock", "OVN_SB_DB": f"unix:{lab_dir}/sb.sock"}
    assert "OVN_Southbound" in lab._run(["ovsdb-client", "list-dbs", lab.sb_remote])
    with pytest.raises(ovn_lab.OvnLabError, match="already running"):
        lab.start()

    lab.stop()
    assert lab.status() == {"nb": None, "sb": None, "northd": None}
    # Reaped, not just dead: no zombie is left for pgrep to see either.
    assert [pid for pid in pids.values() if Path(f"/proc/{pid}").exists()] == []
    assert lab_processes(lab_dir) == []
    assert not any(lab_dir.glob("*.pid")) and not any(lab_dir.glob("*.sock"))
    lab.stop()  # twice is fine


def test_stop_after_start_failed_half_way(lab_dir, monkeypatch):
    start_daemon = ovn_lab.OvnLab._start_daemon

    def northd_fails(self, name, argv):
        start_daemon(self, name, ["false", *argv[1:]] if name == "northd" else argv)

    monkeypatch.setattr(ovn_lab.OvnLab, "_start_daemon", northd_fails)
    lab = ovn_lab.OvnLab(lab_dir)
    with pytest.raises(ovn_lab.OvnLabError, match="northd.log"):
        lab.start()
    assert lab.status() == {"nb": None, "sb": None, "northd": None}
    assert lab_processes(lab_dir) == []
    lab.stop()


def test_long_directory_is_refused_but_a_short_symlink_works(lab_dir):
    long_dir = lab_dir / ("d" * 100)
    with pytest.raises(ovn_lab.OvnLabError, match="too long for unix sockets.*short symlink"):
        ovn_lab.OvnLab(long_dir)

    long_dir.mkdir()
    (lab_dir / "s").symlink_to(long_dir)
    with ovn_lab.OvnLab(lab_dir / "s") as lab:
        assert lab.nb_remote == f"unix:{lab_dir}/s/nb.sock"
        assert (long_dir / "nb.sock").is_socket()
        lab.sync()
    assert lab_processes(lab_dir) == []


def test_dump_nb_is_stable_until_the_nb_changes(lab):
    first = lab.dump_nb()
    assert "Logical_Router_Port table" in first and "org-p1-ext-cloud" in first
    # The sync counters that every --wait bumps are left out.
    assert "nb_cfg" not in first
    lab.sync()
    assert lab.dump_nb() == first
    lab.learn_mac("org-p1-ext-cloud", "100.65.0.1", UPSTREAM_MAC)  # SB only
    assert lab.dump_nb() == first

    lab.nbctl("lsp-set-addresses", "vm2", f"{VM2_MAC} 10.0.0.7")
    assert lab.dump_nb() != first


def test_nbctl_error_carries_stderr(lab):
    with pytest.raises(ovn_lab.OvnLabError, match="(?s)ls-del nope.*nope: switch name not found"):
        lab.nbctl("ls-del", "nope")


def test_snat_to_internet_needs_the_gateway_mac(lab):
    # Nobody answered the router's ARP for 100.65.0.1 yet: no forwarding.
    before = lab.trace("org-p1-default", VM1_TO_INTERNET)
    assert before.outputs == []
    assert not before.dropped
    assert before.arp_requests == [
        ovn_lab.ArpRequest(target_ip="100.65.0.1", sender_ip="100.65.0.102", ports=("localnet.ext-cloud",))
    ]
    assert "ARP request for 100.65.0.1" in before.verdict()

    assert lab.learn_mac("org-p1-ext-cloud", "100.65.0.1", UPSTREAM_MAC) is True
    assert lab.learn_mac("org-p1-ext-cloud", "100.65.0.1", UPSTREAM_MAC.upper()) is False
    rows = lab.sbctl("--bare", "--columns=mac", "find", "MAC_Binding", "logical_port=org-p1-ext-cloud")
    assert rows.split() == [UPSTREAM_MAC]

    after = lab.trace("org-p1-default", VM1_TO_INTERNET)
    assert after.outputs == ["localnet.ext-cloud"]
    assert after.arp_requests == [] and not after.dropped
    assert after.snat == ["100.65.0.102"] and after.dnat == []
    assert after.final_fields["localnet.ext-cloud"] == {
        "ip4.src": "100.65.0.102",
        "eth.src": LRP_OUTSIDE_MAC,
        "eth.dst": UPSTREAM_MAC,
        "ip.ttl": "63",
    }
    assert after.verdict() == "forwarded to localnet.ext-cloud; SNAT 100.65.0.102"


def test_learn_mac_refuses_what_is_not_a_router_port(lab):
    with pytest.raises(ovn_lab.OvnLabError, match="not a logical router port"):
        lab.learn_mac("ext-cloud-org-p1", "100.65.0.1", UPSTREAM_MAC)
    with pytest.raises(ovn_lab.OvnLabError, match="no Port_Binding"):
        lab.learn_mac("nope", "100.65.0.1", UPSTREAM_MAC)
    with pytest.raises(ovn_lab.OvnLabError, match="not a MAC"):
        lab.learn_mac("org-p1-ext-cloud", "100.65.0.1", "zz")


def test_floating_ip_both_ways(lab):
    lab.nbctl("lr-nat-add", "org-p1", "dnat_and_snat", "100.65.0.50", "10.0.0.5")

    # Inbound needs no learned MAC: northd resolves the VM's MAC statically
    # from the addresses of its switch port.
    inbound = lab.trace("ext-cloud", from_internet("100.65.0.50", 22))
    assert inbound.outputs == ["vm1"]
    assert inbound.dnat == ["10.0.0.5"] and inbound.snat == []
    assert inbound.final_fields["vm1"]["ip4.dst"] == "10.0.0.5"
    assert inbound.final_fields["vm1"]["eth.dst"] == VM1_MAC

    # Outbound, the floating IP wins over the router-wide SNAT.
    lab.learn_mac("org-p1-ext-cloud", "100.65.0.1", UPSTREAM_MAC)
    outbound = lab.trace("org-p1-default", VM1_TO_INTERNET)
    assert outbound.outputs == ["localnet.ext-cloud"]
    assert outbound.final_fields["localnet.ext-cloud"]["ip4.src"] == "100.65.0.50"


def test_load_balancer_vip(lab):
    lab.nbctl("lb-add", "lb-web", "100.65.0.60:80", "10.0.0.5:8080,10.0.0.6:8080", "tcp")
    lab.nbctl("lr-lb-add", "org-p1", "lb-web")
    backends = [["10.0.0.5:8080", "10.0.0.6:8080"]]

    # ovn-trace assumes every connection is established unless told: the VIP
    # is then not load-balanced but routed like any on-link address.
    established = lab.trace("ext-cloud", from_internet("100.65.0.60", 80))
    assert established.lb_backends == [] and established.outputs == []
    assert [a.target_ip for a in established.arp_requests] == ["100.65.0.60"]

    # A new connection: ovn-trace picks a backend at random and does not say
    # which; the possible ones come from the ct_lb_mark action.
    new = lab.trace("ext-cloud", from_internet("100.65.0.60", 80), ct=["new"])
    assert new.lb_backends == backends
    assert new.outputs in (["vm1"], ["vm2"])
    assert new.dnat == []

    # --lb-dst makes the choice, and the result says what it was.
    for backend, port, mac in (("10.0.0.6:8080", "vm2", VM2_MAC), ("10.0.0.5", "vm1", VM1_MAC)):
        chosen = lab.trace("ext-cloud", from_internet("100.65.0.60", 80), ct=["new"], lb_dst=backend)
        ip = backend.split(":", maxsplit=1)[0]
        assert chosen.lb_backends == backends
        assert chosen.outputs == [port]
        assert chosen.dnat == [f"{ip}:8080"]
        assert chosen.final_fields[port] == {
            "ip4.dst": ip,
            "tcp.dst": "8080",
            "eth.src": LRP_INSIDE_MAC,
            "eth.dst": mac,
            "ip.ttl": "63",
        }


def test_dropped_packets(lab):
    lab.nbctl("acl-add", "org-p1-default", "from-lport", "1001", 'inport=="vm1" && tcp.dst==23', "drop")
    telnet = (
        f'inport=="vm1" && eth.src=={VM1_MAC} && eth.dst=={VM2_MAC} && '
        "ip4.src==10.0.0.5 && ip4.dst==10.0.0.6 && ip.ttl==64 && tcp && tcp.src==1000 && tcp.dst==23"
    )
    result = lab.trace("org-p1-default", telnet)
    assert result.dropped
    assert result.outputs == [] and result.arp_requests == [] and result.generated == []
    assert "drop;" in result.summary
    assert result.verdict() == "dropped"
    # The same packet to another port is forwarded.
    assert lab.trace("org-p1-default", telnet.replace("tcp.dst==23", "tcp.dst==22")).outputs == ["vm2"]

    # An expiring TTL drops the packet too; the router's ICMP error is a new packet.
    expired = lab.trace("org-p1-default", VM1_TO_INTERNET.replace("ip.ttl==64", "ip.ttl==1"))
    assert expired.dropped
    [icmp] = expired.generated
    assert (icmp.generated_by, icmp.port) == ("icmp4", "vm1")
    assert icmp.fields["icmp4.type"] == "11" and icmp.fields["ip4.src"] == "10.0.0.1"


def test_trace_errors_are_reported(lab):
    with pytest.raises(ovn_lab.OvnLabError, match='unknown datapath "nope"'):
        lab.trace("nope", VM1_TO_INTERNET)
    with pytest.raises(ovn_lab.OvnLabError, match="error parsing flow"):
        lab.trace("org-p1-default", VM1_TO_INTERNET + " && bogus")


def test_cli(lab_dir):
    def cli(*args, check=True):
        proc = subprocess.run(
            [sys.executable, str(TOOL), *args, "--dir", str(lab_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert not check or proc.returncode == 0, proc.stderr
        return proc

    started = cli("start")
    assert started.stdout.splitlines() == [
        f"export OVN_NB_DB=unix:{lab_dir}/nb.sock",
        f"export OVN_SB_DB=unix:{lab_dir}/sb.sock",
    ]
    pids = lab_processes(lab_dir)
    try:
        assert len(pids) == 3
        assert "northd: running" in cli("status").stdout
        build_topology(ovn_lab.OvnLab(lab_dir))
        assert cli("learn-mac", "org-p1-ext-cloud", "100.65.0.1", UPSTREAM_MAC).stdout == "changed\n"
        traced = cli("trace", "org-p1-default", VM1_TO_INTERNET).stdout
        assert 'ingress(dp="org-p1-default", inport="vm1")' in traced
        assert traced.endswith("verdict: forwarded to localnet.ext-cloud; SNAT 100.65.0.102\n")
        failed = cli("trace", "nope", VM1_TO_INTERNET, check=False)
        assert failed.returncode == 1 and 'unknown datapath "nope"' in failed.stderr
    finally:
        cli("stop")
    stopped = cli("status", check=False)
    assert stopped.returncode == 1 and "nb: stopped" in stopped.stdout
    # Daemons started by the CLI belong to PID 1 once it exits; wait for it
    # to collect them so that nothing is left behind.
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in pids if Path(f"/proc/{pid}").exists()] == []

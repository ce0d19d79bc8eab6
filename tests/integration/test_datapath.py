# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real packets: the lab's datapath mode (OVS userspace datapath + ovn-controller, workloads and
outside hosts as network namespaces) after converging through the modules.

ovn-trace reads the logical flows; these tests send real packets through the flows
ovn-controller programmed, and check that the ovn-trace verdict and the real packet agree.
Skipped, with the reason, only where the datapath cannot start (not root, no namespaces, no
userspace datapath); the time to the first packet after a converge is measured and recorded
(``record_property``), never asserted.
"""

import contextlib
import os
from pathlib import Path

import pytest

from ovn_lab import NETNS_ETC, DatapathUnavailable
from support import EXT_CLOUD, EXT_PUBLIC, VMS

INTERNET = "203.0.113.9"
# The outside hosts' listener: a workload's egress is seen there, with the source it arrived from.
EGRESS_PORT = 8000
SSH = 22
HTTPS_BACKEND = 8443
PROD = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
WHO = dict(organization="acme", project="prod")
WEB = dict(WHO, name="web", port=443, backends=["10.0.0.20:%d" % HTTPS_BACKEND, "10.0.0.21:%d" % HTTPS_BACKEND])
# How long a real packet may take before it counts as missing. The figures measured here are
# 0.01-0.2 s (docs/datapath.md); the bound is for the slowest CI machine, not a timing test.
ARRIVE = 10.0
# How long to listen for a packet that must not arrive; connections are retried within it.
ABSENT = 2.0


@pytest.fixture
def dp(lab):
    """The datapath mode on the test's lab, as chassis-1 (the gateway chassis of EXT_CLOUD and
    EXT_PUBLIC). Stopped after the test, pass or fail; the lab's own stop() would do it too."""
    try:
        datapath = lab.ovn.start_datapath("chassis-1")
    except DatapathUnavailable as exc:
        pytest.skip("no real OVN datapath on this machine: %s" % exc)
    try:
        yield datapath
    finally:
        datapath.stop()


@pytest.fixture
def outside(lab, dp, ext_cloud, ext_public):
    """An outside host on each external network: its gateway address, the internet address
    INTERNET behind it, and a listener on EGRESS_PORT that sees what workloads send out."""
    hosts = {}
    for ext in (EXT_CLOUD, EXT_PUBLIC):
        prefixlen = ext["cidr"].split("/")[1]
        host = dp.add_outside_host(ext["name"], "%s/%s" % (ext["gateway"], prefixlen))
        dp.serve(host.namespace, [EGRESS_PORT], name="outside-" + ext["name"])
        hosts[ext["name"]] = host
    return hosts


def attach(lab, dp, switch, name, mac, ip, ports=(SSH,)):
    """A workload port as a cloud controller adds it, plugged into the datapath, serving ``ports``
    and answering as ``name``."""
    lab.workload_port(switch, name, mac, ip)
    workload = dp.attach_workload(name)
    dp.serve(workload.namespace, list(ports), name=name)
    return workload


def reach(dp, host, address, port, timeout=ARRIVE):
    """The first answer from ``address:port`` to the internet client behind ``host``, retried
    until ``timeout`` (the first packet after a converge may need the next hop's ARP)."""
    return dp.first_answer(lambda: dp.request(host.namespace, address, port, src=INTERNET), timeout)


def egress(dp, workload, host, timeout=ARRIVE):
    """A workload's connection to the internet address, answered by ``host``'s listener if it
    left through ``host``'s network: (answer, seconds to it)."""
    return dp.first_answer(lambda: dp.request(workload.namespace, INTERNET, EGRESS_PORT), timeout)


def never(probe, within=ABSENT):
    """True if ``probe()`` stays false for ``within`` seconds (it is retried meanwhile)."""
    from ovn_lab import Datapath

    return Datapath.first(probe, within, interval=0.1) is None


def project(lab, spec=None, **extra):
    return lab.run("project_network", dict(spec or PROD, **extra))["project_network"]


def nat_uuid(lab, external_ip):
    return lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "external_ip=%s" % external_ip).strip()


def test_fip_in_and_out(lab, dp, outside, record_property):
    prod = project(lab)
    vm1 = attach(lab, dp, prod["switch"], "vm1", *VMS["vm1"])
    fip = lab.run("fip", dict(WHO, name="bastion", ip_address=vm1.ip))["fip"]
    dp.sync()
    cloud = outside["ext-cloud"]
    answer, first = reach(dp, cloud, fip["external_ip"], SSH)
    record_property("first_packet_fip_in_s", first)
    # The internet client reached the VM on the FIP, and the VM saw the client's own address.
    assert answer is not None, "no answer from %s:%d" % (fip["external_ip"], SSH)
    assert (answer.name, answer.local_ip, answer.local_port, answer.peer_ip) == ("vm1", vm1.ip, SSH, INTERNET)
    assert dp.ping(cloud.namespace, fip["external_ip"], src=INTERNET)
    # The VM leaves from its FIP, through ext-cloud.
    out, first_out = egress(dp, vm1, cloud)
    record_property("first_packet_fip_out_s", first_out)
    assert out is not None and (out.name, out.peer_ip) == ("outside-ext-cloud", fip["external_ip"])
    assert dp.ping(vm1.namespace, INTERNET)
    # ovn-trace agrees on the way out: through ext-cloud's localnet port, from the FIP.
    traced = lab.trace_egress(prod, "vm1", vm1.mac, vm1.ip, dst=INTERNET)
    assert traced.outputs == ["localnet.ext-cloud"], traced.summary
    assert traced.final_fields["localnet.ext-cloud"]["ip4.src"] == out.peer_ip
    assert [p.peer_ip for p in dp.peers(outside["ext-public"].namespace)] == []


def test_snat_egress_leaves_from_the_project_address(lab, dp, outside, record_property):
    prod = project(lab)
    vm3 = attach(lab, dp, prod["switch"], "vm3", *VMS["vm3"])
    dp.sync()
    out, first = egress(dp, vm3, outside["ext-cloud"])
    record_property("first_packet_snat_out_s", first)
    assert out is not None, "vm3's egress never reached ext-cloud's outside host"
    assert (out.name, out.peer_ip) == ("outside-ext-cloud", prod["default_gateway_ip"])
    # ICMP too: the echo request arrives from the project's address.
    with dp.capture(outside["ext-cloud"].namespace, "icmp") as seen:
        assert dp.ping(vm3.namespace, INTERNET)
    requests = {(src, dst) for src, dst, rest in seen if rest.startswith("ICMP echo request")}
    assert requests == {(prod["default_gateway_ip"], INTERNET)}, seen
    # ovn-trace agrees: out through ext-cloud's localnet port, from the project's address.
    traced = lab.trace_egress(prod, "vm3", vm3.mac, vm3.ip, dst=INTERNET)
    assert traced.outputs == ["localnet.ext-cloud"], traced.summary
    assert traced.final_fields["localnet.ext-cloud"]["ip4.src"] == out.peer_ip
    # SNAT only: the project's address leads nowhere inwards.
    assert never(lambda: dp.request(outside["ext-cloud"].namespace, prod["default_gateway_ip"], SSH, src=INTERNET))


def test_lb_vip_reaches_every_backend(lab, dp, outside, record_property):
    prod = project(lab)
    backends = {}
    for name in ("web1", "web2"):
        backends[name] = attach(lab, dp, prod["switch"], name, *VMS[name], ports=(HTTPS_BACKEND,))
    binding = lab.run("lb_binding", WEB)["lb_binding"]
    dp.sync()
    cloud = outside["ext-cloud"]
    first_answer, first = reach(dp, cloud, binding["address"], binding["port"])
    record_property("first_packet_vip_s", first)
    assert first_answer is not None, "no answer from the VIP %s:%d" % (binding["address"], binding["port"])
    # Each connection has a new source port, which the datapath's hash spreads over the backends.
    answers = [dp.request(cloud.namespace, binding["address"], binding["port"], src=INTERNET) for _attempt in range(24)]
    assert None not in answers, "a request to the VIP went unanswered"
    assert {a.name for a in answers} == {"web1", "web2"}, [a.name for a in answers]
    for answer in answers:
        assert (answer.local_ip, answer.local_port, answer.peer_ip) == (backends[answer.name].ip, HTTPS_BACKEND, INTERNET)
    # The backends' own egress is SNATed as any workload's.
    out, _first = egress(dp, backends["web1"], cloud)
    assert out is not None and out.peer_ip == prod["default_gateway_ip"]


def test_fip_on_another_network_replies_through_its_gateway(lab, dp, outside, record_property):
    """A public FIP in a cloud project: the reroute policy sends the FIP's traffic out through
    ext-public, so the reply reaches the client there; without the policy (removed by hand)
    ovn-trace sends the reply out ext-cloud, and the real reply misses the client too."""
    prod = project(lab)
    vm2 = attach(lab, dp, prod["switch"], "vm2", *VMS["vm2"])
    fip = lab.run("fip", dict(WHO, name="admin", ip_address=vm2.ip, external_network_type="public"))["fip"]
    assert fip["external_network"] == "ext-public"
    dp.sync()
    public, cloud = outside["ext-public"], outside["ext-cloud"]
    answer, first = reach(dp, public, fip["external_ip"], SSH)
    record_property("first_packet_public_fip_in_s", first)
    # The TCP handshake completed in ext-public's outside host: the reply came back through it.
    assert answer is not None and (answer.name, answer.peer_ip) == ("vm2", INTERNET)
    out, _first = egress(dp, vm2, public)
    assert out is not None and (out.name, out.peer_ip) == ("outside-ext-public", fip["external_ip"])
    assert dp.peers(cloud.namespace) == [], "vm2's traffic also left through ext-cloud"

    # The trace of the reply, with and without the reroute policy.
    def trace_reply():
        lab.ovn.learn_mac("acme-prod-ext-public", EXT_PUBLIC["gateway"], public.mac)
        lab.ovn.learn_mac("acme-prod-ext-cloud", EXT_CLOUD["gateway"], cloud.mac)
        router_mac = lab.ovn.nbctl("get", "Logical_Router_Port", "acme-prod-acme-prod-default", "mac").strip().strip('"')
        flow = ('inport=="vm2" && eth.src==%s && eth.dst==%s && ip4.src==%s && ip4.dst==%s && ip.ttl==64 && '
                "tcp && tcp.src==%d && tcp.dst==40000") % (vm2.mac, router_mac, vm2.ip, INTERNET, SSH)
        return lab.ovn.trace(prod["switch"], flow)

    routed = trace_reply()
    assert routed.outputs == ["localnet.ext-public"], routed.summary
    assert routed.final_fields["localnet.ext-public"]["ip4.src"] == fip["external_ip"]
    policies = lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "Logical_Router_Policy", "action=reroute").split()
    assert len(policies) == 1
    lab.ovn.nbctl("lr-policy-del", "acme-prod", policies[0])
    dp.sync()
    # The real reply now misses the client on ext-public: it leaves through ext-cloud instead,
    # where ext-cloud's outside host sees it. Its source is still the public FIP: conntrack
    # reverses the DNAT of the connection whichever port the reply leaves by.
    with dp.capture(cloud.namespace, "tcp and src port %d" % SSH) as leaked:
        assert never(lambda: dp.request(public.namespace, fip["external_ip"], SSH, src=INTERNET))
    assert leaked, "the reply left through neither gateway"
    assert {(src.rsplit(".", 1)[0], dst.rsplit(".", 1)[0]) for src, dst, _rest in leaked} == {(fip["external_ip"], INTERNET)}
    # ovn-trace sends it out through ext-cloud too. It knows no connection, so it traces the
    # reply as a new packet, which the project's SNAT rewrites.
    unrouted = trace_reply()
    assert unrouted.outputs == ["localnet.ext-cloud"], unrouted.summary
    assert unrouted.final_fields["localnet.ext-cloud"]["ip4.src"] == prod["default_gateway_ip"]


def test_projects_with_the_same_cidr_never_exchange_a_packet(lab, dp, outside):
    prod = project(lab)
    web = project(lab, dict(organization="acme", name="web", cidr="10.0.0.0/24"))
    assert prod["cidr"] == web["cidr"] and prod["router"] != web["router"]
    p10 = attach(lab, dp, prod["switch"], "prod-10", "0a:00:00:01:00:0a", "10.0.0.10")
    p11 = attach(lab, dp, prod["switch"], "prod-11", "0a:00:00:01:00:0b", "10.0.0.11")
    w10 = attach(lab, dp, web["switch"], "web-10", "0a:00:00:02:00:0a", "10.0.0.10")
    w20 = attach(lab, dp, web["switch"], "web-20", "0a:00:00:02:00:14", "10.0.0.20")
    dp.sync()
    # Within a project the address is its own workload's (and the captures below do see packets).
    with dp.capture(p10.namespace, "ip") as into_p10:
        answer = dp.request(p11.namespace, "10.0.0.10", SSH, timeout=ARRIVE)
    assert answer is not None and (answer.name, answer.peer_ip) == ("prod-10", p11.ip)
    assert any(source.startswith(p11.ip + ".") for source, _dest, _rest in into_p10), into_p10
    answer = dp.request(w20.namespace, "10.0.0.10", SSH, timeout=ARRIVE)
    assert answer is not None and (answer.name, answer.peer_ip) == ("web-10", w20.ip)
    # An address only the other project has is not there, and not one IPv4 packet reaches the
    # other project's ports while one side tries: each side is idle while the other probes.
    with contextlib.ExitStack() as stack:
        into_web = [stack.enter_context(dp.capture(w.namespace, "ip")) for w in (w10, w20)]
        assert never(lambda: dp.request(p11.namespace, "10.0.0.20", SSH) or dp.ping(p11.namespace, "10.0.0.20"))
    assert into_web == [[], []], "a packet of prod's probes reached web's ports"
    with contextlib.ExitStack() as stack:
        into_prod = [stack.enter_context(dp.capture(p.namespace, "ip")) for p in (p10, p11)]
        assert never(lambda: dp.request(w10.namespace, "10.0.0.11", SSH) or dp.ping(w10.namespace, "10.0.0.11"))
    assert into_prod == [[], []], "a packet of web's probes reached prod's ports"
    # The other project's servers never saw a connection from this one, and the reverse.
    assert {(a.name, a.peer_ip) for a in dp.peers(w10.namespace)} == {("web-10", w20.ip)}
    assert [a.peer_ip for a in dp.peers(w20.namespace)] == []
    assert {(a.name, a.peer_ip) for a in dp.peers(p10.namespace)} == {("prod-10", p11.ip)}
    # Both leave to the internet, each from its own project's address.
    out_prod, _first = egress(dp, p10, outside["ext-cloud"])
    out_web, _first = egress(dp, w10, outside["ext-cloud"])
    assert out_prod is not None and out_prod.peer_ip == prod["default_gateway_ip"]
    assert out_web is not None and out_web.peer_ip == web["default_gateway_ip"]
    assert prod["default_gateway_ip"] != web["default_gateway_ip"]


def test_retargeted_fip_moves_the_traffic_and_a_removed_one_stops_it(lab, dp, outside, record_property):
    prod = project(lab)
    vm1 = attach(lab, dp, prod["switch"], "vm1", *VMS["vm1"])
    vm3 = attach(lab, dp, prod["switch"], "vm3", *VMS["vm3"])
    cloud = outside["ext-cloud"]
    fip = lab.run("fip", dict(WHO, name="bastion", ip_address=vm1.ip))["fip"]
    dp.sync()
    answer, _first = reach(dp, cloud, fip["external_ip"], SSH)
    assert answer is not None and answer.name == "vm1"

    moved = lab.run("fip", dict(WHO, name="bastion", ip_address=vm3.ip))
    assert moved["changed"] is True and moved["fip"]["external_ip"] == fip["external_ip"]
    dp.sync()
    answer, first = reach(dp, cloud, fip["external_ip"], SSH)
    record_property("first_packet_after_retarget_s", first)
    assert answer is not None and answer.name == "vm3", answer
    # Every new connection goes to vm3 now, and each VM leaves from where the FIP says.
    assert {dp.request(cloud.namespace, fip["external_ip"], SSH, src=INTERNET).name for _round in range(5)} == {"vm3"}
    out3, _first = egress(dp, vm3, cloud)
    out1, _first = egress(dp, vm1, cloud)
    assert out3 is not None and out3.peer_ip == fip["external_ip"]
    assert out1 is not None and out1.peer_ip == prod["default_gateway_ip"]

    removed = lab.run("fip", dict(WHO, name="bastion", state="absent"))
    assert removed["changed"] is True
    dp.sync()
    assert never(lambda: dp.request(cloud.namespace, fip["external_ip"], SSH, src=INTERNET))
    assert never(lambda: dp.ping(cloud.namespace, fip["external_ip"], src=INTERNET))
    out3, _first = egress(dp, vm3, cloud)
    assert out3 is not None and out3.peer_ip == prod["default_gateway_ip"]


@pytest.fixture
def published(lab, dp, outside):
    """test_network_trace's acme-prod on a real datapath: two FIPs (one on each external
    network) and a VIP with two backends, every workload attached and serving."""
    prod = project(lab)
    workloads = {}
    for name, (mac, ip) in sorted(VMS.items()):
        workloads[name] = attach(lab, dp, prod["switch"], name, mac, ip, ports=(SSH, HTTPS_BACKEND))
    fips = [dict(name="bastion", ip_address="10.0.0.10"), dict(name="admin", ip_address="10.0.0.11", external_network_type="public")]
    fips = dict((fip["name"], fip) for fip in lab.run("fip", dict(WHO, fips=fips))["fips"])
    binding = lab.run("lb_binding", WEB)["lb_binding"]
    lab.ovn.sync()
    dp.sync()
    return dict(project=prod, workloads=workloads, fips=fips, binding=binding)


def network_trace(lab):
    args = dict(WHO, ovn_sb_connection=lab.ovn.sb_remote, fail_on_mismatch=False)
    return lab.run("network_trace", args)["network_trace"]


def real_outputs(dp, outside, path, tries=24):
    """Which workloads the real packets of one network_trace path reach: new connections from the
    internet client behind the path's external network to its address and port (several, for a
    VIP, whose backend is chosen per connection)."""
    host = outside[path["external_network"]]
    first, _elapsed = reach(dp, host, path["address"], path["port"])
    answers = [first] + [dp.request(host.namespace, path["address"], path["port"], src=INTERNET) for _attempt in range(tries if path["kind"] == "vip" else 2)]
    return {a.name for a in answers if a is not None}


def test_ovn_trace_and_the_real_packet_agree_path_by_path(lab, published, outside, dp):
    report = network_trace(lab)
    assert report["totals"] == dict(paths=4, ok=4, failed=0, unproven=0, fips=2, vips=2)
    fips = [p for p in report["paths"] if p["kind"] == "fip"]
    vips = [p for p in report["paths"] if p["kind"] == "vip"]
    for path in fips:
        # ovn-trace's port is where the real packet arrives, and nowhere else.
        assert real_outputs(dp, outside, path) == set(path["outputs"]) == {path["expected_port"]}, path["name"]
    # The VIP: every backend ovn-trace proves answers real connections, and only those.
    assert real_outputs(dp, outside, vips[0]) == {p["expected_port"] for p in vips if p["ok"]} == {"web1", "web2"}

    # The Kube-OVN stale-NAT bug, by hand: bastion's row now points at vm3's address.
    bastion = published["fips"]["bastion"]
    lab.ovn.nbctl("set", "NAT", nat_uuid(lab, bastion["external_ip"]), "logical_ip=10.0.0.12")
    lab.ovn.sync()
    dp.sync()
    broken = network_trace(lab)
    assert broken["totals"]["failed"] == 1
    stale = next(p for p in broken["paths"] if p["name"] == "bastion")
    assert (stale["ok"], stale["outputs"], stale["expected_port"]) == (False, ["vm3"], "vm1")
    # The real packet misses vm1 too, and lands where ovn-trace says: on vm3.
    assert real_outputs(dp, outside, stale) == set(stale["outputs"]) == {"vm3"}
    # The other paths are still proven, and still really reached.
    for path in broken["paths"]:
        if path["name"] == "admin":
            assert path["ok"] and real_outputs(dp, outside, path) == {"vm2"}


def test_stop_leaves_nothing_behind(lab, dp, outside):
    """Everything the datapath made is in its namespaces and its directory; stop() removes all
    of it, and the root namespace never got an address or an interface of the lab."""
    prod = project(lab)
    root_before = root_network()
    vm1 = attach(lab, dp, prod["switch"], "vm1", *VMS["vm1"])
    vm3 = attach(lab, dp, prod["switch"], "vm3", *VMS["vm3"])
    dp.sync()
    assert dp.ping(vm1.namespace, "10.0.0.1") and dp.ping(vm3.namespace, vm1.ip)
    assert root_network() == root_before
    # A workload unplugged: its namespace goes, ovn-controller releases the port.
    dp.detach_workload(vm3)
    assert vm3.namespace not in dp.namespaces() and not (NETNS_ETC / vm3.namespace).exists()
    assert dp.first(lambda: lab.ovn.nbctl("get", "Logical_Switch_Port", "vm3", "up").strip() == "false", ARRIVE) is not None
    namespaces = dp.namespaces()
    assert len(namespaces) == 4 and all(n.startswith(dp.prefix + "-") for n in namespaces)
    pids = [pid for pid in dp.status().values() if pid]
    assert len(pids) == 3
    dp.stop()
    assert dp.namespaces() == []
    assert [p.name for p in NETNS_ETC.glob(dp.prefix + "-*")] == []
    assert not dp.directory.exists()
    assert [pid for pid in pids if Path("/proc/%d" % pid).exists() and b"Z" not in proc_state(pid)] == []
    assert root_network() == root_before
    # The control plane is untouched, and the datapath can start again on the same lab.
    assert all(lab.ovn.status().values())
    again = lab.ovn.start_datapath("chassis-1")
    assert again.namespaces() == [again.switch_ns]


def test_two_labs_do_not_collide(lab, dp, tmp_path):
    from ovn_lab import OvnLab

    other = OvnLab(os.path.join("/tmp", "kdc-other-%d" % os.getpid()))
    try:
        other.start()
        second = other.start_datapath("chassis-1")
        assert second.prefix != dp.prefix
        assert set(second.namespaces()).isdisjoint(dp.namespaces())
        assert len(dp.namespaces()) == 1 and len(second.namespaces()) == 1
    finally:
        other.stop()
        import shutil

        shutil.rmtree(other.directory, ignore_errors=True)
    assert second.namespaces() == [] and dp.namespaces() == [dp.switch_ns]


def root_network():
    """The root namespace's interfaces and addresses, to compare."""
    import subprocess

    return subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=True).stdout


def proc_state(pid):
    try:
        return Path("/proc/%d/stat" % pid).read_bytes().rpartition(b")")[2].split()[0]
    except (OSError, IndexError):
        return b"Z"

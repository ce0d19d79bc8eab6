# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_trace against a real OVN lab: every published address proven with the real ovn-trace."""

import shlex
import subprocess

import pytest

from support import VMS, ModuleFailed

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
WHO = dict(organization="acme", project="prod")
FIPS = [dict(name="bastion", ip_address="10.0.0.10"), dict(name="admin", ip_address="10.0.0.11", external_network_type="public")]
WEB = dict(WHO, name="web", port=443, backends=["10.0.0.20:8443", "10.0.0.21:8443"])
SWITCH = "acme-prod-default"


@pytest.fixture
def published(lab, ext_cloud, ext_public):
    """acme-prod with two FIPs (one on each external network) and a VIP with two backends."""
    project = lab.run("project_network", PROJECT)["project_network"]
    for name, (mac, ip) in sorted(VMS.items()):
        lab.workload_port(project["switch"], name, mac, ip)
    fips = dict((fip["name"], fip) for fip in lab.run("fip", dict(WHO, fips=FIPS))["fips"])
    binding = lab.run("lb_binding", WEB)["lb_binding"]
    # The module reads what northd made of the NB; the tests' hand edits are made without --wait.
    lab.ovn.sync()
    return dict(project=project, fips=fips, binding=binding)


def trace(lab, check=False, **extra):
    args = dict(WHO, ovn_sb_connection=lab.ovn.sb_remote)
    args.update(extra)
    return lab.run("network_trace", args, check=check)


def failed_trace(lab, **extra):
    """A network_trace that must fail; returns its result (the NB is checked unchanged)."""
    args = dict(WHO, ovn_sb_connection=lab.ovn.sb_remote)
    args.update(extra)
    return lab.fails("network_trace", args)


def gateway_mac(lab, port):
    return lab.ovn.nbctl("get", "Logical_Router_Port", port, "mac").strip().strip('"')


def summary(paths):
    return [(p["kind"], p["name"], p["address"], p["port"], p["backend"], p["expected_port"], p["expected_ip4_dst"],
             p["outputs"], p["ip4_dst"], p["ok"]) for p in paths]


def nat_uuid(lab, external_ip):
    return lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "external_ip=%s" % external_ip).strip()


def dump(remote, database):
    return subprocess.run(["ovsdb-client", "dump", remote, database], capture_output=True, text=True, check=True).stdout


def test_every_published_path_goes_where_declared(lab, published):
    bastion, admin = published["fips"]["bastion"], published["fips"]["admin"]
    vip = published["binding"]["address"]
    result = trace(lab)
    assert result["changed"] is False and result["commands"] == []
    report = result["network_trace"]
    assert (report["namespace"], report["ovn_sb_connection"]) == ("acme-prod", lab.ovn.sb_remote)
    assert report["failures"] == []
    assert report["totals"] == dict(paths=4, ok=4, failed=0, unproven=0, fips=2, vips=2)
    # FIPs by external address, then the VIP's backends.
    assert summary(report["paths"]) == [
        ("fip", "bastion", bastion["external_ip"], 22, None, "vm1", "10.0.0.10", ["vm1"], "10.0.0.10", True),
        ("fip", "admin", admin["external_ip"], 22, None, "vm2", "10.0.0.11", ["vm2"], "10.0.0.11", True),
        ("vip", "web", vip, 443, "10.0.0.20:8443", "web1", "10.0.0.20", ["web1"], "10.0.0.20", True),
        ("vip", "web", vip, 443, "10.0.0.21:8443", "web2", "10.0.0.21", ["web2"], "10.0.0.21", True),
    ]
    paths = report["paths"]
    assert [p["external_network"] for p in paths] == ["ext-cloud", "ext-public", "ext-cloud", "ext-cloud"]
    assert [p["expected_from"] for p in paths] == ["declaration", "declaration", "load_balancer", "load_balancer"]
    assert [p["logical_ip"] for p in paths] == ["10.0.0.10", "10.0.0.11", None, None]
    assert [p["reason"] for p in paths] == [None] * 4
    for path in paths:
        port = path["expected_port"]
        fields = path["final_fields"][port]
        assert fields["ip4.dst"] == path["expected_ip4_dst"]
        # The router resolved the new destination to the target's own MAC: the rewrite is real.
        assert fields["eth.dst"] == VMS[port][0]
        assert 'output("%s")' % port in path["trace"]
        assert path["verdict"].startswith("forwarded to %s; DNAT " % port)
        # The packet enters the external network at its localnet port, to the project's gateway port there.
        gateway = "acme-prod-" + path["external_network"]
        assert path["datapath"] == path["external_network"]
        assert path["microflow"].startswith('inport == "localnet.%s" && eth.src == ' % path["external_network"])
        assert "eth.dst == %s && ip4.src == 203.0.113.9 && ip4.dst == %s &&" % (gateway_mac(lab, gateway), path["address"]) in path["microflow"]
        assert path["microflow"].endswith("tcp && tcp.src == 40000 && tcp.dst == %d" % path["port"])
    assert "--ct=new" not in paths[0]["command"] and "--lb-dst" not in paths[0]["command"]
    assert "--ct=new --lb-dst=10.0.0.21:8443" in paths[3]["command"]
    assert paths[2]["load_balancer"] == "vpc-acme-prod-tcp-load"


def test_the_returned_command_reproduces_the_trace(lab, published):
    """The command is the exact one that was run: run again by hand, it prints the same trace."""
    for path in trace(lab)["network_trace"]["paths"]:
        argv = shlex.split(path["command"])
        assert argv[-2:] == [path["datapath"], path["microflow"]] and "--db=" + lab.ovn.sb_remote in argv
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        assert out.split("# Minimal trace.\n", 1)[1] == path["trace"]


def test_the_lab_and_the_module_read_known_traces_alike(lab, published):
    """The lab's tracer reads ovn-trace with the module's parser: what it must read from two real
    runs, field by field, and network_trace reads the same packets the same way."""
    project = published["project"]
    inside = gateway_mac(lab, "%s-%s" % (project["router"], project["switch"]))

    def from_internet(address, port):
        # The packet network_trace builds: an internet client to the gateway port on ext-cloud.
        return ('inport == "localnet.ext-cloud" && eth.src == 02:00:cb:00:71:09 && eth.dst == %s && ip4.src == 203.0.113.9 && '
                "ip4.dst == %s && ip.ttl == 64 && tcp && tcp.src == 40000 && tcp.dst == %d"
                % (gateway_mac(lab, "acme-prod-ext-cloud"), address, port))

    fip = lab.ovn.trace("ext-cloud", from_internet(published["fips"]["bastion"]["external_ip"], 22))
    assert fip.outputs == ["vm1"] and not fip.dropped
    assert fip.final_fields == {"vm1": {"ip4.dst": "10.0.0.10", "eth.src": inside, "eth.dst": VMS["vm1"][0], "ip.ttl": "63"}}
    assert (fip.dnat, fip.snat, fip.lb_backends, fip.arp_requests, fip.generated, fip.errors) == (["10.0.0.10"], [], [], [], [], [])
    assert fip.verdict() == "forwarded to vm1; DNAT 10.0.0.10"

    web = lab.ovn.trace("ext-cloud", from_internet(published["binding"]["address"], 443), ct=["new"], lb_dst="10.0.0.21:8443")
    assert web.outputs == ["web2"]
    assert web.final_fields == {
        "web2": {"ip4.dst": "10.0.0.21", "tcp.dst": "8443", "eth.src": inside, "eth.dst": VMS["web2"][0], "ip.ttl": "63"}}
    assert web.lb_backends == [["10.0.0.20:8443", "10.0.0.21:8443"]] and web.dnat == ["10.0.0.21:8443"]
    assert web.verdict() == "forwarded to web2; DNAT 10.0.0.21:8443; LB backends 10.0.0.20:8443,10.0.0.21:8443"

    paths = dict((p["expected_port"], p) for p in trace(lab)["network_trace"]["paths"])
    for traced, port in ((fip, "vm1"), (web, "web2")):
        path = paths[port]
        assert path["microflow"] == traced.microflow
        assert (path["outputs"], path["final_fields"], path["verdict"], path["trace"]) == (
            traced.outputs, traced.final_fields, traced.verdict(), traced.minimal)


def test_a_stale_nat_row_fails_naming_the_fip_and_the_wrong_port(lab, published):
    bastion = published["fips"]["bastion"]["external_ip"]
    # The Kube-OVN stale-NAT bug, by hand: bastion's row now points at vm3's address.
    lab.ovn.nbctl("set", "NAT", nat_uuid(lab, bastion), "logical_ip=10.0.0.12")
    lab.ovn.sync()
    result = failed_trace(lab)
    assert result["changed"] is False
    assert result["msg"].startswith("1 of 4 paths of project acme-prod do not go where they are declared to: fip bastion %s:22: " % bastion)
    assert "went to vm3 with ip4.dst 10.0.0.12" in result["msg"] and "expected output to vm1" in result["msg"]
    report = result["network_trace"]
    assert report["totals"] == dict(paths=4, ok=3, failed=1, unproven=0, fips=2, vips=2)
    stale = report["paths"][0]
    assert (stale["name"], stale["ok"], stale["outputs"], stale["ip4_dst"]) == ("bastion", False, ["vm3"], "10.0.0.12")
    assert (stale["expected_port"], stale["expected_ip4_dst"], stale["logical_ip"]) == ("vm1", "10.0.0.10", "10.0.0.12")
    assert stale["final_fields"]["vm3"]["eth.dst"] == VMS["vm3"][0]
    assert stale["reason"] == (
        "expected output to vm1 with ip4.dst 10.0.0.10, but it went to vm3 with ip4.dst 10.0.0.12 "
        "(the NAT row sends it to 10.0.0.12, but the FIP was declared for 10.0.0.10)"
    )
    assert report["failures"] == ["fip bastion %s:22: %s" % (bastion, stale["reason"])]
    assert [p["ok"] for p in report["paths"][1:]] == [True, True, True]


def test_a_fip_on_an_address_no_workload_holds_is_not_proven_and_named(lab, published):
    ghost = lab.run("fip", dict(WHO, name="ghost", ip_address="10.0.0.50"))["fip"]
    lab.ovn.sync()
    # Not a path that goes wrong: a target no workload holds yet. Reported by name, not failed.
    report = trace(lab)["network_trace"]
    assert report["totals"] == dict(paths=5, ok=4, failed=0, unproven=1, fips=3, vips=2)
    path = [p for p in report["paths"] if p["name"] == "ghost"][0]
    assert (path["ok"], path["status"], path["expected_port"], path["expected_ip4_dst"]) == (False, "not proven", None, "10.0.0.50")
    reason = "no workload holds 10.0.0.50 yet (no logical switch port of acme-prod-default has address 10.0.0.50)"
    assert path["reason"] == reason
    assert report["failures"] == [] and report["unproven"] == ["fip ghost %s:22: %s" % (ghost["external_ip"], reason)]
    # require_workloads: the same target is a failure.
    result = failed_trace(lab, require_workloads=True)
    assert result["network_trace"]["totals"] == dict(paths=5, ok=4, failed=1, unproven=1, fips=3, vips=2)
    assert result["network_trace"]["failures"] == report["unproven"]
    assert result["msg"].endswith(report["unproven"][0])


def test_a_backend_removed_by_hand_leaves_the_others_proven(lab, published):
    vip = "%s:443" % published["binding"]["address"]
    lab.ovn.nbctl("set", "Load_Balancer", "vpc-acme-prod-tcp-load", 'vips:"%s"="10.0.0.21:8443"' % vip)
    lab.ovn.sync()
    report = trace(lab)["network_trace"]
    assert report["totals"] == dict(paths=3, ok=3, failed=0, unproven=0, fips=2, vips=1)
    vips = [p for p in report["paths"] if p["kind"] == "vip"]
    assert [(p["backend"], p["outputs"], p["ip4_dst"], p["ok"]) for p in vips] == [("10.0.0.21:8443", ["web2"], "10.0.0.21", True)]
    assert "LB backends 10.0.0.21:8443" in vips[0]["verdict"]


def test_a_backend_without_a_port_is_not_proven_and_fails_when_workloads_are_required(lab, published):
    lab.ovn.nbctl("lsp-del", "web1")
    lab.ovn.sync()
    report = trace(lab)["network_trace"]
    assert [(p["backend"], p["status"]) for p in report["paths"] if not p["ok"]] == [("10.0.0.20:8443", "not proven")]
    assert report["failures"] == [] and len(report["unproven"]) == 1
    required = failed_trace(lab, require_workloads=True)["network_trace"]
    assert [(p["backend"], p["reason"]) for p in required["paths"] if not p["ok"]] == [
        ("10.0.0.20:8443", "no workload holds 10.0.0.20 yet (no logical switch port of acme-prod-default has address 10.0.0.20)")
    ]


def test_fail_on_mismatch_false_returns_the_failures(lab, published):
    bastion = published["fips"]["bastion"]["external_ip"]
    lab.ovn.nbctl("set", "NAT", nat_uuid(lab, bastion), "logical_ip=10.0.0.12")
    ghost = lab.run("fip", dict(WHO, name="ghost", ip_address="10.0.0.50"))["fip"]["external_ip"]
    lab.ovn.sync()
    failed = failed_trace(lab, require_workloads=True)["network_trace"]
    result = trace(lab, fail_on_mismatch=False, require_workloads=True)
    assert result["failed"] is False and result["changed"] is False
    report = result["network_trace"]
    assert report == failed
    assert report["totals"] == dict(paths=5, ok=3, failed=2, unproven=1, fips=3, vips=2)
    assert [f.split(":", 1)[0] for f in report["failures"]] == ["fip bastion %s" % bastion, "fip ghost %s" % ghost]
    assert [p["name"] for p in report["paths"] if not p["ok"]] == ["bastion", "ghost"]
    # Without require_workloads only the wrong path is a failure; the ghost is listed as not proven.
    lenient = trace(lab, fail_on_mismatch=False)["network_trace"]
    assert [f.split(":", 1)[0] for f in lenient["failures"]] == ["fip bastion %s" % bastion]
    assert [u.split(":", 1)[0] for u in lenient["unproven"]] == ["fip ghost %s" % ghost]


def test_check_mode_gives_the_same_result(lab, published):
    assert trace(lab, check=True) == trace(lab)
    lab.ovn.nbctl("set", "NAT", nat_uuid(lab, published["fips"]["bastion"]["external_ip"]), "logical_ip=10.0.0.12")
    lab.ovn.sync()
    args = dict(WHO, ovn_sb_connection=lab.ovn.sb_remote)
    assert lab.fails("network_trace", args, check=True) == lab.fails("network_trace", args)
    assert trace(lab, check=True, fail_on_mismatch=False) == trace(lab, fail_on_mismatch=False)


def test_it_writes_nothing(lab, published):
    lab.run("fip", dict(WHO, name="ghost", ip_address="10.0.0.50"))
    lab.ovn.sync()
    nb, sb = lab.ovn.nb_remote, lab.ovn.sb_remote
    before = dump(nb, "OVN_Northbound"), dump(sb, "OVN_Southbound")
    for check in (False, True):
        assert trace(lab, check=check, fail_on_mismatch=False, require_workloads=True)["network_trace"]["totals"]["failed"] == 1
        with pytest.raises(ModuleFailed):
            trace(lab, check=check, require_workloads=True)
    assert (dump(nb, "OVN_Northbound"), dump(sb, "OVN_Southbound")) == before


def test_an_unmanaged_fip_is_checked_against_its_nat_row(lab, published):
    port = lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "Logical_Router_Port", "name=acme-prod-ext-cloud").strip()
    lab.ovn.nbctl("--", "--id=@nat", "create", "NAT", "type=dnat_and_snat", "external_ip=100.65.0.200", "logical_ip=10.0.0.12",
                  "gateway_port=%s" % port, "--", "add", "Logical_Router", "acme-prod", "nat", "@nat")
    lab.ovn.sync()
    report = trace(lab)["network_trace"]
    path = [p for p in report["paths"] if p["address"] == "100.65.0.200"][0]
    assert (path["name"], path["expected_from"], path["expected_port"], path["outputs"], path["ip4_dst"], path["ok"]) == (
        None, "nat", "vm3", ["vm3"], "10.0.0.12", True)
    assert report["totals"]["fips"] == 3


def test_a_project_with_nothing_published(lab, ext_cloud):
    lab.run("project_network", PROJECT)
    report = trace(lab)["network_trace"]
    assert report["paths"] == [] and report["totals"] == dict(paths=0, ok=0, failed=0, unproven=0, fips=0, vips=0)
    # Even with nothing to trace, the Southbound DB is checked.
    result = failed_trace(lab, ovn_sb_connection="tcp:127.0.0.1:1")
    assert result["msg"].startswith("ovn_sb_connection: 'tcp:127.0.0.1:1' cannot be read by ovn-trace: ")


@pytest.mark.parametrize(
    "override,field,value,reason",
    [
        (dict(project="nowhere"), "project", "nowhere", "has no project network acme-nowhere"),
        (dict(organization="other"), "project", "prod", "has no project network other-prod"),
        (dict(organization="Acme"), "organization", "Acme", "is not a valid name"),
        (dict(project="p" * 60), "project", "p" * 60, "longer than 63 characters"),
        (dict(ovn_sb_connection="unix:/nonexistent/sb.sock"), "ovn_sb_connection", "unix:/nonexistent/sb.sock",
         "cannot be read by ovn-trace: ovn-trace: unix:/nonexistent/sb.sock: database connection failed"),
        (dict(ovn_sb_connection="tcp:127.0.0.1:1"), "ovn_sb_connection", "tcp:127.0.0.1:1", "database connection failed (Connection refused)"),
        (dict(ovn_sb_connection="NB"), "ovn_sb_connection", "NB", "server does not have OVN_Southbound database"),
        (dict(ovn_sb_connection="sb.example.com"), "ovn_sb_connection", "sb.example.com", "is not a list of unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT"),
        (dict(ovn_sb_connection="ssl:192.0.2.1:6642"), "ovn_sb_private_key", None, "is required when ovn_sb_connection uses ssl: remotes"),
        (dict(ovn_trace_path="/nonexistent/ovn-trace"), "ovn_trace_path", "/nonexistent/ovn-trace", "is not an executable ovn-trace"),
        (dict(ovn_trace_timeout=0), "ovn_trace_timeout", 0, "must be a positive number of seconds"),
    ],
)
def test_bad_input_names_field_and_value(lab, published, override, field, value, reason):
    args = dict(WHO, ovn_sb_connection=lab.ovn.sb_remote)
    args.update(override)
    if args["ovn_sb_connection"] == "NB":
        # A live database that is not the Southbound one.
        args["ovn_sb_connection"] = value = lab.ovn.nb_remote
    for check in (False, True):
        result = lab.fails("network_trace", args, check=check)
        assert result["msg"].startswith("%s: %r " % (field, value)), result["msg"]
        assert reason in result["msg"], result["msg"]
        assert (result.get("field"), result.get("value")) == (field, value)
        assert "network_trace" not in result


FLOODED = """\
# tcp,reg14=0x1,vlan_tci=0x0000,dl_src=02:00:cb:00:71:09,dl_dst=0a:19:66:02:79:7c,nw_src=203.0.113.9,nw_dst=100.65.0.101,nw_ttl=64,tp_src=40000,tp_dst=22
# Summary trace.
ingress(dp="ext-cloud", inport="localnet.ext-cloud") {
    next;
};
# Minimal trace.
ct_dnatin_czone(ip4.dst=10.0.0.10) {
    ip.ttl--;
    output("vm1");
    output("vm3");
};
"""


class _Tracer(object):
    """Gives the judgement a trace that no lab produces easily: the packet copied to two ports."""

    def trace(self, datapath, microflow, ct=(), lb_dst=None):
        from ansible_collections.kubedc.network.plugins.module_utils.ovn.trace import parse_trace

        return ["ovn-trace", "--", datapath, microflow], parse_trace(FLOODED, lb_dst), None


def test_a_packet_that_also_leaves_elsewhere_is_not_ok():
    from ansible_collections.kubedc.network.plugins.module_utils.ovn import trace as module_trace

    path = module_trace._Path("fip", "bastion", "100.65.0.101", 22, "tcp", "10.0.0.10", "declaration")
    path.logical_ip, path.expected_port, path.datapath, path.microflow = "10.0.0.10", "vm1", "ext-cloud", "ip4"
    result = module_trace._prove(path, _Tracer())
    assert result["outputs"] == ["vm1", "vm3"] and result["ip4_dst"] == "10.0.0.10"
    assert result["final_fields"] == {"vm1": {"ip4.dst": "10.0.0.10", "ip.ttl": "63"}, "vm3": {"ip4.dst": "10.0.0.10", "ip.ttl": "63"}}
    assert result["ok"] is False
    assert result["reason"] == "expected output to vm1 with ip4.dst 10.0.0.10, but it went to vm1, vm3 with ip4.dst 10.0.0.10"

# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lb_binding against a real OVN lab, proven with ovn-trace."""

import json

import pytest

from support import rhythm

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
WEB = dict(organization="acme", project="prod", name="web", port=443, backends=["10.0.0.11:8443", "10.0.0.10:8443"])
WEB_ABSENT = dict(organization="acme", project="prod", name="web", state="absent")


@pytest.fixture
def project(lab, ext_cloud):
    project = lab.run("project_network", PROJECT)["project_network"]
    lab.workload_port(project["switch"], "vm1", "0a:00:00:00:10:0a", "10.0.0.10")
    lab.workload_port(project["switch"], "vm2", "0a:00:00:00:10:0b", "10.0.0.11")
    return project


def declared(name, port, backends, eip="default-gw", protocol="tcp"):
    """The declaration lb_binding records for a binding of acme-prod."""
    return json.dumps(
        dict(organization="acme", project="prod", name=name, eip=eip, protocol=protocol, port=port, backends=backends),
        sort_keys=True, separators=(",", ":"),
    )


def test_rhythm(lab, project):
    applied = rhythm(lab, "lb_binding", WEB, WEB_ABSENT)
    assert applied["lb_binding"] == dict(
        name="web",
        organization="acme",
        project="prod",
        namespace="acme-prod",
        eip="default-gw",
        address="100.65.0.100",
        protocol="tcp",
        port=443,
        backends=["10.0.0.10:8443", "10.0.0.11:8443"],
        load_balancer="vpc-acme-prod-tcp-load",
    )
    assert applied["commands"] == ["create Load_Balancer vpc-acme-prod-tcp-load in Logical_Router acme-prod"]


def test_clients_reach_each_backend(lab, project):
    binding = lab.run("lb_binding", WEB)["lb_binding"]
    for backend, port in (("10.0.0.10:8443", "vm1"), ("10.0.0.11:8443", "vm2")):
        trace = lab.trace_client(project, binding["address"], 443, backend)
        assert trace.outputs == [port], trace.summary
        assert trace.lb_backends == [["10.0.0.10:8443", "10.0.0.11:8443"]]
        assert trace.final_fields[port]["ip4.dst"] == backend.rsplit(":", 1)[0]
    # The project's own SNAT still works on the shared default-gateway address.
    egress = lab.trace_egress(project, "vm1", "0a:00:00:00:10:0a", "10.0.0.10")
    assert egress.outputs == ["localnet.ext-cloud"] and egress.snat == ["100.65.0.100"]


def test_bindings_share_an_address_on_different_ports(lab, project):
    lab.run("lb_binding", WEB)
    http = lab.run("lb_binding", dict(WEB, name="http", port=80, backends=["10.0.0.10:8080"]))
    assert http["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.100:80=10.0.0.10:8080",
        "update Load_Balancer vpc-acme-prod-tcp-load: external_ids:kubedc:binding:http=100.65.0.100:80, "
        "external_ids:kubedc:declared:http=" + declared("http", 80, ["10.0.0.10:8080"]),
    ]
    assert lab.trace_client(project, "100.65.0.100", 80, "10.0.0.10:8080").outputs == ["vm1"]
    # The same port on another protocol is another VIP.
    dns = lab.run("lb_binding", dict(WEB, name="dns", protocol="udp", backends=["10.0.0.11:8443"]))
    assert dns["lb_binding"]["load_balancer"] == "vpc-acme-prod-udp-load"
    # A taken port is refused before anything is written.
    result = lab.fails("lb_binding", dict(WEB, name="other", backends=["10.0.0.11:9443"]))
    assert result["msg"] == "port: 100.65.0.100:443/tcp is already bound on default-gw by web; choose another port"
    # Removing one binding keeps the others.
    gone = lab.run("lb_binding", WEB_ABSENT)
    assert gone["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: remove vips:100.65.0.100:443",
        "update Load_Balancer vpc-acme-prod-tcp-load: remove external_ids:kubedc:binding:web, external_ids:kubedc:declared:web",
    ]
    assert lab.run("lb_binding", dict(WEB, name="http", port=80, backends=["10.0.0.10:8080"]))["changed"] is False


def test_moves_and_backend_changes(lab, project):
    lab.run("lb_binding", WEB)
    moved = lab.run("lb_binding", dict(WEB, port=8443, backends=["10.0.0.10:8443"]))
    assert moved["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: remove vips:100.65.0.100:443",
        "update Load_Balancer vpc-acme-prod-tcp-load: remove external_ids:kubedc:binding:web, external_ids:kubedc:declared:web",
        "update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.100:8443=10.0.0.10:8443",
        "update Load_Balancer vpc-acme-prod-tcp-load: external_ids:kubedc:binding:web=100.65.0.100:8443, "
        "external_ids:kubedc:declared:web=" + declared("web", 8443, ["10.0.0.10:8443"]),
    ]
    to_udp = lab.run("lb_binding", dict(WEB, port=8443, protocol="udp", backends=["10.0.0.10:8443"]))
    assert to_udp["commands"] == [
        "delete Load_Balancer vpc-acme-prod-tcp-load",
        "create Load_Balancer vpc-acme-prod-udp-load in Logical_Router acme-prod",
    ]
    lab.run("eip", dict(organization="acme", project="prod", name="web"))
    to_eip = lab.run("lb_binding", dict(WEB, eip="web"))
    assert to_eip["lb_binding"]["address"] == "100.65.0.101" and to_eip["diff"]["before"]["address"] == "100.65.0.100"
    assert lab.trace_client(project, "100.65.0.101", 443, "10.0.0.11:8443").outputs == ["vm2"]


@pytest.mark.parametrize(
    "override,field,value,reason",
    [
        (dict(port=0), "port", 0, "must be a port number"),
        (dict(backends=["10.0.0.10"]), "backends[0]", "10.0.0.10", "is not an address:port backend"),
        (dict(backends=["10.0.1.10:80"]), "backends[0]", "10.0.1.10", "is outside 10.0.0.0/24"),
        (dict(backends=[]), "backends", [], "is empty"),
        (dict(eip="nope"), "eip", "nope", "is not an EIP of project acme-prod"),
        (dict(project="nowhere"), "project", "nowhere", "has no project network acme-nowhere"),
        (dict(project="p" * 60), "project", "p" * 60, "longer than 63 characters"),
        (dict(name="Web"), "name", "Web", "is not a valid name"),
    ],
)
def test_bad_input_names_field_and_value_and_writes_nothing(lab, project, override, field, value, reason):
    args = dict(WEB)
    args.update(override)
    for check in (False, True):
        result = lab.fails("lb_binding", args, check=check)
        assert result["msg"].startswith("%s: %r" % (field, value)), result["msg"]
        assert reason in result["msg"]


def test_an_eip_held_by_a_fip_is_refused(lab, project):
    lab.run("eip", dict(organization="acme", project="prod", name="ssh"))
    lab.run("fip", dict(organization="acme", project="prod", name="bastion", eip="ssh", ip_address="10.0.0.10"))
    result = lab.fails("lb_binding", dict(WEB, eip="ssh"))
    assert result["msg"] == (
        "eip: ssh (100.65.0.101) is held by a floating IP (NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10); "
        "a load balancer needs an address a FIP does not own"
    )


def test_a_backend_with_a_fip_of_the_other_network_type_is_refused(lab, project, ext_public):
    lab.run("fip", dict(organization="acme", project="prod", name="bastion", ip_address="10.0.0.10", external_network_type="public"))
    result = lab.fails("lb_binding", WEB)
    assert result["msg"].startswith(
        "backends: 10.0.0.10 has the public floating IP 198.51.100.2 (on ext-public); a VIP on the cloud network ext-cloud "
        "would send its replies out through ext-public"
    )
    # A backend without such a FIP is fine.
    assert lab.run("lb_binding", dict(WEB, backends=["10.0.0.11:8443"]))["changed"] is True

# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_info: the gathered view, and drift found by replaying recorded declarations."""

import pytest

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
WHO = dict(organization="acme", project="prod")


@pytest.fixture
def datacenter(lab, ext_cloud, ext_public):
    lab.run("project_network", PROJECT)
    lab.run("eip", dict(WHO, name="web"))
    lab.run("fip", dict(WHO, name="bastion", ip_address="10.0.0.11"))
    lab.run("fip", dict(WHO, name="admin", ip_address="10.0.0.12", external_network_type="public"))
    lab.run("lb_binding", dict(WHO, name="https", eip="web", port=443, backends=["10.0.0.20:8443"]))
    return lab


def test_unknown_project_is_not_an_error(lab, ext_cloud):
    info = lab.run("network_info", WHO)
    assert info["changed"] is False
    assert info["network"]["exists"] is False and info["network"]["fips"] == []


def test_gathered_view(datacenter):
    lab = datacenter
    before = lab.ovn.dump_nb()
    network = lab.run("network_info", WHO)["network"]
    assert lab.ovn.dump_nb() == before, "network_info wrote to the NB DB"
    assert network["exists"] is True and network["drift"] == [] and network["unmanaged"] == []
    assert network["project"]["default_gateway_ip"] == "100.65.0.100"
    assert [(e["name"], e["address"], e["users"]) for e in network["eips"]] == [
        ("web", "100.65.0.101", ["Load_Balancer vpc-acme-prod-tcp-load VIP 100.65.0.101:443"])
    ]
    assert sorted((f["name"], f["external_ip"], f["ip_address"]) for f in network["fips"]) == [
        ("admin", "198.51.100.2", "10.0.0.12"),
        ("bastion", "100.65.0.102", "10.0.0.11"),
    ]
    assert [(b["name"], b["address"], b["port"]) for b in network["lb_bindings"]] == [("https", "100.65.0.101", 443)]
    assert [(n["type"], n["external_ip"], n["owner"]) for n in network["nat"]] == [
        ("dnat_and_snat", "100.65.0.102", "fip acme-prod/bastion"),
        ("dnat_and_snat", "198.51.100.2", "fip acme-prod/admin"),
        ("snat", "100.65.0.100", "project_network acme-prod"),
    ]
    assert network["policies"] == [
        dict(priority=30000, match="ip4.src == 10.0.0.12", action="reroute", nexthops=["198.51.100.1"], owner="fip acme-prod/admin")
    ]


def test_drift_is_what_a_converge_would_change(datacenter):
    lab = datacenter
    lab.ovn.nbctl("lr-nat-del", "acme-prod", "snat", "10.0.0.0/24")
    # The Kube-OVN stale-row bug, by hand: the FIP's NAT row points at an old address.
    row = lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "external_ip=100.65.0.102").strip()
    lab.ovn.nbctl("set", "NAT", row, "logical_ip=10.0.0.9")
    lab.workload_port("acme-prod-default", "vm9", "0a:00:00:00:10:09", "10.0.0.9")
    # Someone points the VIP at another backend by hand.
    lab.ovn.nbctl("set", "Load_Balancer", "vpc-acme-prod-tcp-load", 'vips:"100.65.0.101:443"="10.0.0.99:8443"')
    before = lab.ovn.dump_nb()
    network = lab.run("network_info", WHO)["network"]
    assert lab.ovn.dump_nb() == before
    assert network["drift"] == [
        dict(
            declaration="project_network acme-prod",
            commands=["create NAT snat 100.65.0.100 -> 10.0.0.0/24 in Logical_Router acme-prod"],
            error=None,
        ),
        dict(
            declaration="fip acme-prod/bastion",
            commands=["update NAT dnat_and_snat 100.65.0.102 -> 10.0.0.9: logical_ip=10.0.0.11"],
            error=None,
        ),
        dict(
            declaration="lb_binding acme-prod/https",
            commands=["update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.101:443=10.0.0.20:8443"],
            error=None,
        ),
    ]
    assert network["unmanaged"] == ["Logical_Switch_Port vm9"]
    # Converging the same declarations again removes the drift.
    lab.run("project_network", PROJECT)
    lab.run("fip", dict(WHO, name="bastion", ip_address="10.0.0.11"))
    lab.run("lb_binding", dict(WHO, name="https", eip="web", port=443, backends=["10.0.0.20:8443"]))
    assert lab.run("network_info", WHO)["network"]["drift"] == []


def test_fips_of_a_list_are_gathered_and_replayed_one_by_one(lab, ext_cloud):
    lab.run("project_network", PROJECT)
    lab.run("fip", dict(WHO, fips=[dict(name="f%02d" % i, ip_address="10.0.0.%d" % (10 + i)) for i in range(40)]))
    network = lab.run("network_info", WHO)["network"]
    assert len(network["fips"]) == 40 and network["drift"] == []
    row = lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "logical_ip=10.0.0.17").strip()
    lab.ovn.nbctl("set", "NAT", row, "logical_ip=10.0.0.99")
    drift = lab.run("network_info", WHO)["network"]["drift"]
    assert [(d["declaration"], d["commands"]) for d in drift] == [
        ("fip acme-prod/f07", ["update NAT dnat_and_snat 100.65.0.108 -> 10.0.0.99: logical_ip=10.0.0.17"])
    ]

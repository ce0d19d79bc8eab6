# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fip's list form: many FIPs in one task and one transaction, and exclusive pruning."""

import pytest

from support import UPSTREAM_MAC, rhythm

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
SCOPE = dict(organization="acme", project="prod")
VMS = [("vm%d" % i, "0a:00:00:00:10:%02x" % i, "10.0.0.%d" % (10 + i)) for i in range(1, 4)]


@pytest.fixture
def project(lab, ext_cloud):
    project = lab.run("project_network", PROJECT)["project_network"]
    for vm in VMS:
        lab.workload_port(project["switch"], *vm)
    return project


def fips(*items, **options):
    return dict(SCOPE, fips=[dict(name=name, ip_address=ip, **extra) for name, ip, extra in items], **options)


def inbound_to(lab, project, external_ip):
    """Where a TCP SYN from the internet to ``external_ip`` ends up, per ovn-trace."""
    gateway_mac = lab.ovn.nbctl("get", "Logical_Router_Port", project["gateway_router_port"], "mac").strip().strip('"')
    flow = (
        'inport=="localnet.ext-cloud" && eth.src=={up} && eth.dst=={gw} && ip4.src==203.0.113.9 && '
        "ip4.dst=={fip} && ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst==22"
    ).format(up=UPSTREAM_MAC, gw=gateway_mac, fip=external_ip)
    return lab.ovn.trace("ext-cloud", flow).outputs


def test_rhythm_of_a_list_across_two_networks(lab, project, ext_public):
    lab.run("eip", dict(SCOPE, name="db"))
    present = fips(
        ("bastion", "10.0.0.11", {}),
        ("db-admin", "10.0.0.12", dict(eip="db")),
        ("web", "10.0.0.13", dict(external_network_type="public")),
    )
    absent = dict(SCOPE, state="absent", fips=[dict(name=n) for n in ("bastion", "db-admin", "web")])
    applied = rhythm(lab, "fip", present, absent, key="fips")
    assert [(f["name"], f["external_ip"], f["ip_address"], f["eip"], f["network_type"]) for f in applied["fips"]] == [
        ("bastion", "100.65.0.102", "10.0.0.11", None, "cloud"),
        ("db-admin", "100.65.0.101", "10.0.0.12", "db", "cloud"),
        ("web", "198.51.100.2", "10.0.0.13", None, "public"),
    ]
    assert applied["removed"] == []
    # One transaction holds all of it, the public FIP's second gateway included.
    assert len([c for c in applied["commands"] if c.startswith("create NAT")]) == 3
    assert "create Logical_Router_Port acme-prod-ext-public in Logical_Router acme-prod" in applied["commands"]


def test_list_fips_are_proven_with_ovn_trace(lab, project):
    applied = lab.run("fip", fips(*[(name, ip, {}) for name, _mac, ip in VMS]))
    for (vm, _mac, ip), fip in zip(VMS, applied["fips"]):
        assert fip["ip_address"] == ip
        assert inbound_to(lab, project, fip["external_ip"]) == [vm]
        assert lab.trace_egress(project, vm, _mac, ip).snat == [fip["external_ip"]]


def test_swapping_targets_is_one_transaction(lab, project):
    first = lab.run("fip", fips(("a", "10.0.0.11", {}), ("b", "10.0.0.12", {})))["fips"]
    swapped = lab.run("fip", fips(("a", "10.0.0.12", {}), ("b", "10.0.0.11", {})))
    # Each target has one FIP after the transaction, so the swap is not a clash.
    declared = '{{"ip_address":"{0}","name":"{1}","organization":"acme","project":"prod"}}'
    assert swapped["commands"] == [
        "update NAT dnat_and_snat {0} -> 10.0.0.11: external_ids:kubedc:declared={1}, logical_ip=10.0.0.12".format(
            first[0]["external_ip"], declared.format("10.0.0.12", "a")),
        "update NAT dnat_and_snat {0} -> 10.0.0.12: external_ids:kubedc:declared={1}, logical_ip=10.0.0.11".format(
            first[1]["external_ip"], declared.format("10.0.0.11", "b")),
    ]
    assert inbound_to(lab, project, first[0]["external_ip"]) == ["vm2"]
    assert inbound_to(lab, project, first[1]["external_ip"]) == ["vm1"]


def test_exclusive_prunes_first_and_an_empty_list_removes_all(lab, project, ext_public):
    start = lab.ovn.dump_nb()
    lab.run("fip", fips(("a", "10.0.0.11", {}), ("b", "10.0.0.12", dict(external_network_type="public")), ("c", "10.0.0.13", {})))
    # Without exclusive, a shorter list leaves the others alone.
    kept = lab.run("fip", fips(("a", "10.0.0.11", {})))
    assert kept["changed"] is False and kept["removed"] == []

    plan = lab.run("fip", fips(("a", "10.0.0.11", {}), ("d", "10.0.0.12", {}), exclusive=True), check=True)
    assert plan["removed"] == ["b", "c"]
    assert [f["name"] for f in plan["diff"]["before"]["fips"]] == ["a", "b", "c"]
    assert [f["name"] for f in plan["diff"]["after"]["fips"]] == ["a", "d"]
    # The pruned FIPs go first; the second gateway they leave unused goes last, once.
    assert plan["commands"] == [
        "delete NAT dnat_and_snat 198.51.100.2 -> 10.0.0.12 from Logical_Router acme-prod",
        "delete Logical_Router_Policy 30000 'ip4.src == 10.0.0.12' reroute from Logical_Router acme-prod",
        "release 198.51.100.2 in external network ext-public from fip/acme-prod/b",
        "delete NAT dnat_and_snat 100.65.0.102 -> 10.0.0.13 from Logical_Router acme-prod",
        "release 100.65.0.102 in external network ext-cloud from fip/acme-prod/c",
        # Not c's address, released in the same transaction: an address is not handed on in the task that frees it.
        "allocate 100.65.0.103 in external network ext-cloud for fip/acme-prod/d",
        "create NAT dnat_and_snat 100.65.0.103 -> 10.0.0.12 in Logical_Router acme-prod",
        "delete Logical_Router_Port acme-prod-ext-public from Logical_Router acme-prod",
        "delete Logical_Switch_Port ext-public-acme-prod from Logical_Switch ext-public",
        "release 198.51.100.3 in external network ext-public from fip_gateway/acme-prod/ext-public",
    ]
    # b's target is free again in the same transaction, so d may take it.
    pruned = lab.run("fip", fips(("a", "10.0.0.11", {}), ("d", "10.0.0.12", {}), exclusive=True))
    assert pruned["commands"] == plan["commands"] and pruned["removed"] == ["b", "c"]
    assert "delete Logical_Router_Port acme-prod-ext-public from Logical_Router acme-prod" in pruned["commands"]
    assert inbound_to(lab, project, pruned["fips"][1]["external_ip"]) == ["vm2"]

    nothing = lab.run("fip", dict(SCOPE, fips=[], exclusive=True))
    assert nothing["removed"] == ["a", "d"] and nothing["fips"] == []
    assert lab.run("fip", dict(SCOPE, fips=[], exclusive=True))["changed"] is False
    # What is left is what there was before any FIP: no NAT, policy, port or address of a FIP.
    assert lab.ovn.dump_nb() == start


def test_pruning_finds_a_fip_of_which_only_the_address_is_left(lab, project):
    lab.run("fip", fips(("a", "10.0.0.11", {}), ("b", "10.0.0.12", {})))
    lab.ovn.nbctl("--if-exists", "lr-nat-del", "acme-prod", "dnat_and_snat", "100.65.0.102")
    pruned = lab.run("fip", fips(("a", "10.0.0.11", {}), exclusive=True))
    assert pruned["commands"] == ["release 100.65.0.102 in external network ext-cloud from fip/acme-prod/b"]
    assert pruned["removed"] == ["b"]


def test_many_fips_in_one_task(lab, project):
    many = fips(*[("f%03d" % i, "10.0.0.%d" % (20 + i), {}) for i in range(200)])
    applied = lab.run("fip", many)
    addresses = [f["external_ip"] for f in applied["fips"]]
    assert len(set(addresses)) == 200 and addresses[0] == "100.65.0.101" and addresses[-1] == "100.65.1.44"
    assert lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "type=dnat_and_snat").split().__len__() == 200
    assert lab.run("fip", many)["changed"] is False
    assert len(lab.run("fip", dict(SCOPE, fips=[], exclusive=True))["removed"]) == 200


@pytest.mark.parametrize(
    "args,message",
    [
        (fips(("a", "10.0.0.11", {}), ("b", "10.0.1.5", {})),
         "fips[1] (b): ip_address: '10.0.1.5' is outside 10.0.0.0/24"),
        (fips(("a", "10.0.0.11", {}), ("a", "10.0.0.12", {})),
         "fips[1] (a): name: 'a' is the name of fips[0] (a) too; each may appear once in the list"),
        (fips(("a", "10.0.0.11", {}), ("b", "10.0.0.11", {})),
         "fips[1] (b): ip_address: '10.0.0.11' is the target of fips[0] (a) too; each may appear once in the list"),
        (fips(("a", "10.0.0.11", {}), ("b", "10.0.0.12", dict(eip="nope"))),
         "fips[1] (b): eip: 'nope' is not an EIP of project acme-prod: reserve it with kubedc.network.eip first"),
        (fips(("a", "10.0.0.11", {}), ("B", "10.0.0.12", {})),
         "fips[1] (B): name: 'B' is not a valid name"),
        (dict(SCOPE, fips=[dict(name="a")]),
         "fips[0] (a): ip_address: None is required with state=present"),
        (dict(SCOPE, name="a", ip_address="10.0.0.11", exclusive=True),
         "exclusive: True needs the list form (fips: [...])"),
        (dict(SCOPE, fips=[dict(name="a")], state="absent", exclusive=True),
         "exclusive: True only applies with state=present"),
        (dict(SCOPE, name="a", fips=[]),
         "parameters are mutually exclusive: fips|name"),
        (dict(SCOPE, fips=[dict(name="a", ip_address="10.0.0.11", eip="x", external_network_type="cloud")]),
         "parameters are mutually exclusive: eip|external_network_type found in fips"),
    ],
)
def test_one_bad_item_writes_nothing_and_is_named(lab, project, args, message):
    lab.run("fip", fips(("z", "10.0.0.50", {})))
    for check in (False, True):
        result = lab.fails("fip", args, check=check)
        assert result["msg"].startswith(message), result["msg"]


def test_clash_with_a_fip_outside_the_list_is_named(lab, project):
    lab.run("fip", dict(SCOPE, name="old", ip_address="10.0.0.11"))
    result = lab.fails("fip", fips(("a", "10.0.0.12", {}), ("b", "10.0.0.11", {})))
    assert result["msg"] == "fips[1] (b): ip_address: '10.0.0.11' already has a floating IP: NAT dnat_and_snat 100.65.0.101 -> 10.0.0.11"
    assert result["field"] == "fips[1].ip_address"
    # With exclusive the old FIP goes in the same transaction, so b may take its target.
    assert lab.run("fip", fips(("a", "10.0.0.12", {}), ("b", "10.0.0.11", {}), exclusive=True))["removed"] == ["old"]

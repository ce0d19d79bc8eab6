# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""project_network against a real OVN lab, proven with ovn-trace."""

import pytest

from support import EXT_CLOUD, rhythm

PROD = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
PROD_ABSENT = dict(organization="acme", name="prod", state="absent")


def test_rhythm_and_absent_restores_the_nb(lab, ext_cloud):
    applied = rhythm(lab, "project_network", PROD, PROD_ABSENT)
    assert applied["project_network"] == dict(
        organization="acme",
        name="prod",
        namespace="acme-prod",
        router="acme-prod",
        switch="acme-prod-default",
        cidr="10.0.0.0/24",
        gateway="10.0.0.1",
        egress_network_type="cloud",
        external_network="ext-cloud",
        gateway_router_port="acme-prod-ext-cloud",
        # the first address after the reserved range of ext-cloud
        default_gateway_ip="100.65.0.100",
        gateway_chassis=["chassis-1"],
    )
    # The address went back to the pool.
    ext = lab.run("external_network", EXT_CLOUD, check=True)["external_network"]
    assert ext["allocated"] == []


def test_rows_follow_kube_ovn_naming(lab, ext_cloud):
    lab.run("project_network", PROD)
    nbctl = lab.ovn.nbctl
    assert nbctl("get", "Logical_Router_Port", "acme-prod-acme-prod-default", "networks").strip() == '["10.0.0.1/24"]'
    assert nbctl("get", "Logical_Switch_Port", "acme-prod-default-acme-prod", "options:router-port").strip() == "acme-prod-acme-prod-default"
    assert nbctl("get", "Logical_Router_Port", "acme-prod-ext-cloud", "networks").strip() == '["100.65.0.100/16"]'
    assert nbctl("get", "Logical_Switch_Port", "ext-cloud-acme-prod", "type").strip() == "router"
    assert nbctl("lrp-get-gateway-chassis", "acme-prod-ext-cloud").split() == ["acme-prod-ext-cloud-chassis-1", "100"]
    assert "0.0.0.0/0                100.65.0.1 dst-ip" in nbctl("lr-route-list", "acme-prod")
    nat = nbctl("--format=csv", "--data=bare", "--no-headings", "--columns=type,external_ip,logical_ip", "find", "NAT", "type=snat").strip()
    assert nat == "snat,100.65.0.100,10.0.0.0/24"
    assert nbctl("get", "Logical_Router", "acme-prod", "external_ids:kubedc\\:managed-by").strip() == "kubedc.network"


def test_vm_traffic_leaves_snat_to_default_gateway_ip(lab, ext_cloud):
    project = lab.run("project_network", PROD)["project_network"]
    lab.workload_port("acme-prod-default", "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    trace = lab.trace_egress(project, "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    assert trace.outputs == ["localnet.ext-cloud"], trace.summary
    assert trace.snat == [project["default_gateway_ip"]]
    assert trace.final_fields["localnet.ext-cloud"]["ip4.src"] == "100.65.0.100"


def test_two_projects_may_share_a_cidr(lab, ext_cloud):
    prod = lab.run("project_network", PROD)["project_network"]
    staging = lab.run("project_network", dict(organization="acme", name="staging", cidr="10.0.0.0/24"))["project_network"]
    assert prod["default_gateway_ip"] != staging["default_gateway_ip"]
    for project in (prod, staging):
        port = "vm-" + project["name"]
        lab.workload_port(project["switch"], port, "0a:00:00:00:10:05", "10.0.0.5")
        trace = lab.trace_egress(project, port, "0a:00:00:00:10:05", "10.0.0.5")
        assert trace.outputs == ["localnet.ext-cloud"], trace.summary
        assert trace.snat == [project["default_gateway_ip"]]


@pytest.mark.parametrize(
    "override,field,value,reason",
    [
        (dict(cidr="10.0.0.0/33"), "cidr", "10.0.0.0/33", "is not a valid IPv4 CIDR"),
        (dict(cidr="10.0.0.5/24"), "cidr", "10.0.0.5/24", "has host bits set"),
        (dict(cidr="100.65.7.0/24"), "cidr", "100.65.7.0/24", "overlaps external network ext-cloud (100.65.0.0/16)"),
        (dict(gateway="10.0.1.1"), "gateway", "10.0.1.1", "is outside 10.0.0.0/24"),
        (dict(gateway="10.0.0.255"), "gateway", "10.0.0.255", "is the network or broadcast address"),
        (
            dict(external_network="ext-nowhere"), "external_network", "ext-nowhere",
            "is not an external network managed by kubedc.network (known: ext-cloud (cloud))",
        ),
        (dict(egress_network_type="public"), "egress_network_type", "public", "has no external network to use"),
        (dict(external_network="ext-cloud", egress_network_type="public"), "egress_network_type", "public", "does not match external network ext-cloud"),
        (dict(organization="Acme"), "organization", "Acme", "is not a valid name"),
        (dict(name="prod_1"), "name", "prod_1", "is not a valid name"),
        (dict(name="p" * 60), "name", "p" * 60, "longer than 63 characters"),
        (dict(default_gateway_ip="100.66.0.10"), "default_gateway_ip", "100.66.0.10", "is outside external network ext-cloud"),
        (dict(default_gateway_ip="100.65.0.50"), "default_gateway_ip", "100.65.0.50", "is not allocatable"),
        (dict(default_gateway_ip="100.65.0.1"), "default_gateway_ip", "100.65.0.1", "is not allocatable"),
        (dict(gateway_chassis=["c1", "c1"]), "gateway_chassis", ["c1", "c1"], "lists the same name twice"),
        (dict(ovn_nb_connection="tcp:nowhere"), "ovn_nb_connection", "tcp:nowhere", "is not a list of unix:PATH"),
    ],
)
def test_bad_input_names_field_and_value_and_writes_nothing(lab, ext_cloud, override, field, value, reason):
    args = dict(PROD)
    args.update(override)
    for check in (False, True):
        result = lab.fails("project_network", args, check=check)
        assert result["msg"].startswith("%s: %r" % (field, value)), result["msg"]
        assert reason in result["msg"]


def test_taken_default_gateway_ip_is_refused(lab, ext_cloud):
    prod = lab.run("project_network", PROD)["project_network"]
    result = lab.fails("project_network", dict(organization="acme", name="dev", cidr="10.1.0.0/24", default_gateway_ip=prod["default_gateway_ip"]))
    assert result["msg"] == "default_gateway_ip: '100.65.0.100' is already allocated in external network ext-cloud to project_network/acme-prod"


def test_cidr_overlapping_another_subnet_of_the_router(lab, ext_cloud):
    lab.run("project_network", PROD)
    # Someone attaches another subnet to the project router by hand.
    lab.ovn.nbctl("lrp-add", "acme-prod", "acme-prod-extra", "0a:00:00:00:99:01", "10.0.1.1/24")
    result = lab.fails("project_network", dict(PROD, cidr="10.0.1.0/24"))
    assert result["msg"] == "cidr: '10.0.1.0/24' overlaps 10.0.1.0/24 of port acme-prod-extra on router acme-prod"


def test_no_gateway_chassis_anywhere(lab):
    lab.run("external_network", dict(EXT_CLOUD, gateway_chassis=[]))
    result = lab.fails("project_network", PROD)
    assert result["msg"].startswith("gateway_chassis: [] is empty and external network ext-cloud names no default gateway chassis")


def test_immutable_fields_are_refused(lab, ext_cloud, ext_public):
    lab.run("project_network", PROD)
    result = lab.fails("project_network", dict(PROD, cidr="10.9.0.0/24"))
    assert result["msg"].startswith("cidr: '10.0.0.0/24' cannot be changed to '10.9.0.0/24'")
    assert result["field"] == "cidr"
    result = lab.fails("project_network", dict(PROD, egress_network_type="public"))
    assert result["msg"].startswith(
        "egress_network_type: the project egresses through external network ext-cloud (cloud); "
        "it cannot be moved to ext-public (public)"
    )


def test_public_egress_and_choice_among_networks(lab, ext_cloud, ext_public):
    public = lab.run("project_network", dict(PROD, egress_network_type="public"))["project_network"]
    assert public["external_network"] == "ext-public" and public["default_gateway_ip"] == "198.51.100.2"
    lab.workload_port("acme-prod-default", "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    trace = lab.trace_egress(public, "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    assert trace.outputs == ["localnet.ext-public"] and trace.snat == ["198.51.100.2"]
    lab.run("external_network", dict(EXT_CLOUD, name="ext-cloud-b", cidr="100.66.0.0/16", gateway="100.66.0.1", reserved=["100.66.0.2-100.66.0.99"]))
    result = lab.fails("project_network", dict(organization="acme", name="dev", cidr="10.0.0.0/24"))
    assert "matches several external networks (ext-cloud, ext-cloud-b); set external_network to choose one" in result["msg"]
    dev = lab.run("project_network", dict(organization="acme", name="dev", cidr="10.0.0.0/24", external_network="ext-cloud-b"))
    assert dev["project_network"]["default_gateway_ip"] == "100.66.0.100"


def test_rows_of_others_are_never_touched(lab, ext_cloud):
    # A router with the project's name that the collection did not create.
    lab.ovn.nbctl("lr-add", "acme-prod")
    result = lab.fails("project_network", PROD)
    assert "Logical_Router acme-prod already exists and is not managed by kubedc.network" in result["msg"]
    # absent leaves it alone too.
    gone = lab.run("project_network", PROD_ABSENT)
    assert gone["changed"] is False
    assert lab.ovn.nbctl("--bare", "--columns=name", "list", "Logical_Router").split() == ["acme-prod"]


def test_absent_refuses_while_workloads_are_attached(lab, ext_cloud):
    lab.run("project_network", PROD)
    lab.workload_port("acme-prod-default", "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    lab.ovn.nbctl("lr-nat-add", "acme-prod", "dnat_and_snat", "100.65.0.200", "10.0.0.5")
    lab.ovn.nbctl("lr-policy-add", "acme-prod", "1000", "ip4.src == 10.0.0.5", "allow")
    result = lab.fails("project_network", PROD_ABSENT)
    assert result["msg"].startswith("project network acme-prod still has rows that kubedc.network does not manage:")
    assert "Logical_Switch_Port vm1" in result["msg"] and "NAT dnat_and_snat 100.65.0.200 -> 10.0.0.5" in result["msg"]
    assert "Logical_Router_Policy 1000 'ip4.src == 10.0.0.5' allow" in result["msg"]
    lab.ovn.nbctl("lsp-del", "vm1")
    lab.ovn.nbctl("lr-nat-del", "acme-prod", "dnat_and_snat", "100.65.0.200")
    lab.ovn.nbctl("lr-policy-del", "acme-prod", "1000", "ip4.src == 10.0.0.5")
    assert lab.run("project_network", PROD_ABSENT)["changed"] is True


def test_drift_is_repaired(lab, ext_cloud):
    lab.run("project_network", PROD)
    lab.ovn.nbctl("lr-nat-del", "acme-prod", "snat", "10.0.0.0/24")
    lab.ovn.nbctl("lr-route-del", "acme-prod", "0.0.0.0/0")
    lab.ovn.nbctl("set", "Logical_Switch_Port", "acme-prod-default-acme-prod", "options:router-port=wrong")
    repaired = lab.run("project_network", PROD)
    assert repaired["changed"] is True
    assert sorted(repaired["commands"]) == sorted(
        [
            "create Logical_Router_Static_Route 0.0.0.0/0 via 100.65.0.1 in Logical_Router acme-prod",
            "create NAT snat 100.65.0.100 -> 10.0.0.0/24 in Logical_Router acme-prod",
            "update Logical_Switch_Port acme-prod-default-acme-prod: options:router-port=acme-prod-acme-prod-default",
        ]
    )
    assert lab.run("project_network", PROD)["changed"] is False


def test_updates_chassis_subnet_gateway_and_default_gateway_ip(lab, ext_cloud):
    lab.run("project_network", PROD)
    updated = lab.run(
        "project_network",
        dict(PROD, gateway="10.0.0.254", gateway_chassis=["chassis-2", "chassis-1"], default_gateway_ip="100.65.0.150"),
    )
    assert updated["changed"] is True
    assert updated["diff"]["before"]["default_gateway_ip"] == "100.65.0.100"
    project = updated["project_network"]
    assert project["default_gateway_ip"] == "100.65.0.150" and project["gateway"] == "10.0.0.254"
    assert project["gateway_chassis"] == ["chassis-2", "chassis-1"]
    assert lab.ovn.nbctl("lrp-get-gateway-chassis", "acme-prod-ext-cloud").split() == [
        "acme-prod-ext-cloud-chassis-2", "100", "acme-prod-ext-cloud-chassis-1", "99",
    ]
    ext = lab.run("external_network", EXT_CLOUD, check=True)["external_network"]
    assert ext["allocated"] == [dict(address="100.65.0.150", owner="project_network/acme-prod")]
    # The subnet gateway moved, and traffic now leaves from the new address.
    lab.workload_port("acme-prod-default", "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    trace = lab.trace_egress(project, "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    assert trace.snat == ["100.65.0.150"] and trace.outputs == ["localnet.ext-cloud"]
    # And back: dropping a chassis removes its row.
    again = lab.run("project_network", dict(PROD, gateway="10.0.0.254", gateway_chassis=["chassis-1"], default_gateway_ip="100.65.0.150"))
    assert again["commands"] == [
        "update Logical_Router acme-prod: external_ids:kubedc:declared="
        '{"cidr":"10.0.0.0/24","default_gateway_ip":"100.65.0.150","gateway":"10.0.0.254","gateway_chassis":["chassis-1"],'
        '"name":"prod","organization":"acme"}',
        "update Gateway_Chassis acme-prod-ext-cloud-chassis-1: priority=100",
        "delete Gateway_Chassis acme-prod-ext-cloud-chassis-2 from Logical_Router_Port acme-prod-ext-cloud",
    ]


def test_pool_exhaustion_is_a_clear_error(lab):
    lab.run("external_network", dict(EXT_CLOUD, cidr="100.65.0.0/29", reserved=[]))
    for index in range(5):  # .2 .. .6 are allocatable in a /29 with .1 as gateway
        lab.run("project_network", dict(organization="acme", name="p%d" % index, cidr="10.0.0.0/24"))
    result = lab.fails("project_network", dict(organization="acme", name="p5", cidr="10.0.0.0/24"))
    assert result["msg"] == "external network ext-cloud (100.65.0.0/29) has no free address left: 5 allocated, 0 reserved"


def test_a_foreign_port_with_our_name_is_not_taken_over(lab, ext_cloud):
    # Someone else's port on the external switch happens to have the name our gateway port needs.
    lab.ovn.nbctl("lsp-add", "ext-cloud", "ext-cloud-acme-prod")
    result = lab.fails("project_network", PROD)
    assert "Logical_Switch_Port ext-cloud-acme-prod already exists and is not managed by kubedc.network" in result["msg"]


def test_a_name_taken_elsewhere_fails_the_whole_transaction_clearly(lab, ext_cloud):
    # A router port with the name of our gateway port, on a router that is not ours: the NB's
    # unique index refuses our insert at commit time, and nothing of the task is written.
    lab.ovn.nbctl("lr-add", "other", "--", "lrp-add", "other", "acme-prod-ext-cloud", "0a:00:00:00:77:01", "192.0.2.1/24")
    result = lab.fails("project_network", PROD)
    assert result["msg"].startswith("the OVN Northbound DB refused the transaction")
    assert "constraint violation" in result["msg"] and "acme-prod-ext-cloud" in result["msg"]


def test_a_router_deleted_by_hand_is_rebuilt_around_the_existing_switch(lab, ext_cloud):
    lab.run("project_network", PROD)
    lab.ovn.nbctl("lr-del", "acme-prod")
    rebuilt = lab.run("project_network", PROD)
    assert rebuilt["changed"] is True
    assert not [c for c in rebuilt["commands"] if c.startswith("create Logical_Switch acme-prod-default")]
    assert lab.ovn.nbctl("--bare", "--columns=name", "find", "Logical_Switch", "name=acme-prod-default").split() == ["acme-prod-default"]
    assert rebuilt["project_network"]["default_gateway_ip"] == "100.65.0.100"
    assert lab.run("project_network", PROD)["changed"] is False


def test_absent_names_the_declarations_that_still_use_the_project(lab, ext_cloud):
    lab.run("project_network", PROD)
    lab.workload_port("acme-prod-default", "vm1", "0a:00:00:00:10:05", "10.0.0.5")
    lab.run("fip", dict(organization="acme", project="prod", name="bastion", ip_address="10.0.0.5"))
    lab.run("lb_binding", dict(organization="acme", project="prod", name="web", port=443, backends=["10.0.0.5:8443"]))
    result = lab.fails("project_network", PROD_ABSENT)
    assert result["msg"] == (
        "project network acme-prod is still used by: fip acme-prod/bastion (NAT dnat_and_snat 100.65.0.101 -> 10.0.0.5), "
        "lb_binding acme-prod (Load_Balancer vpc-acme-prod-tcp-load). Remove those first. "
        "It also has rows that kubedc.network does not manage: Logical_Switch_Port vm1. "
        "Remove them first (deleting the project would delete them with it)."
    )

# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""external_network against a real OVN lab."""

import pytest

from support import EXT_CLOUD, rhythm

ABSENT = dict(name="ext-cloud", state="absent")
PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")


def test_rhythm(lab):
    applied = rhythm(lab, "external_network", dict(EXT_CLOUD, vlan=100, network_name="physnet1"), ABSENT)
    assert applied["external_network"] == dict(
        name="ext-cloud",
        network_type="cloud",
        cidr="100.65.0.0/16",
        gateway="100.65.0.1",
        reserved=["100.65.0.2-100.65.0.99"],
        network_name="physnet1",
        vlan=100,
        gateway_chassis=["chassis-1"],
        allocated=[],
        free=65536 - 3 - 98,
    )


def test_localnet_port(lab, ext_cloud):
    nbctl = lab.ovn.nbctl
    assert nbctl("get", "Logical_Switch_Port", "localnet.ext-cloud", "type").strip() == "localnet"
    assert nbctl("get", "Logical_Switch_Port", "localnet.ext-cloud", "options:network_name").strip() == "ext-cloud"
    assert nbctl("get", "Logical_Switch_Port", "localnet.ext-cloud", "addresses").strip() == "[unknown]"
    assert nbctl("get", "Logical_Switch_Port", "localnet.ext-cloud", "tag_request").strip() == "[]"
    lab.run("external_network", dict(EXT_CLOUD, vlan=42, network_name="physnet-cloud"))
    assert nbctl("get", "Logical_Switch_Port", "localnet.ext-cloud", "tag_request").strip() == "42"
    assert nbctl("get", "Logical_Switch_Port", "localnet.ext-cloud", "options:network_name").strip() == "physnet-cloud"


def test_updates_keep_allocations(lab, ext_cloud):
    lab.run("project_network", PROJECT)
    updated = lab.run("external_network", dict(EXT_CLOUD, reserved=["100.65.0.2-100.65.0.50"], gateway_chassis=["c9"]))
    assert updated["changed"] is True
    assert updated["diff"]["before"]["reserved"] == ["100.65.0.2-100.65.0.99"]
    assert updated["external_network"]["allocated"] == [dict(address="100.65.0.100", owner="project_network/acme-prod")]
    assert updated["external_network"]["gateway_chassis"] == ["c9"]
    # A project that names no chassis follows its network's default; its address stays.
    followed = lab.run("project_network", PROJECT)
    assert followed["commands"] == [
        "create Gateway_Chassis acme-prod-ext-cloud-c9 in Logical_Router_Port acme-prod-ext-cloud",
        "delete Gateway_Chassis acme-prod-ext-cloud-chassis-1 from Logical_Router_Port acme-prod-ext-cloud",
    ]
    assert followed["project_network"]["default_gateway_ip"] == "100.65.0.100"
    assert lab.run("project_network", PROJECT)["changed"] is False


@pytest.mark.parametrize(
    "override,field,value,reason",
    [
        (dict(cidr="100.65.0.0/40"), "cidr", "100.65.0.0/40", "is not a valid IPv4 CIDR"),
        (dict(gateway="100.64.0.1"), "gateway", "100.64.0.1", "is outside 100.65.0.0/16"),
        (dict(reserved=["100.65.0.2", "10.0.0.0/8"]), "reserved[1]", "10.0.0.0/8", "is not inside 100.65.0.0/16"),
        (dict(reserved=["a-b"]), "reserved[0]", "a-b", "is not an address"),
        (dict(vlan=4095), "vlan", 4095, "must be a VLAN ID from 1 to 4094"),
        (dict(name="Ext_Cloud"), "name", "Ext_Cloud", "is not a valid name"),
        (dict(gateway_chassis=["c1", ""]), "gateway_chassis[1]", "", "is not a valid name"),
        (dict(network_name="phys net"), "network_name", "phys net", "is not a physical network name"),
    ],
)
def test_bad_input_names_field_and_value_and_writes_nothing(lab, override, field, value, reason):
    args = dict(EXT_CLOUD)
    args.update(override)
    result = lab.fails("external_network", args)
    assert result["msg"].startswith("%s: %r" % (field, value)), result["msg"]
    assert reason in result["msg"]


def test_overlapping_external_networks(lab, ext_cloud):
    result = lab.fails("external_network", dict(EXT_CLOUD, name="ext-other", cidr="100.65.128.0/17", gateway=None, reserved=[]))
    assert result["msg"] == "cidr: '100.65.128.0/17' overlaps external network ext-cloud (100.65.0.0/16)"


def test_immutable_and_guarded_changes(lab, ext_cloud):
    result = lab.fails("external_network", dict(EXT_CLOUD, cidr="100.64.0.0/16", gateway="100.64.0.1", reserved=[]))
    assert result["msg"].startswith("cidr: '100.65.0.0/16' cannot be changed to '100.64.0.0/16'")
    result = lab.fails("external_network", dict(EXT_CLOUD, network_type="public"))
    assert result["msg"].startswith("network_type: 'cloud' cannot be changed to 'public'")
    lab.run("project_network", PROJECT)
    result = lab.fails("external_network", dict(EXT_CLOUD, gateway="100.65.0.254"))
    assert result["msg"].startswith("gateway: cannot change 100.65.0.1 to 100.65.0.254 while 1 address(es) are allocated")
    result = lab.fails("external_network", dict(EXT_CLOUD, reserved=["100.65.0.2-100.65.0.200"]))
    assert result["msg"] == "reserved: would cover allocated address(es) 100.65.0.100 (project_network/acme-prod)"


def test_absent_refused_while_addresses_are_allocated(lab, ext_cloud):
    lab.run("project_network", PROJECT)
    result = lab.fails("external_network", ABSENT)
    assert result["msg"].startswith("external network ext-cloud still has 1 allocated address(es): 100.65.0.100 (project_network/acme-prod)")
    lab.run("project_network", dict(PROJECT, state="absent"))
    assert lab.run("external_network", ABSENT)["changed"] is True


def test_absent_refused_with_foreign_ports(lab, ext_cloud):
    lab.ovn.nbctl("lsp-add", "ext-cloud", "someone-elses-port")
    result = lab.fails("external_network", ABSENT)
    assert "ports not managed by kubedc.network: someone-elses-port" in result["msg"]


def test_foreign_switch_with_the_same_name(lab):
    lab.ovn.nbctl("ls-add", "ext-cloud")
    result = lab.fails("external_network", EXT_CLOUD)
    assert "Logical_Switch ext-cloud already exists and is not managed by kubedc.network" in result["msg"]


def test_a_project_switch_is_not_an_external_network(lab, ext_cloud):
    lab.run("project_network", PROJECT)
    result = lab.fails("external_network", dict(EXT_CLOUD, name="acme-prod-default", cidr="100.70.0.0/16", gateway=None, reserved=[]))
    assert result["msg"] == (
        "Logical_Switch acme-prod-default is managed by kubedc.network as a project_network, not as an external network"
    )

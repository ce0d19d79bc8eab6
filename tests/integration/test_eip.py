# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""eip against a real OVN lab."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import EXT_CLOUD, rhythm

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
WEB = dict(organization="acme", project="prod", name="web")
WEB_ABSENT = dict(WEB, state="absent")


@pytest.fixture
def project(lab, ext_cloud):
    return lab.run("project_network", PROJECT)["project_network"]


def test_rhythm(lab, project):
    applied = rhythm(lab, "eip", WEB, WEB_ABSENT)
    assert applied["eip"] == dict(
        name="web",
        organization="acme",
        project="prod",
        namespace="acme-prod",
        # .100 is the project's default-gateway address
        address="100.65.0.101",
        external_network="ext-cloud",
        network_type="cloud",
        users=[],
    )
    assert applied["commands"] == ["allocate 100.65.0.101 in external network ext-cloud for eip/acme-prod/web"]


def test_public_and_requested_addresses(lab, project, ext_public):
    web = lab.run("eip", dict(WEB, external_network_type="public"))["eip"]
    assert (web["address"], web["external_network"]) == ("198.51.100.2", "ext-public")
    bastion = lab.run("eip", dict(WEB, name="bastion", address="100.65.0.200"))["eip"]
    assert bastion["address"] == "100.65.0.200"
    allocated = lab.run("external_network", EXT_CLOUD, check=True)["external_network"]["allocated"]
    assert dict(address="100.65.0.200", owner="eip/acme-prod/bastion") in allocated


@pytest.mark.parametrize(
    "override,field,value,reason",
    [
        (dict(address="100.66.0.1"), "address", "100.66.0.1", "is outside external network ext-cloud"),
        (dict(address="100.65.0.5"), "address", "100.65.0.5", "is not allocatable"),
        (dict(address="nope"), "address", "nope", "is not a valid IPv4 address"),
        (dict(project="nowhere"), "project", "nowhere", "has no project network acme-nowhere"),
        (dict(name="Web"), "name", "Web", "is not a valid name"),
        (dict(name="default-gw"), "name", "default-gw", "is the project's default-gateway address"),
        (dict(external_network_type="public"), "external_network_type", "public", "has no external network to use"),
        (dict(external_network="ext-x"), "external_network", "ext-x", "is not an external network managed by kubedc.network"),
    ],
)
def test_bad_input_names_field_and_value_and_writes_nothing(lab, project, override, field, value, reason):
    args = dict(WEB)
    args.update(override)
    for check in (False, True):
        result = lab.fails("eip", args, check=check)
        assert result["msg"].startswith("%s: %r" % (field, value)), result["msg"]
        assert reason in result["msg"]


def test_taken_address(lab, project):
    result = lab.fails("eip", dict(WEB, address=project["default_gateway_ip"]))
    assert result["msg"] == "address: '100.65.0.100' is already allocated in external network ext-cloud to project_network/acme-prod"


def test_address_and_network_cannot_change(lab, project, ext_public):
    lab.run("eip", WEB)
    result = lab.fails("eip", dict(WEB, address="100.65.0.222"))
    assert result["msg"].startswith("address: EIP web holds 100.65.0.101; an EIP's address cannot change")
    result = lab.fails("eip", dict(WEB, external_network_type="public"))
    assert result["msg"].startswith(
        "external_network_type: EIP web holds 100.65.0.101 in external network ext-cloud (cloud); "
        "it cannot move to ext-public (public)"
    )


def test_release_refused_while_used_unless_forced(lab, project):
    address = lab.run("eip", WEB)["eip"]["address"]
    lab.ovn.nbctl("lr-nat-add", "acme-prod", "dnat_and_snat", address, "10.0.0.7")
    lab.ovn.nbctl("lb-add", "web-lb", address + ":443", "10.0.0.7:8443", "tcp", "--", "lr-lb-add", "acme-prod", "web-lb")
    seen = lab.run("eip", WEB)
    assert seen["changed"] is False
    assert seen["eip"]["users"] == ["Load_Balancer web-lb VIP 100.65.0.101:443", "NAT dnat_and_snat 100.65.0.101 -> 10.0.0.7"]
    result = lab.fails("eip", WEB_ABSENT)
    assert result["msg"] == (
        "EIP web (100.65.0.101) is still used by Load_Balancer web-lb VIP 100.65.0.101:443, "
        "NAT dnat_and_snat 100.65.0.101 -> 10.0.0.7; remove those first, or set force: true to release it anyway"
    )
    forced = lab.run("eip", dict(WEB_ABSENT, force=True))
    assert forced["changed"] is True and forced["diff"]["before"]["users"] == seen["eip"]["users"]
    allocated = lab.run("external_network", EXT_CLOUD, check=True)["external_network"]["allocated"]
    assert [a["owner"] for a in allocated] == ["project_network/acme-prod"]


PARALLEL_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - kubedc.network.eip:
        organization: acme
        project: prod
        name: "{name}"
        ovn_nb_connection: "{nb}"
      register: reserved
    - ansible.builtin.debug:
        msg: "RESERVED {{{{ reserved.eip.name }}}}={{{{ reserved.eip.address }}}}"
"""


def test_eight_parallel_playbooks_never_share_an_address(lab, project, tmp_path):
    ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    procs = []
    for index in range(8):
        play = tmp_path / ("eip%d.yml" % index)
        play.write_text(PARALLEL_PLAY.format(name="eip%d" % index, nb=lab.nb["ovn_nb_connection"]))
        procs.append(subprocess.Popen(
            [ansible_playbook, "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, str(play)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    reserved = {}
    for proc in procs:
        out = proc.communicate(timeout=300)[0]
        assert proc.returncode == 0, out
        reserved.update(re.findall(r"RESERVED (eip\d)=([\d.]+)", out))
    assert len(reserved) == 8
    assert sorted(reserved.values(), key=lambda a: int(a.rsplit(".", 1)[1])) == ["100.65.0.%d" % i for i in range(101, 109)]
    allocated = lab.run("external_network", EXT_CLOUD, check=True)["external_network"]["allocated"]
    assert dict((a["owner"], a["address"]) for a in allocated if a["owner"].startswith("eip/")) == dict(
        ("eip/acme-prod/" + name, address) for name, address in reserved.items()
    )

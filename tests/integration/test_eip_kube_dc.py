# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""eip with platform kube_dc: a Kube-DC EIp through the Kubernetes API.

No controller runs here: with ``wait: false`` the tests check what the module
writes and refuses; where the module waits or reads the status, the test
writes the status itself through the status subresource, as the Kube-DC
controller would (before the call, or from a thread while the module waits).
"""

import threading
import time

import pytest

from support import ModuleFailed, run_module

NAMESPACE = "acme-prod"
EIP = dict(platform="kube_dc", organization="acme", project="prod", name="web", wait=False)
REF = "kube-dc.com/v1 EIp acme-prod/web"


@pytest.fixture
def project(kube):
    kube.namespace(NAMESPACE)
    return dict(kubeconfig=kube.kubeconfig)


def eips(kube):
    return kube.kube_dc_specs("eips", NAMESPACE)


def set_status(kube, name, **status):
    body = dict(ready=False, ovnEIpRef="", ownershipType="Released")
    body.update(status)
    return kube.set_kube_dc_status("eips", NAMESPACE, name, body)


def test_check_apply_no_change_and_absent(kube, project):
    args = dict(EIP, **project)
    planned = run_module("eip", args, check=True)
    assert planned["changed"] is True and planned["commands"] == ["create " + REF]
    assert eips(kube) == [], "check mode stored the EIp"

    applied = run_module("eip", args)
    assert applied["changed"] is True and applied["commands"] == planned["commands"]
    assert applied["diff"] == dict(before={}, after={"spec.externalNetworkType": "cloud"})
    assert eips(kube) == [("web", {"externalNetworkType": "cloud"})]
    view = applied["eip"]
    assert view["namespace"] == NAMESPACE and view["network_type"] == "cloud" and view["ready"] is False
    assert view["address"] is None

    for check in (True, False):
        again = run_module("eip", args, check=check)
        assert again["changed"] is False and again["commands"] == []
    # The default is the explicit cloud.
    assert run_module("eip", dict(args, external_network_type="cloud"))["changed"] is False

    absent = dict(args, state="absent")
    assert run_module("eip", absent, check=True)["commands"] == ["delete " + REF]
    assert len(eips(kube)) == 1, "check mode deleted the EIp"
    gone = run_module("eip", absent)
    assert gone["changed"] is True and gone["eip"] == {}
    assert eips(kube) == []
    for check in (True, False):
        assert run_module("eip", absent, check=check)["changed"] is False


@pytest.mark.parametrize(
    "override,message",
    [
        (dict(external_network_type="public"),
         "external_network_type: 'public' cannot change: EIp web has spec.externalNetworkType='cloud'"),
        (dict(address="100.65.0.5"), "address: '100.65.0.5' applies to platform ovn only"),
        (dict(external_network="ext-cloud"), "external_network: 'ext-cloud' applies to platform ovn only"),
        (dict(name="default-gw"), "name: 'default-gw' is the project's default-gateway address"),
        (dict(eips=[dict(name="x", address="100.65.0.5")]), "eips[0] (x): address: '100.65.0.5' applies to platform ovn only"),
        (dict(eips=[dict(name="web", external_network_type="public")]),
         "eips[0] (web): external_network_type: 'public' cannot change"),
        (dict(eips=[dict(name="web"), dict(name="default-gw")]), "eips[1] (default-gw): name: 'default-gw' is the project's"),
        (dict(name="Web"), "name: 'Web'"),
    ],
)
def test_refusals_write_nothing(kube, project, override, message):
    args = dict(EIP, **project)
    run_module("eip", args)
    before = eips(kube)
    for check in (False, True):
        with pytest.raises(ModuleFailed) as failed:
            task = dict(args, **override)
            if "eips" in override:
                del task["name"]
            run_module("eip", task, check=check)
        assert failed.value.result["msg"].startswith(message), failed.value.result["msg"]
    assert eips(kube) == before


def test_missing_project_namespace_is_named(kube):
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", dict(EIP, project="nowhere", kubeconfig=kube.kubeconfig))
    result = failed.value.result
    assert result["msg"].startswith("project: 'nowhere' has no namespace acme-nowhere on the Kubernetes API server")
    assert result["field"] == "project"


def test_delete_with_owners_needs_force(kube, project):
    args = dict(EIP, **project)
    run_module("eip", args)
    owners = [dict(type="FIp", ownerRef="bastion")]
    set_status(kube, "web", ready=True, ipAddress="100.65.0.7", ovnEIpRef="eip-web", ownershipType="Exclusive", owners=owners)
    absent = dict(args, state="absent")
    for check in (False, True):
        with pytest.raises(ModuleFailed) as failed:
            run_module("eip", absent, check=check)
        assert failed.value.result["msg"] == (
            "EIp web (100.65.0.7) is still owned by FIp bastion; remove those first, or set force: true to delete it anyway")
        assert failed.value.result["owners"] == owners
    assert [name for name, _spec in eips(kube)] == ["web"]
    forced = run_module("eip", dict(absent, force=True))
    assert forced["changed"] is True and eips(kube) == []


def test_waits_for_ready_and_an_address(kube, project):
    args = dict(EIP, **project)
    run_module("eip", args)

    def controller():
        time.sleep(0.5)
        set_status(kube, "web", ready=True, ovnEIpRef="eip-web")  # ready, but no address yet
        time.sleep(0.5)
        set_status(kube, "web", ready=True, ipAddress="100.65.0.7", ovnEIpRef="eip-web", ownershipType="Released")

    thread = threading.Thread(target=controller)
    thread.start()
    try:
        started = time.monotonic()
        result = run_module("eip", dict(args, wait=True, wait_timeout=20, wait_sleep=0.2))
    finally:
        thread.join()
    assert time.monotonic() - started >= 0.9
    assert result["changed"] is False
    assert result["eip"] == dict(
        name="web", organization="acme", project="prod", namespace=NAMESPACE, address="100.65.0.7",
        network_type="cloud", ownership="Released", owners=[], ovn_eip="eip-web", ready=True,
    )


def test_wait_gives_up_saying_what_is_missing(kube, project):
    args = dict(EIP, **project)
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", dict(args, wait=True, wait_timeout=1, wait_sleep=0.2))
    assert failed.value.result["msg"] == "gave up waiting 1 seconds for EIp web to be ready: status.ready is not true yet"
    set_status(kube, "web", ready=True, ovnEIpRef="eip-web")
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", dict(args, wait=True, wait_timeout=1, wait_sleep=0.2))
    assert failed.value.result["msg"] == "gave up waiting 1 seconds for EIp web to be ready: status.ipAddress is not set yet"


def test_end_to_end_with_the_kube_dc_controller(kube, kube_dc, ext_cloud):
    kube.namespace("acme")
    connect = dict(kubeconfig=kube.kubeconfig, wait_timeout=60, wait_sleep=0.2)
    run_module("project_network", dict(platform="kube_dc", organization="acme", name="prod", cidr="10.0.0.0/24", **connect))
    args = dict(EIP, wait=True, **connect)
    made = run_module("eip", args)
    eip = made["eip"]
    assert made["changed"] is True and eip["ready"] is True and eip["ownership"] == "Released" and eip["owners"] == []
    assert eip["address"] and eip["ovn_eip"]
    assert run_module("eip", args)["changed"] is False
    gone = run_module("eip", dict(args, state="absent"))
    assert gone["changed"] is True and [name for name, _spec in eips(kube)] == ["default-gw"]


def test_adopting_an_existing_ovn_eip(kube, project):
    from kubernetes import client

    custom = client.CustomObjectsApi(kube.api_client())
    args = dict(EIP, name="legacy", ovn_eip="legacy-ovn-eip", kubeconfig=kube.kubeconfig)
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", args)
    assert failed.value.result["msg"] == "ovn_eip: 'legacy-ovn-eip' is not a Kube-OVN OvnEip (kubeovn.io/v1) on this cluster"
    custom.create_cluster_custom_object("kubeovn.io", "v1", "ovn-eips", {
        "apiVersion": "kubeovn.io/v1", "kind": "OvnEip", "metadata": {"name": "legacy-ovn-eip"},
        "spec": {"externalSubnet": "ext-cloud", "type": "nat"}})
    try:
        planned = run_module("eip", args, check=True)
        assert planned["commands"] == ["create kube-dc.com/v1 EIp acme-prod/legacy"]
        made = run_module("eip", args)
        spec = custom.get_namespaced_custom_object("kube-dc.com", "v1", "acme-prod", "eips", "legacy")["spec"]
        assert made["changed"] is True and spec == {"childRef": "legacy-ovn-eip"}
        assert run_module("eip", args)["changed"] is False
        # What an EIp adopts cannot change, and allocating instead is refused too.
        for override in (dict(ovn_eip="other"), dict(ovn_eip=None)):
            for check in (True, False):
                with pytest.raises(ModuleFailed) as failed:
                    run_module("eip", dict(args, **override), check=check)
                assert failed.value.result["msg"].startswith(
                    "EIp legacy adopts the OvnEip legacy-ovn-eip (spec.childRef), which cannot change"), failed.value.result
        assert custom.get_namespaced_custom_object("kube-dc.com", "v1", "acme-prod", "eips", "legacy")["spec"] == spec
        with pytest.raises(ModuleFailed) as failed:
            run_module("eip", dict(args, external_network_type="cloud"))
        assert failed.value.result["msg"] == "parameters are mutually exclusive: ovn_eip|external_network_type"
        assert run_module("eip", dict(EIP, name="legacy", state="absent", kubeconfig=kube.kubeconfig))["changed"] is True
    finally:
        custom.delete_cluster_custom_object("kubeovn.io", "v1", "ovn-eips", "legacy-ovn-eip")


def test_ovn_eip_is_for_kube_dc_only(lab, ext_cloud):
    lab.run("project_network", dict(organization="acme", name="prod", cidr="10.0.0.0/24"))
    result = lab.fails("eip", dict(organization="acme", project="prod", name="x", ovn_eip="y"))
    assert result["msg"] == "ovn_eip: 'y' applies to platform kube_dc only: on ovn an EIP is an allocation in a pool"

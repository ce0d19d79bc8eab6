# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""project_network with platform kube_dc: a Kube-DC Project through the Kubernetes API.

These tests need no controller: with ``wait: false`` they check what the module
writes and refuses. The controller's part (ready, namespace, default-gw EIP,
and the NB rows) is tested with the kube_dc fixture.
"""

import time

import pytest

from support import ModuleFailed, run_module

PROJECT = dict(platform="kube_dc", organization="acme", name="prod", cidr="10.0.0.0/24", wait=False)


@pytest.fixture
def org(kube):
    kube.namespace("acme")
    return dict(kubeconfig=kube.kubeconfig)


def projects(kube):
    return kube.kube_dc_specs("projects", "acme")


def test_check_apply_no_change_and_absent(kube, org):
    args = dict(PROJECT, **org)
    planned = run_module("project_network", args, check=True)
    assert planned["changed"] is True and planned["commands"] == ["create kube-dc.com/v1 Project acme/prod"]
    assert projects(kube) == [], "check mode stored the Project"

    applied = run_module("project_network", args)
    assert applied["commands"] == planned["commands"]
    assert applied["diff"] == dict(before={}, after={"spec.cidrBlock": "10.0.0.0/24", "spec.egressNetworkType": "cloud"})
    assert projects(kube) == [("prod", {"cidrBlock": "10.0.0.0/24", "egressNetworkType": "cloud"})]
    assert applied["project_network"]["namespace"] == "acme-prod" and applied["project_network"]["ready"] is False

    for check in (True, False):
        again = run_module("project_network", args, check=check)
        assert again["changed"] is False and again["commands"] == []

    # A field the module declares, changed behind its back, is put back with a merge patch.
    gateway = run_module("project_network", dict(args, gateway="10.0.0.254"))
    assert gateway["commands"] == ["patch kube-dc.com/v1 Project acme/prod: spec.gwLanIp=10.0.0.254"]
    assert run_module("project_network", args)["commands"] == ["patch kube-dc.com/v1 Project acme/prod: spec.gwLanIp=(removed)"]

    absent = dict(platform="kube_dc", organization="acme", name="prod", state="absent", wait=False, **org)
    assert run_module("project_network", absent, check=True)["commands"] == ["delete kube-dc.com/v1 Project acme/prod"]
    assert len(projects(kube)) == 1
    assert run_module("project_network", absent)["changed"] is True
    assert projects(kube) == []
    assert run_module("project_network", absent)["changed"] is False


@pytest.mark.parametrize(
    "override,message",
    [
        (dict(cidr="10.1.0.0/24"), "cidr: '10.1.0.0/24' cannot change: Project prod has spec.cidrBlock='10.0.0.0/24'"),
        (dict(egress_network_type="public"), "egress_network_type: 'public' cannot change: Project prod has spec.egressNetworkType='cloud'"),
        (dict(default_gateway_ip="100.65.0.5"), "default_gateway_ip: '100.65.0.5' applies to platform ovn only"),
        (dict(gateway="10.9.0.1"), "gateway: '10.9.0.1' is outside 10.0.0.0/24"),
        (dict(cidr="10.0.0.0/33"), "cidr: '10.0.0.0/33'"),
    ],
)
def test_bad_input_and_immutables_write_nothing(kube, org, override, message):
    args = dict(PROJECT, **org)
    run_module("project_network", args)
    before = projects(kube)
    for check in (False, True):
        with pytest.raises(ModuleFailed) as failed:
            run_module("project_network", dict(args, **override), check=check)
        assert failed.value.result["msg"].startswith(message), failed.value.result["msg"]
    assert projects(kube) == before


def test_missing_organization_namespace_is_named(kube):
    with pytest.raises(ModuleFailed) as failed:
        run_module("project_network", dict(PROJECT, organization="nowhere", kubeconfig=kube.kubeconfig))
    assert failed.value.result["msg"].startswith("organization: 'nowhere' has no namespace nowhere on the Kubernetes API server")


def test_server_validation_comes_back_in_check_mode_too(kube, org):
    # The CRD's CEL rule makes egressNetworkType immutable: edit it behind the module's back
    # and the server, not only the module, refuses the change (the module refuses first).
    kube.require("cel")
    from kubernetes import client

    run_module("project_network", dict(PROJECT, **org))
    api = client.CustomObjectsApi(kube.api_client())
    with pytest.raises(client.exceptions.ApiException) as refused:
        api.patch_namespaced_custom_object("kube-dc.com", "v1", "acme", "projects", "prod", {"spec": {"egressNetworkType": "public"}})
    assert refused.value.status == 422 and "egressNetworkType is immutable" in refused.value.body


def test_wait_gives_up_with_the_status_it_saw(kube, org):
    with pytest.raises(ModuleFailed) as failed:
        run_module("project_network", dict(PROJECT, wait=True, wait_timeout=1, wait_sleep=0.2, **org))
    assert failed.value.result["msg"] == "gave up waiting 1 seconds for Project prod to be ready: status.ready is not true yet"


def test_end_to_end_with_the_controller_and_verify_ovn(kube, kube_dc, lab, ext_cloud):
    kube.namespace("acme")
    connect = dict(kubeconfig=kube.kubeconfig, wait_sleep=0.2, wait_timeout=60, verify_ovn=True, **lab.nb)
    args = dict(PROJECT, wait=True, **connect)
    applied = run_module("project_network", args)
    project = applied["project_network"]
    assert project["ready"] is True and project["namespace"] == "acme-prod"
    assert project["default_gateway_ip"] == "100.65.0.100"
    # The controller wrote the VPC as Kube-OVN does: a workload leaves SNATed to the default-gw address.
    lab.workload_port("acme-prod-default", "vm1", "0a:00:00:00:10:0a", "10.0.0.10")
    names = dict(router="acme-prod", switch="acme-prod-default", gateway_router_port="acme-prod-ext-cloud", external_network="ext-cloud")
    egress = lab.trace_egress(names, "vm1", "0a:00:00:00:10:0a", "10.0.0.10")
    assert egress.snat == ["100.65.0.100"], egress.summary
    assert run_module("project_network", args)["changed"] is False

    # The SNAT row disappears behind Kube-DC's back: the project is still "ready", verify_ovn says otherwise.
    lab.ovn.nbctl("lr-nat-del", "acme-prod", "snat", "10.0.0.0/24")
    with pytest.raises(ModuleFailed) as failed:
        run_module("project_network", args)
    result = failed.value.result
    assert result["msg"].startswith("Project acme/prod is ready in Kube-DC, but the OVN Northbound DB does not match")
    assert result["drift"] == ["NAT snat 100.65.0.100 -> 10.0.0.0/24 is missing"]
    # Without verify_ovn the same task succeeds: the drift is only visible by looking.
    assert run_module("project_network", dict(args, verify_ovn=False))["changed"] is False

    gone = run_module("project_network", dict(platform="kube_dc", organization="acme", name="prod", state="absent", **connect))
    assert gone["changed"] is True and projects(kube) == []
    assert lab.ovn.nbctl("--bare", "--columns=name", "find", "Logical_Router", "name=acme-prod").strip() == ""


def test_a_project_whose_namespace_has_workloads_is_not_deleted(kube, org):
    # Kube-DC deletes the project namespace with the Project: a Pod there (a VM's launcher, a
    # database) is named and the Project stays, in check mode, with state absent and with
    # exclusive pruning alike; once it is gone the Project may go.
    from kubernetes import client

    run_module("project_network", dict(PROJECT, **org))
    kube.namespace("acme-prod")
    core = client.CoreV1Api(kube.api_client())
    pod = {"metadata": {"name": "db-0"}, "spec": {"containers": [{"name": "db", "image": "postgres"}]}}
    core.create_namespaced_pod("acme-prod", pod)
    absent = dict(platform="kube_dc", organization="acme", name="prod", state="absent", wait=False, **org)
    prune = dict(platform="kube_dc", projects=[], exclusive=True, wait=False, **org)
    refusal = ("project network acme-prod still has workloads in its namespace: Pod db-0. Deleting the Project makes "
               "Kube-DC delete the namespace and everything in it; remove them first.")
    for args, label in ((absent, ""), (prune, "exclusive (acme-prod): ")):
        for check in (True, False):
            with pytest.raises(ModuleFailed) as failed:
                run_module("project_network", args, check=check)
            assert failed.value.result["msg"] == label + refusal
            assert failed.value.result["workloads"] == ["Pod db-0"]
    assert len(projects(kube)) == 1

    core.delete_namespaced_pod("db-0", "acme-prod", grace_period_seconds=0)
    # A real server keeps a deleted Pod until its kubelet confirms; with none, grace 0 removes it at once.
    deadline = time.monotonic() + 60
    while core.list_namespaced_pod("acme-prod").items and time.monotonic() < deadline:
        time.sleep(0.5)
    assert run_module("project_network", absent)["changed"] is True
    assert projects(kube) == []

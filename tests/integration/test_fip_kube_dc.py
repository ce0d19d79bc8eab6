# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fip with platform kube_dc: a Kube-DC FIp through the Kubernetes API.

No controller runs here: with ``wait: false`` the tests check what the module
writes and refuses; where the module waits or reads the status, the test
writes the status itself through the status subresource, as the Kube-DC
controller would.
"""

import threading
import time

import pytest

from support import ModuleFailed, run_module

NAMESPACE = "acme-prod"
FIP = dict(platform="kube_dc", organization="acme", project="prod", name="bastion", ip_address="10.0.0.7", wait=False)
REF = "kube-dc.com/v1 FIp acme-prod/bastion"


@pytest.fixture
def project(kube):
    kube.namespace(NAMESPACE)
    return dict(kubeconfig=kube.kubeconfig)


def fips(kube):
    return kube.kube_dc_specs("fips", NAMESPACE)


def set_status(kube, name, **status):
    body = dict(ready=False, externalIP="", eip="", ovnFip="")
    body.update(status)
    return kube.set_kube_dc_status("fips", NAMESPACE, name, body)


@pytest.fixture
def patches(monkeypatch):
    """The merge patches the module sends, as (name, body)."""
    from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import KubeObjects

    sent = []
    original = KubeObjects.merge_patch

    def merge_patch(self, api_version, plural, namespace, name, patch, dry_run=False):
        sent.append((name, patch, dry_run))
        return original(self, api_version, plural, namespace, name, patch, dry_run)

    monkeypatch.setattr(KubeObjects, "merge_patch", merge_patch)
    return sent


def test_check_apply_no_change_and_absent(kube, project):
    args = dict(FIP, **project)
    planned = run_module("fip", args, check=True)
    assert planned["changed"] is True and planned["commands"] == ["create " + REF]
    assert fips(kube) == [], "check mode stored the FIp"

    applied = run_module("fip", args)
    assert applied["commands"] == planned["commands"]
    assert applied["diff"] == dict(before={}, after={"spec.externalNetworkType": "cloud", "spec.ipAddress": "10.0.0.7"})
    assert fips(kube) == [("bastion", {"externalNetworkType": "cloud", "ipAddress": "10.0.0.7"})]
    assert applied["fip"]["ip_address"] == "10.0.0.7" and applied["fip"]["ready"] is False

    for check in (True, False):
        again = run_module("fip", args, check=check)
        assert again["changed"] is False and again["commands"] == []

    retarget = run_module("fip", dict(args, ip_address="10.0.0.8"))
    assert retarget["commands"] == ["patch {0}: spec.ipAddress=10.0.0.8".format(REF)]

    absent = dict(platform="kube_dc", organization="acme", project="prod", name="bastion", state="absent", wait=False, **project)
    assert run_module("fip", absent, check=True)["commands"] == ["delete " + REF]
    assert len(fips(kube)) == 1, "check mode deleted the FIp"
    assert run_module("fip", absent)["changed"] is True
    assert fips(kube) == []
    for check in (True, False):
        assert run_module("fip", absent, check=check)["changed"] is False


def test_switching_the_target_removes_the_other(kube, project, patches):
    args = dict(FIP, eip="ssh", **project)
    del args["ip_address"]
    run_module("fip", dict(args, vm_name="bastion", interface_name="vpc_net_0"))
    assert fips(kube) == [("bastion", {"eip": "ssh", "vmTarget": {"vmName": "bastion", "interfaceName": "vpc_net_0"}})]

    to_ip = run_module("fip", dict(args, ip_address="10.0.0.7"))
    assert to_ip["commands"] == ["patch {0}: spec.ipAddress=10.0.0.7, spec.vmTarget=(removed)".format(REF)]
    assert patches == [("bastion", {"spec": {"ipAddress": "10.0.0.7", "vmTarget": None}}, False)]
    assert fips(kube) == [("bastion", {"eip": "ssh", "ipAddress": "10.0.0.7"})]

    del patches[:]
    to_vm = run_module("fip", dict(args, vm_name="bastion"))
    assert to_vm["commands"] == ["patch {0}: spec.ipAddress=(removed), spec.vmTarget.vmName=bastion".format(REF)]
    assert patches == [("bastion", {"spec": {"ipAddress": None, "vmTarget": {"vmName": "bastion"}}}, False)]
    assert fips(kube) == [("bastion", {"eip": "ssh", "vmTarget": {"vmName": "bastion"}})]
    assert run_module("fip", dict(args, vm_name="bastion"))["changed"] is False

    # From a named EIp to an EIp of its own: the EIp goes in the same patch.
    del patches[:]
    own = dict(args, vm_name="bastion", external_network_type="public")
    del own["eip"]
    own = run_module("fip", own)
    assert patches == [("bastion", {"spec": {"eip": None, "externalNetworkType": "public"}}, False)]
    assert own["fip"]["network_type"] == "public"


@pytest.mark.parametrize(
    "override,message",
    [
        (dict(external_network_type="public"),
         "external_network_type: 'public' cannot change: FIp bastion has spec.externalNetworkType='cloud'"),
        (dict(eip="ssh"), "eip: 'ssh' cannot replace the EIp of FIp bastion made for it alone (spec.externalNetworkType='cloud'"),
        (dict(external_network="ext-cloud"), "external_network: 'ext-cloud' applies to platform ovn only"),
        (dict(logical_port="p", external_mac="0a:00:00:00:00:01"), "logical_port: 'p' applies to platform ovn only"),
        (dict(ip_address=None, pod_name="web-0"), "pod_name: 'web-0' applies to platform ovn only"),
        (dict(ip_address="10.0.0.300"), "ip_address: '10.0.0.300'"),
        (dict(fips=[dict(name="x", pod_name="web-0")]), "fips[0] (x): pod_name: 'web-0' applies to platform ovn only"),
        (dict(fips=[dict(name="bastion", ip_address="10.0.0.9"), dict(name="x", ip_address="10.0.0.300")]),
         "fips[1] (x): ip_address: '10.0.0.300'"),
    ],
)
def test_refusals_write_nothing(kube, project, override, message):
    args = dict(FIP, **project)
    run_module("fip", args)
    before = fips(kube)
    for check in (False, True):
        task = dict(args, **override)
        for key in [k for k, v in task.items() if v is None] + (["name", "ip_address"] if "fips" in override else []):
            del task[key]
        with pytest.raises(ModuleFailed) as failed:
            run_module("fip", task, check=check)
        assert failed.value.result["msg"].startswith(message), failed.value.result["msg"]
    assert fips(kube) == before


def test_missing_project_namespace_is_named(kube):
    with pytest.raises(ModuleFailed) as failed:
        run_module("fip", dict(FIP, project="nowhere", kubeconfig=kube.kubeconfig))
    assert failed.value.result["msg"].startswith("project: 'nowhere' has no namespace acme-nowhere on the Kubernetes API server")


def test_waits_for_ready_and_both_addresses(kube, project):
    args = dict(FIP, **project)
    run_module("fip", args)

    def controller():
        time.sleep(0.5)
        set_status(kube, "bastion", ready=True, externalIP="100.65.0.9", eip="fip-bastion", ovnFip="fip-acme-prod-bastion")
        time.sleep(0.5)
        set_status(kube, "bastion", ready=True, externalIP="100.65.0.9", eip="fip-bastion", ovnFip="fip-acme-prod-bastion",
                   resolvedTargetIP="10.0.0.7")

    thread = threading.Thread(target=controller)
    thread.start()
    try:
        started = time.monotonic()
        result = run_module("fip", dict(args, wait=True, wait_timeout=20, wait_sleep=0.2))
    finally:
        thread.join()
    assert time.monotonic() - started >= 0.9
    assert result["changed"] is False
    assert result["fip"] == dict(
        name="bastion", organization="acme", project="prod", namespace=NAMESPACE, external_ip="100.65.0.9",
        ip_address="10.0.0.7", vm_name=None, interface_name=None, eip="fip-bastion", ovn_fip="fip-acme-prod-bastion",
        network_type="cloud", ready=True,
    )


def test_wait_gives_up_saying_what_is_missing(kube, project):
    args = dict(FIP, **project)
    with pytest.raises(ModuleFailed) as failed:
        run_module("fip", dict(args, wait=True, wait_timeout=1, wait_sleep=0.2))
    assert failed.value.result["msg"] == "gave up waiting 1 seconds for FIp bastion to be ready: status.ready is not true yet"
    set_status(kube, "bastion", ready=True, externalIP="100.65.0.9", eip="fip-bastion", ovnFip="x")
    with pytest.raises(ModuleFailed) as failed:
        run_module("fip", dict(args, wait=True, wait_timeout=1, wait_sleep=0.2))
    assert failed.value.result["msg"] == (
        "gave up waiting 1 seconds for FIp bastion to be ready: status.resolvedTargetIP is not set yet")


def _service(kube, name, annotations, backend):
    from kubernetes import client

    kube.require("endpointslice/v1")
    core = client.CoreV1Api(kube.api_client())
    core.create_namespaced_service(NAMESPACE, {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"type": "LoadBalancer", "ports": [dict(name="https", port=443, targetPort=8443, protocol="TCP")]},
    })
    client.DiscoveryV1Api(kube.api_client()).create_namespaced_endpoint_slice(NAMESPACE, {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": name + "-1", "labels": {"kubernetes.io/service-name": name}},
        "addressType": "IPv4",
        "ports": [dict(name="https", port=8443, protocol="TCP")],
        "endpoints": [dict(addresses=[backend], conditions=dict(ready=True))],
    })


def test_a_fip_on_a_backend_of_a_service_on_the_other_network_type_is_refused(kube, project):
    run_module("eip", dict(platform="kube_dc", organization="acme", project="prod", name="lb", wait=False, **project))
    _service(kube, "web", {"service.nlb.kube-dc.com/bind-on-eip": "lb"}, "10.0.0.7")
    args = dict(FIP, **project)
    for check in (False, True):
        with pytest.raises(ModuleFailed) as failed:
            run_module("fip", dict(args, external_network_type="public"), check=check)
        assert failed.value.result["msg"].startswith(
            "ip_address: '10.0.0.7' backs LoadBalancer Service acme-prod/web (bound to EIp lb, cloud network); "
            "a public FIP on it"), failed.value.result["msg"]
    assert fips(kube) == []
    # The same network type, or another target, is fine.
    assert run_module("fip", args)["changed"] is True
    assert run_module("fip", dict(args, name="other", ip_address="10.0.0.8", external_network_type="public"))["changed"] is True


def test_end_to_end_with_the_kube_dc_controller(kube, kube_dc, lab, ext_cloud):
    kube.namespace("acme")
    connect = dict(kubeconfig=kube.kubeconfig, wait_timeout=60, wait_sleep=0.2)
    run_module("project_network", dict(platform="kube_dc", organization="acme", name="prod", cidr="10.0.0.0/24", **connect))
    eip = run_module("eip", dict(platform="kube_dc", organization="acme", project="prod", name="ssh", **connect))["eip"]
    args = dict(FIP, eip="ssh", wait=True, **connect)
    made = run_module("fip", args)
    fip = made["fip"]
    assert made["changed"] is True and fip["ready"] is True
    assert fip["external_ip"] == eip["address"] and fip["ip_address"] == "10.0.0.7" and fip["eip"] == "ssh"
    assert fip["network_type"] == "cloud" and fip["ovn_fip"]
    nat = lab.ovn.nbctl("--bare", "--columns=logical_ip", "find", "NAT", "type=dnat_and_snat",
                        "external_ip=" + eip["address"])
    assert nat.split() == ["10.0.0.7"]
    assert run_module("fip", args)["changed"] is False
    # The EIp is owned by the FIp now: deleting it is refused.
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", dict(platform="kube_dc", organization="acme", project="prod", name="ssh", state="absent", **connect))
    assert "is still owned by FIp" in failed.value.result["msg"]
    assert run_module("fip", dict(args, state="absent"))["changed"] is True
    assert fips(kube) == []


def test_verify_ovn_and_repair_stale_nat_with_the_kube_dc_controller(kube, kube_dc, lab, ext_cloud):
    """The Kube-OVN bug of a VM recreated with a new address: found by verify_ovn, fixed by repair_stale_nat."""
    from kubernetes import client

    kube.namespace("acme")
    connect = dict(kubeconfig=kube.kubeconfig, wait_timeout=60, wait_sleep=0.2, **lab.nb)
    run_module("project_network", dict(platform="kube_dc", organization="acme", name="prod", cidr="10.0.0.0/24", **connect))
    custom = client.CustomObjectsApi(kube.api_client())

    def vmi_address(ip):
        custom.patch_namespaced_custom_object_status("kubevirt.io", "v1", "acme-prod", "virtualmachineinstances", "vm1", {
            "status": {"phase": "Running", "interfaces": [{"name": "vpc_net_0", "ipAddress": ip, "ipAddresses": [ip], "mac": "0a:58:0a:00:00:14"}]}})

    custom.create_namespaced_custom_object("kubevirt.io", "v1", "acme-prod", "virtualmachineinstances", {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "vm1"},
        "spec": {"domain": {"devices": {"interfaces": [{"name": "vpc_net_0", "bridge": {}}]}}}})
    vmi_address("10.0.0.20")
    args = dict(platform="kube_dc", organization="acme", project="prod", name="vm", vm_name="vm1", verify_ovn=True, **connect)
    fip = run_module("fip", args)["fip"]
    assert fip["ip_address"] == "10.0.0.20" and fip["ready"] is True

    def nat():
        return lab.ovn.nbctl("--bare", "--columns=logical_ip", "find", "NAT", "external_ip=" + fip["external_ip"]).split()

    assert nat() == ["10.0.0.20"]
    # The VM is recreated with another address: the FIp follows, the NAT row does not.
    vmi_address("10.0.0.21")
    for _attempt in range(100):
        status = custom.get_namespaced_custom_object("kube-dc.com", "v1", "acme-prod", "fips", "vm").get("status", {})
        if status.get("resolvedTargetIP") == "10.0.0.21":
            break
        time.sleep(0.1)
    assert nat() == ["10.0.0.20"]
    with pytest.raises(ModuleFailed) as failed:
        run_module("fip", args)
    assert failed.value.result["drift"] == [
        "NAT dnat_and_snat {0} -> 10.0.0.20 is stale: the FIp resolves to 10.0.0.21 (repair_stale_nat: true fixes it)".format(fip["external_ip"])
    ]
    repair = dict(args, repair_stale_nat=True)
    planned = run_module("fip", repair, check=True)
    assert planned["changed"] is True and planned["commands"] == [
        "delete kubeovn.io/v1 OvnFip {0}: its NAT row {1} -> 10.0.0.20 is stale, the FIp resolves to 10.0.0.21".format(
            fip["ovn_fip"], fip["external_ip"])
    ]
    assert nat() == ["10.0.0.20"], "check mode repaired"
    repaired = run_module("fip", repair)
    assert repaired["changed"] is True and repaired["commands"] == planned["commands"]
    assert nat() == ["10.0.0.21"]
    # Repaired and verified: nothing more to do.
    assert run_module("fip", repair)["changed"] is False

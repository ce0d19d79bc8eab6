# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fip targets named as Kubernetes workloads: a pod, or a KubeVirt VM and its interface.

The OVN lab holds the NB; the ``kube`` fixture an API server (the test double,
or a real cluster with KUBEDC_TEST_KUBECONFIG) holding the workloads whose
addresses the module reads. Their status is what the test writes through the
status subresource, as a kubelet or virt-handler would:

* pods are created with a scheduling gate, so that on a real cluster no
  scheduler binds them and no kubelet runs them or overwrites that status (a
  pod bound to a nonexistent node would be deleted by the pod garbage
  collector);
* VMIs are objects of the tests' minimal CRD (tests/crds/kubevirt-vmi.yaml);
  on a cluster where KubeVirt runs, the VMI tests are skipped.
"""

import json
import socket

import pytest

from support import UPSTREAM_MAC, rhythm

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
SCOPE = dict(organization="acme", project="prod")
NAMESPACE = "acme-prod"
# The VM's Kube-DC NIC and a second one.
VM_NIC = ("vpc_net_0", "10.0.0.20", "0a:58:0a:00:00:14")
VM_NIC2 = ("storage", "10.0.0.21", "0a:58:0a:00:00:15")
KUBE_ENV = ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT",
            "K8S_AUTH_CERT_FILE", "K8S_AUTH_KEY_FILE", "K8S_AUTH_VERIFY_SSL", "KUBERNETES_SERVICE_HOST",
            "KUBERNETES_SERVICE_PORT")


class Workloads(object):
    """Pods and VirtualMachineInstances of the project namespace, with the status a test gives them."""

    def __init__(self, kube, namespace):
        from kubernetes import client

        self.kube = kube
        self.namespace = namespace
        self.core = client.CoreV1Api(kube.api_client())
        self.custom = client.CustomObjectsApi(kube.api_client())

    def pod(self, name, ip=None, phase="Running"):
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9"}],
                "schedulingGates": [{"name": "kubedc.network/test"}],
            },
        }
        self.core.create_namespaced_pod(self.namespace, body)
        self.pod_status(name, ip, phase)

    def pod_status(self, name, ip, phase="Running"):
        status = {"phase": phase}
        if ip:
            status.update(podIP=ip, podIPs=[{"ip": ip}])
        # A merge patch replaces podIPs; a strategic one (the client's default) would merge by ip.
        self.core.patch_namespaced_pod_status(name, self.namespace, {"status": status}, _content_type="application/merge-patch+json")

    def vmi(self, name, *nics, phase="Running"):
        body = {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstance",
            "metadata": {"name": name},
            "spec": {"domain": {"devices": {"interfaces": [{"name": nic[0], "bridge": {}} for nic in nics]}}},
        }
        self.custom.create_namespaced_custom_object("kubevirt.io", "v1", self.namespace, "virtualmachineinstances", body)
        self.vmi_status(name, *nics, phase=phase)

    def vmi_status(self, name, *nics, phase="Running"):
        """What virt-handler reports: the interfaces with their addresses (nic: (name, ip or None, mac))."""
        vmi = self.custom.get_namespaced_custom_object("kubevirt.io", "v1", self.namespace, "virtualmachineinstances", name)
        interfaces = []
        for nic_name, ip, mac in nics:
            entry = {"name": nic_name, "mac": mac, "interfaceName": "eth%d" % len(interfaces)}
            if ip:
                entry.update(ipAddress=ip, ipAddresses=[ip])
            interfaces.append(entry)
        vmi["status"] = {"phase": phase, "interfaces": interfaces}
        self.custom.replace_namespaced_custom_object_status("kubevirt.io", "v1", self.namespace, "virtualmachineinstances", name, vmi)


@pytest.fixture
def project(lab, ext_cloud):
    project = lab.run("project_network", PROJECT)["project_network"]
    # The VM's port on the project switch, as Kube-OVN would add it.
    lab.workload_port(project["switch"], "vm1.acme-prod", VM_NIC[2], VM_NIC[1])
    return project


def fake_vmis_only(kube):
    """On a real cluster, VMIs are faked only with the tests' minimal CRD: KubeVirt's controllers would own them."""
    if not kube.is_real:
        return
    from kubernetes import client

    crd = client.ApiextensionsV1Api(kube.api_client()).read_custom_resource_definition("virtualmachineinstances.kubevirt.io")
    schema = crd.spec.versions[0].schema.open_apiv3_schema
    if "minimal schema for tests" not in (schema.description or ""):
        pytest.skip("KubeVirt is installed on this cluster; its controllers would own the VMIs these tests fake")


@pytest.fixture
def workloads(kube, project):
    fake_vmis_only(kube)
    work = Workloads(kube, kube.namespace(NAMESPACE))
    work.pod("web-0", "10.0.0.10")
    work.vmi("vm1", VM_NIC, VM_NIC2)
    return work


@pytest.fixture
def connect(kube):
    return dict(kubeconfig=kube.kubeconfig)


def declared_on_nat(lab, external_ip):
    row = lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "external_ip=%s" % external_ip).strip()
    return json.loads(json.loads(lab.ovn.nbctl("get", "NAT", row, "external_ids:\"kubedc:declared\"").strip()))


def trace_inbound(lab, project, external_ip):
    gateway_mac = lab.ovn.nbctl("get", "Logical_Router_Port", project["gateway_router_port"], "mac").strip().strip('"')
    flow = (
        'inport=="localnet.ext-cloud" && eth.src=={up} && eth.dst=={gw} && ip4.src==203.0.113.9 && '
        "ip4.dst=={fip} && ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst==22"
    ).format(up=UPSTREAM_MAC, gw=gateway_mac, fip=external_ip)
    return lab.ovn.trace("ext-cloud", flow)


def test_pod_target_rhythm(lab, workloads, connect):
    present = dict(SCOPE, name="web", pod_name="web-0", **connect)
    applied = rhythm(lab, "fip", present, dict(SCOPE, name="web", state="absent"))
    assert applied["fip"] == dict(
        name="web", organization="acme", project="prod", namespace="acme-prod", external_ip="100.65.0.101",
        ip_address="10.0.0.10", pod_name="web-0", vm_name=None, interface_name=None, eip=None,
        external_network="ext-cloud", network_type="cloud", logical_port=None, external_mac=None,
    )
    assert applied["commands"] == [
        "allocate 100.65.0.101 in external network ext-cloud for fip/acme-prod/web",
        "create NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10 in Logical_Router acme-prod",
    ]


def test_the_declaration_records_the_workload_not_its_address(lab, workloads, connect):
    lab.run("fip", dict(SCOPE, name="web", pod_name="web-0", **connect))
    assert declared_on_nat(lab, "100.65.0.101") == dict(organization="acme", project="prod", name="web", pod_name="web-0")
    lab.run("fip", dict(SCOPE, name="vm", vm_name="vm1", interface_name="storage", **connect))
    assert declared_on_nat(lab, "100.65.0.102") == dict(organization="acme", project="prod", name="vm", vm_name="vm1",
                                                        interface_name="storage")


@pytest.mark.parametrize("interface,address", [(None, VM_NIC[1]), ("vpc_net_0", VM_NIC[1]), ("storage", VM_NIC2[1])])
def test_vm_target_rhythm(lab, workloads, connect, interface, address):
    present = dict(SCOPE, name="vm", vm_name="vm1", **connect)
    if interface:
        present["interface_name"] = interface
    applied = rhythm(lab, "fip", present, dict(SCOPE, name="vm", state="absent"))
    view = applied["fip"]
    assert (view["ip_address"], view["vm_name"], view["interface_name"], view["pod_name"]) == (address, "vm1", interface, None)
    assert applied["commands"][-1] == "create NAT dnat_and_snat 100.65.0.101 -> %s in Logical_Router acme-prod" % address


def test_internet_reaches_the_vm_through_its_fip(lab, project, workloads, connect):
    fip = lab.run("fip", dict(SCOPE, name="vm", vm_name="vm1", **connect))["fip"]
    inbound = trace_inbound(lab, project, fip["external_ip"])
    assert inbound.outputs == ["vm1.acme-prod"], inbound.summary
    assert inbound.dnat == [VM_NIC[1]] and inbound.final_fields["vm1.acme-prod"]["ip4.dst"] == VM_NIC[1]
    outbound = lab.trace_egress(project, "vm1.acme-prod", VM_NIC[2], VM_NIC[1])
    assert outbound.outputs == ["localnet.ext-cloud"] and outbound.snat == [fip["external_ip"]], outbound.summary


def test_a_vm_recreated_with_another_address_is_retargeted(lab, project, workloads, connect):
    """The Kube-DC/Kube-OVN bug this avoids: the FIp follows the VM, the NAT row keeps the old address."""
    task = dict(SCOPE, name="vm", vm_name="vm1", **connect)
    fip = lab.run("fip", task)["fip"]
    # The VM comes back on another node with another address and port.
    lab.ovn.nbctl("lsp-del", "vm1.acme-prod")
    lab.workload_port(project["switch"], "vm1-new.acme-prod", "0a:58:0a:00:00:1e", "10.0.0.30")
    workloads.vmi_status("vm1", ("vpc_net_0", "10.0.0.30", "0a:58:0a:00:00:1e"), VM_NIC2)
    planned = lab.run("fip", task, check=True)
    assert planned["commands"] == ["update NAT dnat_and_snat %s -> 10.0.0.20: logical_ip=10.0.0.30" % fip["external_ip"]]
    moved = lab.run("fip", task)
    assert moved["commands"] == planned["commands"]
    assert moved["diff"]["before"]["ip_address"] == "10.0.0.20" and moved["fip"]["ip_address"] == "10.0.0.30"
    assert trace_inbound(lab, project, fip["external_ip"]).outputs == ["vm1-new.acme-prod"]
    assert lab.run("fip", task)["changed"] is False


def test_switching_between_an_address_and_a_workload(lab, workloads, connect):
    lab.run("fip", dict(SCOPE, name="web", ip_address="10.0.0.10"))
    # The same address, now named by its pod: only the declaration changes.
    named = lab.run("fip", dict(SCOPE, name="web", pod_name="web-0", **connect))
    assert named["commands"] == [
        "update NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10: external_ids:kubedc:declared="
        '{"name":"web","organization":"acme","pod_name":"web-0","project":"prod"}'
    ]
    assert named["diff"]["before"]["pod_name"] is None and named["fip"]["pod_name"] == "web-0"
    to_vm = lab.run("fip", dict(SCOPE, name="web", vm_name="vm1", **connect))
    assert to_vm["commands"] == [
        "update NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10: external_ids:kubedc:declared="
        '{"name":"web","organization":"acme","project":"prod","vm_name":"vm1"}, logical_ip=10.0.0.20'
    ]


def test_a_list_with_mixed_targets(lab, project, workloads, connect):
    workloads.pod("api-0", "10.0.0.11")
    present = dict(SCOPE, fips=[
        dict(name="plain", ip_address="10.0.0.12"),
        dict(name="web", pod_name="web-0"),
        dict(name="vm", vm_name="vm1"),
        dict(name="vm-storage", vm_name="vm1", interface_name="storage"),
        dict(name="api", pod_name="api-0", external_network_type="cloud"),
    ], **connect)
    absent = dict(SCOPE, state="absent", fips=[dict(name=f["name"]) for f in present["fips"]])
    applied = rhythm(lab, "fip", present, absent, key="fips")
    assert [(f["name"], f["ip_address"], f["pod_name"], f["vm_name"], f["interface_name"]) for f in applied["fips"]] == [
        ("plain", "10.0.0.12", None, None, None),
        ("web", "10.0.0.10", "web-0", None, None),
        ("vm", "10.0.0.20", None, "vm1", None),
        ("vm-storage", "10.0.0.21", None, "vm1", "storage"),
        ("api", "10.0.0.11", "api-0", None, None),
    ]
    assert len([c for c in applied["commands"] if c.startswith("create NAT")]) == 5
    fips = lab.run("fip", present)["fips"]
    assert trace_inbound(lab, project, fips[2]["external_ip"]).outputs == ["vm1.acme-prod"]


def test_network_info_says_it_cannot_check_a_workload_target(lab, workloads, connect, monkeypatch):
    for name in KUBE_ENV:
        monkeypatch.delenv(name, raising=False)
    lab.run("fip", dict(SCOPE, name="web", pod_name="web-0", **connect))
    network = lab.run("network_info", SCOPE)["network"]
    assert [f["pod_name"] for f in network["fips"]] == ["web-0"]
    assert network["drift"] == [dict(
        declaration="fip acme-prod/web", commands=[],
        error="pod_name: 'web-0' is a Kubernetes workload whose address only the Kubernetes API can tell, and no "
              "Kubernetes connection was given here; this FIP's target was not checked",
    )]


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "args,message",
    [
        (dict(name="a", pod_name="nope"), "pod_name: 'nope' is not a pod in namespace acme-prod"),
        (dict(name="a", pod_name="pending-0"), "pod_name: 'pending-0' has no IP yet (phase Pending)"),
        (dict(name="a", pod_name="stray-0"), "pod_name: 'stray-0' (IP 10.0.1.5) is outside 10.0.0.0/24"),
        (dict(name="a", vm_name="nope"),
         "vm_name: 'nope' is not a running virtual machine in namespace acme-prod: it has no VirtualMachineInstance"),
        (dict(name="a", vm_name="vm1", interface_name="eth9"),
         "interface_name: 'eth9' is not an interface of virtual machine vm1; it has: vpc_net_0, storage"),
        (dict(name="a", vm_name="booting"), "vm_name: 'booting' has no IPv4 address on its first interface vpc_net_0 yet"),
        (dict(name="a", ip_address="10.0.0.10", pod_name="web-0"), "parameters are mutually exclusive: ip_address|pod_name|vm_name"),
        (dict(name="a", pod_name="web-0", interface_name="vpc_net_0"), "missing parameter(s) required by 'interface_name': vm_name"),
        (dict(name="a", pod_name="Web_0"), "pod_name: 'Web_0' is not a valid Kubernetes object name"),
        (dict(fips=[dict(name="a", ip_address="10.0.0.12"), dict(name="b", pod_name="nope")]),
         "fips[1] (b): pod_name: 'nope' is not a pod in namespace acme-prod"),
        (dict(fips=[dict(name="a", ip_address="10.0.0.10"), dict(name="b", pod_name="web-0")]),
         "fips[1] (b): pod_name: 'web-0' (IP 10.0.0.10) is the target of fips[0] (a) too; each may appear once in the list"),
        (dict(fips=[dict(name="a", vm_name="vm1", ip_address="10.0.0.9")]),
         "parameters are mutually exclusive: ip_address|pod_name|vm_name found in fips"),
        (dict(fips=[dict(name="a", interface_name="storage", ip_address="10.0.0.9")]),
         "missing parameter(s) required by 'interface_name': vm_name found in fips"),
    ],
)
def test_bad_targets_are_named_and_write_nothing(lab, workloads, connect, args, message):
    workloads.pod("pending-0", phase="Pending")
    workloads.pod("stray-0", "10.0.1.5")
    workloads.vmi("booting", ("vpc_net_0", None, "0a:58:0a:00:00:16"))
    lab.run("fip", dict(SCOPE, name="z", ip_address="10.0.0.50"))
    for check in (False, True):
        result = lab.fails("fip", dict(SCOPE, **dict(args, **connect)), check=check)
        assert result["msg"].startswith(message), result["msg"]


def test_a_workload_that_already_has_a_fip_is_named(lab, workloads, connect):
    lab.run("fip", dict(SCOPE, name="old", ip_address="10.0.0.20"))
    result = lab.fails("fip", dict(SCOPE, name="vm", vm_name="vm1", **connect))
    assert result["msg"] == (
        "vm_name: 'vm1' (IP 10.0.0.20 on vpc_net_0) already has a floating IP: NAT dnat_and_snat 100.65.0.101 -> 10.0.0.20"
    )
    assert (result["field"], result["value"], result["ip_address"]) == ("vm_name", "vm1", "10.0.0.20")


def test_without_a_reachable_kubernetes_nothing_is_written(lab, kube, workloads, monkeypatch):
    for name in KUBE_ENV:
        monkeypatch.delenv(name, raising=False)
    result = lab.fails("fip", dict(SCOPE, name="web", pod_name="web-0"))
    assert result["msg"].startswith("pod_name: 'web-0' needs a connection to a Kubernetes API server: set kubeconfig")
    host = "http://127.0.0.1:%d" % closed_port()
    result = lab.fails("fip", dict(SCOPE, name="web", pod_name="web-0", host=host, api_key="x"))
    assert result["msg"].startswith("cannot reach the Kubernetes API server at %s (pod_name: 'web-0'): " % host), result["msg"]
    # A server that refuses the credentials says so, with its message.
    result = lab.fails("fip", dict(SCOPE, name="web", pod_name="web-0", kubeconfig=kube.kubeconfig, api_key="wrong"))
    assert result["msg"].startswith("the Kubernetes API server at "), result["msg"]
    assert " refused the credentials (401 Unauthorized; pod_name: 'web-0'): " in result["msg"], result["msg"]
    # An address target needs no Kubernetes, even with Kubernetes options that lead nowhere.
    assert lab.run("fip", dict(SCOPE, name="web", ip_address="10.0.0.10", host=host))["changed"] is True


def test_network_info_with_kubernetes_replays_a_workload_target(lab, workloads, connect):
    lab.run("fip", dict(SCOPE, name="web", pod_name="web-0", **connect))
    assert lab.run("network_info", dict(SCOPE, **connect))["network"]["drift"] == []
    # The pod was recreated elsewhere: a converge would move the FIP, so that is the drift.
    workloads.pod_status("web-0", "10.0.0.13")
    drift = lab.run("network_info", dict(SCOPE, **connect))["network"]["drift"]
    assert [(d["declaration"], d["error"]) for d in drift] == [("fip acme-prod/web", None)]
    assert drift[0]["commands"][0].endswith("logical_ip=10.0.0.13")

# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tests' Kube-DC controller (tests/kube_dc_controller.py): Kube-DC CRs in, Kube-OVN NB rows out.

Everything goes through the official kubernetes client against the ``kube`` server (the double, or a
real one without Kube-DC), and the rows land in a real OVN lab, proven with ovn-trace.
"""

import time

import pytest

from kube_dc_controller import DEFAULT_GW, ExternalNetwork, KubeDcController, real_kube_dc_reason
from support import EXT_BY_NAME, UPSTREAM_MAC

G, V = "kube-dc.com", "v1"
VM = ("vm1", "0a:00:00:00:10:0a", "10.0.0.10")


class Api(object):
    """The few reads and writes the tests make."""

    def __init__(self, kube):
        from kubernetes import client

        self.kube = kube
        api_client = kube.api_client()
        self.custom = client.CustomObjectsApi(api_client)
        self.core = client.CoreV1Api(api_client)
        self.discovery = client.DiscoveryV1Api(api_client)

    def create(self, ns, plural, name, spec, group=G, labels=None):
        kind = {"projects": "Project", "eips": "EIp", "fips": "FIp", "virtualmachineinstances": "VirtualMachineInstance"}[plural]
        body = {"apiVersion": "%s/%s" % (group, V), "kind": kind, "metadata": {"name": name}, "spec": spec}
        if labels:
            body["metadata"]["labels"] = labels
        return self.custom.create_namespaced_custom_object(group, V, ns, plural, body)

    def get(self, ns, plural, name, group=G):
        from kubernetes.client.exceptions import ApiException

        try:
            if ns is None:
                return self.custom.get_cluster_custom_object(group, V, plural, name)
            return self.custom.get_namespaced_custom_object(group, V, ns, plural, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def delete(self, ns, plural, name, group=G):
        if ns is None:
            return self.custom.delete_cluster_custom_object(group, V, plural, name)
        return self.custom.delete_namespaced_custom_object(group, V, ns, plural, name)

    def status(self, ns, plural, name):
        return (self.get(ns, plural, name) or {}).get("status") or {}

    def namespace_exists(self, name):
        return any(n.metadata.name == name for n in self.core.list_namespace().items)

    def vmi(self, ns, name, ip, mac, nic="vpc_net_0"):
        self.create(ns, "virtualmachineinstances", name, {"domain": {"devices": {"interfaces": [{"name": nic, "bridge": {}}]}}},
                    group="kubevirt.io")
        self.vmi_address(ns, name, ip, mac, nic)

    def vmi_address(self, ns, name, ip, mac, nic="vpc_net_0"):
        status = {"phase": "Running", "interfaces": [{"name": nic, "ipAddress": ip, "ipAddresses": [ip], "mac": mac}]}
        self.custom.patch_namespaced_custom_object_status("kubevirt.io", V, ns, "virtualmachineinstances", name,
                                                          {"status": status})

    def service(self, ns, name, ports, annotations=None):
        body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "annotations": annotations or {}},
                "spec": {"type": "LoadBalancer", "ports": [
                    {"name": "p%d" % port, "port": port, "targetPort": target, "protocol": "TCP"} for port, target in ports]}}
        self.core.create_namespaced_service(ns, body)

    def endpoints(self, ns, service, ready, not_ready=(), ports=()):
        self.kube.require("endpointslice/v1")
        endpoints = [{"addresses": [ip], "conditions": {"ready": True}} for ip in ready]
        endpoints += [{"addresses": [ip], "conditions": {"ready": False}} for ip in not_ready]
        body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": {"name": service + "-1", "labels": {"kubernetes.io/service-name": service,
                                                                "endpointslice.kubernetes.io/managed-by": "kubedc.network-tests"}},
                "endpoints": endpoints,
                "ports": [{"name": "p%d" % port, "port": target, "protocol": "TCP"} for port, target in ports]}
        self.discovery.create_namespaced_endpoint_slice(ns, body)

    def ingress(self, ns, name):
        lb = self.core.read_namespaced_service(name, ns).status.load_balancer
        return [i.ip for i in (lb.ingress or [])] if lb else []


def wait_for(predicate, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def nb_rows(lab, table, *conditions, columns=None):
    """Rows of an NB table as dicts (``ovn-nbctl --format=json find``)."""
    import json

    args = ["--format=json"]
    if columns:
        args.append("--columns=" + ",".join(columns))
    doc = json.loads(lab.ovn.nbctl(*args, "find", table, *conditions))

    def plain(value):
        if isinstance(value, list) and value[0] == "map":
            return {k: plain(v) for k, v in value[1]}
        if isinstance(value, list) and value[0] == "set":
            return [plain(v) for v in value[1]]
        if isinstance(value, list) and value[0] == "uuid":
            return value[1]
        return value

    return [{h: plain(v) for h, v in zip(doc["headings"], row)} for row in doc["data"]]


def project(api, kube, org, name="prod", cidr="10.0.0.0/24", egress="cloud"):
    """An organization namespace and a ready Project in it; returns the project namespace."""
    kube.namespace(org)
    api.create(org, "projects", name, {"cidrBlock": cidr, "egressNetworkType": egress})
    wait_for(lambda: api.status(org, "projects", name).get("ready"), "project %s/%s to be ready" % (org, name))
    return "%s-%s" % (org, name)


def project_view(lab, ns, ext="ext-cloud"):
    """What support.Lab.trace_egress needs to know about the project (and the upstream MAC learned for it)."""
    lab.ovn.learn_mac("%s-%s" % (ns, ext), EXT_BY_NAME[ext]["gateway"], UPSTREAM_MAC)
    return dict(router=ns, switch="%s-default" % ns, gateway_router_port="%s-%s" % (ns, ext), external_network=ext)


def trace_inbound(lab, ns, external_ip, ext="ext-cloud", dport=22, **trace):
    gateway_mac = lab.ovn.nbctl("get", "Logical_Router_Port", "%s-%s" % (ns, ext), "mac").strip().strip('"')
    flow = (
        'inport=="localnet.{ext}" && eth.src=={up} && eth.dst=={gw} && ip4.src==203.0.113.9 && '
        "ip4.dst=={fip} && ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst=={dport}"
    ).format(ext=ext, up=UPSTREAM_MAC, gw=gateway_mac, fip=external_ip, dport=dport)
    return lab.ovn.trace(ext, flow, **trace)


def nat(lab, external_ip):
    return nb_rows(lab, "NAT", "external_ip=%s" % external_ip,
                   columns=["type", "external_ip", "logical_ip", "logical_port", "external_mac", "options", "external_ids"])


# ---------------------------------------------------------------------------------------------------------------------


def test_project_becomes_ready_with_kube_ovn_rows_and_snat(lab, ext_cloud, kube, kube_dc):
    api = Api(kube)
    ns = project(api, kube, "org-a")
    status = api.status("org-a", "projects", "prod")
    assert status["namespace"] == ns and status["conditions"][0]["type"] == "Ready"
    labels = api.core.read_namespace(ns).metadata.labels
    assert labels["kube-dc.com/project"] == "prod"
    assert api.get("org-a", "projects", "prod")["metadata"]["finalizers"] == ["project.kube-dc.com/finalizer"]
    # default-gw adopts the VPC gateway OvnEip: SNAT address == gateway port address.
    gw = api.get(ns, "eips", DEFAULT_GW)
    assert gw["spec"] == {"childRef": ns + "-ext-cloud"}
    assert gw["status"]["ipAddress"] == "100.65.0.100" and gw["status"]["ready"] is True
    assert gw["status"]["ovnEIpRef"] == ns + "-ext-cloud" and gw["status"]["ownershipType"] == "Shared"
    assert gw["status"]["owners"] == [{"type": "Snat", "ownerRef": ns}]
    oeip = api.get(None, "ovn-eips", ns + "-ext-cloud", group="kubeovn.io")
    assert oeip["spec"] == {"externalSubnet": "ext-cloud", "type": "lrp"} and oeip["status"]["v4Ip"] == "100.65.0.100"

    [router] = nb_rows(lab, "Logical_Router", "name=%s" % ns, columns=["external_ids", "options"])
    assert router == {"external_ids": {"vendor": "kube-ovn"},
                      "options": {"dynamic_neigh_routers": "true", "mac_binding_age_threshold": "300"}}
    [switch] = nb_rows(lab, "Logical_Switch", "name=%s-default" % ns, columns=["external_ids", "other_config"])
    assert switch == {"external_ids": {"vendor": "kube-ovn"}, "other_config": {}}
    [lrp] = nb_rows(lab, "Logical_Router_Port", "name=%s-%s-default" % (ns, ns), columns=["networks", "external_ids"])
    assert lrp == {"networks": "10.0.0.1/24", "external_ids": {"vendor": "kube-ovn"}}
    [lsp] = nb_rows(lab, "Logical_Switch_Port", "name=%s-default-%s" % (ns, ns),
                    columns=["type", "addresses", "options", "external_ids"])
    assert lsp == {"type": "router", "addresses": "router", "options": {"router-port": "%s-%s-default" % (ns, ns)},
                   "external_ids": {"ls": ns + "-default", "vendor": "kube-ovn"}}
    [dgp] = nb_rows(lab, "Logical_Router_Port", "name=%s-ext-cloud" % ns, columns=["networks", "external_ids"])
    assert dgp == {"networks": "100.65.0.100/16", "external_ids": {"vendor": "kube-ovn"}}
    [gc] = nb_rows(lab, "Gateway_Chassis", "name=%s-ext-cloud-chassis-1" % ns, columns=["chassis_name", "priority", "external_ids"])
    assert gc == {"chassis_name": "chassis-1", "priority": 100, "external_ids": {"lrp": ns + "-ext-cloud"}}
    [ext_lsp] = nb_rows(lab, "Logical_Switch_Port", "name=ext-cloud-%s" % ns, columns=["type", "options"])
    assert ext_lsp == {"type": "router", "options": {"router-port": ns + "-ext-cloud"}}
    assert lab.ovn.nbctl("lr-route-list", ns).split()[-3:] == ["0.0.0.0/0", "100.65.0.1", "dst-ip"]
    [snat] = nb_rows(lab, "NAT", "type=snat", columns=["external_ip", "logical_ip", "options", "external_ids"])
    assert snat == {"external_ip": "100.65.0.100", "logical_ip": "10.0.0.0/24", "options": {}, "external_ids": {}}
    lbs = nb_rows(lab, "Load_Balancer", "external_ids:vendor=kube-ovn", columns=["_uuid", "name", "protocol", "selection_fields"])
    assert sorted(r["name"] for r in lbs) == sorted("vpc-%s-%s-%sload" % (ns, p, s) for p in ("tcp", "udp", "sctp") for s in ("", "sess-"))
    assert all(r["selection_fields"] == ("ip_src" if "-sess-" in r["name"] else []) and r["protocol"] in r["name"] for r in lbs)
    [attached] = nb_rows(lab, "Logical_Switch", "name=%s-default" % ns, columns=["load_balancer"])
    assert sorted(attached["load_balancer"]) == sorted(r["_uuid"] for r in lbs)
    assert not [r for r in nb_rows(lab, "Logical_Router") if any(k.startswith("kubedc:") for k in r["external_ids"])]

    lab.workload_port(ns + "-default", *VM)
    egress = lab.trace_egress(project_view(lab, ns), *VM)
    assert egress.outputs == ["localnet.ext-cloud"], egress.summary
    assert egress.snat == ["100.65.0.100"]
    # A settled controller writes nothing.
    before = lab.ovn.dump_nb()
    time.sleep(0.5)
    assert lab.ovn.dump_nb() == before


def test_refused_project(lab, ext_cloud, kube, kube_dc):
    api = Api(kube)
    kube.namespace("org-r")
    api.create("org-r", "projects", "clash", {"cidrBlock": "100.65.7.0/24", "egressNetworkType": "cloud"})
    api.create("org-r", "projects", "junk", {"cidrBlock": "ten", "egressNetworkType": "cloud"})
    api.create("org-r", "projects", "nopub", {"cidrBlock": "10.1.0.0/24", "egressNetworkType": "public"})
    for name, reason in (("clash", "SubnetConflict"), ("junk", "InvalidCidrBlock"), ("nopub", "ExternalSubnetNotFound")):
        status = wait_for(lambda name=name: api.status("org-r", "projects", name).get("conditions"), name)
        assert status[0]["reason"] == reason and api.status("org-r", "projects", name)["ready"] is False
    assert not nb_rows(lab, "Logical_Router")


def test_eip_allocation_and_exhaustion(kube, lab):
    """A controller of its own, on a /29 pool with three reserved addresses: two EIps fit."""
    reason = real_kube_dc_reason(kube)
    if reason:
        pytest.skip(reason)
    api = Api(kube)
    ns = kube.namespace("tiny-eips")
    tiny = ExternalNetwork(name="ext-tiny", network_type="cloud", cidr="192.0.2.0/29", gateway="192.0.2.1",
                           reserved=("192.0.2.2-192.0.2.4",))
    controller = KubeDcController(kube.api_client, lab.ovn, networks=[tiny])
    try:
        for name in ("a", "b", "c"):
            api.create(ns, "eips", name, {"externalNetworkType": "cloud"})
        controller.settle()
        a, b, c = (api.status(ns, "eips", n) for n in "abc")
        assert (a["ipAddress"], a["ready"], a["ownershipType"], a["owners"]) == ("192.0.2.5", True, "Released", [])
        assert a["ovnEIpRef"] == "eip-%s-a" % ns and b["ipAddress"] == "192.0.2.6"
        assert c["ready"] is False and not c["ipAddress"]
        [cond] = c["conditions"]
        assert (cond["type"], cond["status"], cond["reason"]) == ("Ready", "False", "NoAvailableAddress")
        assert cond["message"].endswith("from external subnet ext-tiny: NoAvailableAddress")
        oeip = api.get(None, "ovn-eips", "eip-%s-a" % ns, group="kubeovn.io")
        assert oeip["metadata"]["labels"]["network.kube-dc.com/eip"] == "%s.a" % ns
        assert oeip["status"]["v4Ip"] == "192.0.2.5" and oeip["spec"]["type"] == "nat"
        # Releasing one lets the pending EIp have it; the OvnEip goes with its EIp.
        api.delete(ns, "eips", "a")
        controller.settle()
        assert api.get(ns, "eips", "a") is None and api.get(None, "ovn-eips", "eip-%s-a" % ns, group="kubeovn.io") is None
        assert api.status(ns, "eips", "c")["ipAddress"] == "192.0.2.5" and api.status(ns, "eips", "c")["ready"] is True
        # A new controller rebuilds its IPAM from what exists.
        fresh = KubeDcController(kube.api_client, lab.ovn, networks=[tiny])
        api.create(ns, "eips", "d", {"externalNetworkType": "cloud"})
        fresh.settle()
        assert api.status(ns, "eips", "d")["conditions"][0]["reason"] == "NoAvailableAddress"
        assert not fresh.errors
    finally:
        controller.shutdown(timeout=0)
    assert not controller.errors, controller.errors[0]


def test_fip_with_ip_address_on_a_named_eip(lab, ext_cloud, kube, kube_dc):
    api = Api(kube)
    ns = project(api, kube, "org-f")
    lab.workload_port(ns + "-default", *VM)
    api.create(ns, "eips", "ssh", {"externalNetworkType": "cloud"})
    api.create(ns, "fips", "bastion", {"eip": "ssh", "ipAddress": "10.0.0.10"})
    status = wait_for(lambda: api.status(ns, "fips", "bastion").get("ready") and api.status(ns, "fips", "bastion"), "FIp")
    assert {k: status[k] for k in ("externalIP", "eip", "ovnFip", "resolvedTargetIP")} == dict(
        externalIP="100.65.0.101", eip="ssh", ovnFip="fip-%s-bastion" % ns, resolvedTargetIP="10.0.0.10")
    eip = wait_for(lambda: api.status(ns, "eips", "ssh").get("owners") and api.status(ns, "eips", "ssh"), "EIp owners")
    assert eip["ownershipType"] == "Exclusive" and eip["owners"] == [{"type": "FIp", "ownerRef": "bastion"}]
    ofip = api.get(None, "ovn-fips", status["ovnFip"], group="kubeovn.io")
    assert ofip["spec"] == {"ovnEip": "eip-%s-ssh" % ns, "vpc": ns, "v4Ip": "10.0.0.10", "type": "centralized"}
    assert ofip["metadata"]["labels"]["ovn.kubernetes.io/eip_v4_ip"] == "100.65.0.101"
    assert nat(lab, "100.65.0.101") == [dict(type="dnat_and_snat", external_ip="100.65.0.101", logical_ip="10.0.0.10",
                                             logical_port=[], external_mac=[], options={"staleless": "false"},
                                             external_ids={})]
    inbound = trace_inbound(lab, ns, "100.65.0.101")
    assert inbound.outputs == ["vm1"], inbound.summary
    assert inbound.dnat == ["10.0.0.10"]
    assert lab.trace_egress(project_view(lab, ns), *VM).snat == ["100.65.0.101"]
    # A second FIp cannot take an Exclusive EIp.
    api.create(ns, "fips", "other", {"eip": "ssh", "ipAddress": "10.0.0.11"})
    cond = wait_for(lambda: api.status(ns, "fips", "other").get("conditions"), "refused FIp")[0]
    assert cond["reason"] == "EIpNotAvailable" and "already used by FIp/bastion" in cond["message"]
    api.delete(ns, "fips", "other")
    # An owned EIp stays Terminating until its FIp goes.
    api.delete(ns, "eips", "ssh")
    time.sleep(0.5)
    assert api.get(ns, "eips", "ssh")["metadata"].get("deletionTimestamp")
    assert api.status(ns, "fips", "bastion")["ready"] is True
    api.delete(ns, "fips", "bastion")
    wait_for(lambda: api.get(ns, "eips", "ssh") is None and api.get(ns, "fips", "bastion") is None, "FIp and EIp to go")
    assert nat(lab, "100.65.0.101") == [] and api.get(None, "ovn-fips", status["ovnFip"], group="kubeovn.io") is None


def test_fip_on_a_vm_and_the_stale_nat_row(lab, ext_cloud, kube, kube_dc):
    api = Api(kube)
    ns = project(api, kube, "org-v")
    lab.workload_port(ns + "-default", "web-a", "0a:58:0a:00:00:14", "10.0.0.20")
    lab.workload_port(ns + "-default", "web-b", "0a:58:0a:00:00:15", "10.0.0.21")
    api.vmi(ns, "web", "10.0.0.20", "0a:58:0a:00:00:14")
    api.create(ns, "fips", "web", {"externalNetworkType": "cloud", "vmTarget": {"vmName": "web"}})
    api.create(ns, "fips", "ghost", {"externalNetworkType": "cloud", "vmTarget": {"vmName": "nope"}})
    status = wait_for(lambda: api.status(ns, "fips", "web").get("ready") and api.status(ns, "fips", "web"), "FIp web")
    assert status["eip"] == "fip-web" and status["resolvedTargetIP"] == "10.0.0.20"
    assert status["targetVMInterface"] == {"vmName": "web", "interfaceName": "vpc_net_0", "ipAddress": "10.0.0.20",
                                           "mac": "0a:58:0a:00:00:14"}
    external_ip = status["externalIP"]
    # The controller writes the EIps' status after the FIps' in a pass: wait for the owner to be counted.
    auto = wait_for(lambda: api.status(ns, "eips", "fip-web").get("ownershipType") == "Exclusive"
                    and api.status(ns, "eips", "fip-web"), "EIp fip-web to be held by FIp web")
    assert auto["deleteReleased"] is True and auto["ownershipType"] == "Exclusive" and auto["ipAddress"] == external_ip
    assert trace_inbound(lab, ns, external_ip).outputs == ["web-a"]
    # A FIp on a VM that does not exist: not ready, no error, no NAT.
    ghost = wait_for(lambda: api.status(ns, "fips", "ghost").get("conditions"), "FIp ghost")
    assert ghost[0]["reason"] == "VMNotFound" and api.status(ns, "fips", "ghost")["ready"] is False
    assert len(nb_rows(lab, "NAT", "type=dnat_and_snat")) == 1

    # The VM comes back with another address: status follows, the NAT row does not (Kube-OVN ignores OvnFip edits).
    api.vmi_address(ns, "web", "10.0.0.21", "0a:58:0a:00:00:15")
    wait_for(lambda: api.status(ns, "fips", "web").get("resolvedTargetIP") == "10.0.0.21", "the new target in the status")
    ofip_name = api.status(ns, "fips", "web")["ovnFip"]
    wait_for(lambda: api.get(None, "ovn-fips", ofip_name, group="kubeovn.io")["spec"]["v4Ip"] == "10.0.0.21", "OvnFip spec")
    time.sleep(0.3)
    assert [r["logical_ip"] for r in nat(lab, external_ip)] == ["10.0.0.20"]
    assert api.status(ns, "fips", "web")["ready"] is True
    assert trace_inbound(lab, ns, external_ip).outputs == ["web-a"]  # still the old VM's address
    # The supported repair: delete the OvnFip; it is recreated with the current address.
    api.delete(None, "ovn-fips", ofip_name, group="kubeovn.io")
    wait_for(lambda: [r["logical_ip"] for r in nat(lab, external_ip)] == ["10.0.0.21"], "the NAT row to be rewritten")
    wait_for(lambda: (api.get(None, "ovn-fips", ofip_name, group="kubeovn.io") or {}).get("status", {}).get("v4Ip") == "10.0.0.21",
             "the recreated OvnFip")
    assert trace_inbound(lab, ns, external_ip).outputs == ["web-b"]
    # The FIp's own EIp is released with it.
    api.delete(ns, "fips", "web")
    wait_for(lambda: api.get(ns, "eips", "fip-web") is None and not nat(lab, external_ip), "the FIp's EIp and NAT to go")


def test_public_fip_in_a_cloud_project(lab, ext_cloud, ext_public, kube, kube_dc):
    api = Api(kube)
    ns = project(api, kube, "org-p")
    api.create(ns, "fips", "pub", {"externalNetworkType": "public", "ipAddress": "10.0.0.7"})
    status = wait_for(lambda: api.status(ns, "fips", "pub").get("ready") and api.status(ns, "fips", "pub"), "public FIp")
    assert status["externalIP"] == "198.51.100.2"
    [dgp] = wait_for(lambda: nb_rows(lab, "Logical_Router_Port", "name=%s-ext-public" % ns, columns=["networks"]), "2nd DGP")
    assert dgp == {"networks": "198.51.100.3/24"}
    [policy] = wait_for(lambda: nb_rows(lab, "Logical_Router_Policy", "priority=30000",
                                        columns=["match", "action", "nexthops", "external_ids"]), "reroute policy")
    assert policy == {"match": "ip4.src == 10.0.0.7", "action": "reroute", "nexthops": "198.51.100.1",
                      "external_ids": {"vendor": "kube-ovn"}}
    lab.workload_port(ns + "-default", "db", "0a:00:00:00:10:07", "10.0.0.7")
    inbound = trace_inbound(lab, ns, "198.51.100.2", ext="ext-public")
    assert inbound.outputs == ["db"], inbound.summary
    # Its replies and its own traffic leave through the public network (the 30000 reroute), from the FIP.
    outbound = lab.trace_egress(project_view(lab, ns, "ext-public"), "db", "0a:00:00:00:10:07", "10.0.0.7")
    assert outbound.outputs == ["localnet.ext-public"] and outbound.snat == ["198.51.100.2"], outbound.summary
    api.delete(ns, "fips", "pub")
    wait_for(lambda: not nb_rows(lab, "Logical_Router_Policy") and not nb_rows(lab, "Logical_Router_Port", "name=%s-ext-public" % ns),
             "the policy and the 2nd gateway port to go")
    assert api.get(None, "ovn-eips", ns + "-ext-public", group="kubeovn.io") is None


def test_service_binding(lab, ext_cloud, kube, kube_dc):
    api = Api(kube)
    ns = project(api, kube, "org-s")
    for name, mac, ip in (("be1", "0a:00:00:00:20:01", "10.0.0.20"), ("be2", "0a:00:00:00:20:02", "10.0.0.21")):
        lab.workload_port(ns + "-default", name, mac, ip)
    gw_ip = api.status(ns, "eips", DEFAULT_GW)["ipAddress"]
    api.service(ns, "web", [(443, 8443)], {"service.nlb.kube-dc.com/bind-on-default-gw-eip": "true"})
    api.endpoints(ns, "web", ["10.0.0.21", "10.0.0.20"], not_ready=["10.0.0.22"], ports=[(443, 8443)])
    wait_for(lambda: api.ingress(ns, "web") == [gw_ip], "web's ingress IP")
    lb = "vpc-%s-tcp-load" % ns
    vips = wait_for(lambda: nb_rows(lab, "Load_Balancer", "name=%s" % lb, columns=["vips"])[0]["vips"], "VIP")
    assert vips == {"%s:443" % gw_ip: "10.0.0.20:8443,10.0.0.21:8443"}
    [lb_row] = nb_rows(lab, "Load_Balancer", "name=%s" % lb, columns=["_uuid"])
    assert nb_rows(lab, "Logical_Router", "name=%s" % ns, columns=["load_balancer"]) == [{"load_balancer": lb_row["_uuid"]}]
    gw = api.status(ns, "eips", DEFAULT_GW)
    assert gw["ownershipType"] == "Shared"
    assert gw["owners"] == [{"type": "Snat", "ownerRef": ns}, {"type": "ServiceLb", "ownerRef": "web"}]
    inbound = trace_inbound(lab, ns, gw_ip, dport=443, ct=["new"], lb_dst="10.0.0.21:8443")
    assert inbound.outputs == ["be2"], inbound.summary
    # Same port on the same EIp: pending. Another port: fine.
    api.service(ns, "clash", [(443, 9443)], {"service.nlb.kube-dc.com/bind-on-eip": DEFAULT_GW})
    api.service(ns, "ssh", [(2222, 22)], {"service.nlb.kube-dc.com/bind-on-eip": DEFAULT_GW})
    wait_for(lambda: api.ingress(ns, "ssh") == [gw_ip], "ssh's ingress IP")
    time.sleep(0.3)
    assert api.ingress(ns, "clash") == []
    vips = nb_rows(lab, "Load_Balancer", "name=%s" % lb, columns=["vips"])[0]["vips"]
    assert vips == {"%s:443" % gw_ip: "10.0.0.20:8443,10.0.0.21:8443", "%s:2222" % gw_ip: ""}
    # Unbinding web: its VIP, owner and ingress go, and the pending Service gets the port.
    api.core.patch_namespaced_service("web", ns, {"metadata": {"annotations": {
        "service.nlb.kube-dc.com/bind-on-default-gw-eip": None}}})
    wait_for(lambda: api.ingress(ns, "web") == [] and api.ingress(ns, "clash") == [gw_ip], "clash to take over")
    wait_for(lambda: nb_rows(lab, "Load_Balancer", "name=%s" % lb, columns=["vips"])[0]["vips"] == {
        "%s:443" % gw_ip: "", "%s:2222" % gw_ip: ""}, "VIPs of clash and ssh")
    owners = wait_for(lambda: len(api.status(ns, "eips", DEFAULT_GW)["owners"]) == 3 and api.status(ns, "eips", DEFAULT_GW)["owners"],
                      "owners")
    assert {o["ownerRef"] for o in owners} == {ns, "clash", "ssh"}
    # An Exclusive EIp (a FIp's) cannot carry a Service.
    api.create(ns, "eips", "excl", {"externalNetworkType": "cloud"})
    api.create(ns, "fips", "f", {"eip": "excl", "ipAddress": "10.0.0.20"})
    wait_for(lambda: api.status(ns, "fips", "f").get("ready"), "FIp f")
    api.service(ns, "late", [(80, 80)], {"service.nlb.kube-dc.com/bind-on-eip": "excl"})
    time.sleep(0.5)
    assert api.ingress(ns, "late") == []


def test_project_deletion_removes_rows_and_namespace(lab, ext_cloud, kube, kube_dc):
    api = Api(kube)
    ns = project(api, kube, "org-d")
    api.create(ns, "fips", "x", {"externalNetworkType": "cloud", "ipAddress": "10.0.0.5"})
    wait_for(lambda: api.status(ns, "fips", "x").get("ready"), "FIp x")
    ext_only = nb_rows(lab, "Logical_Switch_Port", "name=localnet.ext-cloud")
    api.delete("org-d", "projects", "prod")
    wait_for(lambda: api.get("org-d", "projects", "prod") is None, "the project to go", timeout=30)
    assert not api.namespace_exists(ns)
    assert not nb_rows(lab, "Logical_Router") and not nb_rows(lab, "NAT") and not nb_rows(lab, "Load_Balancer")
    assert [r["name"] for r in nb_rows(lab, "Logical_Switch")] == ["ext-cloud"]
    assert nb_rows(lab, "Logical_Switch_Port") == ext_only
    wait_for(lambda: not [o for o in api.custom.list_cluster_custom_object("kubeovn.io", V, "ovn-eips")["items"]
                          + api.custom.list_cluster_custom_object("kubeovn.io", V, "ovn-fips")["items"]
                          if ns in o["metadata"]["name"]], "the OvnEips and OvnFips to go")

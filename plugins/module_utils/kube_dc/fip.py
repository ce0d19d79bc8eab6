# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""fip on the kube_dc platform: a Kube-DC ``FIp``.

The ``FIp`` (``kube-dc.com/v1``) lives in the project namespace. Its external
address is either a named ``EIp`` of the project (``spec.eip``, which then
becomes Exclusive) or an EIp the controller makes for it alone from
``spec.externalNetworkType`` (immutable, as the CRD's CEL rule says); its
target is either ``spec.ipAddress`` or a KubeVirt VM interface
(``spec.vmTarget``), which the controller resolves. The controller writes
the Kube-OVN ``OvnFip`` and reports ``status.externalIP`` and
``status.resolvedTargetIP`` with ``status.ready``.

Switching the target between an address and a VM removes the other one in
the same merge patch (a null), as the CRD allows only one of them; likewise
moving from an EIp to a network type. Before writing, a FIp on an address
that backs a LoadBalancer Service bound to an EIp of the other network type
is refused (Kube-DC's documented FIP / load-balancer conflict).
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import Conflict, InvalidInput, KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube.resource import KubeResource, refuse_options, wait_for
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc import verify
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.eip import (
    API_VERSION,
    PLURAL as EIP_PLURAL,
    project_namespace,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.fip import _object_name
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import project_names

EIP = ("spec", "eip")
NETWORK_TYPE = ("spec", "externalNetworkType")
IP_ADDRESS = ("spec", "ipAddress")
VM_TARGET = ("spec", "vmTarget")
VM_NAME = ("spec", "vmTarget", "vmName")
INTERFACE = ("spec", "vmTarget", "interfaceName")
OVN_ONLY = ("pod_name", "logical_port", "external_mac", "external_network")
BIND_ON_EIP = "service.nlb.kube-dc.com/bind-on-eip"
BIND_ON_DEFAULT_GW = "service.nlb.kube-dc.com/bind-on-default-gw-eip"
SERVICE_NETWORK_TYPE = "network.kube-dc.com/external-network-type"


class KubeFip(KubeResource):
    api_version = API_VERSION
    kind = "FIp"
    plural = "fips"
    managed = (EIP, NETWORK_TYPE, IP_ADDRESS, VM_NAME, INTERFACE)
    immutable = ((NETWORK_TYPE, "external_network_type"),)

    def validate(self):
        p = self.params
        refuse_options(p, OVN_ONLY)
        if p.get("exclusive"):
            raise InvalidInput("exclusive", p["exclusive"], "applies to the list forms (fips, projects)")
        name = validation.dns_label("name", p["name"])
        names = project_names(p["organization"], p["project"], "project")
        want = dict(names=names, namespace=names.namespace, name=name, fields={})
        if self.state == "absent":
            return want
        eip = p.get("eip")
        if eip is not None and p.get("external_network_type"):
            raise InvalidInput("eip", eip, "and external_network_type are mutually exclusive")
        fields = {}
        if eip is not None:
            fields[EIP] = validation.dns_label("eip", eip)
            fields[NETWORK_TYPE] = None
        else:
            fields[EIP] = None
            fields[NETWORK_TYPE] = p.get("external_network_type") or "cloud"
        if p.get("interface_name") is not None and p.get("vm_name") is None:
            raise InvalidInput("interface_name", p["interface_name"], "needs vm_name: it names an interface of a virtual machine")
        if p.get("ip_address") is not None and p.get("vm_name") is not None:
            raise InvalidInput("vm_name", p["vm_name"], "and ip_address are mutually exclusive: a FIP has one target")
        if p.get("ip_address") is not None:
            fields[IP_ADDRESS] = str(validation.ipv4_address("ip_address", p["ip_address"]))
            fields[VM_TARGET] = None
        elif p.get("vm_name") is not None:
            interface = p.get("interface_name")
            if interface is not None and (not isinstance(interface, str) or not interface.strip()):
                raise InvalidInput("interface_name", interface, "is not an interface name")
            fields[IP_ADDRESS] = None
            fields[VM_NAME] = _object_name("vm_name", p["vm_name"])
            fields[INTERFACE] = interface
        else:
            raise InvalidInput("ip_address", None, "is required with state=present (or vm_name)")
        want["fields"] = fields
        return want

    def plan(self, want, have):
        if self.state == "present" and have is not None:
            current = ((have.get("spec") or {}).get("externalNetworkType"))
            if current is not None and want["fields"].get(EIP) is not None:
                raise InvalidInput(
                    "eip", want["fields"][EIP],
                    "cannot replace the EIp of FIp {0} made for it alone (spec.externalNetworkType={1!r}, which the "
                    "platform does not allow to change). Delete and re-create it instead.".format(want["name"], current),
                )
        return super(KubeFip, self).plan(want, have)

    def check(self, objects, want, have):
        if self.state == "absent":
            return
        if have is None:
            project_namespace(objects, want["names"], "a FIp")
        self._check_load_balancers(objects, want, have)

    # -- the FIP / load balancer conflict ----------------------------------------

    def _check_load_balancers(self, objects, want, have):
        """Refuse a FIp on a backend of a LoadBalancer Service on the other network type."""
        fields = want["fields"]
        target = fields.get(IP_ADDRESS)
        if target is None:
            # A VM target: the address the controller resolved it to, if it did already.
            status = (have or {}).get("status") or {}
            spec_vm = ((have or {}).get("spec") or {}).get("vmTarget") or {}
            if spec_vm.get("vmName") == fields.get(VM_NAME):
                target = status.get("resolvedTargetIP") or None
        if not target:
            return
        fip_type = fields.get(NETWORK_TYPE) or self._eip_type(objects, want["namespace"], fields.get(EIP), want["names"])
        if fip_type is None:
            return
        namespace = want["namespace"]
        for service in objects.list("v1", "services", namespace):
            if (service.get("spec") or {}).get("type") != "LoadBalancer":
                continue
            svc_name = service["metadata"]["name"]
            svc_type, bound = self._service_type(objects, namespace, service, want["names"])
            if svc_type is None or svc_type == fip_type:
                continue
            if target not in self._endpoints(objects, namespace, svc_name):
                continue
            raise Conflict(
                "ip_address: {0!r} backs LoadBalancer Service {1}/{2} ({3}, {4} network); a {5} FIP on it "
                "would send the Service's replies out through the {5} network, and clients would never get "
                "them. Expose the workload one way only, or use the same network type for both.".format(
                    target, namespace, svc_name, bound, svc_type, fip_type),
                field="ip_address",
                value=target,
                service=svc_name,
            )

    def _eip_type(self, objects, namespace, eip, names):
        if eip is None:
            return None
        if eip == "default-gw":
            return self._egress_type(objects, names)
        obj = objects.get(API_VERSION, EIP_PLURAL, namespace, eip) or {}
        return (obj.get("spec") or {}).get("externalNetworkType")

    def _egress_type(self, objects, names):
        project = objects.get(API_VERSION, "projects", names.organization, names.project) or {}
        return (project.get("spec") or {}).get("egressNetworkType")

    def _service_type(self, objects, namespace, service, names):
        """(network type or None, how the Service is bound) of a LoadBalancer Service."""
        annotations = (service.get("metadata") or {}).get("annotations") or {}
        eip = annotations.get(BIND_ON_EIP)
        if eip:
            return self._eip_type(objects, namespace, eip, names), "bound to EIp " + eip
        if str(annotations.get(BIND_ON_DEFAULT_GW, "")).lower() == "true":
            return self._egress_type(objects, names), "bound to EIp default-gw"
        # An EIp the controller made for the Service; its type, when the Service says it.
        return annotations.get(SERVICE_NETWORK_TYPE), "on its own EIp"

    def _endpoints(self, objects, namespace, service):
        found = set()
        for piece in objects.endpoint_slices(namespace, service):
            for endpoint in piece.get("endpoints") or []:
                found.update(endpoint.get("addresses") or [])
        return found

    # -- readiness and reporting -------------------------------------------------

    def ready(self, obj):
        ready, why = super(KubeFip, self).ready(obj)
        if ready:
            status = obj.get("status") or {}
            for key in ("externalIP", "resolvedTargetIP"):
                if not status.get(key):
                    return False, "status.{0} is not set yet".format(key)
        return ready, why

    # -- the NB behind it ---------------------------------------------------------

    def verify_ovn(self, objects, want, obj):
        view = self.view(objects, want, obj)
        names = want["names"]
        project = objects.get(API_VERSION, "projects", names.organization, names.project) or {}
        egress = (project.get("spec") or {}).get("egressNetworkType")
        other = view["network_type"] if view["network_type"] and egress and view["network_type"] != egress else None
        drift = verify.fip_drift(self.params, names.namespace, view["external_ip"], view["ip_address"], reroute_via=other)
        verify.refuse_drift("FIp {0}/{1}".format(names.namespace, want["name"]), drift)

    def repair(self, objects, want, obj, check_mode):
        """The known Kube-OVN bug: a VM recreated with a new address, and the FIP's NAT row
        keeping the old one. Kube-OVN never updates an OvnFip's row; deleting the OvnFip makes
        Kube-DC recreate it, and the row with it - the supported way."""
        if not self.params.get("repair_stale_nat"):
            return []
        status = obj.get("status") or {}
        namespace = want["names"].namespace
        external_ip, target = status["externalIP"], status["resolvedTargetIP"]
        current = verify.fip_nat(self.params, namespace, external_ip)
        if current is None or current == target:
            return []
        ovn_fip = status.get("ovnFip")
        if not ovn_fip:
            raise KubedcError(
                "repair_stale_nat: the NAT row of {0} points at {1}, not at {2}, but FIp {3} names no "
                "OvnFip (status.ovnFip) to recreate".format(external_ip, current, target, want["name"])
            )
        line = "delete kubeovn.io/v1 OvnFip {0}: its NAT row {1} -> {2} is stale, the FIp resolves to {3}".format(
            ovn_fip, external_ip, current, target)
        if check_mode:
            return [line]
        objects.delete("kubeovn.io/v1", "ovn-fips", None, ovn_fip)

        def still_stale():
            now = verify.fip_nat(self.params, namespace, external_ip)
            return None if now == target else "the NAT row of {0} points at {1}".format(external_ip, now or "nothing")

        wait_for(self.params, still_stale, "Kube-DC to recreate OvnFip {0} with {1}".format(ovn_fip, target))
        return [line]

    def view(self, objects, want, obj):
        names = want["names"]
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        vm = spec.get("vmTarget") or {}
        eip = status.get("eip") or spec.get("eip") or None
        network_type = spec.get("externalNetworkType")
        if network_type is None and spec.get("eip"):
            network_type = self._eip_type(objects, names.namespace, spec["eip"], names)
        return dict(
            name=want["name"],
            organization=names.organization,
            project=names.project,
            namespace=names.namespace,
            external_ip=status.get("externalIP") or None,
            ip_address=status.get("resolvedTargetIP") or spec.get("ipAddress") or None,
            vm_name=vm.get("vmName"),
            interface_name=vm.get("interfaceName"),
            eip=eip,
            ovn_fip=status.get("ovnFip") or None,
            network_type=network_type,
            ready=bool(status.get("ready")),
        )

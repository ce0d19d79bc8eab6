# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""eip on the kube_dc platform: a Kube-DC ``EIp``.

The ``EIp`` (``kube-dc.com/v1``) lives in the project namespace
``<organization>-<project>``; the Kube-DC controller allocates its address
(through a Kube-OVN ``OvnEip``) from the pool of ``spec.externalNetworkType``
and reports it in ``status.ipAddress`` with ``status.ready``. The network
type cannot change once set (a CEL rule of the CRD; refused here first).
``default-gw`` is the project's own EIp, which the controller makes and
project_network reports: it is refused by name. Deleting an EIp that SNAT, a
load balancer Service or a FIp still owns (``status.owners``) is refused
unless ``force``, because Kube-DC would hold the deletion on its finalizer
(or tear the users down).
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import Conflict, InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube.resource import KubeResource, refuse_options
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import project_names

API_VERSION = "kube-dc.com/v1"
PLURAL = "eips"
NETWORK_TYPE = ("spec", "externalNetworkType")
CHILD_REF = ("spec", "childRef")
RESERVED_NAMES = ("default-gw",)
# Options of the ovn platform that the Kube-DC controller decides itself.
OVN_ONLY = ("address", "external_network")
OVN_EIP = ("kubeovn.io/v1", "ovn-eips")


def project_namespace(objects, names, verb):
    """Refuse (naming ``project``) when the project namespace does not exist."""
    if objects.get("v1", "namespaces", None, names.namespace) is None:
        raise InvalidInput(
            "project", names.project,
            "has no namespace {0} on the Kubernetes API server: {1} lives in its project's namespace, so "
            "create the project first (kubedc.network.project_network)".format(names.namespace, verb),
        )


class KubeEip(KubeResource):
    api_version = API_VERSION
    kind = "EIp"
    plural = PLURAL
    managed = (NETWORK_TYPE, CHILD_REF)
    immutable = ((NETWORK_TYPE, "external_network_type"),)

    def validate(self):
        p = self.params
        refuse_options(p, OVN_ONLY)
        if p.get("exclusive"):
            raise InvalidInput("exclusive", p["exclusive"], "applies to the list forms (eips, projects)")
        name = validation.dns_label("name", p["name"])
        if name in RESERVED_NAMES:
            raise InvalidInput(
                "name", name, "is the project's default-gateway address, which "
                "kubedc.network.project_network manages; choose another name",
            )
        names = project_names(p["organization"], p["project"], "project")
        want = dict(names=names, namespace=names.namespace, name=name, fields={}, force=bool(p.get("force")))
        if self.state == "present":
            adopted = p.get("ovn_eip")
            if adopted is not None:
                # Kube-DC's CEL rule: externalNetworkType and childRef never together.
                if p.get("external_network_type"):
                    raise InvalidInput("ovn_eip", adopted, "and external_network_type are mutually exclusive: an adopted OvnEip keeps its network")
                want["fields"] = {CHILD_REF: validation.dns_label("ovn_eip", adopted)}
            else:
                want["fields"] = {NETWORK_TYPE: p.get("external_network_type") or "cloud"}
        return want

    def check(self, objects, want, have):
        name = want["name"]
        if self.state == "absent":
            if have is None:
                return
            status = have.get("status") or {}
            self._ovn_eip = status.get("ovnEIpRef")
            owners = status.get("owners") or []
            if owners and not want["force"]:
                users = [_owner_label(owner) for owner in owners]
                raise Conflict(
                    "EIp {0} ({1}) is still owned by {2}; remove those first, or set force: true to delete "
                    "it anyway".format(name, status.get("ipAddress") or "no address", ", ".join(users)),
                    field="force",
                    owners=owners,
                )
            return
        adopted = want["fields"].get(CHILD_REF)
        if have is None:
            project_namespace(objects, want["names"], "an EIp")
            if adopted and objects.get(OVN_EIP[0], OVN_EIP[1], None, adopted) is None:
                raise InvalidInput("ovn_eip", adopted, "is not a Kube-OVN OvnEip (kubeovn.io/v1) on this cluster")
            return
        spec = have.get("spec") or {}
        child = spec.get("childRef")
        if child and child != adopted:
            raise Conflict(
                "EIp {0} adopts the OvnEip {1} (spec.childRef), which cannot change; declare it with "
                "ovn_eip: {1}, or delete and re-create it".format(name, child),
                field="ovn_eip",
            )
        if adopted and not child:
            raise Conflict(
                "ovn_eip: EIp {0} already allocates from external network type {1}; it cannot adopt the "
                "OvnEip {2} instead. Delete and re-create it.".format(name, spec.get("externalNetworkType"), adopted),
                field="ovn_eip",
                value=adopted,
            )

    def ready(self, obj):
        ready, why = super(KubeEip, self).ready(obj)
        if ready and not (obj.get("status") or {}).get("ipAddress"):
            return False, "status.ipAddress is not set yet"
        return ready, why

    def gone(self, objects, want):
        if not super(KubeEip, self).gone(objects, want):
            return False
        # The backing Kube-OVN OvnEip goes after the EIp's finalizer; where the API has no
        # kubeovn.io (a 404 for the kind), there is nothing to wait for.
        ref = getattr(self, "_ovn_eip", None)
        return not ref or objects.get(OVN_EIP[0], OVN_EIP[1], None, ref) is None

    def view(self, objects, want, obj):
        names = want["names"]
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        return dict(
            name=want["name"],
            organization=names.organization,
            project=names.project,
            namespace=names.namespace,
            address=status.get("ipAddress") or None,
            network_type=spec.get("externalNetworkType"),
            ownership=status.get("ownershipType"),
            owners=list(status.get("owners") or []),
            ovn_eip=status.get("ovnEIpRef") or None,
            ready=bool(status.get("ready")),
        )


def _owner_label(owner):
    if isinstance(owner, dict):
        return "{0} {1}".format(owner.get("type") or "?", owner.get("ownerRef") or "?")
    return str(owner)

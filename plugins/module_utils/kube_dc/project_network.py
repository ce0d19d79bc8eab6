# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""project_network on the kube_dc platform: a Kube-DC ``Project``.

The ``Project`` (``kube-dc.com/v1``) lives in the organization's namespace;
the Kube-DC controller makes the project namespace ``<org>-<project>``, its
VPC, subnet, default-gateway EIP (``default-gw``) and SNAT, and then sets
``status.ready``. The CIDR and the egress network type cannot change once
the project exists (Kube-DC refuses the egress type change with a CEL rule;
a CIDR change would orphan everything in the subnet), so both are refused
here before anything is written. Deleting waits until the project
namespace is gone too, which is when the controller has torn everything down.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import Conflict, InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import KubeObjects
from ansible_collections.kubedc.network.plugins.module_utils.kube.resource import MANAGED_BY, MANAGED_BY_KEY, KubeResource, refuse_options
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc import verify
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import project_names

CIDR = ("spec", "cidrBlock")
EGRESS = ("spec", "egressNetworkType")
GW_LAN_IP = ("spec", "gwLanIp")
DEFAULT_GATEWAY_EIP = "default-gw"
# Options of the ovn platform that Kube-DC decides itself.
OVN_ONLY = ("external_network", "default_gateway_ip", "gateway_chassis")


API_VERSION = "kube-dc.com/v1"
PLURAL = "projects"
# What deleting a Project would take down with its namespace and the collection did not make:
# (api_version, plural, kind). Kinds the server does not serve (no KubeVirt) are skipped.
WORKLOADS = (
    ("v1", "pods", "Pod"),
    ("v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("kubevirt.io/v1", "virtualmachines", "VirtualMachine"),
    ("kubevirt.io/v1", "virtualmachineinstances", "VirtualMachineInstance"),
)
# How many of them a refusal names.
NAMED_WORKLOADS = 10


class KubeProject(KubeResource):
    api_version = API_VERSION
    kind = "Project"
    plural = PLURAL
    managed = (CIDR, EGRESS, GW_LAN_IP)
    immutable = ((CIDR, "cidr"), (EGRESS, "egress_network_type"))

    def validate(self):
        p = self.params
        refuse_options(p, OVN_ONLY)
        names = project_names(p["organization"], p["name"])
        want = dict(names=names, namespace=names.organization, name=names.project, fields={})
        if self.state == "absent":
            return want
        cidr = validation.ipv4_network("cidr", p["cidr"])
        gateway = p.get("gateway")
        if gateway is not None:
            gateway = str(validation.host_in("gateway", gateway, cidr))
        want["fields"] = {
            CIDR: str(cidr),
            EGRESS: p.get("egress_network_type") or "cloud",
            GW_LAN_IP: gateway,
        }
        return want

    def check(self, objects, want, have):
        if self.state == "absent" and have is not None:
            self._refuse_workloads(objects, want)
        if self.state == "present" and have is None and objects.get("v1", "namespaces", None, want["namespace"]) is None:
            raise InvalidInput(
                "organization", want["namespace"],
                "has no namespace {0} on the Kubernetes API server: a Project lives in its organization's "
                "namespace, so create the organization first".format(want["namespace"]),
            )

    @staticmethod
    def _refuse_workloads(objects, want):
        """Refuse to delete a Project whose namespace still runs workloads or keeps volumes.

        Kube-DC deletes the project namespace with the Project, and everything in it - as
        on platform ovn, where deleting the router and switch would take the workloads'
        ports, the collection refuses and names them; the user removes them first.
        """
        namespace = want["names"].namespace
        found = []
        for api_version, plural, kind in WORKLOADS:
            for obj in objects.list(api_version, plural, namespace):
                found.append("{0} {1}".format(kind, obj["metadata"]["name"]))
        if not found:
            return
        named = ", ".join(found[:NAMED_WORKLOADS]) + (" and {0} more".format(len(found) - NAMED_WORKLOADS) if len(found) > NAMED_WORKLOADS else "")
        raise Conflict(
            "project network {0} still has workloads in its namespace: {1}. Deleting the Project makes Kube-DC delete "
            "the namespace and everything in it; remove them first.".format(namespace, named),
            workloads=found,
        )

    def ready(self, obj):
        ready, why = super(KubeProject, self).ready(obj)
        if ready and not (obj.get("status") or {}).get("namespace"):
            return False, "status.namespace is not set yet"
        return ready, why

    def gone(self, objects, want):
        if not super(KubeProject, self).gone(objects, want):
            return False
        return objects.get("v1", "namespaces", None, want["names"].namespace) is None

    def identity(self, want):
        # A project is named by its namespace, as on platform ovn (where the diff lists the router).
        names = want["names"]
        return dict(organization=names.organization, name=names.project, namespace=names.namespace)

    @staticmethod
    def managed_projects(objects):
        """(organization, name) of every Project the collection created, in any organization."""
        return [key for key, _obj in _managed(objects)]

    def verify_ovn(self, objects, want, obj):
        view = self.view(objects, want, obj)
        drift = verify.project_drift(self.params, view["namespace"], view["cidr"], view["default_gateway_ip"])
        verify.refuse_drift("Project {0}/{1}".format(view["organization"], view["name"]), drift)

    def view(self, objects, want, obj):
        names = want["names"]
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        namespace = status.get("namespace") or names.namespace
        eip = objects.get("kube-dc.com/v1", "eips", namespace, DEFAULT_GATEWAY_EIP) if status.get("ready") else None
        return dict(
            organization=names.organization,
            name=names.project,
            namespace=namespace,
            cidr=spec.get("cidrBlock"),
            egress_network_type=spec.get("egressNetworkType"),
            gateway=spec.get("gwLanIp"),
            default_gateway_ip=((eip or {}).get("status") or {}).get("ipAddress"),
            ready=bool(status.get("ready")),
        )


def _managed(objects):
    """((organization, name), Project) of every Project the collection created, sorted."""
    found = objects.list(API_VERSION, PLURAL, None, "{0}={1}".format(MANAGED_BY_KEY, MANAGED_BY))
    return sorted((((obj["metadata"]["namespace"], obj["metadata"]["name"]), obj) for obj in found), key=lambda pair: pair[0])


def gather_projects(params, organization=None):
    """Every Project the collection created (of ``organization``), as project_network describes it."""
    objects = KubeObjects(params, "list the Projects kubedc.network made")
    found = []
    for (org, name), obj in _managed(objects):
        if organization is None or org == organization:
            view = KubeProject(dict(params, organization=org, name=name)).view(objects, dict(names=project_names(org, name)), obj)
            found.append(view)
    return found

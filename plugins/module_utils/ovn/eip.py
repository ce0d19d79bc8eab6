# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""eip: a named external address reserved for a project on standalone OVN.

An EIP is an allocation in an external network's pool (see ipam.py) whose
owner is ``eip/<namespace>/<name>``; it writes no other row. FIPs and load
balancer bindings of the project use the address later; until then it is
reserved and answered by nothing, as a Kube-OVN ``OvnEip`` of type ``nat`` is.
Releasing an address that NAT rows or load balancer VIPs on the project
router still use is refused unless ``force``, because the pool would hand it
out again while traffic still flows to it.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network, ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    Plan,
    row_label,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import (
    project_names,
    project_router,
    require_project,
    vip_users,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import OvnResource

KIND = "eip"
RESERVED_NAMES = ("default-gw",)


def eip_owner(namespace, name):
    """The owner an EIP's allocation is recorded under."""
    return "{0}/{1}/{2}".format(KIND, namespace, name)


class EipState(object):
    def __init__(self, want, session):
        self.names = want["names"]
        self.owner = want["owner"]
        self.router = project_router(session, self.names)
        self.catalog = external_network.read_catalog(session)
        # The address this EIP holds, per external network (normally one in all).
        self.held = external_network.held(self.catalog, self.owner)

    @property
    def address(self):
        return external_network.first_held(self.catalog, self.owner)

    def users(self, address):
        """What on the project router sends or receives traffic on ``address``."""
        if self.router is None:
            return []
        nat = ["NAT " + row_label("NAT", row) for row in self.router.nat if row.external_ip == address]
        return sorted(nat + vip_users(self.router, address))


class Eip(OvnResource):
    def validate(self):
        p = self.params
        name = validation.dns_label("name", p["name"])
        if name in RESERVED_NAMES:
            raise InvalidInput(
                "name", name, "is the project's default-gateway address, which "
                "kubedc.network.project_network manages; choose another name",
            )
        names = project_names(p["organization"], p["project"], "project")
        want = dict(name=name, names=names, owner=eip_owner(names.namespace, name))
        if self.state == "absent":
            want["force"] = p.get("force", False)
            return want
        address = p.get("address")
        if address is not None:
            address = str(validation.ipv4_address("address", address))
        network = p.get("external_network")
        if network is not None:
            network = validation.dns_label("external_network", network)
        want.update(address=address, external_network=network, network_type=p.get("external_network_type"))
        return want

    def scope(self, want):
        scope = (
            NbScope()
            .table("NAT", "Load_Balancer")
            .root("Logical_Router", ["name", "==", want["names"].router])
        )
        return external_network.catalog_scope(scope)

    def read(self, session, want):
        return EipState(want, session)

    def plan(self, session, want, have):
        plan = Plan()
        network, address = have.address
        if self.state == "absent":
            for net, addresses in sorted(have.held.items()):
                for held in addresses:
                    users = have.users(held)
                    if users and not want["force"]:
                        raise Conflict(
                            "EIP {0} ({1}) is still used by {2}; remove those first, or set "
                            "force: true to release it anyway".format(want["name"], held, ", ".join(users)),
                            users=users,
                        )
                    ipam.release(plan, *have.catalog[net], address=held, owner=want["owner"])
            return plan
        require_project(have.router, want["names"])
        chosen = external_network.choose(
            have.catalog,
            name=want["external_network"],
            network_type=want["network_type"],
            type_field="external_network_type",
            default_type="cloud",
        )
        if address is not None:
            if network != chosen:
                raise Conflict(
                    "external_network_type: EIP {0} holds {1} in external network {2} ({3}); "
                    "it cannot move to {4} ({5}). Delete and re-create it instead.".format(
                        want["name"], address, network, have.catalog[network][1].network_type,
                        chosen, have.catalog[chosen][1].network_type,
                    ),
                    field="external_network_type",
                )
            if want["address"] is not None and want["address"] != address:
                raise Conflict(
                    "address: EIP {0} holds {1}; an EIP's address cannot change, because FIPs "
                    "and load balancers use it. Delete and re-create it instead.".format(want["name"], address),
                    field="address",
                    value=want["address"],
                )
            return plan
        switch, pool = have.catalog[chosen]
        ipam.allocate(plan, switch, pool, want["owner"], want["address"], "address")
        return plan

    def _view(self, want, network, pool_type, address, users):
        names = want["names"]
        return dict(
            name=want["name"],
            organization=names.organization,
            project=names.project,
            namespace=names.namespace,
            address=address,
            external_network=network,
            network_type=pool_type,
            users=users,
        )

    def describe(self, have):
        network, address = have.address
        if address is None:
            return {}
        want = dict(name=have.owner.rsplit("/", 1)[1], names=have.names)
        return self._view(want, network, have.catalog[network][1].network_type, address, have.users(address))

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return {}
        network, address = have.address
        for op in plan.ops:
            if isinstance(op, ipam.Allocate) and op.owner == want["owner"]:
                network = op.pool_ref.label
                address = values.get(op.slot, op.address.preview)
        return self._view(want, network, have.catalog[network][1].network_type, address, have.users(address))

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

The list form (``eips: [...]``) declares many EIPs of one project in one task
and one transaction: the project is read once, what uses each address is
indexed once, and all allocations come from one plan, so they never collide.
With ``exclusive`` the project's EIPs that the list does not name are
released, first in the plan; the single form is a list of one.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network, ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    CachedRow,
    row_label,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import (
    project_names,
    project_router,
    require_project,
    vip_index,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import (
    OvnResource,
    about,
    declared_items,
    refuse_repeats,
)

KIND = "eip"
RESERVED_NAMES = ("default-gw",)
LIST_KEY = "eips"
# The options of one EIP: the single form's top-level options, or a list element's.
ITEM_KEYS = ("name", "address", "external_network", "external_network_type")


def eip_owner(namespace, name):
    """The owner an EIP's allocation is recorded under."""
    return "{0}/{1}/{2}".format(KIND, namespace, name)


class EipProject(object):
    """One project's EIPs and what uses their addresses, read once and indexed."""

    def __init__(self, names, session):
        self.names = names
        self.router = project_router(session, names)
        self.catalog = external_network.read_catalog(session)
        self.prefix = eip_owner(names.namespace, "")
        # address -> the NAT rows and load balancer VIPs on the project router that use it
        self.users_of = vip_index(self.router)
        for row in self.router.nat if self.router is not None else []:
            nat = CachedRow(row)
            self.users_of.setdefault(nat.external_ip, []).append("NAT " + row_label("NAT", nat))

    def owner(self, name):
        return eip_owner(self.names.namespace, name)

    def held(self, name):
        """network -> the addresses EIP ``name`` holds (normally one in all)."""
        return external_network.held(self.catalog, self.owner(name))

    def address_of(self, name):
        """(network, address) of EIP ``name``, or (None, None)."""
        return external_network.first_held(self.catalog, self.owner(name))

    def objects(self):
        """The names of every EIP of the project: every owner of an address of this project's kind."""
        found = set()
        for _row, pool in self.catalog.values():
            found.update(owner[len(self.prefix):] for owner in pool.owners_starting(self.prefix))
        return found

    def users(self, address):
        """What on the project router sends or receives traffic on ``address``."""
        return sorted(self.users_of.get(address, []))


class Eip(OvnResource):
    def validate(self):
        p = self.params
        if p.get("ovn_eip"):
            raise InvalidInput("ovn_eip", p["ovn_eip"], "applies to platform kube_dc only: on ovn an EIP is an allocation in a pool")
        bulk, raw_items = declared_items(p, LIST_KEY, ITEM_KEYS)
        items = []
        for label, raw in raw_items:
            with about(label, raw.get("name")):
                items.append(self._validate_name(label, raw))
        names = project_names(p["organization"], p["project"], "project")
        if self.state == "present":
            for item, (label, raw) in zip(items, raw_items):
                with about(label, item["name"]):
                    self._validate_address(item, raw)
        refuse_repeats(items, "name", "name", "the name")
        if self.state == "present":
            refuse_repeats(items, "address", "address", "the address")
        for item in items:
            item["owner"] = eip_owner(names.namespace, item["name"])
        # describe() reports on the same EIPs, and only gets *have*.
        self._want = dict(
            names=names,
            items=items,
            bulk=bulk,
            exclusive=bool(p.get("exclusive")),
            force=bool(p.get("force")),
        )
        return self._want

    def _validate_name(self, label, raw):
        name = validation.dns_label("name", raw["name"])
        if name in RESERVED_NAMES:
            raise InvalidInput(
                "name", name, "is the project's default-gateway address, which "
                "kubedc.network.project_network manages; choose another name",
            )
        return dict(label=label, name=name)

    def _validate_address(self, item, raw):
        address = raw.get("address")
        if address is not None:
            address = str(validation.ipv4_address("address", address))
        network = raw.get("external_network")
        if network is not None:
            network = validation.dns_label("external_network", network)
        item.update(address=address, external_network=network, network_type=raw.get("external_network_type"))

    def scope(self, want):
        scope = (
            NbScope()
            .table("NAT", "Load_Balancer")
            .root("Logical_Router", ["name", "==", want["names"].router])
        )
        return external_network.catalog_scope(scope)

    def read(self, session, want):
        return EipProject(want["names"], session)

    # -- planning ---------------------------------------------------------

    def plan(self, session, want, have):
        plan = self.new_plan()
        items = want["items"]
        if self.state == "absent":
            for item in items:
                with about(item["label"], item["name"]):
                    self._plan_release(plan, have, item["name"], want["force"])
            return plan
        # An empty list (with exclusive: none at all) asks nothing of a project that does not exist.
        if items:
            require_project(have.router, want["names"])
        # Pruning first, so that a plan under review shows what goes before what comes.
        if want["exclusive"]:
            for name in sorted(have.objects() - set(item["name"] for item in items)):
                self._plan_release(plan, have, name, want["force"], pruning=True)
        for item in items:
            with about(item["label"], item["name"]):
                self._plan_eip(plan, have, item)
        return plan

    def _plan_release(self, plan, have, name, force, pruning=False):
        for network, addresses in sorted(have.held(name).items()):
            for address in addresses:
                users = have.users(address)
                if users and not force:
                    if pruning:
                        raise Conflict(
                            "exclusive: EIP {0} ({1}) is not in the list, but still used by {2}; remove "
                            "those first, keep it in the list, or set force: true to release it "
                            "anyway".format(name, address, ", ".join(users)),
                            field="exclusive",
                            eip=name,
                            users=users,
                        )
                    raise Conflict(
                        "EIP {0} ({1}) is still used by {2}; remove those first, or set "
                        "force: true to release it anyway".format(name, address, ", ".join(users)),
                        users=users,
                    )
                ipam.release(plan, *have.catalog[network], address=address, owner=have.owner(name))

    def _plan_eip(self, plan, have, item):
        network, address = have.address_of(item["name"])
        chosen = external_network.choose(
            have.catalog,
            name=item["external_network"],
            network_type=item["network_type"],
            type_field="external_network_type",
            default_type="cloud",
        )
        if address is not None:
            if network != chosen:
                raise Conflict(
                    "external_network_type: EIP {0} holds {1} in external network {2} ({3}); "
                    "it cannot move to {4} ({5}). Delete and re-create it instead.".format(
                        item["name"], address, network, have.catalog[network][1].network_type,
                        chosen, have.catalog[chosen][1].network_type,
                    ),
                    field="external_network_type",
                )
            if item["address"] is not None and item["address"] != address:
                raise Conflict(
                    "address: EIP {0} holds {1}; an EIP's address cannot change, because FIPs "
                    "and load balancers use it. Delete and re-create it instead.".format(item["name"], address),
                    field="address",
                    value=item["address"],
                )
            return
        switch, pool = have.catalog[chosen]
        ipam.allocate(plan, switch, pool, item["owner"], item["address"], "address")

    def removed(self, want, have):
        """Names of the EIPs this task releases: those listed (absent) or pruned (exclusive)."""
        declared = set(item["name"] for item in want["items"])
        return sorted(self.removed_of(want, have.objects(), declared, have.router is not None))

    # -- reporting --------------------------------------------------------

    def _view(self, have, name, network, address):
        names = have.names
        return dict(
            name=name,
            organization=names.organization,
            project=names.project,
            namespace=names.namespace,
            address=address,
            external_network=network,
            network_type=have.catalog[network][1].network_type,
            users=have.users(address),
        )

    def view_of(self, have, name):
        """EIP ``name`` as it is in the NB, or None."""
        network, address = have.address_of(name)
        if address is None:
            return None
        return self._view(have, name, network, address)

    def describe(self, have):
        want = self._want
        listed = [item["name"] for item in want["items"]]
        if want["bulk"]:
            if want["exclusive"]:
                listed += sorted(have.objects() - set(listed))
            return [view for view in (self.view_of(have, name) for name in listed) if view is not None]
        return self.view_of(have, listed[0]) or {}

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return [] if want["bulk"] else {}
        allocated = {}
        for op in plan.ops:
            if isinstance(op, ipam.Allocate):
                allocated[op.owner] = (op.pool_ref.label, values.get(op.slot, op.address.preview))
        views = []
        for item in want["items"]:
            network, address = allocated.get(item["owner"]) or have.address_of(item["name"])
            views.append(self._view(have, item["name"], network, address))
        return views if want["bulk"] else views[0]

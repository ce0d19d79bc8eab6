# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""external_network: a provider network that project routers reach the outside through.

Rows: a ``Logical_Switch`` named after the network, carrying the address pool
in ``external_ids`` (see ipam.py), and its localnet ``Logical_Switch_Port``
``localnet.<name>`` that binds it to a physical network (and VLAN) on the
gateway chassis. This is the shape Kube-OVN gives ``ext-cloud``.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    KIND_KEY,
    Delete,
    Existing,
    SetKeys,
    is_ours,
    owned_by,
    ownership,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import (
    OvnResource,
    converge_row,
    refuse_foreign,
)

KIND = "external_network"
NETWORK_TYPES = ("cloud", "public")


def localnet_port_name(network):
    return "localnet.{0}".format(network)


def catalog_scope(scope):
    """Add every managed external network (without its ports) to a scope."""
    return scope.by_external_id("Logical_Switch", KIND_KEY, KIND, follow=False)


def gateway_switch_ports(names):
    """A scope refinement (NbScope.refine): the project's own port on each external switch
    we manage, not every project's. The switches are listed once per connection, however
    many projects a task reads."""
    def refine(idl):
        if "external_switches" not in idl.derived:
            idl.derived["external_switches"] = [
                row.name for row in idl.tables["Logical_Switch"].rows.values() if row.external_ids.get(KIND_KEY) == KIND
            ]
        return [("Logical_Switch_Port", ["name", "==", names.gateway_switch_port(name)]) for name in idl.derived["external_switches"]]

    return refine


def read_catalog(session):
    """name -> (switch row, Pool) of every external network we manage.

    Read once per session: a task over many projects reads it for each, and every read
    of a pool's map column makes the IDL rebuild it. Callers do not change it.
    """
    if "external_networks" not in session.derived:
        catalog = {}
        for row in session.rows("Logical_Switch"):
            if is_ours(row) and row.external_ids.get(KIND_KEY) == KIND:
                catalog[row.name] = (row, ipam.Pool.from_external_ids(row.name, row.external_ids))
        session.derived["external_networks"] = catalog
    return session.derived["external_networks"]


def held(catalog, owner):
    """network -> addresses ``owner`` holds there, for the networks where it holds any."""
    found = {}
    for network, (_row, pool) in catalog.items():
        addresses = pool.addresses_of(owner)
        if addresses:
            found[network] = addresses
    return found


def first_held(catalog, owner):
    """(network, address) of the first address ``owner`` holds, or (None, None)."""
    for network, addresses in sorted(held(catalog, owner).items()):
        return network, addresses[0]
    return None, None


def network_of(catalog, address):
    """The managed external network whose CIDR holds ``address``, or None."""
    address = validation.netaddr.IPAddress(address)
    for network, (_row, pool) in sorted(catalog.items()):
        if address in pool.cidr:
            return network
    return None


def choose(catalog, name, network_type, type_field, default_type=None):
    """The external network a declaration means: by name, or the one of its type.

    ``type_field`` is the parameter that carries the type, for error messages.
    """
    known = ", ".join(
        "{0} ({1})".format(n, pool.network_type) for n, (_r, pool) in sorted(catalog.items())
    ) or "none"
    if name is not None:
        if name not in catalog:
            raise InvalidInput(
                "external_network",
                name,
                "is not an external network managed by kubedc.network (known: {0})".format(known),
            )
        actual = catalog[name][1].network_type
        if network_type is not None and network_type != actual:
            raise InvalidInput(
                type_field,
                network_type,
                "does not match external network {0}, which is of type {1}".format(name, actual),
            )
        return name
    network_type = network_type or default_type
    matches = sorted(n for n, (_r, pool) in catalog.items() if pool.network_type == network_type)
    if not matches:
        raise InvalidInput(
            type_field,
            network_type,
            "has no external network to use: declare one with "
            "kubedc.network.external_network (known: {0})".format(known),
        )
    if len(matches) > 1:
        raise InvalidInput(
            type_field,
            network_type,
            "matches several external networks ({0}); set external_network to "
            "choose one".format(", ".join(matches)),
        )
    return matches[0]


class ExternalNetworkState(object):
    def __init__(self, switch, localnet, pool, foreign_ports, others):
        self.switch = switch
        self.localnet = localnet
        self.pool = pool
        self.foreign_ports = foreign_ports
        self.others = others  # the other managed external networks: name -> Pool


class ExternalNetwork(OvnResource):
    def validate(self):
        p = self.params
        want = dict(name=validation.dns_label("name", p["name"]))
        if self.state == "absent":
            return want
        cidr = validation.ipv4_network("cidr", p["cidr"])
        gateway = p.get("gateway") or str(cidr[1])
        gateway = validation.host_in("gateway", gateway, cidr)
        reserved = validation.address_ranges("reserved", p.get("reserved"), cidr)
        vlan = p.get("vlan")
        if vlan is not None and not 1 <= vlan <= 4094:
            raise InvalidInput("vlan", vlan, "must be a VLAN ID from 1 to 4094")
        chassis = validation.name_list("gateway_chassis", p.get("gateway_chassis"))
        network_name = p.get("network_name") or want["name"]
        if not network_name.strip() or " " in network_name:
            raise InvalidInput("network_name", network_name, "is not a physical network name")
        want.update(
            network_type=p["network_type"],
            cidr=cidr,
            gateway=gateway,
            reserved=reserved,
            network_name=network_name,
            vlan=vlan,
            gateway_chassis=list(chassis),
        )
        return want

    def scope(self, want):
        scope = NbScope().fetch("Logical_Switch_Port").by_name("Logical_Switch", want["name"])
        return catalog_scope(scope)

    def read(self, session, want):
        switch = session.one("Logical_Switch", name=want["name"])
        refuse_foreign(switch, "Logical_Switch", "it")
        if switch is not None and not owned_by(switch, KIND, want["name"]):
            raise Conflict(
                "Logical_Switch {0} is managed by kubedc.network as a {1}, not as an "
                "external network".format(switch.name, switch.external_ids.get(KIND_KEY)),
                table="Logical_Switch",
                row=switch.name,
            )
        others = dict(
            (name, pool)
            for name, (_row, pool) in read_catalog(session).items()
            if name != want["name"]
        )
        if switch is None:
            return ExternalNetworkState(None, None, None, [], others)
        localnet = None
        foreign = []
        for port in switch.ports:
            if owned_by(port, KIND, want["name"]) and port.name == localnet_port_name(switch.name):
                localnet = port
            elif not is_ours(port):
                foreign.append(port.name)
        pool = ipam.Pool.from_external_ids(switch.name, switch.external_ids)
        return ExternalNetworkState(switch, localnet, pool, sorted(foreign), others)

    # -- planning ---------------------------------------------------------

    def _metadata(self, want):
        return {
            ipam.NETWORK_TYPE_KEY: want["network_type"],
            ipam.CIDR_KEY: str(want["cidr"]),
            ipam.GATEWAY_KEY: str(want["gateway"]),
            ipam.RESERVED_KEY: ",".join(validation.format_ranges(want["reserved"])),
            ipam.GATEWAY_CHASSIS_KEY: ",".join(want["gateway_chassis"]),
        }

    def _check_update(self, want, pool):
        if pool.network_type != want["network_type"]:
            raise Conflict(
                "network_type: {0!r} cannot be changed to {1!r}: projects chose this "
                "network by its type; delete and re-create the external network "
                "instead".format(pool.network_type, want["network_type"]),
                field="network_type",
                value=want["network_type"],
            )
        if pool.cidr != want["cidr"]:
            raise Conflict(
                "cidr: {0!r} cannot be changed to {1!r}: addresses are allocated from it; "
                "delete and re-create the external network instead".format(
                    str(pool.cidr), str(want["cidr"])
                ),
                field="cidr",
                value=str(want["cidr"]),
            )
        if pool.gateway != want["gateway"] and pool.allocations:
            raise Conflict(
                "gateway: cannot change {0} to {1} while {2} address(es) are allocated: the "
                "project routers route through the current gateway".format(
                    pool.gateway, want["gateway"], len(pool.allocations)
                ),
                field="gateway",
                value=str(want["gateway"]),
            )
        reserved, gateway = want["reserved"], str(want["gateway"])
        # An empty reserved set is the common case: then no address need be parsed for the test.
        clash = sorted(
            (addr, owner)
            for addr, owner in pool.allocations.items()
            if addr == gateway or (reserved and addr in reserved)
        )
        if clash:
            raise Conflict(
                "reserved: would cover allocated address(es) {0}".format(
                    ", ".join("{0} ({1})".format(a, o) for a, o in clash)
                ),
                field="reserved",
                value=validation.format_ranges(want["reserved"]),
            )

    def plan(self, session, want, have):
        plan = self.new_plan()
        if self.state == "absent":
            return self._plan_absent(plan, have)
        for name, pool in sorted(have.others.items()):
            if pool.cidr.first <= want["cidr"].last and want["cidr"].first <= pool.cidr.last:
                raise InvalidInput(
                    "cidr",
                    str(want["cidr"]),
                    "overlaps external network {0} ({1})".format(name, pool.cidr),
                )
        name = want["name"]
        metadata = self._metadata(want)
        if have.switch is None:
            ids = ownership(KIND, name)
            ids.update(metadata)
            switch_ref = converge_row(
                plan, "Logical_Switch", None, dict(name=name, external_ids=ids), "switch"
            )
        else:
            self._check_update(want, have.pool)
            switch_ref = Existing("Logical_Switch", have.switch)
            # SetKeys, not a whole-map update: the same map holds the allocations.
            changed = dict(
                (k, v) for k, v in metadata.items() if have.switch.external_ids.get(k) != v
            )
            if changed:
                plan.add(SetKeys(switch_ref, "external_ids", changed))
        converge_row(
            plan,
            "Logical_Switch_Port",
            have.localnet,
            dict(
                name=localnet_port_name(name),
                type="localnet",
                addresses=["unknown"],
                options={"network_name": want["network_name"]},
                tag_request=[want["vlan"]] if want["vlan"] else [],
                external_ids=ownership(KIND, name),
            ),
            "localnet",
            parent=switch_ref,
            parent_column="ports",
        )
        return plan

    def _plan_absent(self, plan, have):
        if have.switch is None:
            return plan
        if have.pool.allocations:
            raise Conflict(
                "external network {0} still has {1} allocated address(es): {2}; remove "
                "what uses them first".format(
                    have.switch.name,
                    len(have.pool.allocations),
                    ", ".join(
                        "{0} ({1})".format(a, o) for a, o in sorted(have.pool.allocations.items())
                    ),
                ),
                allocations=have.pool.allocations,
            )
        if have.foreign_ports:
            raise Conflict(
                "external network {0} still has ports not managed by kubedc.network: {1}; "
                "remove them first".format(have.switch.name, ", ".join(have.foreign_ports)),
                ports=have.foreign_ports,
            )
        # The switch is a root row: its ports go with it.
        plan.add(Delete(Existing("Logical_Switch", have.switch)))
        return plan

    # -- reporting --------------------------------------------------------

    def describe(self, have):
        if have.switch is None:
            return {}
        pool = have.pool
        vlan = have.localnet.tag_request[0] if have.localnet and have.localnet.tag_request else None
        chassis = have.switch.external_ids.get(ipam.GATEWAY_CHASSIS_KEY, "")
        return dict(
            name=have.switch.name,
            network_type=pool.network_type,
            cidr=str(pool.cidr),
            gateway=str(pool.gateway),
            reserved=validation.format_ranges(pool.reserved),
            network_name=(have.localnet.options.get("network_name") if have.localnet else None),
            vlan=vlan,
            gateway_chassis=[c for c in chassis.split(",") if c],
            allocated=self._allocated(pool),
            free=pool.free().size,
        )

    @staticmethod
    def _allocated(pool):
        return [
            dict(address=a, owner=o)
            for a, o in sorted(
                pool.allocations.items(), key=lambda item: validation.netaddr.IPAddress(item[0])
            )
        ]

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return {}
        pool = ipam.Pool(
            want["name"],
            want["network_type"],
            want["cidr"],
            want["gateway"],
            want["reserved"],
            have.pool.allocations if have.pool else {},
        )
        return dict(
            name=want["name"],
            network_type=want["network_type"],
            cidr=str(want["cidr"]),
            gateway=str(want["gateway"]),
            reserved=validation.format_ranges(want["reserved"]),
            network_name=want["network_name"],
            vlan=want["vlan"],
            gateway_chassis=want["gateway_chassis"],
            allocated=self._allocated(pool),
            free=pool.free().size,
        )

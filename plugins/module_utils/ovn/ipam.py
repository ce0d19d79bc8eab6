# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Address pools of external networks, recorded in the NB DB itself.

An external network's logical switch carries its pool in ``external_ids``:
``kubedc:cidr``, ``kubedc:gateway``, ``kubedc:reserved`` and one key
``kubedc:ip:<address>`` per allocated address, whose value names the owner
(``project_network/acme-prod``). Every run, on any machine, sees the same
allocations because they live next to the rows that use them.

Two runs may allocate at the same time. ``Allocate`` therefore *verifies*
the switch's ``external_ids`` inside the transaction: if another run changed
them since we read them, the server answers TRY_AGAIN, ovsdbapp re-runs the
plan on fresh data, and the address is picked again. No address can be given
twice and none is lost.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common.validation import (
    format_ranges,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    Existing,
    Late,
    Op,
)

try:
    import netaddr
except ImportError:  # pragma: no cover - reported by the module base class
    netaddr = None

NETWORK_TYPE_KEY = "kubedc:network-type"
CIDR_KEY = "kubedc:cidr"
GATEWAY_KEY = "kubedc:gateway"
RESERVED_KEY = "kubedc:reserved"
GATEWAY_CHASSIS_KEY = "kubedc:gateway-chassis"
ADDRESS_KEY_PREFIX = "kubedc:ip:"


def address_key(address):
    return ADDRESS_KEY_PREFIX + str(address)


def parse_ranges(text):
    """Inverse of ``format_ranges``: 'a-b,c' -> IPSet."""
    result = netaddr.IPSet()
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if "-" in item:
            first, last = item.split("-", 1)
            result.add(netaddr.IPRange(first, last))
        else:
            result.add(netaddr.IPAddress(item))
    return result


class Pool:
    """The addresses of one external network and who holds them."""

    def __init__(self, name, network_type, cidr, gateway, reserved, allocations):
        self.name = name
        self.network_type = network_type
        self.cidr = cidr
        self.gateway = gateway
        self.reserved = reserved
        self.allocations = allocations  # address (str) -> owner (str)

    @classmethod
    def from_external_ids(cls, name, ids):
        allocations = dict(
            (key[len(ADDRESS_KEY_PREFIX):], owner)
            for key, owner in ids.items()
            if key.startswith(ADDRESS_KEY_PREFIX)
        )
        return cls(
            name=name,
            network_type=ids.get(NETWORK_TYPE_KEY),
            cidr=netaddr.IPNetwork(ids[CIDR_KEY]),
            gateway=netaddr.IPAddress(ids[GATEWAY_KEY]),
            reserved=parse_ranges(ids.get(RESERVED_KEY)),
            allocations=allocations,
        )

    @property
    def unusable(self):
        """Addresses never handed out: network, broadcast, gateway and reserved ranges."""
        return netaddr.IPSet([self.cidr.network, self.cidr.broadcast, self.gateway]) | self.reserved

    def free(self):
        return netaddr.IPSet([self.cidr]) - self.unusable - netaddr.IPSet(self.allocations)

    def size(self):
        return (netaddr.IPSet([self.cidr]) - self.unusable).size

    def addresses_of(self, owner):
        return sorted(
            (addr for addr, who in self.allocations.items() if who == owner),
            key=netaddr.IPAddress,
        )

    def pick(self, owner, requested=None, field="address", exclude=()):
        """The address ``owner`` gets: the one requested, or the lowest free one.

        ``exclude`` are addresses already promised to others in the same
        transaction (or plan), which the allocations map does not show yet.
        """
        if requested is not None:
            requested = netaddr.IPAddress(str(requested))
            if requested not in self.cidr:
                raise InvalidInput(
                    field,
                    str(requested),
                    "is outside external network {0} ({1})".format(self.name, self.cidr),
                )
            if requested in self.unusable:
                raise InvalidInput(
                    field,
                    str(requested),
                    "is not allocatable in external network {0}: it is its network, "
                    "broadcast or gateway address or in its reserved ranges ({1})".format(
                        self.name, ", ".join(format_ranges(self.reserved)) or "none"
                    ),
                )
            holder = self.allocations.get(str(requested))
            if holder is None and str(requested) in exclude:
                holder = "another object of the same task"
            if holder is not None and holder != owner:
                raise Conflict(
                    "{0}: {1!r} is already allocated in external network {2} to {3}".format(
                        field, str(requested), self.name, holder
                    ),
                    field=field,
                    value=str(requested),
                    holder=holder,
                )
            return str(requested)
        free = self.free() - netaddr.IPSet(exclude)
        if not free:
            raise Conflict(
                "external network {0} ({1}) has no free address left: {2} allocated, "
                "{3} reserved".format(
                    self.name,
                    self.cidr,
                    len(self.allocations),
                    len(self.reserved),
                ),
                network=self.name,
            )
        first = next(free.iter_ipranges())
        return str(netaddr.IPAddress(first.first))


class Allocate(Op):
    """Record an address for ``owner`` in a pool, safely against concurrent runs."""

    action = "update"

    def __init__(self, pool_ref, owner, requested, planned, field):
        self.pool_ref = pool_ref
        self.owner = owner
        self.requested = requested
        self.field = field
        self.slot = "address:{0}:{1}".format(pool_ref.label, owner)
        self.address = Late(planned, lambda ctx: ctx.values[self.slot])

    def describe(self):
        return "allocate {0} in external network {1} for {2}".format(
            self.address.preview, self.pool_ref.label, self.owner
        )

    def run(self, ctx):
        row = self.pool_ref.row(ctx)
        # The heart of race safety: the commit fails with TRY_AGAIN if any
        # other transaction touched this map since our IDL last saw it.
        row.verify("external_ids")
        pool = Pool.from_external_ids(row.name, row.external_ids)
        # Addresses this transaction already gave out from the same pool.
        taken = ctx.values.setdefault("taken:" + row.name, set())
        held = [a for a in pool.addresses_of(self.owner) if a not in taken]
        if self.requested is None and held:
            address = held[0]
        else:
            address = pool.pick(self.owner, self.requested, self.field, exclude=taken)
        taken.add(address)
        row.setkey("external_ids", address_key(address), self.owner)
        ctx.values[self.slot] = address


def allocate(plan, switch_row, pool, owner, requested, field):
    """Plan an allocation and return its (Late) address.

    The preview is picked from the pool as read, minus what earlier
    allocations of the same plan will take, so that check mode shows the
    addresses a real run gives (unless another run allocates first).
    """
    promised = plan.reservations.setdefault(pool.name, set())
    planned = pool.pick(owner, requested, field, exclude=promised)
    promised.add(planned)
    return plan.add(Allocate(Existing("Logical_Switch", switch_row), owner, requested, planned, field)).address


class Release(Op):
    action = "update"

    def __init__(self, pool_ref, address, owner):
        self.pool_ref = pool_ref
        self.address = address
        self.owner = owner

    def describe(self):
        return "release {0} in external network {1} from {2}".format(
            self.address, self.pool_ref.label, self.owner
        )

    def run(self, ctx):
        row = self.pool_ref.row(ctx)
        if row.external_ids.get(address_key(self.address)) == self.owner:
            row.delkey("external_ids", address_key(self.address))

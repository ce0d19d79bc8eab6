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

import bisect

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

    def __init__(self, name, network_type, cidr, gateway, reserved, allocations, gateway_chassis=()):
        self.name = name
        self.network_type = network_type
        self.cidr = cidr
        self.gateway = gateway
        self.reserved = reserved
        self.allocations = allocations  # address (str) -> owner (str)
        # The chassis a project's gateway port runs on when its file names none. Kept here so
        # that planning many projects does not read the switch's external_ids, which hold
        # every allocation, once per project.
        self.gateway_chassis = list(gateway_chassis)
        self._unusable = None
        self._by_owner = None
        self._sorted_owners = None

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
            gateway_chassis=[c for c in ids.get(GATEWAY_CHASSIS_KEY, "").split(",") if c],
        )

    @property
    def unusable(self):
        """Addresses never handed out: network, broadcast, gateway and reserved ranges."""
        if self._unusable is None:
            self._unusable = netaddr.IPSet([self.cidr.network, self.cidr.broadcast, self.gateway]) | self.reserved
        return self._unusable

    def free(self):
        return netaddr.IPSet([self.cidr]) - self.unusable - netaddr.IPSet(self.allocations)

    def size(self):
        return (netaddr.IPSet([self.cidr]) - self.unusable).size

    def addresses_of(self, owner):
        if self._by_owner is None:
            # Indexed once: a task converging a thousand FIPs asks a thousand times.
            self._by_owner = {}
            for addr, who in self.allocations.items():
                self._by_owner.setdefault(who, []).append(addr)
            for addresses in self._by_owner.values():
                addresses.sort(key=netaddr.IPAddress)
        return list(self._by_owner.get(owner, ()))

    def owners_starting(self, prefix):
        """The owners whose name starts with ``prefix`` (one project's EIPs, say).

        A plan asks once per project; scanning every owner each time would make a
        file of many projects cost their square, so the owners are sorted once and
        the ones with the prefix found by bisection (they sit side by side)."""
        if self._sorted_owners is None:
            self.addresses_of(None)
            self._sorted_owners = sorted(self._by_owner)
        owners = self._sorted_owners
        found = []
        index = bisect.bisect_left(owners, prefix)
        while index < len(owners) and owners[index].startswith(prefix):
            found.append(owners[index])
            index += 1
        return found

    def picker(self):
        return Picker(self)

    def pick(self, owner, requested=None, field="address", exclude=()):
        """The address ``owner`` gets: the one requested, or the lowest free one.

        ``exclude`` are addresses already promised to others in the same
        transaction (or plan), which the allocations map does not show yet.
        """
        picker = Picker(self)
        picker.promised.update(exclude)
        return picker.pick(owner, requested, field)


class Picker(object):
    """Hands out addresses of one pool, one after another, for one plan or transaction.

    It remembers what it promised (the allocations map does not show that
    yet) and what the same plan releases (not handed out again in it, so a
    deleted FIP's address never lands on a new FIP in the same transaction).
    The lowest free address only ever moves up while it works, so a cursor
    makes a thousand picks cost one walk of the pool, not a thousand.
    """

    def __init__(self, pool):
        self.pool = pool
        self.promised = set()
        self.released = set()
        self._cursor = pool.cidr.first

    def pick(self, owner, requested=None, field="address"):
        address = self._requested(owner, requested, field) if requested is not None else self._lowest_free()
        self.promised.add(address)
        return address

    def release(self, address):
        self.released.add(address)

    def _requested(self, owner, requested, field):
        pool = self.pool
        requested = netaddr.IPAddress(str(requested))
        if requested not in pool.cidr:
            raise InvalidInput(
                field,
                str(requested),
                "is outside external network {0} ({1})".format(pool.name, pool.cidr),
            )
        if requested in pool.unusable:
            raise InvalidInput(
                field,
                str(requested),
                "is not allocatable in external network {0}: it is its network, "
                "broadcast or gateway address or in its reserved ranges ({1})".format(
                    pool.name, ", ".join(format_ranges(pool.reserved)) or "none"
                ),
            )
        holder = pool.allocations.get(str(requested))
        if str(requested) in self.released:
            holder = None  # given back earlier in the same plan: free to be asked for by name
        if holder is None and str(requested) in self.promised:
            holder = "another object of the same task"
        if holder is not None and holder != owner:
            raise Conflict(
                "{0}: {1!r} is already allocated in external network {2} to {3}".format(
                    field, str(requested), pool.name, holder
                ),
                field=field,
                value=str(requested),
                holder=holder,
            )
        return str(requested)

    def _lowest_free(self):
        pool = self.pool
        for value in range(self._cursor, pool.cidr.last + 1):
            address = netaddr.IPAddress(value)
            text = str(address)
            if text in pool.allocations or text in self.promised or text in self.released or address in pool.unusable:
                continue
            self._cursor = value
            return text
        self._cursor = pool.cidr.last + 1
        raise Conflict(
            "external network {0} ({1}) has no free address left: {2} allocated, "
            "{3} reserved".format(
                pool.name,
                pool.cidr,
                len(set(pool.allocations) | self.promised),
                len(pool.reserved),
            ),
            network=pool.name,
        )


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
        picker = _transaction_picker(ctx, row)
        held = [a for a in picker.pool.addresses_of(self.owner) if a not in picker.promised]
        if self.requested is None and held:
            address = held[0]
            picker.promised.add(address)
        else:
            address = picker.pick(self.owner, self.requested, self.field)
        row.setkey("external_ids", address_key(address), self.owner)
        ctx.values[self.slot] = address


def _transaction_picker(ctx, row):
    """The picker of a pool for this attempt of the transaction, read from the row once,
    before any op of the transaction changed it."""
    if row.name not in ctx.pickers:
        ctx.pickers[row.name] = Pool.from_external_ids(row.name, row.external_ids).picker()
    return ctx.pickers[row.name]


def _plan_picker(plan, pool):
    if pool.name not in plan.reservations:
        plan.reservations[pool.name] = pool.picker()
    return plan.reservations[pool.name]


def allocate(plan, switch_row, pool, owner, requested, field):
    """Plan an allocation and return its (Late) address.

    The preview is picked from the pool as read, minus what earlier
    allocations of the same plan will take, so that check mode shows the
    addresses a real run gives (unless another run allocates first).
    """
    planned = _plan_picker(plan, pool).pick(owner, requested, field)
    return plan.add(Allocate(Existing("Logical_Switch", switch_row), owner, requested, planned, field)).address


def release(plan, switch_row, pool, address, owner):
    """Plan giving ``address`` back; the same plan does not hand it out again."""
    _plan_picker(plan, pool).release(address)
    return plan.add(Release(Existing("Logical_Switch", switch_row), address, owner))


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
        picker = _transaction_picker(ctx, row)
        # The snapshot, not row.external_ids: the IDL rebuilds a whole map with the
        # transaction's pending changes on every read, which a thousand releases would pay.
        if picker.pool.allocations.get(self.address) == self.owner and self.address not in picker.promised:
            row.delkey("external_ids", address_key(self.address))
        picker.release(self.address)

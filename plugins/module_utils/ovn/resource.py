# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Base class for a declared object converged against the OVN NB.

A resource turns module parameters into *want*, reads *have* from a scoped
session, and plans row changes with ``converge_row`` / ``prune_rows``. Those
two compare only the columns the resource manages, so a row edited behind our
back is put right, and a row that merely looks different in columns we do not
manage (a MAC chosen at creation) is left alone.
"""

import hashlib
import json

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
    about,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    KIND_KEY,
    OBJECT_KEY,
    Delete,
    Existing,
    Insert,
    Late,
    New,
    Plan,
    Update,
    is_ours,
    owned_by,
    row_label,
)


def port_mac(port_name):
    """A stable, locally administered unicast MAC for a port we create.

    Deriving it from the name keeps plans reproducible (check mode shows the
    MAC a real run will use) without a random source.
    """
    digest = hashlib.sha256(port_name.encode("utf-8")).digest()
    return "0a:" + ":".join("{0:02x}".format(b) for b in digest[:5])


def with_prefix(address, prefixlen):
    """'a.b.c.d/len' for an address known now or only inside the transaction."""
    def fmt(value):
        return "{0}/{1}".format(value, prefixlen)

    return address.derive(fmt) if isinstance(address, Late) else fmt(address)


def _normal(value):
    """Comparable form of an IDL value or a planned value."""
    if isinstance(value, (Existing, New)):
        return ("ref", getattr(value, "uuid", None) or value.handle)
    if hasattr(value, "uuid") and hasattr(value, "_table"):
        return ("ref", value.uuid)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _normal(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set)):
        return tuple(sorted((_normal(v) for v in value), key=repr))
    return value


def same(current, desired):
    if isinstance(desired, Late):
        return False
    if isinstance(desired, (list, tuple)) and any(isinstance(v, Late) for v in desired):
        return False
    return _normal(current) == _normal(desired)


def converge_row(plan, table, row, columns, handle, parent=None, parent_column=None, create_only=None):
    """Plan the creation of a row, or the update of the columns that differ.

    An existing row is only updated if it is ours and serves the same declared
    object as ``columns["external_ids"]`` says; anything else is refused, so a
    row that merely has the name we need is never taken over.
    Returns a reference to the row that later ops (children, refs) can use.
    """
    if row is not None:
        refuse_foreign(row, table, "it")
        wanted = columns.get("external_ids", {})
        if not owned_by(row, wanted.get(KIND_KEY), wanted.get(OBJECT_KEY)):
            raise Conflict(
                "{0} {1} is managed by kubedc.network for {2} {3!r}, not for {4} {5!r}".format(
                    table,
                    row_label(table, row),
                    row.external_ids.get(KIND_KEY),
                    row.external_ids.get(OBJECT_KEY),
                    wanted.get(KIND_KEY),
                    wanted.get(OBJECT_KEY),
                ),
                table=table,
                row=row_label(table, row),
            )
    if row is None:
        initial = dict(columns)
        initial.update(create_only or {})
        return plan.add(Insert(handle, table, initial, parent, parent_column)).ref
    ref = Existing(table, row)
    changes = dict(
        (column, value)
        for column, value in columns.items()
        if not same(getattr(row, column), value)
    )
    if changes:
        plan.add(Update(ref, changes, before=dict((column, getattr(row, column)) for column in changes)))
    return ref


def router_type_port(name, router_port, ids):
    """Columns of the switch port that connects a switch to router port ``router_port``."""
    return dict(
        name=name,
        type="router",
        addresses=["router"],
        options={"router-port": router_port},
        external_ids=ids,
    )


def converge_gateway_chassis(plan, router_port_name, chassis, router_port, router_port_row, ids):
    """Gateway_Chassis rows ``<router port>-<chassis>``, priority 100, 99, ... in order.

    Rows of the same declared object that are no longer listed are removed;
    rows of anyone else are refused by converge_row or left alone.
    """
    existing = dict(
        (row.name, row) for row in (router_port_row.gateway_chassis if router_port_row else [])
    )
    for index, name in enumerate(chassis):
        row_name = "{0}-{1}".format(router_port_name, name)
        converge_row(
            plan,
            "Gateway_Chassis",
            existing.pop(row_name, None),
            dict(name=row_name, chassis_name=name, priority=100 - index, external_ids=ids),
            "{0}-chassis-{1}".format(router_port_name, index),
            router_port,
            "gateway_chassis",
        )
    prune_rows(
        plan,
        "Gateway_Chassis",
        [row for row in existing.values() if owned_by(row, ids.get(KIND_KEY), ids.get(OBJECT_KEY))],
        router_port,
        "gateway_chassis",
    )


def prune_rows(plan, table, rows, parent=None, parent_column=None):
    for row in rows:
        plan.add(Delete(Existing(table, row), parent, parent_column))


def refuse_foreign(row, table, what):
    """A row with our name that we did not create is never touched."""
    if row is not None and not is_ours(row):
        raise Conflict(
            "{0} {1} already exists and is not managed by kubedc.network "
            "(its external_ids lack kubedc:managed-by); refusing to change {2}. "
            "Remove or rename it, or choose another name.".format(table, row_label(table, row), what),
            table=table,
            row=row_label(table, row),
        )


DECLARED_KEY = "kubedc:declared"
# Not an option of any module: the datacenter engine sets it to the path in the datacenter
# file of each item of the list (a FIP a service makes is at services[2]), so that an error
# names what the user wrote rather than an index into a list the file does not have.
ITEM_LABELS = "_item_labels"


def declared_items(params, list_key, single_keys):
    """The objects one task declares: ``(bulk, [(item label, parameters), ...])``.

    The list form (``fips: [...]``) gives one item per element, labelled
    ``fips[<index>]`` (or as ``ITEM_LABELS`` says); the single form is a list
    of one, labelled None, so its errors read exactly as they always did. ``exclusive`` is checked here
    because its meaning is the same for every module: prune, after a
    converge, what the list no longer names.
    """
    state = params.get("state", "present")
    bulk = params.get(list_key) is not None
    if params.get("exclusive"):
        if not bulk:
            raise InvalidInput(
                "exclusive", True, "needs the list form ({0}: [...]); it removes the objects of the "
                "project that the list does not name".format(list_key),
            )
        if state != "present":
            raise InvalidInput(
                "exclusive", True, "only applies with state=present; state=absent removes exactly "
                "the objects the list names",
            )
    if bulk:
        labels = params.get(ITEM_LABELS) or ["{0}[{1}]".format(list_key, index) for index in range(len(params[list_key]))]
        return True, list(zip(labels, params[list_key]))
    return False, [(None, dict((key, params.get(key)) for key in single_keys))]


def refuse_repeats(items, key, field, what):
    """Refuse two items of one list that declare the same ``key`` (a name, a target)."""
    seen = {}
    for item in items:
        value = item.get(key)
        if value is None:
            continue
        if value in seen:
            with about(item["label"], item["name"]):
                raise InvalidInput(field, value, "is {0} of {1} too; each may appear once in the list".format(what, seen[value]))
        seen[value] = "{0} ({1})".format(item["label"], item["name"])


class OvnResource(object):
    """One declared object type. Subclasses implement the five steps below."""

    def __init__(self, params, reservations=None):
        self.params = params
        self.state = params.get("state", "present")
        self.reservations = reservations

    def new_plan(self):
        """An empty plan; a task that converges several projects shares its address picks."""
        return Plan(self.reservations)

    @staticmethod
    def declared(**values):
        """A declaration as canonical JSON, recorded as ``kubedc:declared`` on the object's
        main row so that network_info can replay it to find drift.

        ``values`` are module parameters as validation normalised them (so that ``0A:..``
        and ``0a:..`` record alike); unset ones are omitted.
        """
        values = dict((k, v if isinstance(v, (list, bool, int)) else str(v)) for k, v in values.items() if v not in (None, []))
        return json.dumps(values, sort_keys=True, separators=(",", ":"))

    def removed_of(self, want, existing, declared, project_exists):
        """Which of the ``existing`` objects a task deletes: those it declares with
        state=absent, or with exclusive those it does not declare (a set)."""
        if self.state == "absent":
            return existing & declared
        if want.get("exclusive") and project_exists:
            return existing - declared
        return set()

    def validate(self):
        """Return *want*: the checked, normalised parameters. Raise InvalidInput."""
        raise NotImplementedError

    def scope(self, want):
        """Return the NbScope of rows this resource may read or touch."""
        raise NotImplementedError

    def read(self, session, want):
        """Return *have*: what exists now (an object of the subclass's choice)."""
        raise NotImplementedError

    def plan(self, session, want, have):
        """Return the Plan that turns *have* into *want*. Raise before writing."""
        raise NotImplementedError

    def describe(self, have):
        """The declared-object view of *have* (diff 'before'); {} when absent."""
        raise NotImplementedError

    def outcome(self, want, have, plan, values):
        """The declared-object view after the run (diff 'after', return value)."""
        raise NotImplementedError

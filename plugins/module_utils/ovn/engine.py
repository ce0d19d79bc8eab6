# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""The want/have/commands engine for OVN-backed modules.

A resource computes *want* (validated parameters), reads *have* (the rows
that exist) and derives a ``Plan``: a list of small operations on NB rows.
The plan is data, so check mode returns it without writing, tests can
compare it exactly, and a real run executes all of it inside ONE OVSDB
transaction through a single ovsdbapp command (``PlanCommand``).

Rows are referred to by ``Existing`` (a row read from the NB) or by the
handle of an ``Insert`` earlier in the same plan. Values may be ``Late``:
known for sure only inside the transaction, such as an address allocated
from a pool that another run may be allocating from at the same time.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
)

try:
    from ovs.db import data as ovs_data
    from ovsdbapp.backend.ovs_idl import command as ovsdbapp_command

    _CommandBase = ovsdbapp_command.BaseCommand
except ImportError:  # pragma: no cover - reported by the module base class
    ovs_data = None
    _CommandBase = object

MANAGED_BY_KEY = "kubedc:managed-by"
MANAGED_BY = "kubedc.network"
KIND_KEY = "kubedc:kind"
OBJECT_KEY = "kubedc:object"


def ownership(kind, obj, **extra):
    """external_ids that mark a row as ours and name the declared object it serves."""
    ids = {MANAGED_BY_KEY: MANAGED_BY, KIND_KEY: kind, OBJECT_KEY: obj}
    ids.update(extra)
    return ids


def is_ours(row):
    return row.external_ids.get(MANAGED_BY_KEY) == MANAGED_BY


def owned_by(row, kind, obj):
    ids = row.external_ids
    return is_ours(row) and ids.get(KIND_KEY) == kind and ids.get(OBJECT_KEY) == obj


def row_label(table, row_or_columns):
    """A short human name for a row, for plans and error messages."""
    get = _getter(row_or_columns)
    if table == "NAT":
        return "{0} {1} -> {2}".format(get("type"), get("external_ip"), get("logical_ip"))
    if table == "Logical_Router_Static_Route":
        return "{0} via {1}".format(get("ip_prefix"), get("nexthop"))
    if table == "Logical_Router_Policy":
        return "{0} {1!r} {2}".format(get("priority"), get("match"), get("action"))
    name = get("name")
    return name if name is not None else "(unnamed)"


def _getter(row_or_columns):
    if isinstance(row_or_columns, dict):
        return row_or_columns.get
    return lambda col: getattr(row_or_columns, col, None)


class CachedRow(object):
    """A read-only stand-in for an IDL row whose columns are converted once.

    The IDL converts a column to Python objects on every read; planning a
    thousand FIPs reads each NAT row's columns a dozen times. Only for rows
    that planning reads: a transaction writes to the IDL's own rows.
    """

    def __init__(self, row):
        self.__dict__["_row"] = row
        self.__dict__["uuid"] = row.uuid

    def __getattr__(self, name):
        row = self._row
        datum = row._data.get(name) if getattr(row, "_data", None) and not pending(row, name) else None
        if datum is not None:
            # The committed value: IDL's own read would also rebuild the datum to merge
            # changes of a pending transaction, which most rows being planned do not have.
            value = datum.to_python(row._uuid_to_row)
        else:
            value = getattr(row, name)
        self.__dict__[name] = value
        return value


def pending(row, column):
    """Whether the open transaction changes ``column`` of ``row`` (a plan of an earlier
    kind of the same datacenter transaction wrote it)."""
    changes, mutations = row._changes, row._mutations
    if changes and column in changes:
        return True
    return bool(mutations) and any(column in mutations.get(key, ()) for key in ("_inserts", "_removes"))


def settle(txn):
    """Make every row the open transaction wrote read as it will be once committed.

    The IDL reads a row inserted by the transaction only from the columns set on it (a
    column never set cannot be read at all), and reads a column both set and mutated
    (a router's external_ids replaced, then a key added) without the mutation. Within one
    plan that never matters; the datacenter engine plans each kind against the rows the
    kinds before it wrote in the same transaction, so between kinds every such column is
    folded into one value. For an inserted row that is the same insert on the wire; for an
    existing row the column was going to be written whole anyway.
    """
    for row in list(txn._txn_rows.values()):
        changes, mutations = row._changes, row._mutations
        if changes is None:
            continue  # deleted
        inserts = mutations.get("_inserts", {}) if mutations else {}
        removes = mutations.get("_removes", {}) if mutations else {}
        if row._data is None:
            columns = [name for name in row._table.columns if name not in changes or name in inserts or name in removes]
        else:
            columns = [name for name in set(inserts) | set(removes) if name in changes]
        for name in columns:
            setattr(row, name, _folded(row, name, inserts.pop(name, None), removes.pop(name, None)))
        if mutations:
            for key in ("_inserts", "_removes"):
                if key in mutations and not mutations[key]:
                    del mutations[key]


def _folded(row, name, inserted, removed):
    column = row._table.columns[name]
    datum = row._changes.get(name)
    if datum is None:
        datum = ovs_data.Datum.default(column.type)
    value = datum.to_python(row._uuid_to_row)
    # On the wire a mutation deletes first and inserts after.
    if column.type.is_map():
        for key in removed or ():
            value.pop(key, None)
        value.update(inserted or {})
    elif isinstance(value, list):
        value = [v for v in value if v not in (removed or ())]
        value.extend(v for v in (inserted or ()) if v not in value)
    return value


class Late:
    """A value resolved inside the transaction; ``preview`` is what planning expects."""

    def __init__(self, preview, resolve):
        self.preview = preview
        self._resolve = resolve

    def resolve(self, ctx):
        return self._resolve(ctx)

    def derive(self, func):
        """A Late computed from this one, e.g. an address turned into a CIDR."""
        return Late(func(self.preview), lambda ctx: func(self.resolve(ctx)))


class Existing:
    """A row read from the NB before planning."""

    def __init__(self, table, row):
        self.table = table
        self.uuid = row.uuid
        self.label = row_label(table, row)

    def row(self, ctx):
        row = ctx.idl.tables[self.table].rows.get(self.uuid)
        if row is None:
            raise Conflict(
                "{0} {1} was removed by someone else while this task ran; "
                "run it again".format(self.table, self.label)
            )
        return row


class New:
    """A row inserted earlier in the same plan, by handle."""

    def __init__(self, insert):
        self.table = insert.table
        self.handle = insert.handle
        self.label = insert.label

    def row(self, ctx):
        return ctx.inserted[self.handle]


def _preview(value):
    if isinstance(value, Late):
        return value.preview
    if isinstance(value, (Existing, New)):
        return value.label
    if isinstance(value, dict):
        return dict((k, _preview(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_preview(v) for v in value]
    return value


def _resolve(value, ctx):
    if isinstance(value, Late):
        return value.resolve(ctx)
    if isinstance(value, (Existing, New)):
        return value.row(ctx)
    if isinstance(value, dict):
        return dict((k, _resolve(v, ctx)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_resolve(v, ctx) for v in value]
    return value


class Op:
    """One change to the NB; ``describe()`` is what check mode shows."""

    action = None

    def describe(self):
        raise NotImplementedError

    def run(self, ctx):
        raise NotImplementedError


class Insert(Op):
    action = "create"

    def __init__(self, handle, table, columns, parent=None, parent_column=None):
        self.handle = handle
        self.table = table
        self.columns = columns
        self.parent = parent
        self.parent_column = parent_column
        self.label = row_label(table, _preview(columns))

    @property
    def ref(self):
        return New(self)

    def describe(self):
        text = "create {0} {1}".format(self.table, self.label)
        if self.parent is not None:
            text += " in {0} {1}".format(self.parent.table, self.parent.label)
        return text

    def run(self, ctx):
        row = ctx.txn.insert(ctx.idl.tables[self.table])
        for column, value in self.columns.items():
            setattr(row, column, _resolve(value, ctx))
        ctx.inserted[self.handle] = row
        if self.parent is not None:
            self.parent.row(ctx).addvalue(self.parent_column, row)


class Update(Op):
    """Replace whole column values of a row (never a reference set of an existing row)."""

    action = "update"

    def __init__(self, ref, columns, before=None):
        self.ref = ref
        self.columns = columns
        self.before = before or {}

    def describe(self):
        changes = []
        for column, value in sorted(self.columns.items()):
            old = self.before.get(column)
            if isinstance(value, dict) and isinstance(old, dict):
                # A map: name the keys that change, not the whole map.
                value = _preview(value)
                changes.extend(
                    "{0}:{1}={2}".format(column, key, value[key])
                    for key in sorted(value)
                    if old.get(key) != value[key]
                )
                changes.extend("remove {0}:{1}".format(column, key) for key in sorted(old) if key not in value)
            else:
                changes.append("{0}={1}".format(column, _preview(value)))
        return "update {0} {1}: {2}".format(self.ref.table, self.ref.label, ", ".join(changes))

    def run(self, ctx):
        row = self.ref.row(ctx)
        for column, value in self.columns.items():
            setattr(row, column, _resolve(value, ctx))


class SetKeys(Op):
    """Set some keys of a map column, leaving the others alone."""

    action = "update"

    def __init__(self, ref, column, mapping):
        self.ref = ref
        self.column = column
        self.mapping = mapping

    def describe(self):
        changes = ", ".join(
            "{0}:{1}={2}".format(self.column, k, _preview(v)) for k, v in sorted(self.mapping.items())
        )
        return "update {0} {1}: {2}".format(self.ref.table, self.ref.label, changes)

    def run(self, ctx):
        row = self.ref.row(ctx)
        for key, value in self.mapping.items():
            row.setkey(self.column, _resolve(key, ctx), _resolve(value, ctx))


class DelKeys(Op):
    action = "update"

    def __init__(self, ref, column, keys):
        self.ref = ref
        self.column = column
        self.keys = keys

    def describe(self):
        return "update {0} {1}: remove {2}".format(
            self.ref.table,
            self.ref.label,
            ", ".join("{0}:{1}".format(self.column, _preview(k)) for k in self.keys),
        )

    def run(self, ctx):
        row = self.ref.row(ctx)
        for key in self.keys:
            row.delkey(self.column, _resolve(key, ctx))


class Delete(Op):
    """Delete a row; a child row is also taken out of its parent's reference set."""

    action = "delete"

    def __init__(self, ref, parent=None, parent_column=None):
        self.ref = ref
        self.parent = parent
        self.parent_column = parent_column

    def describe(self):
        text = "delete {0} {1}".format(self.ref.table, self.ref.label)
        if self.parent is not None:
            text += " from {0} {1}".format(self.parent.table, self.parent.label)
        return text

    def run(self, ctx):
        row = self.ref.row(ctx)
        if self.parent is not None:
            self.parent.row(ctx).delvalue(self.parent_column, row)
        row.delete()


class Plan:
    def __init__(self, reservations=None):
        self.ops = []
        # pool name -> ipam.Picker: what this plan's allocations are expected to take.
        # Shared by the plans of one transaction (one per project of a task), so that
        # check mode never shows two projects the same address.
        self.reservations = {} if reservations is None else reservations

    def add(self, op):
        self.ops.append(op)
        return op

    def extend(self, ops):
        for op in ops:
            self.add(op)

    @property
    def changed(self):
        return bool(self.ops)

    def describe(self):
        return [op.describe() for op in self.ops]


class TxnContext:
    """What ops see while the transaction is being built."""

    def __init__(self, idl, txn):
        self.idl = idl
        self.txn = txn
        self.inserted = {}
        self.values = {}
        # pool name -> ipam.Picker, so that allocations in one transaction never collide
        self.pickers = {}


class PlanCommand(_CommandBase):
    """Runs a whole plan as one ovsdbapp command.

    ovsdbapp calls ``run_idl`` again on fresh data when the server answers
    TRY_AGAIN (a verified column changed under us), so every op resolves its
    rows and Late values anew on each attempt.
    """

    def __init__(self, api, plan):
        super(PlanCommand, self).__init__(api)
        self.plan = plan
        self.context = None

    def run_idl(self, txn):
        self.context = TxnContext(self.api.idl, txn)
        for op in self.plan.ops:
            op.run(self.context)
        self.result = self.context.values

    def __str__(self):
        return "PlanCommand({0} ops)".format(len(self.plan.ops))

    __repr__ = __str__


def execute(session, plan, check_mode):
    """Commit ``plan`` in one transaction unless in check mode.

    Returns the values Late resolvers recorded (for example allocated
    addresses), or the previews in check mode.
    """
    if not plan.changed or check_mode:
        return {}
    results = session.transact([PlanCommand(session.api, plan)])
    return results[0] or {}

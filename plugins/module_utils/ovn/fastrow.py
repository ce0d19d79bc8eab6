# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""A faster read of a column of an ``ovs.db.idl.Row`` that the transaction has not touched.

``Row.__getattr__`` of the ``ovs`` Python library rebuilds the datum of every set and map
column it reads: the stored datum to a Python list or dict, back to a datum (checking each
atom's constraints), then to Python again - even when the row has no change or mutation
pending. Planning the 100-project datacenter file reads ~90,000 columns of existing rows, and
on its idempotent re-run those rebuilds were most of the plan's time.

``install`` puts a ``__getattr__`` in front of the library's: for a column the row has no
change, insert or remove pending for, it converts the stored datum to Python once, which is
what the library's own path returns (tests/integration/test_fastrow.py holds them equal); anything
else - a column written or mutated in this transaction, a row of a fresh insert, an unknown
name - goes to the library's code unchanged.

The conversion itself (``Datum.to_python``) asks ``uuid_to_row`` about every key and value,
which for a column without references hands the atom back: ``_to_python`` takes the atoms'
values directly there, and leaves columns that reference rows to the library.
"""


def _to_python(datum, uuid_to_row):
    column_type = datum.type
    if column_type.key.ref_table_name or (column_type.value is not None and column_type.value.ref_table_name):
        return datum.to_python(uuid_to_row)
    values = datum.values
    if column_type.is_scalar():
        if len(values) == 1:
            for atom in values:
                return atom.value
        return column_type.key.default()
    if column_type.is_map():
        return dict((key.value, value.value) for key, value in values.items())
    return sorted(set(atom.value for atom in values))


def _fast(original):
    def __getattr__(self, column_name):
        state = self.__dict__
        changes, mutations, stored = state.get("_changes"), state.get("_mutations"), state.get("_data")
        if stored is not None and changes is not None and column_name not in changes:
            if not mutations or not (column_name in mutations.get("_inserts", ()) or column_name in mutations.get("_removes", ())):
                datum = stored.get(column_name)
                if datum is not None:
                    return _to_python(datum, self._uuid_to_row)
        return original(self, column_name)

    __getattr__.original = original
    return __getattr__


def install(ovs_idl):
    """Give ``ovs_idl.Row`` (the ``ovs.db.idl`` module's) the fast read, once."""
    current = ovs_idl.Row.__getattr__
    if getattr(current, "original", None) is not None:
        return
    ovs_idl.Row.__getattr__ = _fast(current)


def uninstall(ovs_idl):
    """Put the library's own read back (for tests that compare the two)."""
    original = getattr(ovs_idl.Row.__getattr__, "original", None)
    if original is not None:
        ovs_idl.Row.__getattr__ = original

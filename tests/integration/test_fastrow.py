# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fastrow's read of a Row column must return exactly what the ovs library's own read returns:
for untouched rows, and - through the library's path - for columns a transaction writes,
mutates or inserts."""

import ovs.db.idl
import pytest

from ansible_collections.kubedc.network.plugins.module_utils.ovn import fastrow
from support import synced_nb_idl


@pytest.fixture
def idl(lab, ext_cloud):
    """An IDL of every NB table, on a lab holding a project with FIPs and a VIP (sets, maps, refs)."""
    lab.run("project_network", dict(organization="acme", name="prod", cidr="10.0.0.0/24"))
    fips = [dict(name="a", ip_address="10.0.0.10"), dict(name="b", ip_address="10.0.0.11")]
    lab.run("fip", dict(organization="acme", project="prod", fips=fips))
    lab.run("lb_binding", dict(organization="acme", project="prod", name="web", port=443,
                               backends=["10.0.0.20:8443", "10.0.0.21:8443"]))
    found = synced_nb_idl(lab.ovn.nb_remote)
    yield found
    found.close()
    fastrow.uninstall(ovs.db.idl)


def _every_column(idl):
    return dict(((table, str(row.uuid), column), getattr(row, column))
                for table in sorted(idl.tables) for row in idl.tables[table].rows.values()
                for column in sorted(idl.tables[table].columns))


def _plain(value):
    """Rows compare by identity; compare them by uuid so that two reads can be set side by side."""
    if isinstance(value, ovs.db.idl.Row):
        return ("row", str(value.uuid))
    if isinstance(value, dict):
        return dict((_plain(k), _plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_untouched_rows_read_the_same(idl):
    fastrow.uninstall(ovs.db.idl)
    library = _every_column(idl)
    fastrow.install(ovs.db.idl)
    fast = _every_column(idl)
    assert len(library) > 100 and any(isinstance(v, dict) and v for v in library.values())
    assert dict((k, _plain(v)) for k, v in fast.items()) == dict((k, _plain(v)) for k, v in library.items())
    fastrow.install(ovs.db.idl)  # twice is once
    assert ovs.db.idl.Row.__getattr__.original.__name__ == "__getattr__"
    assert getattr(ovs.db.idl.Row.__getattr__.original, "original", None) is None


def test_what_a_transaction_writes_is_read_through_the_library(idl):
    fastrow.install(ovs.db.idl)
    router = next(r for r in idl.tables["Logical_Router"].rows.values() if r.name == "acme-prod")
    switch = next(iter(idl.tables["Logical_Switch"].rows.values()))
    nat_before = [str(n.uuid) for n in router.nat]
    txn = ovs.db.idl.Transaction(idl)
    router.setkey("external_ids", "kubedc.test/key", "value")      # a map mutation
    router.delvalue("nat", router.nat[0])                          # a set mutation
    switch.other_config = {"subnet": "10.9.9.0/24"}                # a column written
    added = txn.insert(idl.tables["Address_Set"])                  # a row inserted
    added.name = "fastrow_test"
    added.addvalue("addresses", "10.0.0.1")
    assert router.external_ids["kubedc.test/key"] == "value"
    assert [str(n.uuid) for n in router.nat] == nat_before[1:]
    assert switch.other_config == {"subnet": "10.9.9.0/24"}
    assert (added.name, added.addresses) == ("fastrow_test", ["10.0.0.1"])
    # Untouched columns of the touched rows still read fast and right.
    assert router.name == "acme-prod" and len(router.ports) == 2
    txn.abort()

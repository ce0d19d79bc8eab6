# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Connection to the OVN Northbound DB through ovsdbapp.

Two things here are deliberate:

* Scoped monitoring. A module registers only the tables it needs, and inside
  them only the rows it can touch: named root rows (a router, a switch) and,
  by following their reference columns, their children (ports, NAT rows,
  routes, gateway chassis). Row conditions are not enough for a table as
  large as Logical_Switch_Port: ovsdb-server walks every row of a monitored
  table when a monitor starts, whatever the condition. Such tables are
  *fetched* instead: left out of the monitor, the few rows needed read with
  one ``select`` and put into the IDL's cache, where a transaction can update
  them like any other row. Start-up then costs the same on an empty NB and on
  one with 50,000 unrelated ports (see docs/performance.md).
* One transaction per module call. ``NbSession.transact`` commits a list of
  ovsdbapp commands at once; ovsdbapp re-runs them on fresh data when the
  server answers TRY_AGAIN, which is what makes address allocation safe when
  several runs race (see ipam.py).
"""

import errno
import os
import re
import time
import uuid

from ansible.module_utils.basic import env_fallback

from ansible_collections.kubedc.network.plugins.module_utils.common import collector
from ansible_collections.kubedc.network.plugins.module_utils.ovn import fastrow, jsonstream
from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    ConnectionFailed,
    InvalidInput,
    KubedcError,
)

try:
    import ovs.db.data
    import ovs.db.idl
    import ovs.json
    import ovs.jsonrpc
    import ovs.poller
    import ovs.stream
    from ovsdbapp.backend.ovs_idl import connection as ovsdbapp_connection
    from ovsdbapp.schema.ovn_northbound import impl_idl as nb_impl

    HAS_OVSDBAPP = True
    OVSDBAPP_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module base class
    HAS_OVSDBAPP = False
    OVSDBAPP_IMPORT_ERROR = exc

NB_SCHEMA = "OVN_Northbound"
DEFAULT_NB_CONNECTION = "unix:/var/run/ovn/ovnnb_db.sock"

# Reference columns followed from a monitored row to its children.
FOLLOW = {
    "Logical_Router": (
        ("ports", "Logical_Router_Port"),
        ("nat", "NAT"),
        ("static_routes", "Logical_Router_Static_Route"),
        ("policies", "Logical_Router_Policy"),
        ("load_balancer", "Load_Balancer"),
    ),
    "Logical_Switch": (
        ("ports", "Logical_Switch_Port"),
        ("load_balancer", "Load_Balancer"),
    ),
    "Logical_Router_Port": (("gateway_chassis", "Gateway_Chassis"),),
}

NB_ARGUMENT_SPEC = dict(
    ovn_nb_connection=dict(
        type="str",
        default=DEFAULT_NB_CONNECTION,
        fallback=(env_fallback, ["OVN_NB_DB"]),
    ),
    ovn_nb_private_key=dict(
        type="path", no_log=False, fallback=(env_fallback, ["OVN_NB_PRIVATE_KEY"])
    ),
    ovn_nb_certificate=dict(type="path", fallback=(env_fallback, ["OVN_NB_CERTIFICATE"])),
    ovn_nb_ca_cert=dict(type="path", fallback=(env_fallback, ["OVN_NB_CA_CERT"])),
    ovn_nb_timeout=dict(type="int", default=60, fallback=(env_fallback, ["OVN_NB_TIMEOUT"])),
)

_REMOTE = re.compile(
    r"^(?:unix:(?P<path>.+)"
    r"|(?P<proto>tcp|ssl):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5}))$"
)


def parse_remotes(value):
    """Split and check ``unix:PATH``, ``tcp:HOST:PORT`` and ``ssl:HOST:PORT`` remotes.

    A clustered NB is given as a comma-separated list of its members.
    """
    remotes = [part.strip() for part in (value or "").split(",") if part.strip()]
    if not remotes:
        raise InvalidInput("ovn_nb_connection", value, "is empty")
    for remote in remotes:
        match = _REMOTE.match(remote)
        if not match or (match.group("port") and not 0 < int(match.group("port")) < 65536):
            raise InvalidInput(
                "ovn_nb_connection",
                value,
                "is not a list of unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT remotes "
                "(bad part: {0!r})".format(remote),
            )
    return remotes


class NbScope:
    """Which tables, and which rows of them, a module needs.

    ``root(table, clause)`` selects rows by a column condition, and rows that
    selected rows reference through ``FOLLOW`` columns are fetched too (when
    their table is registered with ``table()``). ``follow=False`` selects rows
    without their children: the catalogue of external networks, say, without
    every project's port on them. ``refine(idl)``, when set, is called after
    the first read and returns more ``(table, clause)`` pairs, for rows whose
    names are only known once something has been read.
    """

    def __init__(self):
        self.tables = set()
        self.fetched = set()
        self.roots = {}
        self.followed = []
        self.refine = None

    def table(self, *names):
        self.tables.update(names)
        return self

    def fetch(self, *names):
        """Tables too large to monitor: their needed rows are read with ``select``."""
        self.tables.update(names)
        self.fetched.update(names)
        return self

    @property
    def monitored(self):
        return self.tables - self.fetched

    def by_name(self, table, *names, **kwargs):
        for name in names:
            self.root(table, ["name", "==", name], **kwargs)
        return self

    def by_external_id(self, table, key, value, **kwargs):
        return self.root(table, ["external_ids", "includes", ["map", [[key, value]]]], **kwargs)

    def root(self, table, clause, follow=True):
        self.tables.add(table)
        clauses = self.roots.setdefault(table, [])
        if clause not in clauses:
            clauses.append(clause)
        if follow and (table, clause) not in self.followed:
            self.followed.append((table, clause))
        return self

    @classmethod
    def union(cls, scopes):
        """One scope that selects what each of ``scopes`` selects, for a task that
        reads several projects through one connection. Each project's read still
        looks its own rows up by name, so seeing the others' does not mislead it."""
        merged = cls()
        refines = []
        for scope in scopes:
            merged.tables.update(scope.tables)
            merged.fetched.update(scope.fetched)
            for table, clauses in scope.roots.items():
                for clause in clauses:
                    merged.root(table, clause, follow=(table, clause) in scope.followed)
            if scope.refine is not None:
                refines.append(scope.refine)
        if refines:
            def refine(idl):
                pairs = []
                for step in refines:
                    pairs.extend(pair for pair in step(idl) if pair not in pairs)
                return pairs

            merged.refine = refine
        return merged


def _followed_rows(idl, followed):
    """The rows of the IDL that match any of the ``(table, clause)`` pairs.

    A file of many projects follows a clause or two per project and table (a router by
    its name, say): the equality clauses on one column are checked as one set, so that
    each row is read once rather than once per clause."""
    by_table = {}
    for table, clause in followed:
        by_table.setdefault(table, []).append(clause)
    found = []
    for table, clauses in sorted(by_table.items()):
        equal = {}  # column -> the scalar values it may equal
        others = []
        for clause in clauses:
            column, function, value = clause
            if function == "==" and isinstance(value, (str, int, float)):
                equal.setdefault(column, set()).add(value)
            else:
                others.append(clause)
        for row in idl.tables[table].rows.values():
            if any(_scalar_in(getattr(row, column), values) for column, values in equal.items()) or any(
                _clause_matches(row, clause) for clause in others
            ):
                found.append(row)
    return found


def _scalar_in(current, values):
    # A set or map column never equals a scalar (and cannot be looked up in a set).
    return not isinstance(current, (list, dict)) and current in values


def _clause_matches(row, clause):
    """Evaluate, in Python, the clause forms NbScope builds."""
    column, function, value = clause
    if function == "==":
        return getattr(row, column) == value
    if function == "includes" and isinstance(value, list) and value[0] == "map":
        current = getattr(row, column)
        return all(current.get(k) == v for k, v in value[1])
    raise ValueError("unsupported clause {0!r}".format(clause))


def _configure_tls(params, remotes):
    files = {
        "ovn_nb_private_key": params.get("ovn_nb_private_key"),
        "ovn_nb_certificate": params.get("ovn_nb_certificate"),
        "ovn_nb_ca_cert": params.get("ovn_nb_ca_cert"),
    }
    if not any(r.startswith("ssl:") for r in remotes):
        return
    for field, path in files.items():
        if not path:
            raise InvalidInput(
                field, path, "is required when ovn_nb_connection uses ssl: remotes"
            )
        if not os.path.isfile(path):
            raise InvalidInput(field, path, "is not a readable file")
    ovs.stream.Stream.ssl_set_private_key_file(files["ovn_nb_private_key"])
    ovs.stream.Stream.ssl_set_certificate_file(files["ovn_nb_certificate"])
    ovs.stream.Stream.ssl_set_ca_cert_file(files["ovn_nb_ca_cert"])


def _deadline_left(deadline):
    return max(0.0, deadline - time.monotonic())


def _request(remote, method, params, deadline):
    """One JSON-RPC request on a connection of its own; returns (error text, result)."""
    error, stream = ovs.stream.Stream.open_block(
        ovs.stream.Stream.open(remote), int(_deadline_left(deadline) * 1000) or 1
    )
    if error:
        return os.strerror(error), None
    rpc = ovs.jsonrpc.Connection(stream)
    try:
        error = rpc.send(ovs.jsonrpc.Message.create_request(method, params))
        reply = None
        while not error and reply is None and _deadline_left(deadline) > 0:
            rpc.run()
            error, reply = rpc.recv()
            if error == errno.EAGAIN:
                error = 0
            if reply is None and not error:
                poller = ovs.poller.Poller()
                rpc.wait(poller)
                rpc.recv_wait(poller)
                poller.timer_wait(int(_deadline_left(deadline) * 1000) or 1)
                poller.block()
    finally:
        rpc.close()
    if error:
        return os.strerror(error), None
    if reply is None:
        return "no answer in time", None
    if reply.error:
        return str(reply.error), None
    return None, reply.result


def _fetch_schema(remotes, deadline):
    """The NB schema and the first remote that answered, within the deadline."""
    errors = []
    for remote in remotes:
        error, schema = _request(remote, "get_schema", [NB_SCHEMA], deadline)
        if error is None:
            return remote, schema
        errors.append("{0}: {1}".format(remote, error))
    raise ConnectionFailed(
        "cannot read the OVN Northbound schema: {0}".format("; ".join(errors)),
        remotes=remotes,
    )


class _ScopedIdl(ovs.db.idl.Idl if HAS_OVSDBAPP else object):
    """An IDL that can write tables it leaves out of its monitor (fetched tables)."""

    def __init__(self, remote, helper, fetched, **kwargs):
        self._fetched = frozenset(fetched)
        # What several readers derive from the same rows (a task over many projects reads
        # them once per project), derived once: see NbSession.derived.
        self.derived = {}
        super(_ScopedIdl, self).__init__(remote, helper, **kwargs)
        _pin_schema_attributes(self)

    def send_request(self, request):
        # The monitor request lists every table of the schema; fetched tables
        # are taken out so that the server never walks them.
        if request.method in ("monitor", "monitor_cond", "monitor_cond_since"):
            for table in self._fetched:
                request.params[2].pop(table, None)
        return super(_ScopedIdl, self).send_request(request)


def _pin_schema_attributes(idl):
    """Copy the schema's attributes onto the IDL's table and column wrappers.

    ``ovs.db.idl`` wraps each table and column schema in an object whose ``__getattr__``
    forwards to it, and reads ``column.type`` and ``column.name`` through that forward for
    every column of every row it parses: on the 100-project file's re-run, the forwards were
    the largest single item of the module's profile. The schema does not change while the
    IDL lives, so the copies read the same objects. Names the wrapper has itself (its own
    ``columns``, ``rows``, ``alert``, ``condition``...) are left alone.
    """
    for table in idl.tables.values():
        for wrapper in [table] + list(table.columns.values()):
            own = vars(wrapper)
            wrapped = own.get("_table", own.get("_column"))
            if wrapped is None:
                continue
            for name, value in vars(wrapped).items():
                if name not in own and not hasattr(type(wrapper), name):
                    own[name] = value


def _fetch_rows(idl, remote, deadline, table_name, clauses):
    """Read the rows of a fetched table that match any clause into the IDL cache.

    The rows are built as the IDL builds rows from a monitor update, so a
    transaction can update or delete them like any other cached row.
    Returns the rows added.
    """
    table = idl.tables[table_name]
    columns = sorted(table.columns)
    operations = [
        {"op": "select", "table": table_name, "where": [clause], "columns": ["_uuid"] + columns}
        for clause in clauses
    ]
    error, results = _request(remote, "transact", [NB_SCHEMA] + operations, deadline)
    if error is None:
        failed = [r["error"] for r in results if isinstance(r, dict) and "error" in r]
        error = "; ".join(str(f) for f in failed) or None
    if error is not None:
        raise ConnectionFailed(
            "cannot read {0} rows from {1}: {2}".format(table_name, remote, error),
            remotes=[remote],
        )
    added = []
    for result in results:
        for row_json in result["rows"]:
            row_uuid = uuid.UUID(row_json["_uuid"][1])
            if row_uuid in table.rows:
                continue
            row = ovs.db.idl.Row(idl, table, row_uuid, ovs.db.idl.ColumnDefaultDict(table))
            for name in columns:
                row._data[name] = ovs.db.data.Datum.from_json(table.columns[name].type, row_json[name])
            table.rows[row_uuid] = row
            added.append(row)
    return added


def _uuid_clause(value):
    return ["_uuid", "==", ["uuid", str(value)]]


class _Sync:
    """Drive an IDL in this thread until a condition holds or the deadline passes."""

    def __init__(self, idl, deadline, remotes):
        self.idl = idl
        self.deadline = deadline
        self.remotes = remotes

    def until(self, done, what):
        while True:
            self.idl.run()
            if done():
                return
            left = _deadline_left(self.deadline)
            if left <= 0:
                raise ConnectionFailed(
                    "timed out {0} on the OVN Northbound DB at {1} "
                    "(ovn_nb_timeout)".format(what, ",".join(self.remotes)),
                    remotes=self.remotes,
                )
            poller = ovs.poller.Poller()
            self.idl.wait(poller)
            poller.timer_wait(int(min(left, 0.5) * 1000) or 1)
            poller.block()

    def conditions_settled(self):
        return not self.idl.cond_changed and all(
            t.condition_state.new is None and t.condition_state.requested is None
            for t in self.idl.tables.values()
        )


def ref_uuids(row, column):
    """UUIDs a reference column holds, including rows this IDL does not see."""
    if row._data is None or (row._changes and column in row._changes) or row._mutations:
        # A row the open transaction writes (the datacenter engine's later kinds read the
        # rows its earlier kinds wrote): what it will hold, which are rows this IDL sees.
        return [ref.uuid for ref in getattr(row, column)]
    datum = row._data.get(column)
    if datum is None:
        return []
    values = datum.values
    items = values.keys() if isinstance(values, dict) else values
    return [atom.value for atom in items]


def _select_children(idl, scope, sync, remote, deadline):
    """Follow reference columns from selected rows until no new child appears."""
    wanted = dict((table, set()) for table in scope.tables)
    frontier = _followed_rows(idl, scope.followed)
    while frontier:
        added = dict((table, set()) for table in scope.tables)
        for row in frontier:
            for column, child in FOLLOW.get(row._table.name, ()):
                if child not in scope.tables or column not in row._table.columns:
                    continue
                for ref in ref_uuids(row, column):
                    if ref not in wanted[child] and ref not in idl.tables[child].rows:
                        wanted[child].add(ref)
                        added[child].add(ref)
        if not any(added.values()):
            return
        frontier = []
        for table in sorted(scope.fetched):
            if added[table]:
                clauses = [_uuid_clause(u) for u in sorted(added[table], key=str)]
                frontier.extend(_fetch_rows(idl, remote, deadline, table, clauses))
        monitored = [t for t in scope.monitored if added[t]]
        for table in monitored:
            clauses = list(scope.roots.get(table, []))
            clauses.extend(_uuid_clause(u) for u in sorted(wanted[table], key=str))
            idl.cond_change(table, clauses)
        if monitored:
            sync.until(sync.conditions_settled, "selecting rows")
            frontier.extend(
                idl.tables[table].rows[ref]
                for table in monitored
                for ref in added[table]
                if ref in idl.tables[table].rows
            )


class NbSession:
    """An open, synced NB connection: the IDL to read and ovsdbapp to write."""

    def __init__(self, idl, api, connection, timeout, remotes):
        self.idl = idl
        self.api = api
        self._connection = connection
        self.timeout = timeout
        self.remotes = remotes
        self._open = True

    @property
    def derived(self):
        """A memo for what readers derive from the session's rows, which do not change
        until the transaction: every read comes before it."""
        return self.idl.derived

    def unique_by_name(self, table):
        """name -> row of a table whose names the schema keeps unique (Logical_Switch_Port)."""
        key = ("by_name", table)
        if key not in self.derived:
            self.derived[key] = dict((row.name, row) for row in self.idl.tables[table].rows.values())
        return self.derived[key]

    def rows(self, table):
        return list(self.idl.tables[table].rows.values())

    def find(self, table, **columns):
        """Rows of ``table`` whose columns equal the given values."""
        rows = self.idl.tables[table].rows
        if len(columns) == 1:
            # A lookup by one column (a router or switch by name, once per project and kind)
            # goes through an index of the column, so that planning 100 projects does not scan
            # every router 100 times. The index is rebuilt when the table's size changes (an
            # insert or delete of this transaction); its hits are checked against the rows, and
            # a miss is answered by the scan, so a stale index can cost time but never a row.
            column, value = next(iter(columns.items()))
            try:
                hits = [row for row in self._index(table, column).get(value, ())
                        if row.uuid in rows and getattr(row, column) == value]
            except TypeError:  # a value that cannot be a dict key: scan
                hits = []
            if hits:
                return hits
        return [row for row in rows.values() if all(getattr(row, col) == value for col, value in columns.items())]

    def _index(self, table, column):
        rows = self.idl.tables[table].rows
        key = ("index", table, column)
        size, index = self.derived.get(key, (None, None))
        if size != len(rows):
            index = {}
            for row in rows.values():
                try:
                    index.setdefault(getattr(row, column), []).append(row)
                except TypeError:
                    continue
            self.derived[key] = (len(rows), index)
        return index

    def one(self, table, **columns):
        found = self.find(table, **columns)
        return found[0] if found else None

    def transact(self, commands):
        """Commit ``commands`` in one OVSDB transaction; return their results."""
        if not commands:
            return []
        try:
            with self.api.transaction(check_error=True, timeout=self.timeout) as txn:
                for command in commands:
                    txn.add(command)
            return [command.result for command in commands]
        except RuntimeError as exc:
            # ovsdbapp reports both a transaction the server refused ("OVSDB
            # Error: {...}", a constraint violation say) and a timeout as
            # RuntimeError; anything else is ours and propagates unchanged.
            text = str(exc)
            if text.startswith("OVSDB Error:"):
                raise KubedcError(
                    "the OVN Northbound DB refused the transaction, so nothing was written: "
                    "{0}".format(text[len("OVSDB Error:"):].strip()),
                    remotes=self.remotes,
                )
            raise ConnectionFailed(
                "the OVN Northbound transaction did not complete: {0}".format(text),
                remotes=self.remotes,
            )

    def close(self):
        if not self._open:
            return
        self._open = False
        try:
            self._connection.stop(timeout=5)
        finally:
            self.idl.close()
            collector.resume()


def connect(params, scope):
    """Open a scoped, synced session on the NB DB described by module params."""
    remotes = parse_remotes(params.get("ovn_nb_connection"))
    timeout = params.get("ovn_nb_timeout") or 60
    if timeout <= 0:
        raise InvalidInput("ovn_nb_timeout", timeout, "must be a positive number of seconds")
    _configure_tls(params, remotes)
    # Decoding what the NB sends is most of a large task's read time; see jsonstream.py.
    jsonstream.install(ovs.json)
    # Reading an untouched set or map column rebuilds its datum twice: see fastrow.py.
    fastrow.install(ovs.db.idl)
    deadline = time.monotonic() + timeout
    # The rows read below live as long as the session: no collection while they are built
    # (see collector.py). close() resumes it, as does a failure to open the session.
    collector.pause()
    try:
        return _open_session(remotes, scope, timeout, deadline)
    except BaseException:
        collector.resume()
        raise


def _open_session(remotes, scope, timeout, deadline):
    remote, schema = _fetch_schema(remotes, deadline)
    helper = ovs.db.idl.SchemaHelper(schema_json=schema)
    for table in sorted(scope.tables):
        helper.register_table(table)
    idl = _ScopedIdl(",".join(remotes), helper, scope.fetched, leader_only=True)
    # Conditions set before the first run() go out with the monitor request,
    # so unselected rows are never sent to us at all.
    for table in scope.monitored:
        idl.cond_change(table, list(scope.roots.get(table, [])) or [False])
    sync = _Sync(idl, deadline, remotes)
    try:
        sync.until(idl.has_ever_connected, "connecting")
        sync.until(sync.conditions_settled, "selecting rows")
        if scope.refine is not None:
            for table, clause in scope.refine(idl):
                scope.root(table, clause, follow=False)
                if table in scope.monitored:
                    idl.cond_change(table, list(scope.roots[table]))
            sync.until(sync.conditions_settled, "selecting rows")
        for table in sorted(scope.fetched):
            if scope.roots.get(table):
                _fetch_rows(idl, remote, deadline, table, scope.roots[table])
        _select_children(idl, scope, sync, remote, deadline)
    except Exception:
        idl.close()
        raise

    # A class per session: ovsdbapp keeps the connection in a class attribute,
    # and a process (a test run, say) may open several sessions one after another.
    api_class = type("ScopedNbApi", (nb_impl.OvnNbApiIdlImpl,), {"_ovsdb_connection": None})
    conn = ovsdbapp_connection.Connection(idl, timeout)
    api = api_class(conn, start=True, auto_index=False)
    return NbSession(idl, api, conn, timeout, remotes)

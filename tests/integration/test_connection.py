# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NB connection: scoped reads, TLS, clustered remote lists, clear failures."""

import gc
import socket
import subprocess
import time

import pytest

from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import row_label
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import ProjectNetwork
from support import EXT_CLOUD, ModuleFailed, run_module

PROD = dict(organization="acme", name="prod", cidr="10.0.0.0/24")


def test_start_up_reads_only_the_rows_a_project_can_touch(lab, ext_cloud):
    lab.run("project_network", PROD)
    lab.run("project_network", dict(PROD, name="staging"))
    # Unrelated rows: a switch with 3,000 ports, 50 routers each with a port and a NAT.
    commands = ["ls-add", "unrelated"]
    for i in range(3000):
        commands += ["--", "lsp-add", "unrelated", "port-%d" % i]
    for i in range(50):
        commands += ["--", "lr-add", "r%d" % i, "--", "lrp-add", "r%d" % i, "r%d-p" % i, "0a:00:00:01:00:%02x" % i, "172.16.%d.1/24" % i]
        commands += ["--", "lr-nat-add", "r%d" % i, "snat", "100.65.9.%d" % i, "172.16.%d.0/24" % i]
    lab.ovn.nbctl(*commands)

    params = dict(lab.nb, state="present", **PROD)
    resource = ProjectNetwork(params)
    want = resource.validate()
    session = connection.connect(params, resource.scope(want))
    try:
        seen = dict((table, sorted(row_label(table, row) for row in session.rows(table))) for table in session.idl.tables)
    finally:
        session.close()
    assert seen == {
        "Logical_Router": ["acme-prod"],
        "Logical_Switch": ["acme-prod-default", "ext-cloud"],
        "Logical_Switch_Port": ["acme-prod-default-acme-prod", "ext-cloud-acme-prod"],
        "Logical_Router_Port": ["acme-prod-acme-prod-default", "acme-prod-ext-cloud"],
        "Gateway_Chassis": ["acme-prod-ext-cloud-chassis-1"],
        "NAT": ["snat 100.65.0.100 -> 10.0.0.0/24"],
        "Logical_Router_Static_Route": ["0.0.0.0/0 via 100.65.0.1"],
        "Logical_Router_Policy": [],
        "Load_Balancer": [],
    }
    # And the module still converges with no change among all that.
    assert lab.run("project_network", PROD)["changed"] is False


def test_large_tables_are_fetched_not_monitored(lab, ext_cloud, monkeypatch):
    # ovsdb-server walks every row of a monitored table when a monitor starts, whatever
    # the condition: Logical_Switch_Port must not be in the monitor request at all.
    lab.run("project_network", PROD)
    sent = []
    original = connection.ovs.db.idl.Idl.send_request

    def record(idl, request):
        sent.append((request.method, request.params))
        return original(idl, request)

    monkeypatch.setattr(connection.ovs.db.idl.Idl, "send_request", record)
    params = dict(lab.nb, state="present", **PROD)
    resource = ProjectNetwork(params)
    session = connection.connect(params, resource.scope(resource.validate()))
    try:
        ports = sorted(p.name for p in session.rows("Logical_Switch_Port"))
    finally:
        session.close()
    monitored = [set(params[2]) for method, params in sent if method.startswith("monitor") and params[0] == "OVN_Northbound"]
    assert monitored == [
        {
            "Logical_Router", "Logical_Switch", "Logical_Router_Port", "Gateway_Chassis", "NAT",
            "Logical_Router_Static_Route", "Logical_Router_Policy", "Load_Balancer",
        }
    ]
    # ... and yet the two ports the project owns were read, and can be written.
    assert ports == ["acme-prod-default-acme-prod", "ext-cloud-acme-prod"]


def test_a_session_pauses_the_garbage_collector_until_it_is_closed(lab, ext_cloud, tmp_path):
    # Its rows are built with the collector paused (collector.py); close() and a failed
    # connect give it back, and a second close() does not resume anyone else's pause.
    params = dict(lab.nb, state="present", **PROD)
    resource = ProjectNetwork(params)
    scope = resource.scope(resource.validate())
    assert gc.isenabled()
    session = connection.connect(params, scope)
    try:
        assert not gc.isenabled()
        inner = connection.connect(params, resource.scope(resource.validate()))
        inner.close()
        inner.close()
        assert not gc.isenabled(), "closing the inner session resumed the outer one's pause"
    finally:
        session.close()
    assert gc.isenabled()
    with pytest.raises(connection.ConnectionFailed):
        connection.connect(dict(params, ovn_nb_connection="unix:%s/nb.sock" % tmp_path, ovn_nb_timeout=2), scope)
    assert gc.isenabled()


def test_the_schema_attributes_pinned_on_the_idl_wrappers_are_the_schema_s_own(lab, ext_cloud):
    # _pin_schema_attributes copies what the wrappers' __getattr__ would forward: the same
    # objects, and nothing the wrappers have themselves (their columns, rows, alert...).
    lab.run("project_network", PROD)
    params = dict(lab.nb, state="present", **PROD)
    resource = ProjectNetwork(params)
    session = connection.connect(params, resource.scope(resource.validate()))
    try:
        tables = session.idl.tables
        router = tables["Logical_Router"]
        assert "name" in vars(router) and router.name == "Logical_Router"
        assert router.columns is not router._table.columns  # the IDL's own wrappers, kept
        assert router.is_root is router._table.is_root
        for table in tables.values():
            for name, column in table.columns.items():
                own = vars(column)
                assert own["type"] is column._column.type and own["name"] == name
                assert own["alert"] is True  # the wrapper's own attribute, not overwritten
        # Rows read through the pinned wrappers are the rows the NB holds.
        assert [row.name for row in session.rows("Logical_Router")] == ["acme-prod"]
    finally:
        session.close()


def test_clustered_remote_list_skips_a_member_that_is_down(lab, tmp_path):
    remotes = "unix:%s/absent.sock,%s" % (tmp_path, lab.nb["ovn_nb_connection"])
    result = run_module("external_network", dict(EXT_CLOUD, ovn_nb_connection=remotes, ovn_nb_timeout=20))
    assert result["changed"] is True


def test_unreachable_nb_fails_clearly_and_quickly(tmp_path):
    start = time.monotonic()
    with pytest.raises(ModuleFailed) as err:
        run_module("external_network", dict(EXT_CLOUD, ovn_nb_connection="unix:%s/nb.sock" % tmp_path, ovn_nb_timeout=3))
    assert err.value.result["msg"].startswith("cannot read the OVN Northbound schema: unix:%s/nb.sock: No such file or directory" % tmp_path)
    assert time.monotonic() - start < 10


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def tls_nb(tmp_path):
    """A NB ovsdb-server that only speaks TLS and requires a client certificate."""
    pki = tmp_path
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca", cwd=pki)
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=pki)
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "2", cwd=pki)
    subprocess.run(["ovsdb-tool", "create", str(pki / "nb.db"), "/usr/share/ovn/ovn-nb.ovsschema"], check=True)
    port = _free_port()
    subprocess.run(
        [
            "ovsdb-server", "--detach", "--no-chdir", "--pidfile=%s/nb.pid" % pki, "--log-file=%s/nb.log" % pki,
            "--unixctl=%s/nb.ctl" % pki, "--remote=pssl:%d:127.0.0.1" % port,
            "--private-key=%s/server.key" % pki, "--certificate=%s/server.pem" % pki, "--ca-cert=%s/ca.pem" % pki,
            str(pki / "nb.db"),
        ],
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield dict(
            ovn_nb_connection="ssl:127.0.0.1:%d" % port,
            ovn_nb_private_key=str(pki / "client.key"),
            ovn_nb_certificate=str(pki / "client.pem"),
            ovn_nb_ca_cert=str(pki / "ca.pem"),
            ovn_nb_timeout=20,
        )
    finally:
        subprocess.run(["ovs-appctl", "-t", "%s/nb.ctl" % pki, "exit"], capture_output=True, check=False)


def test_tls_connection(tls_nb):
    created = run_module("external_network", dict(EXT_CLOUD, **tls_nb))
    assert created["changed"] is True
    assert run_module("external_network", dict(EXT_CLOUD, **tls_nb))["changed"] is False


def test_tls_needs_all_three_files(tls_nb):
    args = dict(EXT_CLOUD, **tls_nb)
    del args["ovn_nb_certificate"]
    with pytest.raises(ModuleFailed) as err:
        run_module("external_network", args)
    assert err.value.result["msg"] == "ovn_nb_certificate: None is required when ovn_nb_connection uses ssl: remotes"

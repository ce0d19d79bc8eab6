# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""All of the file or none of it: the NB server killed during a converge of the 100-project file.

site.yml talks to the lab's NB through a proxy that reads the OVSDB JSON-RPC stream. When the
converge sends its transaction (the ``transact`` with the inserts), the proxy SIGKILLs the NB
server at one of three moments:

* ``half``: after passing on half of the transaction's bytes - the server never had it whole;
* ``whole``: right after passing on all of it - the server may or may not have committed it;
* ``unanswered``: after the server answered, with the answer held back - it committed, and the
  module never learned so.

Each time the converge fails, the NB server is started again on the database it left, and the
NB holds either none of the run's rows or all of them (per table, as many rows as on the empty
NB or as after a clean converge). A re-run then converges (creating all of the file, or nothing
if the killed run's commit stood) and a third run changes nothing.
"""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from datacenters import many_projects, object_count
from ovn_lab import OvnLab
from support import RECAP, ansible_command

pytestmark = pytest.mark.playbook

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "tests" / "integration" / "files" / "inventory.yml"
PROJECTS = 100


def _messages(buffer):
    """The complete JSON-RPC messages at the start of ``buffer`` (bytes), with their byte spans."""
    decoder = json.JSONDecoder()
    text = buffer.decode("utf-8", errors="surrogateescape")
    found, index = [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        try:
            message, end = decoder.raw_decode(text, index)
        except ValueError:
            break
        found.append((message, len(text[:index].encode("utf-8", errors="surrogateescape")),
                      len(text[:end].encode("utf-8", errors="surrogateescape"))))
        index = end
    consumed = len(text[:index].encode("utf-8", errors="surrogateescape"))
    return found, consumed


def _is_the_converge(message):
    if message.get("method") != "transact":
        return False
    return any(isinstance(op, dict) and op.get("op") == "insert" for op in (message.get("params") or [])[1:])


class KillingProxy(object):
    """A unix-socket proxy to the NB that kills the NB server at the moment ``when`` names."""

    def __init__(self, lab, path, when):
        self.lab, self.path, self.when = lab, path, when
        self.fired = threading.Event()
        self.transaction_id = None
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(16)
        self._connections = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def remote(self):
        return "unix:" + self.path

    def _kill(self):
        with self._lock:
            if not self.fired.is_set():
                self.lab.kill_nb()
                self.fired.set()
        for connection in list(self._connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self):
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            if self.fired.is_set():
                client.close()  # the server is gone: as a dead server's socket would, refuse
                continue
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                server.connect(self.lab.nb_remote[len("unix:"):])
            except OSError:
                client.close()
                continue
            self._connections += [client, server]
            for args in ((client, server, self._to_server), (server, client, self._to_client)):
                pump = threading.Thread(target=self._pump, args=args, daemon=True)
                self._threads.append(pump)
                pump.start()

    def _pump(self, source, target, decide):
        buffer = b""
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            messages, consumed = _messages(buffer)
            for message, start, end in messages:
                forward, kill = decide(message, buffer[start:end])
                if forward:
                    try:
                        target.sendall(forward)
                    except OSError:
                        break
                if kill:
                    self._kill()
                if self.fired.is_set():
                    break
            buffer = buffer[consumed:]
            if self.fired.is_set():
                break
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # What to pass on of one message, and whether to kill the server after it.

    def _to_server(self, message, raw):
        if self.fired.is_set():
            return None, False
        if self.transaction_id is None and _is_the_converge(message):
            self.transaction_id = message.get("id")
            if self.when == "half":
                return raw[: len(raw) // 2], True
            if self.when == "whole":
                return raw, True
        return raw, False

    def _to_client(self, message, raw):
        if self.fired.is_set():
            return None, False
        if self.when == "unanswered" and self.transaction_id is not None and message.get("id") == self.transaction_id \
                and "result" in message:
            return None, True
        return raw, False

    def close(self):
        # Wake and join every thread before closing a descriptor: a thread left blocked in
        # accept() on a closed one went on accepting on that number once it was reused. strace
        # showed this proxy's acceptor, after its test, take connections from the kube API
        # double's listener (a later test's) and drop them: "connection reset by peer" there.
        # The acceptor first, so that no connection or pump is added after the rest stop.
        self._stop([self._listener], self._threads[:1])
        self._stop(self._connections, self._threads[1:])
        self._listener.close()
        for connection in self._connections:
            connection.close()
        os.unlink(self.path)

    @staticmethod
    def _stop(sockets, threads):
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive(), "a proxy thread did not stop: %s" % thread.name


def row_counts(lab):
    """Rows per NB table: what a transaction of the collection adds to (NB_Global left out: northd's)."""
    dump = subprocess.run(["ovsdb-client", "-f", "json", "dump", lab.nb_remote, "OVN_Northbound"], capture_output=True,
                          text=True, check=True).stdout
    counts = {}
    for line in dump.splitlines():
        table = json.loads(line)
        name = table["caption"].rsplit(" table", 1)[0]
        if name != "NB_Global":
            counts[name] = len(table["data"])
    return counts


def converge(workdir, remote, timeout=None):
    dc = many_projects(PROJECTS, connection=dict(ovn_nb_connection=remote, ovn_nb_timeout=timeout or 60))
    (workdir / "datacenter.yml").write_text(json.dumps(dc))
    proc = subprocess.run([ansible_command(), "-i", str(INVENTORY), "-e", "@" + str(workdir / "datacenter.yml"),
                           str(REPO / "playbooks" / "site.yml")], capture_output=True, text=True, timeout=600, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    recap = RECAP.findall(proc.stdout)
    return proc, (int(recap[-1][1]) if recap else None)


@pytest.fixture
def big_lab():
    directory = tempfile.mkdtemp(prefix="kdc-at-", dir="/tmp")
    lab = OvnLab(directory, timeout=120)
    lab.start()
    try:
        yield lab, Path(directory)
    finally:
        lab.stop()
        subprocess.run(["rm", "-rf", directory], check=False)


@pytest.fixture(scope="module")
def converged_counts(tmp_path_factory):
    """Rows per table after a clean converge of the file: what "all of it" is."""
    directory = tempfile.mkdtemp(prefix="kdc-ac-", dir="/tmp")
    with OvnLab(directory, timeout=120) as lab:
        proc, changed = converge(Path(directory), lab.nb_remote)
        assert proc.returncode == 0 and changed == 1, proc.stdout[-4000:]
        assert "%d created, 0 changed, 0 removed." % object_count(PROJECTS) in proc.stdout
        counts = row_counts(lab)
    subprocess.run(["rm", "-rf", directory], check=False)
    return counts


@pytest.mark.parametrize("when,expected", [("half", "none"), ("whole", "either"), ("unanswered", "all")])
def test_the_nb_killed_during_a_converge_leaves_none_or_all_of_it(big_lab, converged_counts, when, expected):
    lab, directory = big_lab
    empty = row_counts(lab)
    assert empty != converged_counts
    proxy = KillingProxy(lab, str(directory / "px.sock"), when)
    try:
        # A short timeout: once the server is gone, the module's reconnects fail until then.
        proc, _changed = converge(directory, proxy.remote, timeout=8)
    finally:
        proxy.close()
    assert proxy.fired.is_set(), "the converge's transaction never came by: %s" % proc.stdout[-3000:]
    assert proc.returncode != 0, "the converge succeeded although its NB was killed: %s" % proc.stdout[-3000:]

    lab.restart_nb()
    after = row_counts(lab)
    left = "none" if after == empty else "all" if after == converged_counts else None
    assert left is not None, "part of the file was written: %s" % dict(
        (table, (empty[table], after[table], converged_counts[table])) for table in after if after[table] != empty[table])
    if expected != "either":
        assert left == expected, (when, left)

    # A re-run converges: all of the file if nothing stood, nothing if the killed run's commit did.
    proc, changed = converge(directory, lab.nb_remote)
    assert proc.returncode == 0, proc.stdout[-4000:]
    created = 0 if left == "all" else object_count(PROJECTS)
    assert "%d created, 0 changed, 0 removed." % created in proc.stdout, proc.stdout[-3000:]
    assert changed == (1 if created else 0)
    assert row_counts(lab) == converged_counts
    proc, changed = converge(directory, lab.nb_remote)
    assert proc.returncode == 0 and changed == 0, proc.stdout[-3000:]


def test_the_proxy_stops_its_threads_before_it_closes_their_sockets(ovn_lab, tmp_path):
    # A thread of a closed proxy still blocked on a descriptor went on to accept a later test's
    # connections when the number was reused (see KillingProxy.close).
    proxy = KillingProxy(ovn_lab, str(tmp_path / "px.sock"), "whole")
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(tmp_path / "px.sock"))
    deadline = time.monotonic() + 10
    while len(proxy._threads) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(proxy._threads) == 3, "the proxy did not take the connection"
    proxy.close()
    client.close()
    assert [t.name for t in proxy._threads if t.is_alive()] == []

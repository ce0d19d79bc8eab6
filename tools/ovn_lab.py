# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throw-away local OVN control plane for tests and demos.

``OvnLab(directory)`` runs an NB ovsdb-server, an SB ovsdb-server and
ovn-northd, all detached, with every socket, pidfile, log and database inside
``directory``.  By default no ovn-controller runs, so nothing is programmed into a
datapath: the lab is for checking what lands in the databases and, through
``ovn-trace``, what the logical flows that northd computed would do to a packet.

Its datapath mode (``OvnLab.start_datapath()``, class ``Datapath``) adds real
packets: Open vSwitch's userspace datapath and an ovn-controller bound to the
lab's SB as one chassis, workloads on logical switch ports and an outside host
on each external network as network namespaces (docs/datapath.md).  It needs
root, and installs its packages with apt-get where they are missing::

    python tools/ovn_lab.py datapath --dir /tmp/lab --chassis chassis-1
    python tools/ovn_lab.py attach --dir /tmp/lab vm1 --serve 22
    python tools/ovn_lab.py outside --dir /tmp/lab ext-cloud 100.65.0.1/16

Running the lab takes the standard library only, so that it runs from a bare
checkout; reading a trace takes the collection's own ovn-trace parser
(plugins/module_utils/ovn/trace.py, see ``collection_trace``), and with it
ansible-core, so ``trace`` wants the venv's python::

    python tools/ovn_lab.py start --dir /tmp/lab     # prints export lines
    .venv/bin/python tools/ovn_lab.py trace --dir /tmp/lab DATAPATH MICROFLOW
    python tools/ovn_lab.py stop --dir /tmp/lab
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import hashlib
import importlib
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The ovn-trace parser of the collection, which the lab uses too (see collection_trace()).
COLLECTION_TRACE = "ansible_collections.kubedc.network.plugins.module_utils.ovn.trace"

SCHEMA_DIR = Path("/usr/share/ovn")

# sun_path is 108 bytes including the terminating NUL.  OVS's own C tools work
# around longer paths through /proc/self/fd, but other clients (Python's socket
# module, for one) do not, so the lab refuses paths that only OVS could use.
MAX_SOCKET_PATH = 107

# Daemons in start order; stop() walks the list backwards.
DAEMONS = ("nb", "sb", "northd")

# Bookkeeping columns that ovn-nbctl --wait and ovn-northd bump on every sync.
# They are not configuration, so dump_nb() leaves them out.
NB_GLOBAL_COUNTERS = frozenset(
    {"nb_cfg", "nb_cfg_timestamp", "sb_cfg", "sb_cfg_timestamp", "hv_cfg", "hv_cfg_timestamp"}
)

MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class OvnLabError(RuntimeError):
    """A lab operation failed; the message says what and why."""


@dataclasses.dataclass
class TracePath:
    """One ``output("port")`` reached by the traced packet (or by a packet the
    pipeline generated from it, see ``generated_by``)."""

    port: str
    # Header fields assigned on the way to this output (only those changed).
    fields: dict[str, str]
    snat: tuple[str, ...]
    dnat: tuple[str, ...]
    # None for the traced packet itself; otherwise the action that built a new
    # packet ("arp", "icmp4", "tcp_reset", ...).
    generated_by: str | None


@dataclasses.dataclass(frozen=True)
class ArpRequest:
    """An ``arp { ... }`` action: the router had no MAC binding for the next hop
    and asked for it instead of forwarding the packet."""

    target_ip: str
    sender_ip: str
    ports: tuple[str, ...]


@dataclasses.dataclass
class TraceResult:
    """What ovn-trace said about one microflow.

    ``summary`` and ``minimal`` are ovn-trace's own texts; everything else is
    read from them by the collection's parser (``parse_trace`` of
    plugins/module_utils/ovn/trace.py, the one kubedc.network.network_trace
    uses), kept in ``parsed`` and copied into the lab's records here.
    """

    datapath: str
    microflow: str
    flow: str
    summary: str
    minimal: str
    stderr: str
    paths: list[TracePath]
    arp_requests: list[ArpRequest]
    # Backends of each ct_lb/ct_lb_mark action executed, in trace order.
    lb_backends: list[list[str]]
    # ovn-trace's "*** ..." remarks (TTL underflow, unknown port, ...).
    errors: list[str]
    snat: list[str]
    dnat: list[str]
    # The collection's TraceResult that all of the above is copied from.
    parsed: Any = dataclasses.field(repr=False, compare=False)

    @property
    def outputs(self) -> list[str]:
        """Logical ports the traced packet itself is finally output to."""
        return self.parsed.outputs

    @property
    def final_fields(self) -> dict[str, dict[str, str]]:
        """Output port -> header fields assigned on the path to it."""
        return self.parsed.final_fields

    @property
    def generated(self) -> list[TracePath]:
        """Outputs of packets the pipeline built (ARP requests, ICMP errors,
        TCP resets, ...)."""
        return [p for p in self.paths if p.generated_by is not None]

    @property
    def dropped(self) -> bool:
        """The packet went nowhere, and not because it waits for ARP."""
        return self.parsed.dropped

    def verdict(self) -> str:
        """One line for humans."""
        return self.parsed.verdict()

    @classmethod
    def parse(
        cls, datapath: str, microflow: str, text: str, stderr: str = "", lb_dst: str | None = None
    ) -> TraceResult:
        """Parse the output of ``ovn-trace --summary --minimal``.

        ``lb_dst`` must be the ``--lb-dst`` given to ovn-trace, if any: the
        address ct_lb picked is not printed, so it is inferred the way
        ovn-trace chooses it.
        """
        try:
            parsed = collection_trace().parse_trace(text, lb_dst)
        except ValueError as exc:
            raise OvnLabError(f"{exc}\n{text}") from None
        return cls(
            datapath=datapath,
            microflow=microflow,
            flow=parsed.flow,
            summary=parsed.summary,
            minimal=parsed.minimal,
            stderr=stderr,
            paths=[TracePath(o.port, dict(o.fields), o.snat, o.dnat, o.generated_by) for o in parsed.reached],
            arp_requests=[ArpRequest(target, sender, tuple(ports)) for target, sender, ports in parsed.arp_requests],
            lb_backends=parsed.lb_backends,
            errors=parsed.errors,
            snat=parsed.snat,
            dnat=parsed.dnat,
            parsed=parsed,
        )


def collection_trace() -> ModuleType:
    """The collection's plugins/module_utils/ovn/trace.py, which parses ovn-trace output.

    It is imported as ``ansible_collections.kubedc.network...`` like any
    module_utils, and so needs ansible-core (the venv's python).  If that
    name is not importable yet (the tests and bench/ make it so), the first
    of these collections trees that holds this checkout is put on sys.path:
    the one the checkout sits in, one in ANSIBLE_COLLECTIONS_PATH (the
    Makefile exports its own), or else the Makefile's, made here as
    ``make collection-link`` makes it.
    """
    try:
        return importlib.import_module(COLLECTION_TRACE)
    except ImportError:
        pass
    sys.path.insert(0, str(_collections_root()))
    importlib.invalidate_caches()
    try:
        return importlib.import_module(COLLECTION_TRACE)
    except ImportError as exc:
        raise OvnLabError(
            f"cannot import the collection's ovn-trace parser {COLLECTION_TRACE}: {exc} "
            "(run this with the python of the venv that `make deps` makes)"
        ) from None


def _collections_root() -> Path:
    """A directory whose ansible_collections/kubedc/network is this checkout."""
    here = Path(os.path.abspath(__file__)).parents[1]
    if here.parent.name == "kubedc" and here.parent.parent.name == "ansible_collections":
        return here.parents[2]
    paths = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.environ.get("ANSIBLE_COLLECTIONS_PATHS") or ""
    for entry in filter(None, paths.split(os.pathsep)):
        link = Path(entry).expanduser() / "ansible_collections" / "kubedc" / "network"
        if link.is_dir() and link.resolve() == REPO:
            return Path(entry).expanduser()
    root = REPO / ".cache" / "collections"
    link = root / "ansible_collections" / "kubedc" / "network"
    if not (link.is_dir() and link.resolve() == REPO):
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():
            link.unlink()
        link.symlink_to(REPO)
    return root


class OvnLab:
    """NB + SB ovsdb-servers and ovn-northd living in one directory."""

    def __init__(self, directory: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        # abspath, not resolve(): a short symlink to a long directory must stay short.
        self.directory = Path(os.path.abspath(directory))
        self.timeout = timeout
        # Pids this object started: a daemon that died on its own may have
        # removed its pidfile, yet still wait for us to reap it.
        self._started: dict[str, int] = {}
        # The datapath mode started by start_datapath(), if any.
        self._datapath: Datapath | None = None
        sockets = [self._path(f"{name}.ctl") for name in DAEMONS] + [self._path("nb.sock"), self._path("sb.sock")]
        longest = max(sockets, key=lambda p: len(os.fsencode(p)))
        if len(os.fsencode(longest)) > MAX_SOCKET_PATH:
            raise OvnLabError(
                f"lab directory {self.directory} is too long for unix sockets: {longest} is "
                f"{len(os.fsencode(longest))} bytes, the limit is {MAX_SOCKET_PATH}; "
                "use a shorter directory (e.g. under /tmp) or a short symlink to it"
            )

    # ----------------------------------------------------------------- paths

    def _path(self, name: str) -> str:
        return str(self.directory / name)

    @property
    def nb_remote(self) -> str:
        return "unix:" + self._path("nb.sock")

    @property
    def sb_remote(self) -> str:
        return "unix:" + self._path("sb.sock")

    def env(self) -> dict[str, str]:
        """Environment variables that point OVN tools at this lab."""
        return {"OVN_NB_DB": self.nb_remote, "OVN_SB_DB": self.sb_remote}

    # ------------------------------------------------------------- lifecycle

    def __enter__(self) -> OvnLab:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> OvnLab:
        """Create fresh databases and start the three daemons.

        Any earlier state in the directory is discarded.  If anything fails,
        whatever was started is stopped again before the error is raised.
        """
        running = {name: pid for name, pid in self.status().items() if pid}
        if running:
            raise OvnLabError(f"a lab is already running in {self.directory} ({running}); stop it first")
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in DAEMONS:
            for suffix in (".db", ".log", ".sock", ".ctl", ".pid"):
                Path(self._path(name + suffix)).unlink(missing_ok=True)
        try:
            with _adopting_orphans():
                self._start_daemons()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_daemons(self) -> None:
        for name, schema in (("nb", "ovn-nb.ovsschema"), ("sb", "ovn-sb.ovsschema")):
            self._run(["ovsdb-tool", "create", self._path(f"{name}.db"), str(SCHEMA_DIR / schema)])
            self._start_daemon(
                name,
                ["ovsdb-server", f"--remote=punix:{self._path(name + '.sock')}", self._path(f"{name}.db")],
            )
        self._start_daemon("northd", ["ovn-northd", f"--ovnnb-db={self.nb_remote}", f"--ovnsb-db={self.sb_remote}"])

    def stop(self) -> None:
        """Stop every daemon whose pidfile is in the directory.

        Safe to call twice, on a lab that never started, or after a start()
        that failed half-way.  Raises only if a process survives SIGKILL.
        """
        # The datapath mode first (if it ever ran here): its ovn-controller is a client of
        # the SB about to go, and its namespaces must not outlive the lab.
        datapath, self._datapath = self._datapath or Datapath(self), None
        try:
            datapath.stop()
        except OvnLabError as exc:
            datapath_error: OvnLabError | None = exc
        else:
            datapath_error = None
        survivors = []
        for name in reversed(DAEMONS):
            started = self._started.pop(name, None)
            pid = self._pid(name) or started
            if pid is None:
                continue
            if not _terminate(pid, self._path(name + ".pid")):
                survivors.append(f"{name} (pid {pid})")
        # A killed daemon cannot clean up after itself.
        for name in DAEMONS:
            if self._pid(name) is None:
                for suffix in (".pid", ".sock", ".ctl"):
                    Path(self._path(name + suffix)).unlink(missing_ok=True)
        if survivors:
            raise OvnLabError("could not stop " + ", ".join(survivors))
        if datapath_error is not None:
            raise datapath_error

    def start_datapath(self, chassis: str = "chassis-1") -> Datapath:
        """Start the datapath mode on this running lab (see Datapath): an OVS userspace
        datapath and ovn-controller as chassis ``chassis``.  stop() stops it too."""
        datapath = Datapath(self, chassis)
        self._datapath = datapath
        return datapath.start()

    def kill_nb(self) -> None:
        """SIGKILL the NB ovsdb-server, as a crash would: no chance to finish a write."""
        pid = self._pid("nb") or self._started.get("nb")
        if pid is None:
            raise OvnLabError("the NB server of this lab is not running")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _reap(pid)
        _wait_gone(pid, self._path("nb.pid"), 5.0)
        self._started.pop("nb", None)
        for suffix in (".pid", ".sock", ".ctl"):
            Path(self._path("nb" + suffix)).unlink(missing_ok=True)

    def restart_nb(self) -> None:
        """Start the NB ovsdb-server again on the database file it left (after kill_nb)."""
        if self._pid("nb"):
            raise OvnLabError("the NB server of this lab is still running")
        with _adopting_orphans():
            self._start_daemon("nb", ["ovsdb-server", f"--remote=punix:{self._path('nb.sock')}", self._path("nb.db")])
        self._wait_ready()

    def status(self) -> dict[str, int | None]:
        """Daemon name ("nb", "sb", "northd") -> pid if running, else None."""
        return {name: self._pid(name) for name in DAEMONS}

    def _start_daemon(self, name: str, argv: list[str]) -> None:
        argv = [
            argv[0],
            "--detach",
            "--no-chdir",
            f"--pidfile={self._path(name + '.pid')}",
            f"--log-file={self._path(name + '.log')}",
            f"--unixctl={self._path(name + '.ctl')}",
            *argv[1:],
        ]
        try:
            self._run(argv)
        except OvnLabError as exc:
            raise OvnLabError(f"{exc}\n--- tail of {name}.log ---\n{self._log_tail(name)}") from None
        # The daemon writes its pidfile before the starting command returns.
        pid = self._read_pidfile(name)
        if pid:
            self._started[name] = pid

    def _wait_ready(self) -> None:
        """Wait until both databases answer and northd holds the SB lock, then
        let northd process the (empty) NB once so that its own writes (the
        NB_Global row and options) are done before anyone dumps the NB."""
        deadline = time.monotonic() + self.timeout
        checks = [
            (["ovsdb-client", "--timeout=1", "list-dbs", self.nb_remote], "OVN_Northbound"),
            (["ovsdb-client", "--timeout=1", "list-dbs", self.sb_remote], "OVN_Southbound"),
            (["ovn-appctl", "-t", self._path("northd.ctl"), "status"], "Status: active"),
        ]
        for argv, expected in checks:
            while True:
                try:
                    last = self._run(argv, timeout=5)
                except OvnLabError as exc:
                    last = str(exc)
                if expected in last:
                    break
                if time.monotonic() > deadline:
                    raise OvnLabError(f"lab in {self.directory} not ready: {shlex.join(argv)}: {last.strip()}")
                time.sleep(0.05)
        self.sync()

    def _pid(self, name: str) -> int | None:
        """Pid of the daemon if its pidfile names a live process that really is
        our daemon (its command line carries our pidfile; pids get reused)."""
        return _our_pid(self._path(name + ".pid"))

    def _read_pidfile(self, name: str) -> int | None:
        try:
            return int(Path(self._path(name + ".pid")).read_text().strip())
        except (OSError, ValueError):
            return None

    def _log_tail(self, name: str, lines: int = 10) -> str:
        try:
            return "\n".join(Path(self._path(name + ".log")).read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --------------------------------------------------------------- helpers

    def _exec(self, argv: list[str], timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command against this lab, whatever its exit status."""
        env = {**os.environ, **self.env()}
        # An ovn-nbctl daemon would answer for another database than ours.
        env.pop("OVN_NB_DAEMON", None)
        try:
            proc = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout or self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise OvnLabError(f"{argv[0]} not found; install the ovn-central package") from None
        except subprocess.TimeoutExpired:
            raise OvnLabError(f"timed out after {timeout or self.timeout}s: {shlex.join(argv)}") from None
        return proc

    def _run(self, argv: list[str], timeout: float | None = None) -> str:
        """Run a command against this lab; return stdout or raise OvnLabError."""
        proc = self._exec(argv, timeout)
        if proc.returncode != 0:
            raise OvnLabError(
                f"command failed (exit {proc.returncode}): {shlex.join(argv)}\n{proc.stderr.strip()}"
            )
        return proc.stdout

    def nbctl(self, *args: str) -> str:
        """Run ovn-nbctl against the lab's NB; return its stdout."""
        return self._run(["ovn-nbctl", f"--db={self.nb_remote}", f"--timeout={int(self.timeout)}", *args])

    def sbctl(self, *args: str) -> str:
        """Run ovn-sbctl against the lab's SB; return its stdout."""
        return self._run(["ovn-sbctl", f"--db={self.sb_remote}", f"--timeout={int(self.timeout)}", *args])

    def sync(self) -> None:
        """Wait until northd has translated the current NB into the SB."""
        self.nbctl("--wait=sb", "sync")

    def dump_nb(self) -> str:
        """``ovsdb-client dump`` of the NB, comparable between two calls.

        ovsdb-client sorts tables and rows itself, so the text only changes when
        the data does.  Two things are settled first: northd's own writes into
        the NB (a sync), and NB_Global's sync counters, which are left out.
        """
        self.sync()
        dump = self._run(["ovsdb-client", "dump", self.nb_remote, "OVN_Northbound"])
        schema = json.loads((SCHEMA_DIR / "ovn-nb.ovsschema").read_text())
        columns = sorted(set(schema["tables"]["NB_Global"]["columns"]) - NB_GLOBAL_COUNTERS)
        nb_global = self._run(["ovsdb-client", "dump", self.nb_remote, "OVN_Northbound", "NB_Global", *columns])
        # Tables are separated by blank lines and open with "<name> table".
        sections = [nb_global.strip() if s.startswith("NB_Global table\n") else s for s in dump.split("\n\n")]
        return "\n\n".join(sections)

    def learn_mac(self, router_port: str, ip: str, mac: str) -> bool:
        """Record in the SB that ``router_port`` learned ``ip`` -> ``mac``, as
        ovn-controller does when the next hop answers the router's ARP request.

        ovn-trace resolves next hops only from SB MAC_Binding rows (it ignores
        the NB Static_MAC_Binding table), so without this a routed packet ends
        in an ARP request.  Returns whether anything was written.
        """
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError as exc:
            raise OvnLabError(str(exc)) from None
        mac = mac.lower()
        if not MAC_RE.match(mac):
            raise OvnLabError(f"not a MAC address: {mac!r}")
        self.sync()
        datapath = self.sbctl("--bare", "--columns=datapath", "find", "Port_Binding", f"logical_port={router_port}")
        datapath = datapath.strip()
        if not datapath:
            raise OvnLabError(f"no Port_Binding for logical port {router_port!r}")
        if not self.sbctl("--if-exists", "get", "Datapath_Binding", datapath, "external_ids:logical-router").strip():
            raise OvnLabError(f"{router_port!r} is not a logical router port")
        rows = self.sbctl(
            "--format=csv",
            "--no-headings",
            "--data=bare",
            "--columns=_uuid,mac",
            "find",
            "MAC_Binding",
            f"logical_port={router_port}",
            f'ip="{ip}"',
        ).split()
        # Stamped now, as ovn-controller stamps what it learns: on a router with
        # options:mac_binding_age_threshold (Kube-OVN sets 300 s) northd ages out
        # a binding stamped 0 at once.
        stamp = f"timestamp={int(time.time() * 1000)}"
        if not rows:
            self.sbctl(
                "create",
                "MAC_Binding",
                f"logical_port={router_port}",
                f'ip="{ip}"',
                f'mac="{mac}"',
                f"datapath={datapath}",
                stamp,
            )
            return True
        changed = False
        for row in rows:
            uuid, current = row.split(",")
            if current != mac:
                changed = True
            self.sbctl("set", "MAC_Binding", uuid, f'mac="{mac}"', stamp)
        return changed

    def trace(
        self, datapath: str, microflow: str, *, ct: list[str] | tuple[str, ...] = (), lb_dst: str | None = None
    ) -> TraceResult:
        """Trace ``microflow`` entering ``datapath`` and parse the result.

        ``ct`` are ovn-trace --ct values, used in turn by the
        connection-tracking actions the packet meets (ovn-trace assumes "est"
        for the rest, so a load balancer VIP needs ct=["new"] to be
        load-balanced at all).  ``lb_dst``
        (``ip[:port]``, IPv6 in brackets) picks the backend of the first ct_lb
        that lists it; otherwise ovn-trace picks one at random.

        The trace is run once with --summary --minimal, so both texts describe
        the same run (a random ct_lb choice cannot differ between them).
        Syncs first, so NB changes made without --wait are included.
        """
        self.sync()
        argv = ["ovn-trace", f"--db={self.sb_remote}", "--summary", "--minimal"]
        argv += [f"--ct={state}" for state in ct]
        if lb_dst:
            argv.append(f"--lb-dst={lb_dst}")
        proc = self._exec([*argv, "--", datapath, microflow])
        # ovn-trace reports an unknown datapath or a bad microflow on stdout
        # with exit status 0; a real trace always starts with "# <flow>".
        if proc.returncode != 0 or not proc.stdout.startswith("# "):
            raise OvnLabError(
                f"ovn-trace failed (exit {proc.returncode}) for {datapath} {microflow!r}:\n"
                f"{(proc.stdout + proc.stderr).strip()}"
            )
        return TraceResult.parse(datapath, microflow, proc.stdout, proc.stderr, lb_dst)


# ------------------------------------------------------------------ datapath mode
#
# ovn-trace reads the logical flows; it does not show that a packet arrives.  In datapath mode
# the lab also runs Open vSwitch's userspace (netdev) datapath and an ovn-controller bound to
# the lab's SB, as one chassis that hosts the gateway ports, so that real packets flow between
# network namespaces: workloads on project switch ports and an outside host on each external
# network.  Facts this rests on (see docs/datapath.md):
#
# * no kernel datapath here, so every bridge is datapath_type=netdev and ovn-controller is told
#   to keep br-int that way (external_ids:ovn-bridge-datapath-type);
# * ovs-vswitchd and ovn-controller run inside a network namespace of the lab's own, so the
#   bridges' tap devices and the veth ends never appear in the root namespace, and nothing gets
#   an address there;
# * userspace conntrack drops TCP whose checksum a veth left to offload (ping still works, so
#   ping alone hides it): tx offload is turned off on both ends of every veth;
# * a name lookup inside a namespace stalls for seconds, so each namespace gets a resolv.conf
#   that points at its own loopback (/etc/netns/<ns>/resolv.conf, removed on stop) and every
#   tool runs with numeric output.

DATAPATH_TOOLS: dict[str, str] = {
    "ovsdb-server": "openvswitch-switch",
    "ovs-vswitchd": "openvswitch-switch",
    "ovs-vsctl": "openvswitch-switch",
    "ovn-controller": "ovn-host",
    "ip": "iproute2",
    "ethtool": "ethtool",
    "ping": "iputils-ping",
    "tcpdump": "tcpdump",
}
OVS_SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
NETNS_DIR = Path("/run/netns")
NETNS_ETC = Path("/etc/netns")
LAB_NET = Path(__file__).resolve().parent / "lab_net.py"
# Datapath daemons in start order; stop walks it backwards (servers of the namespaces first).
DATAPATH_DAEMONS = ("ovs", "vswitchd", "controller")
# What the outside hosts answer as: the upstream gateway MAC the ovn-trace tests record with
# learn_mac (tests/support.py UPSTREAM_MAC), so a trace and the real datapath agree on it, and
# an internet address behind the gateway, off every external network's subnet.
DEFAULT_UPSTREAM_MAC = "0a:ff:00:00:00:01"
DEFAULT_INTERNET_ADDRESS = "203.0.113.9"
# Linux interface names have at most 15 bytes.
IFNAMSIZ = 15


class DatapathUnavailable(OvnLabError):
    """This machine cannot run the lab's datapath mode; the message says why."""


@dataclasses.dataclass(frozen=True)
class Workload:
    """A namespace holding a logical switch port's MAC and address, as a VM would."""

    namespace: str
    port: str
    mac: str
    ip: str
    prefixlen: int
    gateway: str
    # The veth end on br-int, in the switch namespace.
    device: str


@dataclasses.dataclass(frozen=True)
class OutsideHost:
    """A namespace on an external network's physical network: its upstream gateway (it holds
    the network's gateway address) and an internet host behind it (``internet``)."""

    namespace: str
    switch: str
    network_name: str
    ip: str
    prefixlen: int
    mac: str
    internet: tuple[str, ...]
    vlan: int | None
    bridge: str
    device: str


@dataclasses.dataclass(frozen=True)
class Answer:
    """What a ``lab_net.py serve`` server said to one connection."""

    name: str
    peer_ip: str
    peer_port: int
    local_ip: str
    local_port: int

    @classmethod
    def parse(cls, line: str) -> Answer:
        try:
            name, peer, local = line.split()
            peer_ip, peer_port = peer.rsplit(":", 1)
            local_ip, local_port = local.rsplit(":", 1)
            return cls(name, peer_ip, int(peer_port), local_ip, int(local_port))
        except ValueError:
            raise OvnLabError(f"not a lab_net answer: {line!r}") from None


def _tool_path() -> str:
    """PATH plus the sbin directories, where Debian puts ip, ethtool and ovs-vswitchd."""
    return os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


def missing_datapath_packages() -> list[str]:
    """Debian packages of the datapath mode whose tools are not installed."""
    missing = {package for tool, package in DATAPATH_TOOLS.items() if shutil.which(tool, path=_tool_path()) is None}
    if not OVS_SCHEMA.exists():
        missing.add("openvswitch-switch")
    return sorted(missing)


def datapath_unavailable_reason() -> str | None:
    """Why this machine cannot run the datapath mode, before anything is installed or
    started; None if it may (start() still finds out for sure)."""
    if not sys.platform.startswith("linux"):
        return "the datapath mode needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the datapath mode needs root: it creates network namespaces and veth pairs"
    if missing_datapath_packages() and not shutil.which("apt-get", path=_tool_path()):
        return "missing packages %s and no apt-get to install them" % ", ".join(missing_datapath_packages())
    return None


def install_datapath_packages() -> None:
    """Install the datapath mode's packages with apt-get if any is missing (as `make
    system-deps` does).  The packages' services are not needed: the lab runs its own daemons
    with their own paths, whether or not the machine's policy-rc.d lets the services start."""
    missing = missing_datapath_packages()
    if not missing:
        return
    apt = shutil.which("apt-get", path=_tool_path())
    if apt is None:
        raise DatapathUnavailable(f"missing packages {', '.join(missing)}, and no apt-get to install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-qq", *missing]
    proc = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        # A machine that never ran apt-get update has no package lists yet.
        subprocess.run([apt, "update", "-qq"], capture_output=True, text=True, env=env, check=False)
        proc = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0 or missing_datapath_packages():
        raise DatapathUnavailable(
            f"could not install {', '.join(missing)} with apt-get (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
        )


class Datapath:
    """The datapath mode of one OvnLab: an OVS userspace datapath and an ovn-controller
    bound to the lab's SB as chassis ``chassis``, with namespaces as workloads and outside hosts.

    Everything lives in ``<lab>/dp`` (databases, sockets, pidfiles, logs, a state file) and in
    network namespaces named ``<prefix>-...``, the prefix unique to the lab directory, so two
    labs never collide and ``stop()`` finds all of it again from the directory alone (the CLI,
    a later process, OvnLab.stop()).
    """

    def __init__(self, lab: OvnLab, chassis: str = "chassis-1") -> None:
        self.lab = lab
        self.chassis = chassis
        self.directory = lab.directory / "dp"
        digest = hashlib.sha1(os.fsencode(lab.directory)).hexdigest()[:8]
        self.prefix = f"kdc{digest}"
        self.switch_ns = f"{self.prefix}-sw"
        # Started by this object: reaped on stop (a server's Popen, say).
        self._children: list[subprocess.Popen[bytes]] = []

    # ----------------------------------------------------------- bookkeeping

    def _path(self, name: str) -> str:
        return str(self.directory / name)

    @property
    def ovs_remote(self) -> str:
        return "unix:" + self._path("ovs.sock")

    def _state(self) -> dict[str, Any]:
        try:
            return json.loads(Path(self._path("state.json")).read_text())
        except (OSError, ValueError):
            return {"next": 1, "bridges": {}, "workloads": {}, "outside": {}}

    def _save(self, state: dict[str, Any]) -> None:
        tmp = Path(self._path("state.json.tmp"))
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
        tmp.rename(self._path("state.json"))

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.lab.env(), "PATH": _tool_path()}
        # The daemons' run directory: ovs-vswitchd makes <bridge>.mgmt there, where
        # ovn-controller looks for br-int.mgmt; ovn-controller's control socket goes there too.
        env.update(OVS_RUNDIR=str(self.directory), OVN_RUNDIR=str(self.directory))
        env.update(OVS_DBDIR=str(self.directory), OVS_LOGDIR=str(self.directory), OVN_LOGDIR=str(self.directory))
        env.pop("OVN_NB_DAEMON", None)
        return env

    def _exec(self, argv: list[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=self._env(), timeout=timeout, check=False
            )
        except FileNotFoundError:
            raise DatapathUnavailable(f"{argv[0]} not found; install {', '.join(missing_datapath_packages())}") from None
        except subprocess.TimeoutExpired:
            raise OvnLabError(f"timed out after {timeout}s: {shlex.join(argv)}") from None

    def _run(self, argv: list[str], timeout: float = 30.0) -> str:
        proc = self._exec(argv, timeout)
        if proc.returncode != 0:
            raise OvnLabError(f"command failed (exit {proc.returncode}): {shlex.join(argv)}\n{proc.stderr.strip()}")
        return proc.stdout

    def vsctl(self, *args: str) -> str:
        """Run ovs-vsctl against the lab's own Open_vSwitch database."""
        return self._run(["ovs-vsctl", f"--db={self.ovs_remote}", "--timeout=20", *args])

    def in_ns(self, namespace: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", namespace, *argv]

    def exec_in(self, namespace: str, *argv: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run a command in one of the lab's namespaces, whatever its exit status."""
        if not namespace.startswith(self.prefix + "-"):
            raise OvnLabError(f"{namespace} is not a namespace of this lab (prefix {self.prefix}-)")
        return self._exec(self.in_ns(namespace, *argv), timeout)

    def namespaces(self) -> list[str]:
        """The lab's namespaces that exist now."""
        try:
            return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(self.prefix + "-"))
        except OSError:
            return []

    def _pid(self, name: str) -> int | None:
        return _our_pid(self._path(name + ".pid"))

    def status(self) -> dict[str, int | None]:
        """Daemon name ("ovs", "vswitchd", "controller") -> pid if running, else None."""
        return {name: self._pid(name) for name in DATAPATH_DAEMONS}

    # ------------------------------------------------------------- lifecycle

    def start(self) -> Datapath:
        """Install what is missing, start the datapath and register the chassis in the SB.

        Raises DatapathUnavailable, with the reason, where this machine cannot run it, and
        stops whatever it started before raising anything.
        """
        reason = datapath_unavailable_reason()
        if reason:
            raise DatapathUnavailable(reason)
        # The longest socket: a bridge's snoop socket (bridge names are at most 5 bytes).
        longest = self._path("brx99.snoop")
        if len(os.fsencode(longest)) > MAX_SOCKET_PATH:
            raise OvnLabError(f"lab directory {self.lab.directory} is too long for the datapath's unix sockets ({longest})")
        install_datapath_packages()
        if any(self.status().values()) or self.namespaces():
            raise OvnLabError(f"a datapath is already running for the lab in {self.lab.directory}; stop it first")
        if not all(self.lab.status().values()):
            raise OvnLabError(f"the lab in {self.lab.directory} is not running; start it first")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        self._save(self._state())
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _netns_add(self, namespace: str) -> None:
        proc = self._exec(["ip", "netns", "add", namespace])
        if proc.returncode != 0:
            raise DatapathUnavailable(f"cannot create network namespace {namespace}: {proc.stderr.strip()}")
        # Lookups inside the namespace then fail at once instead of stalling (see above).
        etc = NETNS_ETC / namespace
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")
        self._run(self.in_ns(namespace, "ip", "link", "set", "lo", "up"))

    def _daemon(self, name: str, argv: list[str], *, unixctl: bool = True, namespace: str | None = None) -> None:
        full = [
            argv[0],
            "--detach",
            "--no-chdir",
            f"--pidfile={self._path(name + '.pid')}",
            f"--log-file={self._path(name + '.log')}",
            *([f"--unixctl={self._path(name + '.ctl')}"] if unixctl else []),
            *argv[1:],
        ]
        if namespace:
            full = self.in_ns(namespace, *full)
        with _adopting_orphans():
            proc = self._exec(full)
        if proc.returncode != 0:
            raise OvnLabError(
                f"{name} did not start (exit {proc.returncode}): {shlex.join(full)}\n{proc.stderr.strip()}\n"
                f"--- tail of dp/{name}.log ---\n{self.log_tail(name)}"
            )

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            return "\n".join(Path(self._path(name + ".log")).read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _start(self) -> None:
        self._netns_add(self.switch_ns)
        self._run(["ovsdb-tool", "create", self._path("ovs.db"), str(OVS_SCHEMA)])
        self._daemon("ovs", ["ovsdb-server", f"--remote=punix:{self._path('ovs.sock')}", self._path("ovs.db")])
        self.vsctl("--no-wait", "init")
        self._daemon("vswitchd", ["ovs-vswitchd", self.ovs_remote], namespace=self.switch_ns)
        self.vsctl(
            "set", "Open_vSwitch", ".",
            f"external_ids:system-id={self.chassis}",
            f"external_ids:hostname={self.chassis}",
            f'external_ids:ovn-remote="{self.lab.sb_remote}"',
            "external_ids:ovn-encap-type=geneve",
            "external_ids:ovn-encap-ip=127.0.0.1",
            "external_ids:ovn-bridge-datapath-type=netdev",
            'external_ids:ovn-bridge-mappings=""',
        )
        # Without --no-wait, ovs-vsctl waits until ovs-vswitchd has made the bridge.
        self.vsctl(
            "add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail-mode=secure",
            "other-config:disable-in-band=true",
        )
        error = self.vsctl("get", "Interface", "br-int", "error").strip()
        if error not in ("[]", ""):
            raise DatapathUnavailable(
                f"ovs-vswitchd cannot run a userspace (netdev) bridge here: {error}\n"
                f"--- tail of dp/vswitchd.log ---\n{self.log_tail('vswitchd')}"
            )
        self._daemon("controller", ["ovn-controller", self.ovs_remote], unixctl=False, namespace=self.switch_ns)
        deadline = time.monotonic() + 20
        while not self.lab.sbctl("--bare", "--columns=name", "find", "Chassis", f"name={self.chassis}").strip():
            if time.monotonic() > deadline or not self._pid("controller"):
                raise OvnLabError(
                    f"ovn-controller did not register chassis {self.chassis} in the SB\n"
                    f"--- tail of dp/controller.log ---\n{self.log_tail('controller')}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the servers and daemons by pidfile, delete the lab's namespaces (and with them
        every veth) and their /etc/netns dirs, remove <lab>/dp.  Safe to call on a datapath
        that never started or was stopped already; raises only if something survives."""
        survivors = []
        for child in self._children:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(5)
        self._children.clear()
        names = sorted(p.name[: -len(".pid")] for p in self.directory.glob("srv-*.pid")) if self.directory.is_dir() else []
        for name in [*names, *reversed(DATAPATH_DAEMONS)]:
            pid = self._pid(name)
            if pid is None:
                continue
            if not _terminate(pid, self._path(name + ".pid")):
                survivors.append(f"{name} (pid {pid})")
        for namespace in self.namespaces():
            # Whatever still runs in a namespace of ours was started in it by the lab.
            pids = self._exec(["ip", "netns", "pids", namespace]).stdout.split()
            for pid in map(int, pids):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _reap(pid)
            proc = self._exec(["ip", "netns", "delete", namespace])
            if proc.returncode != 0:
                survivors.append(f"namespace {namespace} ({proc.stderr.strip()})")
        if NETNS_ETC.is_dir():
            for etc in NETNS_ETC.glob(self.prefix + "-*"):
                shutil.rmtree(etc, ignore_errors=True)
            # /etc/netns itself, if no one else (another lab, say) has a namespace dir there.
            with contextlib.suppress(OSError):
                NETNS_ETC.rmdir()
        if survivors:
            raise OvnLabError("could not stop " + ", ".join(survivors))
        shutil.rmtree(self.directory, ignore_errors=True)

    # ------------------------------------------------------------ attachments

    def _veth(self, namespace: str, kind: str, mac: str) -> str:
        """A veth pair from the switch namespace (returned: its name there) to ``eth0`` of
        ``namespace``, up, with ``mac`` on eth0 and tx checksum offload off on both ends."""
        state = self._state()
        device = f"{kind}{state['next']}"
        state["next"] += 1
        self._save(state)
        if len(device) > IFNAMSIZ:
            raise OvnLabError(f"interface name {device} too long")
        self._run(["ip", "-n", self.switch_ns, "link", "add", device, "type", "veth", "peer", "name", "eth0", "netns", namespace])
        self._run(["ip", "-n", namespace, "link", "set", "eth0", "address", mac])
        for ns, dev in ((self.switch_ns, device), (namespace, "eth0")):
            self._run(self.in_ns(ns, "ethtool", "-K", dev, "tx", "off"))
            self._run(["ip", "-n", ns, "link", "set", dev, "up"])
        return device

    def _namespace_for(self, kind: str, name: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
        namespace = f"{self.prefix}-{kind}-{safe}"
        if namespace in self.namespaces():
            raise OvnLabError(f"{name} already has a namespace in this lab ({namespace})")
        return namespace

    def _lsp_get(self, port: str, column: str) -> str:
        return self.lab.nbctl("--if-exists", "get", "Logical_Switch_Port", port, column).strip().strip('"')

    def _router_network(self, switch: str, ip: str) -> tuple[str, int]:
        """The router port address on ``switch`` whose subnet holds ``ip``: a workload's gateway."""
        address = ipaddress.ip_address(ip)
        for line in self.lab.nbctl("lsp-list", switch).splitlines():
            lsp = line.split("(", 1)[1].rstrip(")")
            if self.lab.nbctl("lsp-get-type", lsp).strip() != "router":
                continue
            lrp = self._lsp_get(lsp, "options:router-port")
            networks = json.loads(self.lab.nbctl("--format=json", "--columns=networks", "find", "Logical_Router_Port", f"name={lrp}"))
            for row in networks["data"]:
                value = row[0]
                cidrs = value[1] if isinstance(value, list) and value[0] == "set" else [value]
                for cidr in cidrs:
                    iface = ipaddress.ip_interface(cidr)
                    if address in iface.network:
                        return str(iface.ip), iface.network.prefixlen
        raise OvnLabError(f"no router port on switch {switch} has a subnet holding {ip}")

    def attach_workload(self, port: str, *, gateway: str | None = None, wait: bool = True) -> Workload:
        """A namespace on logical switch port ``port`` with the port's MAC and address (its
        ``addresses``, as a CMS set them) and a default route via the project's router port.

        With ``wait``, returns once ovn-controller has bound the port and the flows of the
        whole NB are on the chassis (``ovn-nbctl --wait=hv sync``)."""
        addresses = self.lab.nbctl("lsp-get-addresses", port).split()
        if len(addresses) < 2 or not MAC_RE.match(addresses[0].lower()):
            raise OvnLabError(f"logical port {port} has no 'MAC IP' address to take: {addresses}")
        mac, ip = addresses[0].lower(), addresses[1]
        switch = self.lab.nbctl("lsp-get-ls", port).split("(", 1)[1].strip().rstrip(")")
        router_ip, prefixlen = self._router_network(switch, ip)
        gateway = gateway or router_ip
        namespace = self._namespace_for("vm", port)
        self._netns_add(namespace)
        device = self._veth(namespace, "w", mac)
        self._run(["ip", "-n", namespace, "addr", "add", f"{ip}/{prefixlen}", "dev", "eth0"])
        self._run(["ip", "-n", namespace, "route", "add", "default", "via", gateway])
        self.vsctl("add-port", "br-int", device, "--", "set", "Interface", device, f"external_ids:iface-id={port}")
        workload = Workload(namespace, port, mac, ip, prefixlen, gateway, device)
        state = self._state()
        state["workloads"][port] = dataclasses.asdict(workload)
        self._save(state)
        if wait:
            self.wait_bound(port)
        return workload

    def detach_workload(self, workload: Workload) -> None:
        """Unplug a workload: its servers stop, its namespace (and veth) go."""
        name = f"srv-{workload.namespace}"
        pid = self._pid(name)
        if pid:
            _terminate(pid, self._path(name + ".pid"))
        self.vsctl("--if-exists", "del-port", "br-int", workload.device)
        self._exec(["ip", "netns", "delete", workload.namespace])
        shutil.rmtree(NETNS_ETC / workload.namespace, ignore_errors=True)
        state = self._state()
        state["workloads"].pop(workload.port, None)
        self._save(state)

    def wait_bound(self, port: str, timeout: float = 20.0) -> None:
        """Wait until ovn-controller has claimed ``port`` (the NB says it is up), then until
        the chassis has the flows of everything in the NB so far."""
        deadline = time.monotonic() + timeout
        while self._lsp_get(port, "up") != "true":
            if time.monotonic() > deadline:
                raise OvnLabError(
                    f"ovn-controller did not bind {port} within {timeout}s\n"
                    f"--- tail of dp/controller.log ---\n{self.log_tail('controller')}"
                )
            time.sleep(0.05)
        self.sync()

    def sync(self) -> None:
        """Wait until the chassis has programmed the current NB (``--wait=hv``)."""
        self.lab.nbctl("--wait=hv", "sync")

    def _bridge_for(self, network_name: str) -> str:
        """The bridge of physical network ``network_name``, made and mapped on first use."""
        state = self._state()
        bridge = state["bridges"].get(network_name)
        if bridge:
            return bridge
        bridge = f"brx{len(state['bridges']) + 1}"
        self.vsctl("add-br", bridge, "--", "set", "Bridge", bridge, "datapath_type=netdev", "other-config:disable-in-band=true")
        state["bridges"][network_name] = bridge
        self._save(state)
        mappings = ",".join(f"{net}:{br}" for net, br in sorted(state["bridges"].items()))
        self.vsctl("set", "Open_vSwitch", ".", f'external_ids:ovn-bridge-mappings="{mappings}"')
        return bridge

    def add_outside_host(
        self,
        switch: str,
        address: str,
        *,
        internet: tuple[str, ...] = (DEFAULT_INTERNET_ADDRESS,),
        mac: str = DEFAULT_UPSTREAM_MAC,
    ) -> OutsideHost:
        """An outside host on external network ``switch`` (a logical switch with a localnet
        port): a namespace on the localnet port's physical network (its own netdev bridge,
        in ovn-bridge-mappings) with ``address`` (``ip/prefixlen``, the network's gateway, so
        that the routers' next hop is this host) and the ``internet`` addresses behind it.
        The localnet port's VLAN, if any, is this host's access VLAN."""
        network_name, vlan = None, None
        for line in self.lab.nbctl("lsp-list", switch).splitlines():
            lsp = line.split("(", 1)[1].rstrip(")")
            if self.lab.nbctl("lsp-get-type", lsp).strip() == "localnet":
                network_name = self._lsp_get(lsp, "options:network_name")
                tag = self._lsp_get(lsp, "tag").strip("[]")
                vlan = int(tag) if tag else None
                break
        if not network_name:
            raise OvnLabError(f"switch {switch} has no localnet port with a network_name")
        iface = ipaddress.ip_interface(address)
        bridge = self._bridge_for(network_name)
        namespace = self._namespace_for("out", switch)
        self._netns_add(namespace)
        device = self._veth(namespace, "x", mac)
        self._run(["ip", "-n", namespace, "addr", "add", str(iface), "dev", "eth0"])
        for extra in internet:
            self._run(["ip", "-n", namespace, "addr", "add", f"{extra}/32", "dev", "lo"])
        self.vsctl("add-port", bridge, device, *(["tag=%d" % vlan] if vlan is not None else []))
        host = OutsideHost(
            namespace, switch, network_name, str(iface.ip), iface.network.prefixlen, mac, tuple(internet), vlan, bridge, device
        )
        state = self._state()
        state["outside"][switch] = dataclasses.asdict(host)
        self._save(state)
        return host

    # --------------------------------------------------------------- traffic

    def serve(self, namespace: str, ports: list[int] | tuple[int, ...], name: str | None = None) -> None:
        """Start a tools/lab_net.py server in ``namespace`` on TCP ``ports``, answering as
        ``name`` (by default the namespace); returns once every port listens."""
        server = f"srv-{namespace}"
        pidfile = Path(self._path(server + ".pid"))
        if self._pid(server):
            raise OvnLabError(f"{namespace} already runs a server")
        pidfile.unlink(missing_ok=True)
        argv = self.in_ns(
            namespace, sys.executable, str(LAB_NET), "serve", "--name", name or namespace,
            f"--pidfile={pidfile}", "--log", self._path(server + ".peers"), *map(str, ports),
        )
        with open(self._path(server + ".log"), "ab") as log:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self._env(), start_new_session=True)
        self._children.append(child)
        deadline = time.monotonic() + 10
        while not pidfile.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                raise OvnLabError(f"the server in {namespace} did not start:\n{self.log_tail(server)}")
            time.sleep(0.02)

    def peers(self, namespace: str) -> list[Answer]:
        """Every connection the server in ``namespace`` answered so far, oldest first."""
        try:
            text = Path(self._path(f"srv-{namespace}.peers")).read_text()
        except OSError:
            return []
        return [Answer.parse(line) for line in text.splitlines() if line.strip()]

    def request(self, namespace: str, host: str, port: int, *, src: str | None = None, timeout: float = 1.0) -> Answer | None:
        """One TCP connection from ``namespace`` (from ``src`` if given) to ``host:port``;
        the server's answer, or None if none came within ``timeout``."""
        argv = [sys.executable, str(LAB_NET), "request", host, str(port), "--timeout", str(timeout)]
        if src:
            argv += ["--src", src]
        proc = self.exec_in(namespace, *argv, timeout=timeout + 10)
        return Answer.parse(proc.stdout.strip()) if proc.returncode == 0 else None

    def ping(self, namespace: str, host: str, *, src: str | None = None, timeout: float = 1.0) -> bool:
        """One ICMP echo from ``namespace`` to ``host``: did the reply come back?"""
        argv = ["ping", "-n", "-q", "-c", "1", "-W", str(max(1, round(timeout)))]
        if src:
            argv += ["-I", src]
        return self.exec_in(namespace, *argv, host, timeout=timeout + 10).returncode == 0

    @contextlib.contextmanager
    def capture(self, namespace: str, bpf: str, device: str = "eth0") -> Iterator[list[tuple[str, str, str]]]:
        """tcpdump on ``device`` of ``namespace`` while the block runs; the list it yields is
        filled afterwards with (source, destination, rest) of each packet seen, as tcpdump -nn
        prints them ("100.65.0.100.22", "203.0.113.9.40000", "tcp 0")."""
        seen: list[tuple[str, str, str]] = []
        out = Path(self._path(f"cap-{namespace}.txt"))
        argv = self.in_ns(namespace, "tcpdump", "-l", "-nn", "-q", "-p", "-i", device, bpf)
        with out.open("wb") as sink:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.PIPE, env=self._env())
        self._children.append(child)
        assert child.stderr is not None
        # tcpdump says so on stderr once the socket is open; exits at once on a bad filter.
        said = ""
        while "listening on" not in said:
            line = child.stderr.readline().decode(errors="replace")
            said += line
            if not line:
                break
        if "listening on" not in said:
            child.kill()
            child.wait()
            raise OvnLabError(f"tcpdump in {namespace} did not start: {said.strip()}")
        try:
            yield seen
        finally:
            # Let the last packet of the block reach tcpdump's socket before it stops.
            time.sleep(0.2)
            child.send_signal(signal.SIGINT)
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            child.stderr.close()
            self._children.remove(child)
            for line in out.read_text(errors="replace").splitlines():
                match = re.search(r"\bIP (\S+) > (\S+?):\s*(.*)$", line)
                if match:
                    seen.append((match.group(1), match.group(2), match.group(3)))
            out.unlink(missing_ok=True)

    @staticmethod
    def first(probe: Any, timeout: float = 10.0, interval: float = 0.05) -> float | None:
        """Seconds until ``probe()`` first returns a true value (measured, for the figures),
        or None if it never did within ``timeout``."""
        start = time.monotonic()
        while True:
            if probe():
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                return None
            time.sleep(interval)

    @classmethod
    def first_answer(cls, attempt: Any, timeout: float = 10.0) -> tuple[Any, float | None]:
        """``attempt()`` (a request, say) retried until it returns an answer: (that answer,
        seconds to it), or (None, None) if none came within ``timeout``."""
        answers: list[Any] = []

        def probe() -> Any:
            answers.append(attempt())
            return answers[-1]

        elapsed = cls.first(probe, timeout)
        return (answers[-1] if elapsed is not None else None), elapsed


@contextlib.contextmanager
def _adopting_orphans() -> Iterator[None]:
    """Make this process the parent of the daemons it starts.

    ``--detach`` daemons are orphaned as soon as the command that started them
    returns, and their exit status is then collected by PID 1 - in some
    containers only seconds later, so that stopped daemons linger as zombies.
    As a child subreaper for the duration of the start, this process adopts
    them instead, and stop() reaps them at once.  Elsewhere (the CLI, or no
    prctl) PID 1 reaps them as usual.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        yield
        return
    pr_set_child_subreaper, pr_get_child_subreaper = 36, 37
    previous = ctypes.c_int(0)
    prctl(pr_get_child_subreaper, ctypes.byref(previous))
    prctl(pr_set_child_subreaper, 1)
    try:
        yield
    finally:
        prctl(pr_set_child_subreaper, previous.value)


def _reap(pid: int) -> None:
    """Collect the exit status of a daemon that is our exited child, if it is."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _wait_gone(pid: int, pidfile: str, timeout: float) -> bool:
    """Wait until the daemon has exited, reaping it if it is our child."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            if not _is_our_process(pid, pidfile):
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def _our_pid(pidfile: str) -> int | None:
    """The pid ``pidfile`` names, if that process is alive and was started with it."""
    try:
        pid = int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _is_our_process(pid, pidfile) else None


def _terminate(pid: int, pidfile: str) -> bool:
    """SIGTERM, then SIGKILL, the process started with ``pidfile``; True once it is gone.
    Ownership is checked before each signal: a pid that is no longer ours (it exited and was
    reused) is only reaped, never signalled."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _is_our_process(pid, pidfile):
            _reap(pid)
            return True
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _wait_gone(pid, pidfile, 5.0):
            return True
    return False


def _is_our_process(pid: int, pidfile: str) -> bool:
    """Is ``pid`` alive and started with ``--pidfile=<pidfile>``?"""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        # Field 3 of stat is the state; a zombie has exited already.  The
        # command name (field 2) may contain spaces, hence rpartition.
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and os.fsencode(f"--pidfile={pidfile}") in cmdline


# ---------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run a local OVN lab (NB, SB, northd) in a directory; optionally its datapath mode."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--dir", required=True, help="lab directory (keep it short: sockets live there)")
        return sub

    command("start", "create fresh databases, start the daemons, print export lines")
    command("stop", "stop the daemons of the lab")
    command("status", "show which daemons run; exit 1 unless all do")
    learn = command("learn-mac", "insert a SB MAC_Binding, as if ROUTER_PORT had learned IP -> MAC")
    learn.add_argument("router_port")
    learn.add_argument("ip")
    learn.add_argument("mac")
    trace = command("trace", "run ovn-trace, print its summary and a verdict")
    trace.add_argument("datapath")
    trace.add_argument("microflow")
    trace.add_argument("--ct", action="append", default=[], help="ct state for the next ct action (repeatable)")
    trace.add_argument("--lb-dst", help="ip[:port] the load balancer should pick")
    dp_start = command("datapath", "start the datapath mode on the running lab (OVS userspace datapath + ovn-controller)")
    dp_start.add_argument("--chassis", default="chassis-1", help="the chassis name (a gateway chassis of the networks)")
    attach = command("attach", "plug a workload namespace into logical switch port PORT (its MAC and address)")
    attach.add_argument("port")
    attach.add_argument("--serve", type=int, action="append", default=[], help="TCP port to answer on (repeatable)")
    outside = command("outside", "plug an outside host into external network SWITCH with ADDRESS (ip/prefixlen)")
    outside.add_argument("switch")
    outside.add_argument("address")
    outside.add_argument("--serve", type=int, action="append", default=[], help="TCP port to answer on (repeatable)")
    args = parser.parse_args(argv)

    try:
        lab = OvnLab(args.dir)
        if args.command == "start":
            lab.start()
            for key, value in lab.env().items():
                print(f"export {key}={shlex.quote(value)}")
        elif args.command == "stop":
            lab.stop()
        elif args.command == "status":
            pids = lab.status()
            for name, pid in pids.items():
                print(f"{name}: " + (f"running (pid {pid})" if pid else "stopped"))
            # The datapath mode's daemons, only where it runs (it is optional).
            for name, pid in Datapath(lab).status().items():
                if pid:
                    print(f"datapath {name}: running (pid {pid})")
            return 0 if all(pids.values()) else 1
        elif args.command == "learn-mac":
            changed = lab.learn_mac(args.router_port, args.ip, args.mac)
            print("changed" if changed else "unchanged")
        elif args.command == "trace":
            result = lab.trace(args.datapath, args.microflow, ct=args.ct, lb_dst=args.lb_dst)
            print(result.summary, end="")
            print("verdict: " + result.verdict())
            for request in result.arp_requests:
                print(f"hint: to forward it, record the next hop's MAC: learn-mac ROUTER_PORT {request.target_ip} MAC")
        elif args.command == "datapath":
            datapath = lab.start_datapath(args.chassis)
            print(f"datapath running as chassis {datapath.chassis}; namespaces {datapath.prefix}-*")
        elif args.command in ("attach", "outside"):
            datapath = Datapath(lab)
            if not datapath.status()["controller"]:
                raise OvnLabError(f"no datapath runs for the lab in {lab.directory}: run the datapath command first")
            if args.command == "attach":
                plugged: Workload | OutsideHost = datapath.attach_workload(args.port)
            else:
                plugged = datapath.add_outside_host(args.switch, args.address)
            if args.serve:
                datapath.serve(plugged.namespace, args.serve)
            print(f"{plugged.namespace}: {plugged.mac} {plugged.ip}/{plugged.prefixlen}; run commands in it with: "
                  f"ip netns exec {plugged.namespace} ...")
    except OvnLabError as exc:
        print(f"ovn_lab: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

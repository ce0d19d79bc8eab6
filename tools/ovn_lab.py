# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throw-away local OVN control plane for tests and demos.

``OvnLab(directory)`` runs an NB ovsdb-server, an SB ovsdb-server and
ovn-northd, all detached, with every socket, pidfile, log and database inside
``directory``.  No ovn-controller runs, so nothing is programmed into a
datapath: the lab is for checking what lands in the databases and, through
``ovn-trace``, what the logical flows that northd computed would do to a packet.

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
import importlib
import ipaddress
import json
import os
import re
import shlex
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
        survivors = []
        for name in reversed(DAEMONS):
            started = self._started.pop(name, None)
            pid = self._pid(name) or started
            if pid is None:
                continue
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not _is_our_process(pid, self._path(name + ".pid")):
                    _reap(pid)
                    break
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if _wait_gone(pid, self._path(name + ".pid"), 5.0):
                    break
            else:
                survivors.append(f"{name} (pid {pid})")
        # A killed daemon cannot clean up after itself.
        for name in DAEMONS:
            if self._pid(name) is None:
                for suffix in (".pid", ".sock", ".ctl"):
                    Path(self._path(name + suffix)).unlink(missing_ok=True)
        if survivors:
            raise OvnLabError("could not stop " + ", ".join(survivors))

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
        pid = self._read_pidfile(name)
        return pid if pid and _is_our_process(pid, self._path(name + ".pid")) else None

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
    parser = argparse.ArgumentParser(description="Run a local OVN lab (NB, SB, northd) in a directory.")
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
    except OvnLabError as exc:
        print(f"ovn_lab: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

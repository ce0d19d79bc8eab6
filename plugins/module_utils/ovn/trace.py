# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""network_trace: prove with ovn-trace that a project's published addresses work.

Two halves:

* What should happen, read from the NB in one scoped session: for each
  floating IP of the project router (NAT ``dnat_and_snat``) and for each
  backend of each load balancer VIP on an external address, the packet an
  internet client sends - into the external network's switch at its localnet
  port, to the MAC of the project's gateway port there - and the logical
  switch port of the project switch it must leave through, with the
  destination address it must then carry.
* What does happen: the real ``ovn-trace`` binary traces that packet through
  the logical flows ovn-northd computed into the Southbound DB, and its
  ``--summary --minimal`` output is parsed (the parsing section at the bottom)
  into the ports the packet is output to and the header fields it has there.

Nothing is written anywhere: the NB session only reads, and ovn-trace only
reads the SB.
"""

import json
import re
import shlex
import shutil
import subprocess

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    ConnectionFailed,
    InvalidInput,
    KubedcError,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection, external_network
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    KIND_KEY,
    OBJECT_KEY,
    is_ours,
    owned_by,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.fip import KIND as FIP_KIND
from ansible_collections.kubedc.network.plugins.module_utils.ovn.lb_binding import (
    BINDING_KEY_PREFIX,
    KIND as LB_KIND,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import (
    project_names,
    project_router,
    require_project,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import DECLARED_KEY

DEFAULT_SB_REMOTE = "unix:/var/run/ovn/ovnsb_db.sock"

# The packet an internet client sends. eth.src is a locally administered MAC
# made of the client address, so it is nobody's in the NB.
CLIENT_IP = "203.0.113.9"
CLIENT_MAC = "02:00:cb:00:71:09"
CLIENT_PORT = 40000
FIP_PORT = 22
TTL = 64

_REMOTE = re.compile(r"^(?:unix:.+|(?:tcp|ssl):(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5})$")
# What ovn-trace prints when it cannot use the database it was given.
_DB_FAILURE = re.compile(r"database connection failed|does not have OVN_Southbound database|SSL|certificate|private key",
                         re.IGNORECASE)
TLS_OPTIONS = (("ovn_sb_private_key", "--private-key"), ("ovn_sb_certificate", "--certificate"), ("ovn_sb_ca_cert", "--ca-cert"))


def _sb_remotes(value):
    remotes = [part.strip() for part in (value or "").split(",") if part.strip()]
    if not remotes:
        raise InvalidInput("ovn_sb_connection", value, "is empty")
    for remote in remotes:
        if not _REMOTE.match(remote):
            raise InvalidInput(
                "ovn_sb_connection", value,
                "is not a list of unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT remotes (bad part: {0!r})".format(remote),
            )
    return remotes


def _ovn_trace_binary(path):
    found = shutil.which(path) if path else None
    if not found:
        raise InvalidInput(
            "ovn_trace_path", path,
            "is not an executable ovn-trace (nor found on PATH); install OVN's ovn-trace (Debian: ovn-central "
            "or ovn-host) or give its path",
        )
    return found


class OvnTrace(object):
    """Runs the ovn-trace binary against the SB, one process per traced packet."""

    def __init__(self, params):
        self.ovn_sb_connection = params.get("ovn_sb_connection")
        remotes = _sb_remotes(self.ovn_sb_connection)
        self.timeout = params.get("ovn_trace_timeout")
        if not self.timeout or self.timeout <= 0:
            raise InvalidInput("ovn_trace_timeout", self.timeout, "must be a positive number of seconds")
        self.options = ["--db=" + ",".join(remotes)]
        if any(remote.startswith("ssl:") for remote in remotes):
            for field, option in TLS_OPTIONS:
                value = params.get(field)
                if not value:
                    raise InvalidInput(field, value, "is required when ovn_sb_connection uses ssl: remotes")
                self.options.append("{0}={1}".format(option, value))
        self.binary = _ovn_trace_binary(params.get("ovn_trace_path"))

    def argv(self, datapath, microflow, ct=(), lb_dst=None):
        argv = [self.binary] + self.options + ["--summary", "--minimal"]
        argv += ["--ct=" + state for state in ct]
        if lb_dst:
            argv.append("--lb-dst=" + lb_dst)
        return argv + ["--", datapath, microflow]

    def _execute(self, argv):
        try:
            proc = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                universal_newlines=True, timeout=self.timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise ConnectionFailed(
                "ovn_sb_connection: {0!r}: ovn-trace did not finish within {1} seconds (ovn_trace_timeout); is the "
                "Southbound DB reachable?".format(self.ovn_sb_connection, self.timeout),
                field="ovn_sb_connection", value=self.ovn_sb_connection, command=_shell(argv),
            )
        except OSError as exc:
            raise InvalidInput("ovn_trace_path", argv[0], "cannot be run: {0}".format(exc))
        if proc.returncode != 0 and _DB_FAILURE.search(proc.stderr):
            raise ConnectionFailed(
                "ovn_sb_connection: {0!r} cannot be read by ovn-trace: {1}".format(self.ovn_sb_connection, _messages(proc.stderr)),
                field="ovn_sb_connection", value=self.ovn_sb_connection, command=_shell(argv),
            )
        return proc

    def probe(self, datapath):
        """Fail unless ovn-trace can read the SB (for a project with nothing to trace)."""
        argv = [self.binary] + self.options + ["--minimal", "--", datapath, "ip4"]
        proc = self._execute(argv)
        if proc.returncode != 0:
            raise KubedcError(
                "ovn-trace failed (exit {0}): {1}".format(proc.returncode, _messages(proc.stderr or proc.stdout)),
                command=_shell(argv),
            )

    def trace(self, datapath, microflow, ct=(), lb_dst=None):
        """(argv, TraceResult or None, error text or None) for one packet."""
        argv = self.argv(datapath, microflow, ct, lb_dst)
        proc = self._execute(argv)
        if proc.returncode != 0:
            return argv, None, "ovn-trace failed (exit {0}): {1}".format(
                proc.returncode, _messages(proc.stderr or proc.stdout))
        # An unknown datapath or a flow it cannot parse is reported on stdout, with status 0;
        # a trace always starts with "# <the flow>".
        if not proc.stdout.startswith("# "):
            return argv, None, "ovn-trace did not trace it: {0}".format(_last_line(proc.stdout or proc.stderr))
        try:
            return argv, parse_trace(proc.stdout, lb_dst), None
        except ValueError as exc:
            return argv, None, str(exc)


# The prefix of an OVS log line: "2026-01-01T00:00:00Z|00001|ovsdb_cs|INFO|".
_LOG_PREFIX = re.compile(r"^\S+\|\d+\|[\w-]+\|[A-Z]+\|")


def _last_line(text):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _messages(text):
    """What a failed ovn-trace said, in one line, without log prefixes."""
    lines = [_LOG_PREFIX.sub("", line.strip()) for line in (text or "").splitlines() if line.strip()]
    return "; ".join(lines) or "(no output)"


def _shell(argv):
    return " ".join(shlex.quote(arg) for arg in argv)


# -- what should happen: read from the NB ------------------------------------


def _scope(names):
    scope = (
        connection.NbScope()
        .table("Logical_Router_Port", "NAT", "Load_Balancer")
        .fetch("Logical_Switch_Port")
        .by_name("Logical_Router", names.router)
        .by_name("Logical_Switch", names.switch)
    )
    external_network.catalog_scope(scope)

    def localnet_ports(idl):
        # The entry port of each external network, not every project's port on it.
        return [
            ("Logical_Switch_Port", ["name", "==", external_network.localnet_port_name(row.name)])
            for row in idl.tables["Logical_Switch"].rows.values()
            if row.external_ids.get(KIND_KEY) == external_network.KIND
        ]

    scope.refine = localnet_ports
    return scope


def _optional(value):
    """An optional OVSDB column, as the IDL gives it (a list of at most one) or as a value."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _port_addresses(port):
    """The IP addresses a logical switch port holds (``MAC IP...`` entries, static or dynamic)."""
    entries = list(port.addresses)
    dynamic = _optional(getattr(port, "dynamic_addresses", None))
    if dynamic:
        entries.append(dynamic)
    found = []
    for entry in entries:
        # The first word is the MAC, or "dynamic", "router", "unknown".
        for word in entry.split()[1:]:
            address = word.split("/")[0]
            if address not in found:
                found.append(address)
    return found


def _split_endpoint(text):
    """"10.0.0.5:8080" / "[fd00::5]:8080" / "10.0.0.5" -> (address, port or None)."""
    if text.startswith("[") and "]" in text:
        address, rest = text[1:].split("]", 1)
        return address, (rest[1:] if rest.startswith(":") else rest) or None
    if text.count(":") == 1:
        address, port = text.split(":")
        return address, port
    return text, None


def _address_key(address):
    try:
        return (0, validation.netaddr.IPAddress(address), "")
    except (validation.netaddr.AddrFormatError, ValueError, TypeError):
        return (1, 0, address)


def _endpoint_key(text):
    address, port = _split_endpoint(text)
    return _address_key(address) + (int(port) if port and port.isdigit() else 0,)


class _Project(object):
    """The rows of one project that the paths are built from, read in one session."""

    def __init__(self, names, session):
        self.names = names
        self.router = project_router(session, names)
        require_project(self.router, names)
        self.catalog = external_network.read_catalog(session)
        switch = session.one("Logical_Switch", name=names.switch)
        self.owners = {}  # address -> names of the project switch's ports that hold it
        for port in sorted(switch.ports if switch is not None else [], key=lambda row: row.name):
            for address in _port_addresses(port):
                self.owners.setdefault(address, []).append(port.name)
        self.router_ports = dict((port.name, port) for port in self.router.ports)
        self.switch_ports = session.unique_by_name("Logical_Switch_Port")

    def network_of(self, address):
        try:
            return external_network.network_of(self.catalog, address)
        except (validation.netaddr.AddrFormatError, ValueError, TypeError):
            return None

    def entry(self, address, gateway_port=None):
        """(external network, localnet port, gateway router port) for packets to ``address``,
        or raise _Unroutable saying what is missing."""
        network = self.network_of(address)
        if network is None:
            raise _Unroutable("{0} is in no external network managed by kubedc.network".format(address))
        localnet = external_network.localnet_port_name(network)
        if localnet not in self.switch_ports:
            raise _Unroutable("external network {0} has no localnet port {1}".format(network, localnet))
        if gateway_port is None:
            gateway_port = self.router_ports.get(self.names.gateway_router_port(network))
        if gateway_port is None:
            raise _Unroutable("router {0} has no gateway port on external network {1}".format(self.names.router, network))
        return network, localnet, gateway_port

    def owner_of(self, address):
        """(the port of the project switch holding ``address``, None) or (None, why not)."""
        owners = self.owners.get(address, [])
        if len(owners) == 1:
            return owners[0], None
        if not owners:
            return None, "no logical switch port of {0} has address {1}".format(self.names.switch, address)
        return None, "several logical switch ports of {0} have address {1}: {2}".format(
            self.names.switch, address, ", ".join(owners))


class _Unroutable(Exception):
    """No packet can be built for a path; the message says what is missing."""


def _declared(row, key=DECLARED_KEY):
    try:
        declared = json.loads(row.external_ids.get(key) or "{}")
    except ValueError:
        return {}
    return declared if isinstance(declared, dict) else {}


def _fip_paths(project):
    paths = []
    nats = [nat for nat in project.router.nat if nat.type == "dnat_and_snat"]
    for nat in sorted(nats, key=lambda row: (_address_key(row.external_ip), row.logical_ip)):
        name = None
        expected, expected_from = nat.logical_ip, "nat"
        if is_ours(nat) and nat.external_ids.get(KIND_KEY) == FIP_KIND:
            name = nat.external_ids.get(OBJECT_KEY, "/").split("/", 1)[1]
            declared = _declared(nat).get("ip_address")
            if declared:
                # What the FIP was declared for: a row changed behind our back (Kube-OVN's
                # stale NAT) must not be taken for the truth.
                expected, expected_from = declared, "declaration"
        path = _Path("fip", name, nat.external_ip, FIP_PORT, "tcp", expected, expected_from)
        path.logical_ip = nat.logical_ip
        path.gateway_port = _optional(nat.gateway_port)
        paths.append(path)
    return paths


def _vip_paths(project):
    paths = []
    for balancer in sorted(project.router.load_balancer, key=lambda row: row.name):
        protocol = _optional(balancer.protocol) or "tcp"
        holders = {}
        if owned_by(balancer, LB_KIND, project.names.namespace):
            for key, vip in balancer.external_ids.items():
                if key.startswith(BINDING_KEY_PREFIX):
                    holders.setdefault(vip, []).append(key[len(BINDING_KEY_PREFIX):])
        for vip in sorted(balancer.vips, key=_endpoint_key):
            address, port = _split_endpoint(vip)
            if project.network_of(address) is None:
                continue  # not published: a VIP on an internal address
            name = ", ".join(sorted(holders.get(vip, []))) or None
            number = int(port) if port and port.isdigit() else FIP_PORT
            backends = [b.strip() for b in balancer.vips[vip].split(",") if b.strip()]
            if not backends:
                path = _Path("vip", name, address, number, protocol, None, "load_balancer")
                path.load_balancer = balancer.name
                path.problem = "load balancer {0} has no backends for VIP {1}".format(balancer.name, vip)
                paths.append(path)
            for backend in sorted(backends, key=_endpoint_key):
                path = _Path("vip", name, address, number, protocol, _split_endpoint(backend)[0], "load_balancer")
                path.backend = backend
                path.load_balancer = balancer.name
                paths.append(path)
    return paths


class _Path(object):
    """One published address (and backend) to prove."""

    def __init__(self, kind, name, address, port, protocol, expected_ip, expected_from):
        self.kind = kind
        self.name = name
        self.address = address
        self.port = port
        self.protocol = protocol
        self.expected_ip = expected_ip
        self.expected_from = expected_from
        self.logical_ip = None
        self.gateway_port = None
        self.backend = None
        self.load_balancer = None
        self.problem = None  # why the path fails whatever the trace says
        self.unheld = False  # no workload holds the target yet: the path cannot be proven, nor is it wrong
        self.expected_port = None
        self.datapath = None
        self.microflow = None
        self.network = None
        self.drift = None  # how a FIP's NAT row differs from its declaration

    @property
    def label(self):
        where = "{0}:{1}".format(self.address, self.port)
        if self.backend:
            where += " -> {0}".format(self.backend)
        return "{0} {1}{2}".format(self.kind, "{0} ".format(self.name) if self.name else "", where)

    def prepare(self, project):
        """Work out the expected port and the packet to trace."""
        if self.expected_ip is not None:
            self.expected_port, missing = project.owner_of(self.expected_ip)
            self.unheld = self.problem is None and not project.owners.get(self.expected_ip)
            self.problem = self.problem or missing
        if self.kind == "fip" and self.expected_from == "declaration" and self.logical_ip != self.expected_ip:
            # A row that does not send the packet where it was declared to is wrong, held or not.
            self.unheld = False
            self.drift = "the NAT row sends it to {0}, but the FIP was declared for {1}".format(self.logical_ip, self.expected_ip)
            if self.problem:
                self.problem = "{0} ({1})".format(self.problem, self.drift)
        try:
            network, localnet, gateway = project.entry(self.address, self.gateway_port)
        except _Unroutable as exc:
            self.problem = self.problem or str(exc)
            return
        self.network = network
        self.datapath = network
        self.microflow = (
            'inport == "{inport}" && eth.src == {client_mac} && eth.dst == {mac} && ip4.src == {client} && '
            "ip4.dst == {address} && ip.ttl == {ttl} && {proto} && {proto}.src == {sport} && {proto}.dst == {port}"
        ).format(inport=localnet, client_mac=CLIENT_MAC, mac=gateway.mac, client=CLIENT_IP, address=self.address,
                 ttl=TTL, proto=self.protocol, sport=CLIENT_PORT, port=self.port)


def _read(params):
    names = project_names(params["organization"], params["project"], "project")
    session = connection.connect(params, _scope(names))
    try:
        project = _Project(names, session)
        paths = _fip_paths(project) + _vip_paths(project)
        for path in paths:
            path.prepare(project)
    finally:
        session.close()
    return names, paths


# -- what does happen: traced, and compared ---------------------------------


def _prove(path, tracer):
    result = dict(
        kind=path.kind,
        name=path.name,
        address=path.address,
        port=path.port,
        protocol=path.protocol,
        external_network=path.network,
        backend=path.backend,
        load_balancer=path.load_balancer,
        logical_ip=path.logical_ip,
        expected_port=path.expected_port,
        expected_ip4_dst=path.expected_ip,
        expected_from=path.expected_from,
        datapath=path.datapath,
        microflow=path.microflow,
        command=None,
        outputs=[],
        final_fields={},
        ip4_dst=None,
        verdict=None,
        trace="",
        ok=False,
        status="failed",
        reason=None,
    )
    if path.unheld and path.microflow is not None:
        # Nothing to deliver the packet to: not a path that goes wrong, one that cannot be proven yet.
        result["verdict"] = "not proven"
        result["status"] = "not proven"
        result["reason"] = "no workload holds {0} yet ({1})".format(path.expected_ip, path.problem)
        return result
    if path.microflow is None:
        result["verdict"] = "not traced"
        result["reason"] = path.problem
        return result
    ct = ("new",) if path.kind == "vip" else ()
    argv, trace, error = tracer.trace(path.datapath, path.microflow, ct=ct, lb_dst=path.backend)
    result["command"] = _shell(argv)
    if trace is None:
        result["verdict"] = "not traced"
        result["reason"] = "; ".join(part for part in (path.problem, error) if part)
        return result
    outputs = trace.outputs
    at = path.expected_port if path.expected_port in outputs else (outputs[0] if len(outputs) == 1 else None)
    finals = trace.final_fields
    result.update(
        outputs=outputs,
        final_fields=finals,
        ip4_dst=finals[at].get("ip4.dst", path.address) if at is not None else None,
        verdict=trace.verdict(),
        trace=trace.minimal,
    )
    delivered = path.expected_port is not None and outputs == [path.expected_port] and result["ip4_dst"] == path.expected_ip
    if delivered and path.problem is None:
        result["ok"] = True
        result["status"] = "proven"
        return result
    if path.problem is not None:
        result["reason"] = path.problem
        return result
    got = trace.verdict() if not outputs else "went to {0} with ip4.dst {1}".format(
        ", ".join(outputs), result["ip4_dst"] if result["ip4_dst"] is not None else "unknown")
    result["reason"] = "expected output to {0} with ip4.dst {1}, but it {2}".format(
        path.expected_port, path.expected_ip, got if outputs else "was " + got)
    if path.drift:
        result["reason"] += " ({0})".format(path.drift)
    return result


def prove(params):
    """The network_trace result: every path traced and compared, and the totals."""
    tracer = OvnTrace(params)
    names, paths = _read(params)
    if not any(path.microflow for path in paths):
        # Nothing to trace: still make sure the SB is there, so that a wrong ovn_sb_connection
        # does not pass unnoticed until the project publishes something.
        tracer.probe(names.router)
    results = [_prove(path, tracer) for path in paths]
    required = params.get("require_workloads", False)
    unproven = ["{0}: {1}".format(path.label, result["reason"]) for path, result in zip(paths, results)
                if result["status"] == "not proven"]
    failures = ["{0}: {1}".format(path.label, result["reason"]) for path, result in zip(paths, results)
                if result["status"] == "failed" or (required and result["status"] == "not proven")]
    totals = dict(
        paths=len(results),
        ok=sum(1 for result in results if result["ok"]),
        failed=len(failures),
        unproven=len(unproven),
        fips=sum(1 for result in results if result["kind"] == "fip"),
        vips=sum(1 for result in results if result["kind"] == "vip"),
    )
    report = dict(
        organization=names.organization,
        project=names.project,
        namespace=names.namespace,
        ovn_sb_connection=params.get("ovn_sb_connection"),
        paths=results,
        failures=failures,
        unproven=unproven,
        totals=totals,
    )
    if failures and params.get("fail_on_mismatch", True):
        raise KubedcError(
            "{0} of {1} paths of project {2} do not go where they are declared to: {3}".format(
                len(failures), len(results), names.namespace, "; ".join(failures)),
            changed=False, commands=[], network_trace=report,
        )
    return report


# -- ovn-trace output parsing --------------------------------------------------
#
# ``ovn-trace --summary --minimal`` prints the flow it traced ("# tcp,reg14=...,nw_dst=..."),
# then "# Summary trace." and "# Minimal trace." sections. Both are trees: a node
# is "name {" ... "};", a leaf is "text;". The minimal trace keeps only what changes
# the packet, the outputs, "*** " remarks and the nodes that fork the packet
# (ct_dnat(...), ct_lb_mark, arp, ...), whose changes apply to their block only.

GENERATORS = frozenset(("arp", "nd_ns", "nd_na", "icmp4", "icmp6", "tcp_reset", "sctp_abort"))
IP4_FIELDS = frozenset(("ip4.src", "ip4.dst", "arp.spa", "arp.tpa"))
MAC_FIELDS = frozenset(("eth.src", "eth.dst", "arp.sha", "arp.tha", "nd.sll", "nd.tll"))

_ASSIGNMENT = re.compile(r"^([a-z][\w.]*(?:\[[\d.]+\])?) = (.+)$")
_OUTPUT = re.compile(r'^output\("(.+)"\)$')
_NAT = re.compile(r"^ct_([sd])nat\w*\((ip[46]\.(?:src|dst))=([^)]+)\)")
_LB_ACTION = re.compile(r"^ct_lb(?:_mark)?(?:\((.*)\))?;$")
_LB_BACKENDS = re.compile(r"backends=([^;)]*)")
_COMMENT = re.compile(r"\s*/\*.*?\*/")
_NAME = re.compile(r"[\w.]*")
SUMMARY_HEADING = "# Summary trace.\n"
MINIMAL_HEADING = "# Minimal trace.\n"


class _Node(object):
    def __init__(self, text, children=None):
        self.text = text
        self.children = children  # None for a leaf


class TraceOutput(object):
    """One ``output("port")`` reached by the traced packet, or by a packet the
    pipeline built from it (``generated_by``: "arp", "icmp4", ...)."""

    def __init__(self, port, fields, snat, dnat, generated_by):
        self.port = port
        self.fields = fields  # header fields assigned on the way, and only those
        self.snat = snat
        self.dnat = dnat
        self.generated_by = generated_by


class TraceResult(object):
    """What ``parse_trace`` read from one ovn-trace run.

    tools/ovn_lab.py (the lab of the tests and ``make demo``) reads traces with
    this parser too, so that the lab and network_trace cannot disagree.
    """

    def __init__(self, flow, summary, minimal):
        self.flow = flow
        self.summary = summary
        self.minimal = minimal
        self.reached = []  # TraceOutput
        self.arp_requests = []  # (target ip, sender ip, ports)
        self.lb_backends = []  # the backends of each ct_lb action met, in order
        self.errors = []  # ovn-trace's "*** ..." remarks
        self.snat = []
        self.dnat = []

    @property
    def outputs(self):
        """Ports the traced packet itself leaves through."""
        return [out.port for out in self.reached if out.generated_by is None]

    @property
    def final_fields(self):
        """port -> header fields assigned on the way to it, for the traced packet."""
        return dict((out.port, dict(out.fields)) for out in self.reached if out.generated_by is None)

    @property
    def generated(self):
        """Outputs of the packets the pipeline built (ARP requests, ICMP errors, TCP resets, ...)."""
        return [out for out in self.reached if out.generated_by is not None]

    @property
    def dropped(self):
        """The traced packet went nowhere, and not because the router waits for an ARP reply."""
        return not self.outputs and not self.arp_requests

    def verdict(self):
        """What happened, in one line."""
        generated = self.generated
        if self.outputs:
            text = "forwarded to " + ", ".join(self.outputs)
            if self.snat:
                text += "; SNAT " + ", ".join(self.snat)
            if self.dnat:
                text += "; DNAT " + ", ".join(self.dnat)
        elif self.arp_requests:
            text = "not forwarded: " + "; ".join(
                "ARP request for {0} from {1} via {2}".format(target, sender, ", ".join(ports) or "no port")
                for target, sender, ports in self.arp_requests
            ) + " (no MAC binding for the next hop)"
        else:
            text = "dropped"
            if self.errors:
                text += " (" + "; ".join(self.errors) + ")"
            if generated:
                text += "; generated " + ", ".join("{0} to {1}".format(out.generated_by, out.port) for out in generated)
        if any(self.lb_backends):
            text += "; LB backends " + " | ".join(",".join(backends) for backends in self.lb_backends)
        return text


def parse_trace(text, lb_dst=None):
    """Parse ``ovn-trace --summary --minimal`` output; raise ValueError if it is not that.

    ``lb_dst`` is the ``--lb-dst`` given to ovn-trace: which backend a ct_lb
    action picked is not printed, so it is worked out as ovn-trace picks it.
    """
    first, newline, rest = text.partition("\n")
    summary, found, minimal = rest.partition(MINIMAL_HEADING)
    if not (newline and found and first.startswith("# ") and summary.startswith(SUMMARY_HEADING)):
        raise ValueError("unexpected ovn-trace output (not --summary --minimal): {0}".format(_last_line(text)))
    result = TraceResult(first[2:], summary[len(SUMMARY_HEADING):], minimal)
    walker = _Walker(result, _lb_actions(_parse_tree(result.summary)), lb_dst)
    walker.walk(_parse_tree(minimal), _State())
    return result


def _parse_tree(text):
    root = []
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line in ("}", "};"):
            if len(stack) == 1:
                raise ValueError("unbalanced braces in ovn-trace output")
            stack.pop()
        elif line.endswith(" {"):
            node = _Node(_COMMENT.sub("", line[:-2]).strip(), [])
            stack[-1].append(node)
            stack.append(node.children)
        else:
            stack[-1].append(_Node(line))
    return root


def _lb_actions(nodes):
    """The backends of every ct_lb/ct_lb_mark action of the summary, in order.

    The summary shows the action as its flow has it
    (``ct_lb_mark(backends=10.0.0.5:80,10.0.0.6:80);``); the minimal trace only
    the node for its effect.
    """
    found = []
    for node in nodes:
        if node.children is not None:
            found.extend(_lb_actions(node.children))
            continue
        match = _LB_ACTION.match(node.text)
        if match:
            backends = _LB_BACKENDS.search(match.group(1) or "")
            found.append(backends.group(1).split(",") if backends else [])
    return found


def _normalised(field, value):
    """Values copied from registers are printed in hex (``arp.tpa = 0x64410001``)."""
    if not value.startswith("0x"):
        return value
    try:
        number = int(value, 16)
    except ValueError:
        return value
    if field in IP4_FIELDS and number < 1 << 32:
        return ".".join(str((number >> shift) & 0xFF) for shift in (24, 16, 8, 0))
    if field in MAC_FIELDS and number < 1 << 48:
        digits = "{0:012x}".format(number)
        return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
    return value


class _State(object):
    """The packet on one branch of the tree: fields changed so far, NAT done."""

    def __init__(self, fields=None, snat=(), dnat=(), generated_by=None):
        self.fields = dict(fields or {})
        self.snat = snat
        self.dnat = dnat
        self.generated_by = generated_by

    def copy(self):
        return _State(self.fields, self.snat, self.dnat, self.generated_by)


class _Walker(object):
    def __init__(self, result, lb_actions, lb_dst):
        self.result = result
        head = result.flow.split(",")
        self.flow_fields = dict(part.split("=", 1) for part in head[1:] if "=" in part)
        protocol = head[0][:-1] if head[0].endswith("6") else head[0]
        # The L4 protocol whose destination port a ct_lb rewrites.
        self.l4 = protocol if protocol in ("tcp", "udp", "sctp") else None
        self.lb_actions = lb_actions
        self.lb_dst = lb_dst
        self.lb_seen = 0

    def walk(self, nodes, state):
        """Walk ``nodes`` with ``state`` (changed in place); return the outputs reached."""
        reached = []
        for node in nodes:
            if node.children is None:
                reached.extend(self._leaf(node.text[:-1] if node.text.endswith(";") else node.text, state))
                continue
            inner = state.copy()
            name = _NAME.match(node.text).group(0)
            if name in GENERATORS:
                inner.generated_by = name
                inner.snat = inner.dnat = ()
                outputs = self.walk(node.children, inner)
                if name == "arp":
                    self.result.arp_requests.append((
                        inner.fields.get("arp.tpa", "?"), inner.fields.get("arp.spa", "?"), [out.port for out in outputs]
                    ))
                reached.extend(outputs)
                continue
            if name.startswith("ct_lb"):
                self._load_balance(inner)
            else:
                nat = _NAT.match(node.text)
                if nat:
                    kind, field, address = nat.groups()
                    inner.fields[field] = address
                    self._nat(inner, kind, address)
            reached.extend(self.walk(node.children, inner))
        return reached

    def _leaf(self, text, state):
        output = _OUTPUT.match(text)
        if output:
            out = TraceOutput(output.group(1), dict(state.fields), state.snat, state.dnat, state.generated_by)
            self.result.reached.append(out)
            return [out]
        if text == "ip.ttl--":
            ttl = state.fields.get("ip.ttl", self.flow_fields.get("nw_ttl"))
            if ttl is not None and ttl.isdigit():
                state.fields["ip.ttl"] = str(int(ttl) - 1)
            return []
        assignment = _ASSIGNMENT.match(text)
        if assignment:
            field, value = assignment.groups()
            state.fields[field] = _normalised(field, value)
        elif text.startswith("*** "):
            self.result.errors.append(text[4:])
        return []

    def _load_balance(self, state):
        """ovn-trace does not print the backend a ct_lb picks. It takes the first
        backend with --lb-dst's address (once per trace), --lb-dst itself for a
        ct_lb without backends, or else one at random - which is then unknown."""
        backends = self.lb_actions[self.lb_seen] if self.lb_seen < len(self.lb_actions) else []
        self.lb_seen += 1
        self.result.lb_backends.append(backends)
        chosen = None
        if self.lb_dst and backends:
            wanted = _split_endpoint(self.lb_dst)[0]
            for backend in backends:
                if _split_endpoint(backend)[0] == wanted:
                    chosen = backend
                    break
            if chosen:
                self.lb_dst = None
        elif self.lb_dst:
            chosen = self.lb_dst
        if chosen:
            address, port = _split_endpoint(chosen)
            state.fields["ip6.dst" if ":" in address else "ip4.dst"] = address
            if port and self.l4:
                state.fields[self.l4 + ".dst"] = port
            self._nat(state, "d", chosen)

    def _nat(self, state, kind, address):
        if kind == "s":
            state.snat += (address,)
            seen = self.result.snat
        else:
            state.dnat += (address,)
            seen = self.result.dnat
        if state.generated_by is None and address not in seen:
            seen.append(address)

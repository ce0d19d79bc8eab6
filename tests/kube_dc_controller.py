# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for the Kube-DC controller (and the part of kube-ovn-controller it drives), for tests.

``KubeDcController`` watches -- by polling, every ``interval`` seconds, since the API-server
double has no watch -- the Kube-DC custom resources (``kube-dc.com/v1`` Project, EIp, FIp), the
Kube-OVN ``OvnEip``/``OvnFip`` objects it creates, KubeVirt VMIs and LoadBalancer Services, all
through the official ``kubernetes`` client, so it runs against the double and against a real API
server alike.  It writes the OVN Northbound rows the way Kube-OVN 1.15 writes them (names,
columns, ``external_ids={vendor=kube-ovn}``; see /work/shared/reference/platform-kube-dc-kube-ovn.md
§3) into a real OVN lab (``tools/ovn_lab.py``) through ``ovn-nbctl``, so that what a module reads
back from the NB is what a Kube-DC cluster would show.

    controller = KubeDcController(kube.api_client, lab.ovn)     # networks: discovered in the NB
    controller.start()            # background thread; or controller.reconcile_once() / settle()
    ...
    controller.shutdown()         # deletes the Projects it served, waits, stops the thread

What it models (reference section in brackets)
----------------------------------------------
* Project [1.1, 1.7, 3.1-3.3, 3.6]: namespace ``<org>-<project>`` (label ``kube-dc.com/project``),
  OvnEip ``<ns>-<ext>`` (type lrp) from the egress network's pool, Logical_Router ``<ns>``,
  Logical_Switch ``<ns>-default`` (gateway = first address of the CIDR), router ports, the
  distributed gateway port ``<ns>-<ext>`` with Gateway_Chassis, the default route, the SNAT of the
  CIDR to the gateway address, the six ``vpc-<ns>-<proto>[-sess]-load`` load balancers on the
  switch, and EIp ``default-gw`` (``spec.childRef: <ns>-<ext>``); then ``status.ready``.
  Finalizer ``project.kube-dc.com/finalizer``; deletion removes the NB rows, the OvnEip, the
  default-gw EIp and the namespace, then the finalizer.  Refused (ready false + condition): a
  cidrBlock that is not an IPv4 CIDR, one overlapping a served external network, a gwLanIp outside
  the CIDR, an egress network type no external network serves.
* EIp [1.2, 3.4]: OvnEip ``eip-<ns>-<name>`` (type nat; no NB row), lowest free address of the
  network's pool (in-memory IPAM rebuilt from OvnEips and EIp statuses when the controller starts);
  pool exhausted => ``ready: false`` + condition ``NoAvailableAddress``.  ``childRef`` adopts an
  OvnEip.  Owners (``Snat``, ``FIp``, ``ServiceLb``) and ``ownershipType`` are recomputed on every
  pass.  Finalizer ``eip.kube-dc.com/finalizer``; deletion waits while the EIp has owners.
  ``status.deleteReleased`` EIps (created for FIps with ``externalNetworkType``) are deleted once
  Released.
* FIp [1.3, 3.5, 3.9]: target from ``spec.ipAddress`` or the VMI's ``status.interfaces``; EIp from
  ``spec.eip`` (becomes Exclusive) or an EIp ``fip-<name>`` the controller creates; OvnFip
  ``fip-<ns>-<name>`` (finalizer ``kubeovn.io/kube-ovn-controller``) whose creation writes the NAT
  ``dnat_and_snat`` row; a 30000 reroute policy when the EIp's network is not the egress network
  (and the VPC gets a gateway port on that network too).  THE STALE NAT BUG: when the target
  changes, the FIp status and ``OvnFip.spec.v4Ip`` follow, the NAT row does not; deleting the
  OvnFip removes the row and the controller recreates both with the current address.
* LoadBalancer Services [1.5, 3.8]: ``service.nlb.kube-dc.com/bind-on-eip`` /
  ``bind-on-default-gw-eip``; VIPs ``<eip>:<port>`` => sorted ready endpoints ``<ip>:<port>`` in
  ``vpc-<ns>-<proto>[-sess]-load``, that LB attached to router ``<ns>``; ``ServiceLb`` owner; ingress
  IP in the Service status.  A port/protocol already taken on that EIp, an Exclusive EIp, or an EIp
  that is not ready => pending (no ingress).  ``expose-route``: the assigned hostname in annotation
  ``route-hostname-status`` (``route-hostname``, or ``<svc>-<ns>.apps.kube-dc.test``).

What it does not model: Kube-OVN Vpc/Subnet/OvnSnatRule/NAD objects, VPC DNS, isolation policies,
quotas, admission webhooks, auto-created EIps for Services without a bind annotation, the SvcLB
30010 reroute, the ``<svc>-ext`` companion Service, the Gateway API route objects.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import ipaddress
import json
import logging
import threading
import time
import traceback

from polling_controller import PollingController, api_client_of

LOG = logging.getLogger("kube_dc_controller")

KUBE_DC = "kube-dc.com"
KUBEOVN = "kubeovn.io"
KUBEVIRT = "kubevirt.io"
V1 = "v1"

PROJECT_FINALIZER = "project.kube-dc.com/finalizer"
EIP_FINALIZER = "eip.kube-dc.com/finalizer"
FIP_FINALIZER = "fip.kube-dc.com/finalizer"
KUBEOVN_FINALIZER = "kubeovn.io/kube-ovn-controller"

BIND_ON_EIP = "service.nlb.kube-dc.com/bind-on-eip"
BIND_ON_DEFAULT_GW_EIP = "service.nlb.kube-dc.com/bind-on-default-gw-eip"
EXPOSE_ROUTE = "service.nlb.kube-dc.com/expose-route"
ROUTE_HOSTNAME = "service.nlb.kube-dc.com/route-hostname"
ROUTE_HOSTNAME_STATUS = "service.nlb.kube-dc.com/route-hostname-status"
# The gateway's base domain: a route's default hostname is <service>-<namespace>.<base domain>.
ROUTE_BASE_DOMAIN = "apps.kube-dc.test"
PROJECT_LABEL = "kube-dc.com/project"
ORGANIZATION_LABEL = "kube-dc.com/organization"
EIP_LABEL = "network.kube-dc.com/eip"
FIP_LABEL = "network.kube-dc.com/fip"
PROJECT_GW_LABEL = "network.kube-dc.com/project-gateway"
AUTO_EIP_LABEL = "network.kube-dc.com/fip-auto-eip"
EIP_CREATED_BY = "kube-dc.com/ovn-eip-created-by-eip"
OVN_SUBNET_LABEL = "ovn.kubernetes.io/subnet"
OVN_EIP_TYPE_LABEL = "ovn.kubernetes.io/ovn_eip_type"
OVN_EIP_V4_LABEL = "ovn.kubernetes.io/eip_v4_ip"
OVN_VPC_EIP_ANNOTATION = "ovn.kubernetes.io/vpc_eip"
# The marker of the tests' own kubeovn.io CRDs (tests/crds/kubeovn-*.yaml).
TEST_CRD_ANNOTATION = "kubedc.network/test-crd"

DEFAULT_GW = "default-gw"
FIP_REROUTE_PRIORITY = 30000
VENDOR = {"vendor": "kube-ovn"}
LB_PROTOCOLS = ("tcp", "udp", "sctp")


def lb_name(namespace, protocol, session=False):
    """Kube-OVN's per-VPC load balancer name (§3.8)."""
    return "vpc-%s-%s-%sload" % (namespace, protocol, "sess-" if session else "")


def ovn_eip_name(namespace, eip):
    """The OvnEip the controller creates for a user EIp (Kube-DC's exact format is not public)."""
    return "eip-%s-%s" % (namespace, eip)


def ovn_fip_name(namespace, fip):
    """The OvnFip the controller creates for a FIp (Kube-DC's exact format is not public)."""
    return "fip-%s-%s" % (namespace, fip)


def auto_eip_name(fip):
    """The EIp the controller creates for a FIp with ``externalNetworkType``."""
    return "fip-%s" % fip


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mac(seed):
    digest = hashlib.sha1(seed.encode()).digest()
    return "00:00:00:%02x:%02x:%02x" % (digest[0], digest[1], digest[2])


def _api_exception():
    from kubernetes.client.exceptions import ApiException
    return ApiException


class NoAvailableAddress(Exception):
    """The pool of an external network is exhausted (Kube-OVN's ipam.ErrNoAvailable)."""


# ---------------------------------------------------------------------------------------------------------------------
# External networks and IPAM


@dataclasses.dataclass(frozen=True)
class ExternalNetwork:
    """An external network (a Kube-OVN external Subnet) the controller allocates from."""

    name: str
    network_type: str
    cidr: str
    gateway: str
    reserved: tuple = ()
    gateway_chassis: tuple = ()

    @classmethod
    def from_dict(cls, data):
        """From the ``external_network`` module's result (or any dict with the same keys)."""
        return cls(name=data["name"], network_type=data["network_type"], cidr=data["cidr"], gateway=data["gateway"],
                   reserved=tuple(data.get("reserved") or ()), gateway_chassis=tuple(data.get("gateway_chassis") or ()))

    @property
    def network(self):
        return ipaddress.ip_network(self.cidr, strict=False)

    def excluded(self):
        """Addresses never handed out: the gateway and the reserved ranges (Kube-OVN excludeIps)."""
        out = {int(ipaddress.ip_address(self.gateway))}
        ranges = []
        for item in self.reserved:
            first, _sep, last = str(item).partition("-")
            ranges.append((int(ipaddress.ip_address(first.strip())), int(ipaddress.ip_address((last or first).strip()))))
        return out, ranges


def networks_from_nb(nb):
    """The external networks the lab has (Logical_Switches the external_network module created)."""
    found = []
    for row in nb.table("Logical_Switch"):
        ids = row["external_ids"]
        if ids.get("kubedc:kind") != "external_network" or not ids.get("kubedc:cidr"):
            continue
        reserved = [r for r in ids.get("kubedc:reserved", "").split(",") if r]
        chassis = [c for c in ids.get("kubedc:gateway-chassis", "").split(",") if c]
        found.append(ExternalNetwork(name=row["name"], network_type=ids.get("kubedc:network-type", "cloud"),
                                     cidr=ids["kubedc:cidr"], gateway=ids.get("kubedc:gateway", ""),
                                     reserved=tuple(reserved), gateway_chassis=tuple(chassis)))
    return found


class Ipam:
    """kube-ovn-controller's in-memory IPAM for the external subnets: owner -> address, lowest free first."""

    def __init__(self):
        self._by_owner = {}  # owner -> (network name, address)

    def used(self, network):
        return {ip for (net, ip) in self._by_owner.values() if net == network}

    def address_of(self, owner):
        entry = self._by_owner.get(owner)
        return entry[1] if entry else None

    def reserve(self, network, address, owner):
        self._by_owner[owner] = (network, str(address))

    def allocate(self, net, owner):
        current = self._by_owner.get(owner)
        if current and current[0] == net.name:
            return current[1]
        network = net.network
        single, ranges = net.excluded()
        used = {int(ipaddress.ip_address(a)) for a in self.used(net.name)}
        first, last = int(network.network_address) + 1, int(network.broadcast_address) - 1
        candidate = first
        while candidate <= last:
            skip = next((hi for lo, hi in ranges if lo <= candidate <= hi), None)
            if skip is not None:
                candidate = skip + 1
                continue
            if candidate not in single and candidate not in used:
                address = str(ipaddress.ip_address(candidate))
                self._by_owner[owner] = (net.name, address)
                return address
            candidate += 1
        raise NoAvailableAddress("NoAvailableAddress")

    def release(self, owner):
        self._by_owner.pop(owner, None)


# ---------------------------------------------------------------------------------------------------------------------
# The NB, read once a pass, written in batches


def _ovsdb_value(value):
    if isinstance(value, list) and len(value) == 2 and value[0] in ("uuid", "named-uuid"):
        return value[1]
    if isinstance(value, list) and len(value) == 2 and value[0] == "set":
        return [_ovsdb_value(v) for v in value[1]]
    if isinstance(value, list) and len(value) == 2 and value[0] == "map":
        return {k: _ovsdb_value(v) for k, v in value[1]}
    return value


def _as_list(value):
    if isinstance(value, list):
        return value
    return [] if value in (None, "") else [value]


class NbView:
    """The NB tables the controller reads, as lists of dicts (sets always lists, maps dicts)."""

    TABLES = ("Logical_Router", "Logical_Router_Port", "Logical_Switch", "Logical_Switch_Port", "NAT",
              "Load_Balancer", "Logical_Router_Policy", "Logical_Router_Static_Route")
    SETS = {"ports", "nat", "policies", "static_routes", "load_balancer", "nexthops", "networks", "gateway_chassis",
            "addresses", "selection_fields"}

    def __init__(self, ovn):
        args = ["--format=json"]
        for table in self.TABLES:
            args += ["list", table, "--"]
        text = ovn.nbctl(*args[:-1])
        decoder = json.JSONDecoder()
        self._tables = {}
        pos = 0
        for table in self.TABLES:
            while text[pos].isspace():
                pos += 1
            doc, pos = decoder.raw_decode(text, pos)
            rows = []
            for data in doc["data"]:
                row = {h: _ovsdb_value(v) for h, v in zip(doc["headings"], data)}
                for key in self.SETS & set(row):
                    row[key] = _as_list(row[key])
                rows.append(row)
            self._tables[table] = rows
        self._by_uuid = {row["_uuid"]: row for rows in self._tables.values() for row in rows}

    def table(self, name):
        return self._tables[name]

    def named(self, table, name):
        return next((row for row in self._tables[table] if row.get("name") == name), None)

    def children(self, router, column):
        row = self.named("Logical_Router", router)
        return [self._by_uuid[u] for u in (row[column] if row else []) if u in self._by_uuid]


class NbTxn:
    """ovn-nbctl commands collected during a pass and run as one transaction."""

    def __init__(self, ovn):
        self.ovn = ovn
        self.commands = []
        self._ids = 0

    def add(self, *command):
        self.commands.append(list(command))

    def new_id(self):
        self._ids += 1
        return "@row%d" % self._ids

    def commit(self):
        if not self.commands:
            return 0
        args = []
        for command in self.commands:
            args += command + ["--"]
        self.ovn.nbctl(*args[:-1])
        done = len(self.commands)
        self.commands = []
        return done


def _q(value):
    return json.dumps(str(value))


# ---------------------------------------------------------------------------------------------------------------------
# The controller


class _Pass:
    """What one reconcile pass saw and decided."""

    def __init__(self):
        self.networks = {}
        self.nb = None
        self.projects = []
        self.eips = {}          # (ns, name) -> object
        self.eip_desired = {}   # (ns, name) -> desired status (without owners)
        self.owners = {}        # (ns, name) -> [{type, ownerRef}]
        self.fips = []
        self.ovn_eips = {}
        self.ovn_fips = {}
        self.services = []
        self.project_by_ns = {}  # ns -> project object (not deleting, spec valid)
        self.attach = {}        # ns -> set of external network names its VPC must reach
        self.policies = {}      # ns -> {(priority, match): nexthop}
        self.vips = {}          # ns -> {lb name: {vip: backends}}
        self.granted = {}       # ("FIp"|"Service", ns, name) -> eip name
        self.denied = {}        # same key -> message


class KubeDcController(PollingController):
    """See the module docstring."""

    thread_name = "kube-dc-controller"
    settle_passes = 30

    def __init__(self, api_client, ovn, networks=None, *, interval=0.1, default_eip_network_type="cloud",
                 default_fip_network_type="cloud", mac_binding_aging=True):
        """``api_client``: a kubernetes ApiClient, a callable returning one, or a kubeconfig path.
        ``ovn``: the OvnLab.  ``networks``: ExternalNetwork objects or dicts; None = discover in the NB
        on every pass (the Logical_Switches of the external_network module).

        ``mac_binding_aging``: write Kube-OVN's ``options:mac_binding_age_threshold=300`` on the
        project routers, as Kube-OVN does (``OvnLab.learn_mac`` stamps what it writes with the
        current time, so northd does not age it out before a trace)."""
        from kubernetes import client

        super().__init__(interval)
        api_client = api_client_of(api_client)
        self.api = api_client
        self.custom = client.CustomObjectsApi(api_client)
        self.core = client.CoreV1Api(api_client)
        self.discovery = client.DiscoveryV1Api(api_client)
        self.ovn = ovn
        self._networks = None if networks is None else [
            n if isinstance(n, ExternalNetwork) else ExternalNetwork.from_dict(n) for n in networks]
        self.default_eip_network_type = default_eip_network_type
        self.default_fip_network_type = default_fip_network_type
        self.router_options = ["options:dynamic_neigh_routers=true"]
        if mac_binding_aging:
            self.router_options.insert(0, "options:mac_binding_age_threshold=300")
        self.ipam = Ipam()
        self.errors = []
        self.passes = 0
        self._ipam_ready = False
        self._lock = threading.RLock()
        self._writes = 0
        self._nb_dirty = False
        self.namespaces_created = set()
        self.namespaces_finalized = set()  # where it put its finalizers on kube-dc.com objects
        self.projects_seen = set()

    # ------------------------------------------------------------------------------------------------ lifecycle

    def shutdown(self, timeout=30.0):
        """Deletes the Projects this controller served and lets it clean up; then stops it.  Whatever is
        left after ``timeout`` loses its finalizers, so that the test's namespaces can go."""
        with self._lock:
            for org, name in sorted(self.projects_seen):
                self._ignore_missing(self.custom.delete_namespaced_custom_object, KUBE_DC, V1, org, "projects", name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._leftovers():
                    break
            time.sleep(self.interval)
        self.stop()
        with self._lock:
            self._force_cleanup()

    def _leftovers(self):
        projects = [p for p in self._list_cluster(KUBE_DC, "projects")
                    if (p["metadata"]["namespace"], p["metadata"]["name"]) in self.projects_seen]
        return projects or [ns for ns in self.namespaces_created if self._read_namespace(ns) is not None]

    def _force_cleanup(self):
        # Its own finalizers only, wherever it put them: a namespace the test made and deletes
        # would otherwise stay Terminating for good (as on a real server with the controller gone).
        own = {PROJECT_FINALIZER, EIP_FINALIZER, FIP_FINALIZER}
        namespaces = self.namespaces_created | self.namespaces_finalized
        for group, plural in ((KUBE_DC, "fips"), (KUBE_DC, "eips"), (KUBE_DC, "projects")):
            for obj in self._list_cluster(group, plural):
                meta = obj["metadata"]
                mine = meta["namespace"] in namespaces or (
                    plural == "projects" and (meta["namespace"], meta["name"]) in self.projects_seen)
                finalizers = meta.get("finalizers") or []
                if mine and set(finalizers) & own:
                    self._ignore_missing(self.custom.patch_namespaced_custom_object, group, V1, meta["namespace"], plural,
                                         meta["name"], {"metadata": {"finalizers": [f for f in finalizers if f not in own] or None}})
        for plural in ("ovn-fips", "ovn-eips"):
            for obj in self._list_cluster(KUBEOVN, plural):
                meta = obj["metadata"]
                if not set(meta.get("labels") or {}) & {EIP_LABEL, FIP_LABEL, PROJECT_GW_LABEL}:
                    continue
                if meta.get("finalizers"):
                    self._ignore_missing(self.custom.patch_cluster_custom_object, KUBEOVN, V1, plural, meta["name"],
                                         {"metadata": {"finalizers": None}})
                self._ignore_missing(self.custom.delete_cluster_custom_object, KUBEOVN, V1, plural, meta["name"])
        for ns in sorted(self.namespaces_created):
            self._ignore_missing(self.core.delete_namespace, ns)

    # --------------------------------------------------------------------------------------------------- a pass

    def reconcile_once(self):
        """One level-triggered pass over everything; returns the number of writes (API and NB) it made."""
        with self._lock:
            self._writes = 0
            try:
                self._pass()
            except Exception as exc:  # pylint: disable=broad-except
                if not self._benign(exc):
                    self._record(exc)
            self.passes += 1
            return self._writes

    def _benign(self, exc):
        # 404 (gone meanwhile) and 409 (changed meanwhile) are retried on the next pass.
        return isinstance(exc, _api_exception()) and exc.status in (404, 409)

    def _record(self, exc):
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        LOG.error("kube-dc controller: %s", text)
        self.errors.append(text)

    def _guard(self, func, *args):
        try:
            func(*args)
        except Exception as exc:  # pylint: disable=broad-except
            if not self._benign(exc):
                self._record(exc)

    def _pass(self):
        state = _Pass()
        state.nb = NbView(self.ovn)
        networks = self._networks if self._networks is not None else networks_from_nb(state.nb)
        state.networks = {n.name: n for n in networks}
        state.projects = self._list_cluster(KUBE_DC, "projects")
        state.eips = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in self._list_cluster(KUBE_DC, "eips")}
        state.fips = self._list_cluster(KUBE_DC, "fips")
        state.ovn_eips = {o["metadata"]["name"]: o for o in self._list_cluster(KUBEOVN, "ovn-eips")}
        state.ovn_fips = {o["metadata"]["name"]: o for o in self._list_cluster(KUBEOVN, "ovn-fips")}
        state.services = [s for s in self._plain(self.core.list_service_for_all_namespaces()).get("items", [])
                          if (s.get("spec") or {}).get("type") == "LoadBalancer"]
        if not self._ipam_ready:
            self._rebuild_ipam(state)
        txn = NbTxn(self.ovn)
        # Kube-OVN's side first: OvnFips being deleted take their NAT rows with them.
        for ofip in list(state.ovn_fips.values()):
            self._guard(self._kubeovn_fip, state, ofip, txn)
        self._refresh(state, txn)
        for project in state.projects:
            self._guard(self._project_infra, state, project, txn)
        self._refresh(state, txn)
        for key in sorted(state.eips):
            self._guard(self._eip_allocation, state, state.eips[key])
        self._claims(state)
        for fip in state.fips:
            self._guard(self._fip, state, fip, txn)
        for service in state.services:
            self._guard(self._service, state, service)
        for ns in sorted(state.project_by_ns):
            self._guard(self._project_network_extras, state, ns, txn)
        self._commit(txn)
        for key in sorted(state.eips):
            self._guard(self._eip_status, state, state.eips[key])
        self._gc_kubeovn(state)
        for project in state.projects:
            self._guard(self._project_status, state, project)

    def _commit(self, txn):
        done = txn.commit()
        self._writes += done
        return done

    def _refresh(self, state, txn):
        """Commits, and re-reads the NB when that wrote anything."""
        if self._commit(txn) or self._nb_dirty:
            state.nb = NbView(self.ovn)
            self._nb_dirty = False

    # ------------------------------------------------------------------------------------------------- helpers

    def _plain(self, obj):
        return self.api.sanitize_for_serialization(obj) if obj is not None and not isinstance(obj, dict) else (obj or {})

    def _list_cluster(self, group, plural):
        try:
            return self.custom.list_cluster_custom_object(group, V1, plural).get("items", [])
        except _api_exception() as exc:
            if exc.status == 404:  # CRD not installed
                return []
            raise

    def _read_namespace(self, name):
        try:
            return self.core.read_namespace(name)
        except _api_exception() as exc:
            if exc.status == 404:
                return None
            raise

    def _get_custom(self, group, namespace, plural, name):
        try:
            if namespace is None:
                return self.custom.get_cluster_custom_object(group, V1, plural, name)
            return self.custom.get_namespaced_custom_object(group, V1, namespace, plural, name)
        except _api_exception() as exc:
            if exc.status == 404:
                return None
            raise

    def _patch_status(self, group, plural, obj, status):
        """Merge-patches ``status`` through the status subresource when it differs; returns the object."""
        current = obj.get("status") or {}
        patch = {k: v for k, v in status.items() if current.get(k) != v}
        patch.update({k: None for k in current if k not in status and k in self._STATUS_KEYS.get(plural, ())})
        if not patch:
            return obj
        self._writes += 1
        meta = obj["metadata"]
        body = {"status": patch}
        if meta.get("namespace"):
            return self.custom.patch_namespaced_custom_object_status(group, V1, meta["namespace"], plural, meta["name"], body)
        return self.custom.patch_cluster_custom_object_status(group, V1, plural, meta["name"], body)

    _STATUS_KEYS = {
        "projects": ("ready", "namespace", "conditions"),
        "eips": ("ipAddress", "ready", "ovnEIpRef", "ownershipType", "owners", "deleteReleased", "conditions"),
        "fips": ("ready", "externalIP", "eip", "ovnFip", "resolvedTargetIP", "targetVMInterface", "conditions"),
        "ovn-eips": ("v4Ip", "macAddress", "type", "nat", "ready"),
        "ovn-fips": ("vpc", "v4Eip", "v4Ip", "ready"),
    }

    def _set_finalizers(self, group, plural, obj, finalizers):
        meta = obj["metadata"]
        if sorted(meta.get("finalizers") or []) == sorted(finalizers):
            return obj
        self._writes += 1
        body = {"metadata": {"finalizers": finalizers or None, "resourceVersion": meta["resourceVersion"]}}
        if meta.get("namespace"):
            return self.custom.patch_namespaced_custom_object(group, V1, meta["namespace"], plural, meta["name"], body)
        return self.custom.patch_cluster_custom_object(group, V1, plural, meta["name"], body)

    def _add_finalizer(self, group, plural, obj, finalizer):
        current = obj["metadata"].get("finalizers") or []
        if finalizer in current:
            return obj
        if group == KUBE_DC and obj["metadata"].get("namespace"):
            self.namespaces_finalized.add(obj["metadata"]["namespace"])
        return self._set_finalizers(group, plural, obj, current + [finalizer])

    def _remove_finalizer(self, group, plural, obj, finalizer):
        current = obj["metadata"].get("finalizers") or []
        if finalizer not in current:
            return obj
        return self._set_finalizers(group, plural, obj, [f for f in current if f != finalizer])

    def _create(self, group, namespace, plural, body):
        self._writes += 1
        try:
            if namespace is None:
                return self.custom.create_cluster_custom_object(group, V1, plural, body)
            return self.custom.create_namespaced_custom_object(group, V1, namespace, plural, body)
        except _api_exception() as exc:
            if exc.status != 409:
                raise
            return self._get_custom(group, namespace, plural, body["metadata"]["name"])

    def _delete(self, group, namespace, plural, name):
        self._writes += 1
        if namespace is None:
            return self._ignore_missing(self.custom.delete_cluster_custom_object, group, V1, plural, name)
        return self._ignore_missing(self.custom.delete_namespaced_custom_object, group, V1, namespace, plural, name)

    @staticmethod
    def _condition(old_status, ctype, status, reason, message):
        old = next((c for c in (old_status or {}).get("conditions") or [] if c.get("type") == ctype), None)
        stamp = old["lastTransitionTime"] if old and old.get("status") == status else _now()
        return {"type": ctype, "status": status, "reason": reason, "message": message, "lastTransitionTime": stamp}

    def _network_of_type(self, state, network_type):
        return next((n for n in state.networks.values() if n.network_type == network_type), None)

    # -------------------------------------------------------------------------------------------------- IPAM

    def _rebuild_ipam(self, state):
        """Like kube-ovn-controller at start: the addresses of existing OvnEips, then those EIp statuses name."""
        for name, oeip in state.ovn_eips.items():
            status, spec = oeip.get("status") or {}, oeip.get("spec") or {}
            address = status.get("v4Ip") or spec.get("v4Ip")
            if address and spec.get("externalSubnet"):
                self.ipam.reserve(spec["externalSubnet"], address, "ovn-eip/" + name)
        for (ns, name), eip in state.eips.items():
            status = eip.get("status") or {}
            ref, address = status.get("ovnEIpRef"), status.get("ipAddress")
            if address and ref and ref not in state.ovn_eips:
                net = next((n for n in state.networks.values() if ipaddress.ip_address(address) in n.network), None)
                if net is not None:
                    self.ipam.reserve(net.name, address, "ovn-eip/" + ref)
        self._ipam_ready = True

    def _ensure_ovn_eip(self, state, name, net, eip_type, labels, annotations=None):
        """Creates OvnEip ``name`` and allocates its address (as Kube-OVN would); returns (object, address or None, error)."""
        oeip = state.ovn_eips.get(name)
        if oeip is None:
            body = {"apiVersion": "%s/%s" % (KUBEOVN, V1), "kind": "OvnEip",
                    "metadata": {"name": name, "labels": dict(labels, **{OVN_SUBNET_LABEL: net.name, OVN_EIP_TYPE_LABEL: eip_type})},
                    "spec": {"externalSubnet": net.name, "type": eip_type}}
            if annotations:
                body["metadata"]["annotations"] = dict(annotations)
            oeip = self._create(KUBEOVN, None, "ovn-eips", body)
            state.ovn_eips[name] = oeip
        try:
            address = self.ipam.allocate(net, "ovn-eip/" + name)
        except NoAvailableAddress:
            oeip = self._patch_status(KUBEOVN, "ovn-eips", oeip, {"type": eip_type, "ready": False})
            state.ovn_eips[name] = oeip
            return oeip, None, ("failed to allocate an address for ovn eip %s from external subnet %s: NoAvailableAddress"
                                % (name, net.name))
        status = {"v4Ip": address, "macAddress": _mac(name), "type": eip_type, "ready": True}
        old_status = oeip.get("status") or {}
        if old_status.get("nat"):
            status["nat"] = old_status["nat"]
        oeip = self._patch_status(KUBEOVN, "ovn-eips", oeip, status)
        labels_now = oeip["metadata"].get("labels") or {}
        if labels_now.get(OVN_EIP_V4_LABEL) != address:
            self._writes += 1
            oeip = self.custom.patch_cluster_custom_object(KUBEOVN, V1, "ovn-eips", name,
                                                           {"metadata": {"labels": {OVN_EIP_V4_LABEL: address}}})
        state.ovn_eips[name] = oeip
        return oeip, address, None

    def _drop_ovn_eip(self, state, name):
        self.ipam.release("ovn-eip/" + name)
        if name in state.ovn_eips:
            self._delete(KUBEOVN, None, "ovn-eips", name)
            state.ovn_eips.pop(name, None)

    # ----------------------------------------------------------------------------------------------- Projects

    def _project_validation(self, state, project):
        spec = project.get("spec") or {}
        try:
            cidr = ipaddress.ip_network(spec.get("cidrBlock", ""), strict=False)
        except ValueError:
            return None, "InvalidCidrBlock", "cidrBlock %r is not a valid IPv4 CIDR" % spec.get("cidrBlock")
        if cidr.version != 4 or cidr.prefixlen > 30:
            return None, "InvalidCidrBlock", "cidrBlock %s is not an IPv4 CIDR with room for a gateway and workloads" % cidr
        for net in state.networks.values():
            if cidr.overlaps(net.network):
                return None, "SubnetConflict", "cidrBlock %s conflicts with external subnet %s %s" % (cidr, net.name, net.cidr)
        if spec.get("gwLanIp"):
            try:
                inside = ipaddress.ip_address(spec["gwLanIp"]) in cidr
            except ValueError:
                inside = False
            if not inside:
                return None, "InvalidGwLanIp", "gwLanIp %s is not inside cidrBlock %s" % (spec["gwLanIp"], cidr)
        net = self._network_of_type(state, spec.get("egressNetworkType"))
        if net is None:
            return None, "ExternalSubnetNotFound", ("failed to get external subnet for enable external vpc: no external "
                                                    "network of type %s" % spec.get("egressNetworkType"))
        return (cidr, net), None, None

    def _project_infra(self, state, project, txn):
        meta = project["metadata"]
        org, name = meta["namespace"], meta["name"]
        ns = "%s-%s" % (org, name)
        self.projects_seen.add((org, name))
        if meta.get("deletionTimestamp"):
            self._project_delete(state, project, ns, txn)
            return
        project = self._add_finalizer(KUBE_DC, "projects", project, PROJECT_FINALIZER)
        valid, _reason, _message = self._project_validation(state, project)
        if valid is None:
            return
        cidr, net = valid
        state.project_by_ns[ns] = project
        state.attach.setdefault(ns, set()).add(net.name)
        if self._read_namespace(ns) is None:
            self._writes += 1
            self._ignore_missing(self.core.create_namespace, {"apiVersion": "v1", "kind": "Namespace", "metadata": {
                "name": ns, "labels": {PROJECT_LABEL: name, ORGANIZATION_LABEL: org}}})
            self.namespaces_created.add(ns)
        nb = state.nb
        switch = "%s-default" % ns
        if nb.named("Logical_Router", ns) is None:
            txn.add("--id=" + txn.new_id(), "create", "Logical_Router", "name=" + _q(ns), "external_ids:vendor=kube-ovn",
                    *self.router_options)
        if nb.named("Logical_Switch", switch) is None:
            txn.add("ls-add", switch)
            txn.add("set", "Logical_Switch", switch, "external_ids:vendor=kube-ovn")
        gateway = "%s/%d" % (cidr.network_address + 1, cidr.prefixlen)
        self._ensure_router_port(nb, txn, ns, switch, gateway, chassis=())
        for protocol in LB_PROTOCOLS:
            for session in (False, True):
                lb = lb_name(ns, protocol, session)
                if nb.named("Load_Balancer", lb) is None:
                    row = txn.new_id()
                    extra = ["selection_fields=ip_src"] if session else []
                    txn.add("--id=" + row, "create", "Load_Balancer", "name=" + _q(lb), "protocol=" + protocol,
                            "external_ids:vendor=kube-ovn", *extra)
                    txn.add("add", "Logical_Switch", switch, "load_balancer", row)
        # The default-gw EIp adopts the VPC's gateway OvnEip (created with the gateway port, §1.7/§3.3).
        if (ns, DEFAULT_GW) not in state.eips:
            eip = self._create(KUBE_DC, ns, "eips", {"apiVersion": "%s/%s" % (KUBE_DC, V1), "kind": "EIp",
                                                     "metadata": {"name": DEFAULT_GW, "namespace": ns},
                                                     "spec": {"childRef": "%s-%s" % (ns, net.name)}})
            if eip is not None:
                state.eips[(ns, DEFAULT_GW)] = eip

    def _ensure_router_port(self, nb, txn, router, switch, network, chassis):
        """LRP ``<router>-<switch>`` and LSP ``<switch>-<router>`` (§3.2/§3.3), with Gateway_Chassis when given."""
        lrp, lsp = "%s-%s" % (router, switch), "%s-%s" % (switch, router)
        row = nb.named("Logical_Router_Port", lrp)
        if row is None:
            txn.add("lrp-add", router, lrp, _mac(lrp), network)
            txn.add("set", "Logical_Router_Port", lrp, "external_ids:vendor=kube-ovn")
            for index, name in enumerate(chassis):
                gc = txn.new_id()
                txn.add("--id=" + gc, "create", "Gateway_Chassis", "name=" + _q("%s-%s" % (lrp, name)),
                        "chassis_name=" + _q(name), "priority=%d" % (100 - index), "external_ids:lrp=" + _q(lrp))
                txn.add("add", "Logical_Router_Port", lrp, "gateway_chassis", gc)
        elif row["networks"] != [network]:
            txn.add("set", "Logical_Router_Port", lrp, "networks=" + _q(network))
        if nb.named("Logical_Switch_Port", lsp) is None:
            txn.add("lsp-add", switch, lsp)
            txn.add("lsp-set-type", lsp, "router")
            txn.add("lsp-set-addresses", lsp, "router")
            txn.add("lsp-set-options", lsp, "router-port=" + lrp)
            txn.add("set", "Logical_Switch_Port", lsp, "external_ids:ls=" + _q(switch), "external_ids:vendor=kube-ovn")

    def _project_network_extras(self, state, ns, txn):
        """Gateway ports on every network the VPC needs, default route, SNAT, reroute policies, LB VIPs."""
        project = state.project_by_ns[ns]
        nb = state.nb
        if nb.named("Logical_Router", ns) is None:
            return  # created by this pass's transaction; the rest follows on the next pass
        (cidr, egress), _reason, _message = self._project_validation(state, project)
        labels = {PROJECT_GW_LABEL: ns}
        for net_name in sorted(state.attach.get(ns, ())):
            net = state.networks[net_name]
            oeip_name = "%s-%s" % (ns, net.name)
            _oeip, address, _error = self._ensure_ovn_eip(state, oeip_name, net, "lrp", labels)
            if address is None or nb.named("Logical_Switch", net.name) is None:
                continue
            self._ensure_router_port(nb, txn, ns, net.name, "%s/%d" % (address, net.network.prefixlen), net.gateway_chassis)
        # Networks the VPC no longer needs: detach (LSP + LRP), drop the OvnEip.
        for net in state.networks.values():
            if net.name in state.attach.get(ns, ()):
                continue
            lrp, lsp = "%s-%s" % (ns, net.name), "%s-%s" % (net.name, ns)
            if nb.named("Logical_Router_Port", lrp) is not None:
                txn.add("--if-exists", "lrp-del", lrp)
            if nb.named("Logical_Switch_Port", lsp) is not None:
                txn.add("--if-exists", "lsp-del", lsp)
            if "%s-%s" % (ns, net.name) in state.ovn_eips:
                self._drop_ovn_eip(state, "%s-%s" % (ns, net.name))
        gw_address = self.ipam.address_of("ovn-eip/%s-%s" % (ns, egress.name))
        # Default route (Vpc.spec.staticRoutes, vendor=kube-ovn).
        routes = [r for r in nb.children(ns, "static_routes") if r["external_ids"].get("vendor") == "kube-ovn"]
        want_route = ("0.0.0.0/0", egress.gateway)
        for route in routes:
            if (route["ip_prefix"], route["nexthop"]) != want_route:
                txn.add("remove", "Logical_Router", ns, "static_routes", route["_uuid"])
        if not any((r["ip_prefix"], r["nexthop"]) == want_route for r in routes):
            row = txn.new_id()
            txn.add("--id=" + row, "create", "Logical_Router_Static_Route", "ip_prefix=" + _q(want_route[0]),
                    "nexthop=" + _q(want_route[1]), "policy=dst-ip", "external_ids:vendor=kube-ovn")
            txn.add("add", "Logical_Router", ns, "static_routes", row)
        # Default SNAT (OvnSnatRule <ns>): identity (router, snat, logical_ip); UpdateSnat rewrites external_ip.
        snats = [n for n in nb.children(ns, "nat") if n["type"] == "snat" and n["logical_ip"] == str(cidr)]
        if gw_address:
            if not snats:
                row = txn.new_id()
                txn.add("--id=" + row, "create", "NAT", "type=snat", "external_ip=" + _q(gw_address),
                        "logical_ip=" + _q(str(cidr)))
                txn.add("add", "Logical_Router", ns, "nat", row)
            for nat in snats:
                if nat["external_ip"] != gw_address:
                    txn.add("set", "NAT", nat["_uuid"], "external_ip=" + _q(gw_address))
        # FIP reroute policies (Vpc.spec.policyRoutes: Kube-OVN reconciles these, vendor=kube-ovn).
        want = state.policies.get(ns, {})
        have = {}
        for policy in nb.children(ns, "policies"):
            if policy["priority"] != FIP_REROUTE_PRIORITY or policy["external_ids"].get("vendor") != "kube-ovn":
                continue
            key = (policy["priority"], policy["match"])
            if key in have or want.get(key) != policy["nexthops"]:
                txn.add("remove", "Logical_Router", ns, "policies", policy["_uuid"])
            else:
                have[key] = policy
        for (priority, match), nexthops in sorted(want.items()):
            if (priority, match) not in have:
                row = txn.new_id()
                txn.add("--id=" + row, "create", "Logical_Router_Policy", "priority=%d" % priority, "match=" + _q(match),
                        "action=reroute", "nexthops=" + _q(",".join(nexthops)), "external_ids:vendor=kube-ovn")
                txn.add("add", "Logical_Router", ns, "policies", row)
        self._sync_vips(state, ns, txn)

    def _project_delete(self, state, project, ns, txn):
        nb = state.nb
        if nb.named("Logical_Router", ns) is not None:
            txn.add("--if-exists", "lr-del", ns)
        if nb.named("Logical_Switch", "%s-default" % ns) is not None:
            txn.add("--if-exists", "ls-del", "%s-default" % ns)
        for net in state.networks.values():
            if nb.named("Logical_Switch_Port", "%s-%s" % (net.name, ns)) is not None:
                txn.add("--if-exists", "lsp-del", "%s-%s" % (net.name, ns))
        for protocol in LB_PROTOCOLS:
            for session in (False, True):
                if nb.named("Load_Balancer", lb_name(ns, protocol, session)) is not None:
                    txn.add("--if-exists", "lb-del", lb_name(ns, protocol, session))
        self._commit(txn)
        for name, oeip in list(state.ovn_eips.items()):
            if (oeip["metadata"].get("labels") or {}).get(PROJECT_GW_LABEL) == ns:
                self._drop_ovn_eip(state, name)
        if (ns, DEFAULT_GW) in state.eips:
            self._delete(KUBE_DC, ns, "eips", DEFAULT_GW)
        namespace = self._read_namespace(ns)
        if namespace is not None:
            if namespace.metadata.deletion_timestamp is None:
                self._writes += 1
                self._ignore_missing(self.core.delete_namespace, ns)
            return  # the finalizer goes once the namespace is gone
        self._remove_finalizer(KUBE_DC, "projects", project, PROJECT_FINALIZER)
        self.namespaces_created.discard(ns)

    def _project_status(self, state, project):
        meta = project["metadata"]
        if meta.get("deletionTimestamp"):
            return
        ns = "%s-%s" % (meta["namespace"], meta["name"])
        old = project.get("status") or {}
        valid, reason, message = self._project_validation(state, project)
        if valid is None:
            status = {"ready": False, "conditions": [self._condition(old, "Ready", "False", reason, message)]}
            if old.get("namespace"):
                status["namespace"] = old["namespace"]
            self._patch_status(KUBE_DC, "projects", project, status)
            return
        _cidr, net = valid
        gw = state.eip_desired.get((ns, DEFAULT_GW)) or {}
        nb_ready = (state.nb.named("Logical_Router", ns) is not None
                    and state.nb.named("Logical_Router_Port", "%s-%s" % (ns, net.name)) is not None)
        if gw.get("ready") and nb_ready:
            status = {"ready": True, "namespace": ns,
                      "conditions": [self._condition(old, "Ready", "True", "Ready", "all project objects are deployed")]}
        elif not gw.get("ready") and gw.get("conditions"):
            cond = gw["conditions"][0]
            status = {"ready": False, "namespace": ns,
                      "conditions": [self._condition(old, "Ready", "False", cond["reason"], "default-gw: " + cond["message"])]}
        else:
            status = {"ready": False, "namespace": ns,
                      "conditions": [self._condition(old, "Ready", "False", "Reconciling", "project objects are being deployed")]}
        self._patch_status(KUBE_DC, "projects", project, status)

    # --------------------------------------------------------------------------------------------------- EIps

    def _eip_allocation(self, state, eip):
        """Desired allocation part of the EIp status (owners are added in _eip_status)."""
        meta, spec = eip["metadata"], eip.get("spec") or {}
        ns, name = meta["namespace"], meta["name"]
        old = eip.get("status") or {}
        if not meta.get("deletionTimestamp"):
            eip = self._add_finalizer(KUBE_DC, "eips", eip, EIP_FINALIZER)
            state.eips[(ns, name)] = eip
        desired = {"ready": False, "ovnEIpRef": old.get("ovnEIpRef") or "", "ipAddress": old.get("ipAddress") or ""}
        if (meta.get("labels") or {}).get(AUTO_EIP_LABEL):
            desired["deleteReleased"] = True
        if spec.get("childRef"):
            oeip = state.ovn_eips.get(spec["childRef"])
            desired["ovnEIpRef"] = spec["childRef"]
            address = ((oeip or {}).get("status") or {}).get("v4Ip")
            if oeip is None or not address:
                desired["conditions"] = [self._condition(old, "Ready", "False", "OvnEipNotReady",
                                                         "ovn eip %s is not ready" % spec["childRef"])]
            else:
                desired.update(ready=True, ipAddress=address)
                desired["conditions"] = [self._condition(old, "Ready", "True", "Ready", "ovn eip %s is ready" % spec["childRef"])]
            state.eip_desired[(ns, name)] = desired
            return
        network_type = spec.get("externalNetworkType") or self.default_eip_network_type
        net = self._network_of_type(state, network_type)
        if net is None:
            desired["conditions"] = [self._condition(old, "Ready", "False", "ExternalSubnetNotFound",
                                                     "no external subnet for externalNetworkType %s" % network_type)]
            state.eip_desired[(ns, name)] = desired
            return
        oeip_name = ovn_eip_name(ns, name)
        if meta.get("deletionTimestamp") and oeip_name not in state.ovn_eips:
            state.eip_desired[(ns, name)] = desired
            return
        _oeip, address, error = self._ensure_ovn_eip(
            state, oeip_name, net, "nat", {EIP_LABEL: "%s.%s" % (ns, name)}, {EIP_CREATED_BY: "%s.%s" % (ns, name)})
        desired["ovnEIpRef"] = oeip_name
        if address is None:
            desired.update(ipAddress="")
            desired["conditions"] = [self._condition(old, "Ready", "False", "NoAvailableAddress", error)]
        else:
            desired.update(ready=True, ipAddress=address)
            desired["conditions"] = [self._condition(old, "Ready", "True", "Ready", "ovn eip %s is ready" % oeip_name)]
        state.eip_desired[(ns, name)] = desired

    def _eip_status(self, state, eip):
        meta = eip["metadata"]
        ns, name = meta["namespace"], meta["name"]
        desired = dict(state.eip_desired.get((ns, name)) or {"ready": False, "ovnEIpRef": ""})
        owners = state.owners.get((ns, name), [])
        types = {o["type"] for o in owners}
        desired["owners"] = owners
        desired["ownershipType"] = "Exclusive" if "FIp" in types else ("Shared" if owners else "Released")
        if meta.get("deletionTimestamp"):
            if owners:
                users = ", ".join("%s/%s" % (o["type"], o["ownerRef"]) for o in owners)
                desired["conditions"] = [self._condition(eip.get("status"), "Ready", "True" if desired["ready"] else "False",
                                                         "DeletionBlocked", "EIp is still used by %s" % users)]
                self._patch_status(KUBE_DC, "eips", eip, desired)
                return
            ref = desired.get("ovnEIpRef")
            if ref and ref == ovn_eip_name(ns, name):
                self._drop_ovn_eip(state, ref)
            self._remove_finalizer(KUBE_DC, "eips", eip, EIP_FINALIZER)
            return
        self._patch_status(KUBE_DC, "eips", eip, desired)
        if desired.get("deleteReleased") and not owners and desired["ready"]:
            # Released: an EIp the controller made for a FIp goes with it.
            if not any(k[1] == ns and v == name for k, v in state.granted.items()):
                self._delete(KUBE_DC, ns, "eips", name)

    # ------------------------------------------------------------------------------------------ claims on EIps

    def _claims(self, state):
        """Who may use which EIp: incumbents first, then by age (FIp => Exclusive, Services share by port)."""
        claimers = []
        for fip in state.fips:
            meta, spec = fip["metadata"], fip.get("spec") or {}
            if meta.get("deletionTimestamp"):
                continue
            eip = spec.get("eip") or auto_eip_name(meta["name"])
            incumbent = (fip.get("status") or {}).get("ready") and (fip.get("status") or {}).get("eip") == eip
            claimers.append((0 if incumbent else 1, meta.get("creationTimestamp") or "", "FIp", meta["namespace"], meta["name"],
                             eip, None))
        for svc in state.services:
            meta = svc["metadata"]
            eip = self._service_eip(svc)
            if eip is None or meta.get("deletionTimestamp"):
                continue
            desired = state.eip_desired.get((meta["namespace"], eip)) or {}
            ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            incumbent = bool(desired.get("ipAddress")) and any(i.get("ip") == desired["ipAddress"] for i in ingress)
            ports = {((p.get("protocol") or "TCP").lower(), p["port"]) for p in (svc.get("spec") or {}).get("ports") or []}
            claimers.append((0 if incumbent else 1, meta.get("creationTimestamp") or "", "Service", meta["namespace"],
                             meta["name"], eip, ports))
        for ns in state.project_by_ns:
            gw = state.eips.get((ns, DEFAULT_GW))
            if gw is not None and (gw.get("spec") or {}).get("childRef"):
                state.owners[(ns, DEFAULT_GW)] = [{"type": "Snat", "ownerRef": ns}]
        taken_ports = {}
        for rank, _age, kind, ns, name, eip, ports in sorted(claimers):
            key = (kind, ns, name)
            obj = state.eips.get((ns, eip))
            desired = state.eip_desired.get((ns, eip)) or {}
            owners = state.owners.setdefault((ns, eip), [])
            if obj is None:
                state.denied[key] = "EIp %s not found" % eip
                continue
            if obj["metadata"].get("deletionTimestamp") and rank:  # no newcomers on an EIp being deleted
                state.denied[key] = "EIp %s is being deleted" % eip
                continue
            if not desired.get("ready"):
                state.denied[key] = "EIp %s is not ready" % eip
                continue
            if kind == "FIp":
                others = [o for o in owners if not (o["type"] == "FIp" and o["ownerRef"] == name)]
                if others:
                    users = ", ".join("%s/%s" % (o["type"], o["ownerRef"]) for o in others)
                    state.denied[key] = "EIp %s is already used by %s" % (eip, users)
                    continue
                owners.append({"type": "FIp", "ownerRef": name})
            else:
                if any(o["type"] == "FIp" for o in owners):
                    state.denied[key] = "EIp %s is Exclusive to FIp %s" % (
                        eip, next(o["ownerRef"] for o in owners if o["type"] == "FIp"))
                    continue
                used = taken_ports.setdefault((ns, eip), {})
                clash = sorted(p for p in ports if p in used)
                if clash:
                    state.denied[key] = "port %s/%d of EIp %s is already used by Service %s" % (
                        clash[0][0].upper(), clash[0][1], eip, used[clash[0]])
                    continue
                used.update({p: name for p in ports})
                owners.append({"type": "ServiceLb", "ownerRef": name})
            state.granted[key] = eip

    # --------------------------------------------------------------------------------------------------- FIps

    def _resolve_target(self, fip):
        """(ip, vm interface status or None, reason, message): the FIp's internal target."""
        spec = fip.get("spec") or {}
        if spec.get("ipAddress"):
            return spec["ipAddress"], None, None, None
        target = spec.get("vmTarget") or {}
        ns = fip["metadata"]["namespace"]
        vm_name, wanted = target.get("vmName"), target.get("interfaceName")
        vmi = self._get_custom(KUBEVIRT, ns, "virtualmachineinstances", vm_name) if vm_name else None
        if vmi is None:
            return None, None, "VMNotFound", "VirtualMachineInstance %s/%s not found" % (ns, vm_name)
        status = vmi.get("status") or {}
        if status.get("phase") and status["phase"] != "Running":
            return None, None, "VMNotRunning", "VirtualMachineInstance %s/%s is %s" % (ns, vm_name, status["phase"])
        interfaces = status.get("interfaces") or []
        nic = next((i for i in interfaces if i.get("name") == wanted), None) if wanted else (interfaces[0] if interfaces else None)
        if nic is None:
            return None, None, "InterfaceNotFound", "VirtualMachineInstance %s/%s has no interface %s" % (
                ns, vm_name, wanted or "at all")
        address = nic.get("ipAddress") or next((a for a in nic.get("ipAddresses") or [] if ":" not in a), None)
        if not address:
            return None, None, "InterfaceHasNoAddress", "interface %s of VirtualMachineInstance %s/%s reports no IP address" % (
                nic.get("name"), ns, vm_name)
        vm = {"vmName": vm_name, "interfaceName": nic.get("name") or "", "ipAddress": address}
        if nic.get("mac"):
            vm["mac"] = nic["mac"]
        return address, vm, None, None

    def _fip(self, state, fip, txn):
        meta, spec = fip["metadata"], fip.get("spec") or {}
        ns, name = meta["namespace"], meta["name"]
        ofip_name = ovn_fip_name(ns, name)
        ofip = state.ovn_fips.get(ofip_name)
        if meta.get("deletionTimestamp"):
            if ofip is not None:
                if not ofip["metadata"].get("deletionTimestamp"):
                    self._delete(KUBEOVN, None, "ovn-fips", ofip_name)
                return  # Kube-OVN removes the NAT row and the OvnFip on the next pass
            self._remove_finalizer(KUBE_DC, "fips", fip, FIP_FINALIZER)
            return
        fip = self._add_finalizer(KUBE_DC, "fips", fip, FIP_FINALIZER)
        old = fip.get("status") or {}
        eip_name = spec.get("eip") or auto_eip_name(name)
        if not spec.get("eip") and (ns, eip_name) not in state.eips:
            network_type = spec.get("externalNetworkType") or self.default_fip_network_type
            self._create(KUBE_DC, ns, "eips", {"apiVersion": "%s/%s" % (KUBE_DC, V1), "kind": "EIp",
                                               "metadata": {"name": eip_name, "namespace": ns,
                                                            "labels": {AUTO_EIP_LABEL: name}},
                                               "spec": {"externalNetworkType": network_type}})
        key = ("FIp", ns, name)
        eip_status = state.eip_desired.get((ns, eip_name)) or {}
        target, vm, reason, message = self._resolve_target(fip)
        status = {"ready": False, "externalIP": old.get("externalIP") or "", "eip": eip_name,
                  "ovnFip": old.get("ovnFip") or ""}
        if target:
            status["resolvedTargetIP"] = target
        if vm:
            status["targetVMInterface"] = vm
        project = state.project_by_ns.get(ns)
        if key not in state.granted:
            reason, message = "EIpNotAvailable", state.denied.get(key, "EIp %s is not available" % eip_name)
            if ofip is not None and not ofip["metadata"].get("deletionTimestamp"):
                self._delete(KUBEOVN, None, "ovn-fips", ofip_name)
        elif project is None or state.nb.named("Logical_Router", ns) is None:
            reason, message = "VpcNotFound", "no vpc %s: namespace %s is not the namespace of a ready Project" % (ns, ns)
        else:
            status["externalIP"] = eip_status["ipAddress"]
            egress = self._project_validation(state, project)[0][1]
            net = next((n for n in state.networks.values() if ipaddress.ip_address(eip_status["ipAddress"]) in n.network), None)
            if net is not None and net.name != egress.name:
                state.attach.setdefault(ns, set()).add(net.name)
                if target:
                    state.policies.setdefault(ns, {})[(FIP_REROUTE_PRIORITY, "ip4.src == %s" % target)] = [net.gateway]
            if ofip is not None and (ofip.get("spec") or {}).get("ovnEip") != eip_status["ovnEIpRef"]:
                # A different EIp: Kube-OVN cannot change an OvnFip's EIp, so it is recreated.
                if not ofip["metadata"].get("deletionTimestamp"):
                    self._delete(KUBEOVN, None, "ovn-fips", ofip_name)
                ofip = None
                reason, message = "Reconciling", "ovn fip %s is being recreated" % ofip_name
            elif ofip is not None and ofip["metadata"].get("deletionTimestamp"):
                reason, message = "Reconciling", "ovn fip %s is being deleted" % ofip_name
            elif target:
                if ofip is None:
                    ofip = self._create_ovn_fip(state, ofip_name, ns, name, eip_status, target, txn)
                elif (ofip.get("spec") or {}).get("v4Ip") != target:
                    # Kube-DC updates spec.v4Ip; Kube-OVN ignores it: the NAT row keeps the old address.
                    self._writes += 1
                    ofip = self.custom.patch_cluster_custom_object(KUBEOVN, V1, "ovn-fips", ofip_name, {"spec": {"v4Ip": target}})
                status["ovnFip"] = ofip_name
                if ((ofip or {}).get("status") or {}).get("ready"):
                    status["ready"] = True
                    reason, message = "Ready", "floating IP %s -> %s is ready" % (eip_status["ipAddress"], target)
                else:
                    reason, message = "Reconciling", "ovn fip %s is not ready" % ofip_name
            else:
                status["ovnFip"] = ofip_name if ofip is not None else ""
        status["conditions"] = [self._condition(old, "Ready", "True" if status["ready"] else "False", reason, message)]
        self._patch_status(KUBE_DC, "fips", fip, status)

    def _create_ovn_fip(self, state, name, ns, fip_name, eip_status, target, txn):
        """Kube-DC creates the OvnFip; Kube-OVN (here, at once) writes the NAT row and the OvnFip status."""
        body = {"apiVersion": "%s/%s" % (KUBEOVN, V1), "kind": "OvnFip",
                "metadata": {"name": name, "finalizers": [KUBEOVN_FINALIZER],
                             "labels": {OVN_EIP_V4_LABEL: eip_status["ipAddress"], FIP_LABEL: "%s.%s" % (ns, fip_name)},
                             "annotations": {OVN_VPC_EIP_ANNOTATION: eip_status["ovnEIpRef"]}},
                "spec": {"ovnEip": eip_status["ovnEIpRef"], "vpc": ns, "v4Ip": target, "type": "centralized"}}
        ofip = self._create(KUBEOVN, None, "ovn-fips", body)
        # NatExists: a dnat_and_snat row with this external_ip on the router => nothing is written.
        if not any(n["type"] == "dnat_and_snat" and n["external_ip"] == eip_status["ipAddress"]
                   for n in state.nb.children(ns, "nat")):
            row = txn.new_id()
            txn.add("--id=" + row, "create", "NAT", "type=dnat_and_snat", "external_ip=" + _q(eip_status["ipAddress"]),
                    "logical_ip=" + _q(target), "options:staleless=false")
            txn.add("add", "Logical_Router", ns, "nat", row)
            self._commit(txn)
        ofip = self._patch_status(KUBEOVN, "ovn-fips", ofip, {"vpc": ns, "v4Eip": eip_status["ipAddress"], "v4Ip": target,
                                                              "ready": True})
        state.ovn_fips[name] = ofip
        return ofip

    def _kubeovn_fip(self, state, ofip, txn):
        """Kube-OVN's handling of an OvnFip being deleted: remove its NAT row, then the finalizer."""
        meta = ofip["metadata"]
        if not meta.get("deletionTimestamp"):
            return
        status, spec = ofip.get("status") or {}, ofip.get("spec") or {}
        vpc, external_ip = status.get("vpc") or spec.get("vpc"), status.get("v4Eip")
        for nat in state.nb.children(vpc, "nat") if vpc else []:
            if nat["type"] == "dnat_and_snat" and nat["external_ip"] == external_ip:
                txn.add("remove", "Logical_Router", vpc, "nat", nat["_uuid"])
        if self._commit(txn):
            self._nb_dirty = True
        self._remove_finalizer(KUBEOVN, "ovn-fips", ofip, KUBEOVN_FINALIZER)
        state.ovn_fips.pop(meta["name"], None)

    def _gc_kubeovn(self, state):
        """OvnFips of FIps that are gone (e.g. a whole namespace deleted at once) and orphaned OvnEips."""
        fips = {(f["metadata"]["namespace"], f["metadata"]["name"]) for f in state.fips}
        for name, ofip in list(state.ovn_fips.items()):
            label = (ofip["metadata"].get("labels") or {}).get(FIP_LABEL, "")
            ns, _sep, fip = label.partition(".")
            if label and (ns, fip) not in fips and not ofip["metadata"].get("deletionTimestamp"):
                self._delete(KUBEOVN, None, "ovn-fips", name)
        for name, oeip in list(state.ovn_eips.items()):
            labels = oeip["metadata"].get("labels") or {}
            if labels.get(EIP_LABEL):
                ns, _sep, eip = labels[EIP_LABEL].partition(".")
                if (ns, eip) not in state.eips:
                    self._drop_ovn_eip(state, name)
            elif labels.get(PROJECT_GW_LABEL):
                ns = labels[PROJECT_GW_LABEL]
                owned = any("%s-%s" % (p["metadata"]["namespace"], p["metadata"]["name"]) == ns for p in state.projects)
                if not owned:
                    self._drop_ovn_eip(state, name)

    # ----------------------------------------------------------------------------------------------- Services

    @staticmethod
    def _service_eip(svc):
        annotations = svc["metadata"].get("annotations") or {}
        if annotations.get(BIND_ON_EIP):
            return annotations[BIND_ON_EIP]
        if str(annotations.get(BIND_ON_DEFAULT_GW_EIP, "")).lower() == "true":
            return DEFAULT_GW
        return None

    def _backends(self, svc, port):
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        try:
            slices = self._plain(self.discovery.list_namespaced_endpoint_slice(
                ns, label_selector="kubernetes.io/service-name=%s" % name)).get("items", [])
        except _api_exception() as exc:
            if exc.status != 404:
                raise
            slices = []  # a server before 1.21 serves no discovery.k8s.io/v1: no endpoints, still an ingress IP
        backends = set()
        for eps in slices:
            if eps.get("addressType", "IPv4") != "IPv4":
                continue
            number = None
            for sp in eps.get("ports") or []:
                if (sp.get("name") or "") == (port.get("name") or "") and (sp.get("protocol") or "TCP") == (port.get("protocol") or "TCP"):
                    number = sp.get("port")
            if number is None:
                target = port.get("targetPort", port["port"])
                number = target if isinstance(target, int) else port["port"]
            for endpoint in eps.get("endpoints") or []:
                if (endpoint.get("conditions") or {}).get("ready") is False:
                    continue
                for address in endpoint.get("addresses") or []:
                    backends.add("%s:%d" % (address, number))
        return ",".join(sorted(backends, key=lambda b: (ipaddress.ip_address(b.rsplit(":", 1)[0]), b)))

    def _service(self, state, svc):
        meta, spec = svc["metadata"], svc.get("spec") or {}
        ns, name = meta["namespace"], meta["name"]
        self._route_hostname(state, svc)
        key = ("Service", ns, name)
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        want_ip = None
        if key in state.granted and ns in state.project_by_ns:
            eip = state.granted[key]
            want_ip = state.eip_desired[(ns, eip)]["ipAddress"]
            net = next((n for n in state.networks.values() if ipaddress.ip_address(want_ip) in n.network), None)
            if net is not None:
                state.attach.setdefault(ns, set()).add(net.name)
            session = spec.get("sessionAffinity") == "ClientIP"
            vips = state.vips.setdefault(ns, {})
            for port in spec.get("ports") or []:
                lb = lb_name(ns, (port.get("protocol") or "TCP").lower(), session)
                vips.setdefault(lb, {})["%s:%d" % (want_ip, port["port"])] = self._backends(svc, port)
        current = [i.get("ip") for i in ingress]
        if want_ip is not None and current != [want_ip]:
            self._writes += 1
            self.core.patch_namespaced_service_status(name, ns, {"status": {"loadBalancer": {"ingress": [{"ip": want_ip}]}}})
        elif want_ip is None and ingress and any(self._is_external(state, ip) for ip in current if ip):
            self._writes += 1
            self.core.patch_namespaced_service_status(name, ns, {"status": {"loadBalancer": {"ingress": None}}})

    def _route_hostname(self, state, svc):
        """A gateway route's assigned hostname, in annotation route-hostname-status (the HTTPRoute/TLSRoute
        itself is not modelled): the declared route-hostname, or <service>-<namespace>.<base domain>."""
        meta = svc["metadata"]
        annotations = meta.get("annotations") or {}
        want = None
        if annotations.get(EXPOSE_ROUTE) and meta["namespace"] in state.project_by_ns:
            want = annotations.get(ROUTE_HOSTNAME) or "%s-%s.%s" % (meta["name"], meta["namespace"], ROUTE_BASE_DOMAIN)
        if annotations.get(ROUTE_HOSTNAME_STATUS) != want:
            self._writes += 1
            self.core.patch_namespaced_service(meta["name"], meta["namespace"],
                                               {"metadata": {"annotations": {ROUTE_HOSTNAME_STATUS: want}}})

    @staticmethod
    def _is_external(state, address):
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in n.network for n in state.networks.values())

    def _sync_vips(self, state, ns, txn):
        """The EIP VIPs of the project's LBs equal what the bound Services want; others (ClusterIPs) are left alone."""
        nb = state.nb
        want = state.vips.get(ns, {})
        router = nb.named("Logical_Router", ns)
        for protocol in LB_PROTOCOLS:
            for session in (False, True):
                lb = lb_name(ns, protocol, session)
                row = nb.named("Load_Balancer", lb)
                if row is None:
                    continue
                wanted = want.get(lb, {})
                for vip in row["vips"]:
                    if self._is_external(state, vip.rsplit(":", 1)[0]) and vip not in wanted:
                        txn.add("remove", "Load_Balancer", lb, "vips", _q(vip))
                for vip, backends in sorted(wanted.items()):
                    if row["vips"].get(vip) != backends:
                        txn.add("set", "Load_Balancer", lb, "vips:%s=%s" % (_q(vip), _q(backends)))
                if wanted and router is not None and row["_uuid"] not in router["load_balancer"]:
                    txn.add("--may-exist", "lr-lb-add", ns, lb)


# ---------------------------------------------------------------------------------------------------------------------
# For tests


def real_kube_dc_reason(kube):
    """Why the fixture controller must not run on this server (a real Kube-DC or Kube-OVN there), or None."""
    if not kube.is_real:
        return None
    from kubernetes import client

    api_client = kube.api_client()
    core = client.CoreV1Api(api_client)
    try:
        core.read_namespace("kube-dc")
        return "a real Kube-DC runs on this cluster (namespace kube-dc exists)"
    except _api_exception() as exc:
        if exc.status != 404:
            raise
    ext = client.ApiextensionsV1Api(api_client)
    for crd in ("ovn-eips.kubeovn.io", "ovn-fips.kubeovn.io"):
        try:
            found = ext.read_custom_resource_definition(crd)
        except _api_exception() as exc:
            if exc.status == 404:
                continue
            raise
        if (found.metadata.annotations or {}).get(TEST_CRD_ANNOTATION) != "true":
            return "a real Kube-OVN is installed on this cluster (CRD %s is not the tests' own)" % crd
    return None

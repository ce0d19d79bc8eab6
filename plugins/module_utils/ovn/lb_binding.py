# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""lb_binding: a load balancer VIP ``EIP:port`` of a project, sent to backends.

Rows: Kube-OVN's per-project load balancer ``vpc-<namespace>-<protocol>-load``
attached to the project router, holding one VIP per binding. Several bindings
share it, and may share an address (the project's default-gateway address,
say) on different ports; which binding holds which VIP is recorded in the
load balancer's ``external_ids`` as ``kubedc:binding:<name>=<address>:<port>``.
The load balancer row goes when its last binding goes.

One task declares one binding or a list of them (``bindings: [...]``).
Planning works on the load balancers, not binding by binding: each starts
from what its row holds, loses the bindings the task removes (absent, pruned
by ``exclusive``, or moving), gains the declared ones, and then gets one
Insert (new), one Delete (its last binding gone), or the map keys that change
(released ones first, as a move has always done). So a list of bindings on one
protocol makes one load balancer, and a run that changes nothing plans nothing.

The backends are a list (``backends``), or the ready endpoints of a port of a
Kubernetes Service in the project namespace (``service``, ``service_port``),
read from its EndpointSlices when the task is validated, before the NB is
contacted. The declaration then records the Service, not its endpoints, so
that a later run, or a drift check, compares the VIP with the endpoints the
Service has then.
"""

import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube import client as kube_client
from ansible_collections.kubedc.network.plugins.module_utils.kube.service import KubeReader
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import KIND as EIP_KIND
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import eip_owner
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    CachedRow,
    Delete,
    DelKeys,
    Existing,
    SetKeys,
    owned_by,
    ownership,
    row_label,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import (
    CIDR_KEY,
    KIND as PROJECT_KIND,
    project_names,
    project_router,
    require_project,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import (
    DECLARED_KEY,
    OvnResource,
    about,
    converge_row,
    declared_items,
    refuse_foreign,
    refuse_repeats,
)

KIND = "lb_binding"
BINDING_KEY_PREFIX = "kubedc:binding:"
DEFAULT_GATEWAY = "default-gw"
PROTOCOLS = ("tcp", "udp", "sctp")
LIST_KEY = "bindings"
# The options of one binding: the single form's top-level options, or a list element's.
ITEM_KEYS = ("name", "eip", "protocol", "port", "backends", "service", "service_port")
_BACKEND = re.compile(r"^(?P<ip>[0-9.]+):(?P<port>\d{1,5})$")


def load_balancer_name(names, protocol):
    return "vpc-{0}-{1}-load".format(names.namespace, protocol)


def binding_key(name):
    return BINDING_KEY_PREFIX + name


def declared_key(name):
    """Where a binding's declaration is recorded, on the load balancer it shares."""
    return "{0}:{1}".format(DECLARED_KEY, name)


def _is_binding_record(key):
    return key.startswith(BINDING_KEY_PREFIX) or key.startswith(DECLARED_KEY + ":")


class LbState(object):
    """One project's load balancers and bindings, read once and indexed."""

    def __init__(self, names, session):
        self.names = names
        router = project_router(session, names)
        self.router = CachedRow(router) if router is not None else None
        self.catalog = external_network.read_catalog(session)
        self.balancers = dict(
            (lb.name, lb) for lb in (CachedRow(row) for row in (self.router.load_balancer if self.router is not None else []))
        )
        self.bindings = {}  # binding name -> (load balancer row, vip), on the load balancers we own
        for lb in sorted(self.balancers.values(), key=lambda row: row.name):
            if not owned_by(lb, KIND, names.namespace):
                continue
            for key, vip in lb.external_ids.items():
                if key.startswith(BINDING_KEY_PREFIX):
                    self.bindings.setdefault(key[len(BINDING_KEY_PREFIX):], (lb, vip))
        self._addresses = {}

    def binding(self, name):
        """(load balancer row, vip) this binding holds now, or (None, None)."""
        return self.bindings.get(name, (None, None))

    def address(self, eip):
        """The address of EIP ``eip`` of the project (or of its default gateway)."""
        if eip not in self._addresses:
            owner = "{0}/{1}".format(PROJECT_KIND, self.names.namespace) if eip == DEFAULT_GATEWAY else eip_owner(self.names.namespace, eip)
            self._addresses[eip] = external_network.first_held(self.catalog, owner)[1]
        address = self._addresses[eip]
        if address is None:
            raise InvalidInput(
                "eip", eip, "is not an EIP of project {0}: reserve it with kubedc.network.eip "
                "first".format(self.names.namespace),
            )
        return address

    def eip_at(self, address):
        """The EIP name whose address this is, or default-gw."""
        # Looked up in each pool, not indexed per project: a file of many projects would
        # index every pool once per project.
        found = DEFAULT_GATEWAY
        for _network, (_row, pool) in sorted(self.catalog.items()):
            owner = pool.allocations.get(address)
            if owner is not None and owner.startswith(EIP_KIND + "/"):
                found = owner.rsplit("/", 1)[1]
        return found


class _Surroundings(object):
    """What the declared bindings are checked against, indexed once for the task
    (a scan of the router per binding would make many bindings cost their square)."""

    def __init__(self, have):
        self.cidr = validation.netaddr.IPNetwork(have.router.external_ids[CIDR_KEY])
        self.fips_at = {}  # external address -> labels of the floating IPs on it
        self.fips_on = {}  # internal address -> the floating IP NAT rows on it
        for nat in (CachedRow(row) for row in have.router.nat):
            if nat.type != "dnat_and_snat":
                continue
            self.fips_at.setdefault(nat.external_ip, []).append("NAT " + row_label("NAT", nat))
            self.fips_on.setdefault(nat.logical_ip, []).append(nat)
        self._networks = {}
        self.catalog = have.catalog

    def network_type_of(self, address):
        """(external network, its type) of an address, or (None, None)."""
        if address not in self._networks:
            network = external_network.network_of(self.catalog, address)
            self._networks[address] = (network, self.catalog[network][1].network_type if network else None)
        return self._networks[address]


class _Balancer(object):
    """What one of the project's load balancers is to hold after the task.

    It starts as its row (or empty, for one to create) and is changed binding
    by binding; ``release`` and ``apply`` then plan the difference.
    """

    def __init__(self, name, protocol, row):
        self.name = name
        self.protocol = protocol
        self.row = row
        self.vips = dict(row.vips) if row is not None else {}
        self.records = dict((k, v) for k, v in row.external_ids.items() if _is_binding_record(k)) if row is not None else {}
        self.holders = {}  # vip -> names of the bindings that hold it
        for key, vip in self.records.items():
            if key.startswith(BINDING_KEY_PREFIX):
                self.holders.setdefault(vip, set()).add(key[len(BINDING_KEY_PREFIX):])
        self.deleted = False

    def bound(self):
        return set(k[len(BINDING_KEY_PREFIX):] for k in self.records if k.startswith(BINDING_KEY_PREFIX))

    def unbind(self, name):
        vip = self.records.pop(binding_key(name), None)
        self.records.pop(declared_key(name), None)
        if vip is None:
            return
        holders = self.holders.get(vip, set())
        holders.discard(name)
        if not holders:
            self.holders.pop(vip, None)
            self.vips.pop(vip, None)

    def bind(self, name, vip, backends, declared):
        self.vips[vip] = backends
        self.records[binding_key(name)] = vip
        self.records[declared_key(name)] = declared
        self.holders.setdefault(vip, set()).add(name)

    def _released_records(self):
        """Records of the bindings that leave this row or move on it, as a release removes them."""
        before = self.row.external_ids
        gone = []
        for key in sorted(k for k in before if k.startswith(BINDING_KEY_PREFIX)):
            if self.records.get(key) != before[key]:
                name = key[len(BINDING_KEY_PREFIX):]
                gone.extend(k for k in (key, declared_key(name)) if k in before)
        gone.extend(sorted(k for k in before if _is_binding_record(k) and k not in self.records and k not in gone))
        return gone

    def release(self, plan):
        """Plan what goes: the row with its last binding, or the VIPs and records that leave it."""
        row = self.row
        if row is None:
            return
        if self._had_bindings() and not self.bound():
            # The router's reference is weak: it goes with the row.
            plan.add(Delete(Existing("Load_Balancer", row)))
            self.deleted = True
            return
        ref = Existing("Load_Balancer", row)
        gone = sorted((vip for vip in row.vips if vip not in self.vips), key=_vip_order)
        if gone:
            plan.add(DelKeys(ref, "vips", gone))
        records = self._released_records()
        if records:
            plan.add(DelKeys(ref, "external_ids", records))

    def _had_bindings(self):
        return any(k.startswith(BINDING_KEY_PREFIX) for k in self.row.external_ids)

    def apply(self, plan, have):
        """Plan what comes: the new row with all its VIPs, or the VIPs and records that change."""
        row = self.row
        if row is None:
            if not self.bound():
                return
            ids = ownership(KIND, have.names.namespace)
            ids.update(self.records)
            converge_row(
                plan, "Load_Balancer", None,
                dict(name=self.name, protocol=[self.protocol], vips=dict(self.vips), external_ids=ids),
                "load-balancer:" + self.protocol, Existing("Logical_Router", have.router), "load_balancer",
            )
            return
        if self.deleted:
            return
        ref = Existing("Load_Balancer", row)
        vips = dict((vip, backends) for vip, backends in self.vips.items() if row.vips.get(vip) != backends)
        if vips:
            plan.add(SetKeys(ref, "vips", vips))
        released = set(self._released_records())
        records = dict((k, v) for k, v in self.records.items() if row.external_ids.get(k) != v or k in released)
        if records:
            plan.add(SetKeys(ref, "external_ids", records))


class LbBinding(OvnResource):
    def validate(self):
        p = self.params
        bulk, raw_items = declared_items(p, LIST_KEY, ITEM_KEYS)
        names = project_names(p["organization"], p["project"], "project")
        items = []
        for label, raw in raw_items:
            with about(label, raw.get("name")):
                items.append(self._validate_item(label, raw))
        refuse_repeats(items, "name", "name", "the name")
        if self.state == "present":
            self._refuse_shared_ports(items)
            self._resolve(names, items)
        # describe() reports on the same bindings, and only gets *have*.
        self._want = dict(names=names, items=items, bulk=bulk, exclusive=bool(p.get("exclusive")))
        return self._want

    def _validate_item(self, label, raw):
        name = validation.dns_label("name", raw.get("name"))
        item = dict(label=label, name=name)
        if self.state == "absent":
            return item
        eip = raw.get("eip")
        if eip is not None and eip != DEFAULT_GATEWAY:
            validation.dns_label("eip", eip)
        protocol = raw.get("protocol") or "tcp"
        if protocol not in PROTOCOLS:
            raise InvalidInput("protocol", protocol, "is not one of {0}".format(", ".join(PROTOCOLS)))
        port = raw.get("port")
        if port is None:
            raise InvalidInput("port", None, "is required with state=present")
        if not 1 <= port <= 65535:
            raise InvalidInput("port", port, "must be a port number from 1 to 65535")
        if raw.get("service") is not None:
            return self._validate_service(raw, item, eip, protocol, port)
        if raw.get("service_port") is not None:
            raise InvalidInput("service_port", raw["service_port"], "needs service: it names a port of a Service")
        if raw.get("backends") is None:
            raise InvalidInput("backends", None, "is required with state=present (or service)")
        backends = []
        for index, backend in enumerate(raw["backends"]):
            field = "backends[{0}]".format(index)
            match = _BACKEND.match(str(backend))
            if not match or not 1 <= int(match.group("port")) <= 65535:
                raise InvalidInput(field, backend, "is not an address:port backend like 10.0.0.10:8080")
            validation.ipv4_address(field, match.group("ip"))
            backends.append((field, backend))
        if not backends:
            raise InvalidInput("backends", [], "is empty: a VIP needs at least one backend")
        if len(set(b for _f, b in backends)) != len(backends):
            raise InvalidInput("backends", raw["backends"], "lists a backend twice")
        item.update(eip=eip or DEFAULT_GATEWAY, protocol=protocol, port=port, backends=backends, service=None, service_port=None)
        return item

    @staticmethod
    def _validate_service(raw, item, eip, protocol, port):
        if raw.get("backends") is not None:
            raise InvalidInput("service", raw["service"], "and backends are mutually exclusive: the backends are a list, or "
                               "the endpoints of a Service")
        service = validation.dns_label("service", raw["service"])
        service_port = raw.get("service_port")
        if isinstance(service_port, bool) or (service_port is not None and not isinstance(service_port, (int, str))):
            raise InvalidInput("service_port", service_port, "is neither a port number nor a port name")
        if isinstance(service_port, str) and service_port.isdigit():
            service_port = int(service_port)
        if isinstance(service_port, int) and not 1 <= service_port <= 65535:
            raise InvalidInput("service_port", service_port, "must be a port number from 1 to 65535")
        if isinstance(service_port, str):
            validation.dns_label("service_port", service_port)
        item.update(eip=eip or DEFAULT_GATEWAY, protocol=protocol, port=port, backends=None, service=service,
                    service_port=service_port)
        return item

    def _resolve(self, names, items):
        """The backends of the items that name a Service: its ready endpoints, read from Kubernetes."""
        wanted = [item for item in items if item.get("service") is not None]
        if not wanted:
            return
        kube_client.refuse_without_connection(
            self.params, wanted[0], "service", wanted[0]["service"],
            ("a Kubernetes Service whose endpoints", "this binding's backends were"),
        )
        reader = KubeReader(self.params)
        for item in wanted:
            with about(item["label"], item["name"]):
                backends, _port = reader.service_backends(names.namespace, item["service"], item["service_port"], item["protocol"])
            item["backends"] = [("service", backend) for backend in backends]

    @staticmethod
    def _refuse_shared_ports(items):
        """Two items of the list on one address, port and protocol (an EIP has one address)."""
        seen = {}
        for item in items:
            where = (item["eip"], item["port"], item["protocol"])
            if where in seen:
                with about(item["label"], item["name"]):
                    raise InvalidInput(
                        "port", item["port"], "is bound on {0}/{1} by {2} too; each address, port and protocol "
                        "may appear once in the list".format(item["eip"], item["protocol"], seen[where]),
                    )
            seen[where] = "{0} ({1})".format(item["label"], item["name"])

    def scope(self, want):
        scope = NbScope().table("Load_Balancer", "NAT").root("Logical_Router", ["name", "==", want["names"].router])
        return external_network.catalog_scope(scope)

    def read(self, session, want):
        return LbState(want["names"], session)

    # -- planning ---------------------------------------------------------

    def plan(self, session, want, have):
        plan = self.new_plan()
        names = want["names"]
        items = want["items"]
        balancers = dict(
            (name, _Balancer(name, (row.protocol or ["tcp"])[0], row)) for name, row in have.balancers.items()
            if owned_by(row, KIND, names.namespace)
        )
        if self.state == "absent":
            for item in items:
                self._unbind(have, balancers, item["name"])
            return self._planned(plan, have, balancers)
        # An empty list (with exclusive: none at all) asks nothing of a project that does not exist.
        if items:
            require_project(have.router, names)
        # Everything the task takes away goes first, so a list may move a VIP from one binding to another.
        for name in self._pruned(want, have):
            self._unbind(have, balancers, name)
        for item in items:
            self._unbind(have, balancers, item["name"])
        if not items:
            return self._planned(plan, have, balancers)
        around = _Surroundings(have)
        listed = dict((item["name"], "{0} ({1})".format(item["label"], item["name"])) for item in items if item["label"])
        for item in items:
            with about(item["label"], item["name"]):
                self._plan_binding(names, item, have, around, balancers, listed)
        return self._planned(plan, have, balancers)

    @staticmethod
    def _pruned(want, have):
        if not want["exclusive"]:
            return []
        return sorted(set(have.bindings) - set(item["name"] for item in want["items"]))

    @staticmethod
    def _unbind(have, balancers, name):
        lb = have.binding(name)[0]
        if lb is not None:
            balancers[lb.name].unbind(name)

    @staticmethod
    def _planned(plan, have, balancers):
        ordered = [balancers[name] for name in sorted(balancers)]
        for balancer in ordered:
            balancer.release(plan)
        for balancer in ordered:
            balancer.apply(plan, have)
        return plan

    def removed(self, want, have):
        """Names of the bindings this task deletes: those listed (absent) or pruned (exclusive)."""
        declared = set(item["name"] for item in want["items"])
        return sorted(self.removed_of(want, set(have.bindings), declared, have.router is not None))

    def _plan_binding(self, names, item, have, around, balancers, listed):
        for field, backend in item["backends"]:
            address = backend.rsplit(":", 1)[0]
            if item["service"] is None:
                validation.host_in(field, address, around.cidr)
                continue
            try:
                validation.host_in(field, address, around.cidr)
            except InvalidInput as exc:
                reason = exc.msg[len("{0}: {1!r} ".format(field, address)):]
                raise InvalidInput("service", item["service"], "has the endpoint {0}, which {1}".format(backend, reason))
        address = have.address(item["eip"])
        fips = around.fips_at.get(address)
        if fips:
            raise Conflict(
                "eip: {0} ({1}) is held by a floating IP ({2}); a load balancer needs an address a FIP "
                "does not own".format(item["eip"], address, ", ".join(fips)),
                field="eip",
                value=item["eip"],
            )
        self._check_backend_fips(item, around, address)
        lb_name = load_balancer_name(names, item["protocol"])
        row = have.balancers.get(lb_name)
        refuse_foreign(row, "Load_Balancer", "it")
        balancer = balancers.get(lb_name)
        if balancer is None:
            balancer = balancers[lb_name] = _Balancer(lb_name, item["protocol"], row)
        vip = "{0}:{1}".format(address, item["port"])
        if vip in balancer.vips:
            holders = sorted(listed.get(name, name) for name in balancer.holders.get(vip, ()))
            raise Conflict(
                "port: {0}/{1} is already bound on {2} by {3}; choose another port".format(
                    vip, item["protocol"], item["eip"], ", ".join(holders) or "a VIP kubedc.network does not manage"
                ),
                field="port",
                value=item["port"],
            )
        backends = sorted((b for _f, b in item["backends"]), key=_backend_order)
        declared = self.declared(
            organization=names.organization,
            project=names.project,
            name=item["name"],
            eip=item["eip"],
            protocol=item["protocol"],
            port=item["port"],
            backends=backends if item["service"] is None else None,
            service=item["service"],
            service_port=item["service_port"],
        )
        balancer.bind(item["name"], vip, ",".join(backends), declared)

    @staticmethod
    def _check_backend_fips(item, around, address):
        """Refuse a VIP whose backend has a FIP on the other network type (the reverse of fip's check)."""
        vip_network, vip_type = around.network_type_of(address)
        for _field, backend in item["backends"]:
            for nat in around.fips_on.get(backend.rsplit(":", 1)[0], ()):
                fip_network, fip_type = around.network_type_of(nat.external_ip)
                if fip_type is not None and fip_type != vip_type:
                    raise Conflict(
                        "backends: {0} has the {1} floating IP {2} (on {3}); a VIP on the {4} network {5} "
                        "would send its replies out through {3}, and clients would never get them. Expose "
                        "the workload one way only, or use the same network type for both.".format(
                            nat.logical_ip, fip_type, nat.external_ip, fip_network, vip_type, vip_network
                        ),
                        field="backends",
                    )

    # -- reporting --------------------------------------------------------

    @staticmethod
    def _view(names, name, eip, protocol, vip, backends):
        address, port = vip.rsplit(":", 1)
        return dict(
            name=name,
            organization=names.organization,
            project=names.project,
            namespace=names.namespace,
            eip=eip,
            address=address,
            protocol=protocol,
            port=int(port),
            backends=backends,
            load_balancer=load_balancer_name(names, protocol),
        )

    def view_of(self, have, name):
        """The binding ``name`` as it is in the NB, or None."""
        lb, vip = have.binding(name)
        if lb is None:
            return None
        backends = sorted((b for b in lb.vips.get(vip, "").split(",") if b), key=_backend_order)
        protocol = lb.protocol[0] if lb.protocol else "tcp"
        return self._view(have.names, name, have.eip_at(vip.rsplit(":", 1)[0]), protocol, vip, backends)

    def describe(self, have):
        want = self._want
        listed = [item["name"] for item in want["items"]]
        if want["bulk"]:
            if want["exclusive"]:
                listed += sorted(set(have.bindings) - set(listed))
            return [view for view in (self.view_of(have, name) for name in listed) if view is not None]
        return self.view_of(have, listed[0]) or {}

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return [] if want["bulk"] else {}
        views = []
        for item in want["items"]:
            vip = "{0}:{1}".format(have.address(item["eip"]), item["port"])
            backends = sorted((b for _f, b in item["backends"]), key=_backend_order)
            views.append(self._view(want["names"], item["name"], item["eip"], item["protocol"], vip, backends))
        return views if want["bulk"] else views[0]


def _backend_order(backend):
    address, port = backend.rsplit(":", 1)
    return (validation.netaddr.IPAddress(address), int(port))


_vip_order = _backend_order

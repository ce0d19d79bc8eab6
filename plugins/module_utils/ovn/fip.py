# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""fip: a floating IP, 1:1 NAT from an external address to an address in a project.

Row: ``NAT{type=dnat_and_snat, external_ip=<EIP>, logical_ip=<target>,
gateway_port=<the project's gateway port on that network>}`` on the project
router, the row Kube-OVN writes for an ``OvnFip`` (with ``gateway_port`` set,
so that it stays right when a router has gateway ports on several networks).
The address is a named EIP of the project (``eip``), which stays when the FIP
goes, or one allocated for the FIP alone (``external_network_type``), owned
by ``fip/<namespace>/<name>`` and released with it.

Retargeting updates the row in place, in the same transaction; a row of ours
whose internal address was changed behind our back (the stale-row bug known
from Kube-OVN) is put right the same way.

A FIP on another external network than the project's egress network needs a
way out on that network: a second distributed gateway port ``<ns>-<network>``
(with its switch port and gateway chassis, and an address of its own, owned
by ``fip_gateway/<ns>/<network>``), shared by the project's FIPs there and
removed with the last of them; and a reroute policy (priority 30000,
``ip4.src == <target>``) so that the target's replies leave through that
network rather than through the default route. This is how Kube-DC does it.

The target is an address in the project subnet (``ip_address``), or a pod
(``pod_name``) or a KubeVirt VM's interface (``vm_name``, ``interface_name``)
whose address is read from Kubernetes when the task is validated, before the
NB is even contacted; the address then goes through the same checks. The
declaration records the pod or VM, not the address, so that a run after the
VM was recreated with another address retargets the FIP, and a drift check
compares the row with the address the workload has now.
"""

import contextlib
import json
import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
    KubedcError,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube import client as kube_client
from ansible_collections.kubedc.network.plugins.module_utils.kube.service import KubeReader
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network, ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope, ref_uuids
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import eip_owner
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    KIND_KEY,
    OBJECT_KEY,
    CachedRow,
    Delete,
    Existing,
    Late,
    is_ours,
    owned_by,
    ownership,
    row_label,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import (
    CIDR_KEY,
    EXTERNAL_NETWORK_KEY,
    project_names,
    project_router,
    require_project,
    vip_index,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import (
    DECLARED_KEY,
    OvnResource,
    about,
    converge_gateway_chassis,
    converge_row,
    declared_items,
    port_mac,
    prune_rows,
    refuse_repeats,
    router_type_port,
    with_prefix,
)

KIND = "fip"
GATEWAY_KIND = "fip_gateway"
EIP_KEY = "kubedc:eip"
REROUTE_PRIORITY = 30000
LIST_KEY = "fips"
# The options of one FIP: the single form's top-level options, or a list element's.
ITEM_KEYS = (
    "name", "eip", "external_network_type", "external_network", "ip_address", "pod_name", "vm_name", "interface_name",
    "logical_port", "external_mac",
)
# The ways to name a FIP's target: exactly one of them.
TARGET_KEYS = ("ip_address", "pod_name", "vm_name")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
# Pod and VM names are RFC 1123 subdomains.
_OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _object_name(field, value):
    if not isinstance(value, str) or len(value) > 253 or not _OBJECT_NAME.match(value):
        raise InvalidInput(field, value, "is not a valid Kubernetes object name")
    return value


@contextlib.contextmanager
def named_target(item):
    """Errors about the target of a pod or VM FIP name the pod or VM, with its address.

    ``ip_address: '10.0.1.5' is outside 10.0.0.0/24`` becomes
    ``pod_name: 'web-0' (IP 10.0.1.5) is outside 10.0.0.0/24``.
    """
    source = item.get("source", "ip_address")
    if source == "ip_address":
        yield
        return
    try:
        yield
    except KubedcError as exc:
        prefix = "ip_address: {0!r} ".format(item["target"])
        if exc.details.get("field") != "ip_address" or not exc.msg.startswith(prefix):
            raise
        where = "IP {0}".format(item["target"])
        if source == "vm_name":
            where += " on {0}".format(item["resolved_interface"])
        msg = "{0}: {1!r} ({2}) {3}".format(source, item[source], where, exc.msg[len(prefix):])
        details = dict(exc.details, field=source, value=item[source], ip_address=item["target"])
        raise type(exc).__new__(type(exc)).rebuilt(msg, details)


def fip_owner(obj):
    """The owner of the address allocated for FIP ``<namespace>/<name>`` alone."""
    return "{0}/{1}".format(KIND, obj)


class FipProject(object):
    """One project's FIPs and what they depend on, read once and indexed by object."""

    def __init__(self, names, session):
        self.names = names
        router = project_router(session, names)
        self.router = CachedRow(router) if router is not None else None
        self.catalog = external_network.read_catalog(session)
        self.nat_of = {}  # object -> the FIP's NAT row
        self.policy_of = {}  # object -> the FIP's reroute policy
        self.others = []  # every other NAT row of the router
        self.ports_by_name = {}
        if self.router is not None:
            for nat in [CachedRow(row) for row in self.router.nat]:
                if nat.external_ids.get(KIND_KEY) == KIND and is_ours(nat):
                    self.nat_of[nat.external_ids.get(OBJECT_KEY)] = nat
                else:
                    self.others.append(nat)
            for policy in [CachedRow(row) for row in self.router.policies]:
                if policy.external_ids.get(KIND_KEY) == KIND and is_ours(policy):
                    self.policy_of[policy.external_ids.get(OBJECT_KEY)] = policy
            self.ports_by_name = dict((port.name, port) for port in (CachedRow(row) for row in self.router.ports))
        self.ports = session.unique_by_name("Logical_Switch_Port")
        self.switch = session.one("Logical_Switch", name=names.switch)

    def objects(self):
        """Every FIP of the project that left a trace: a NAT row, a policy or an address."""
        prefix = fip_owner(self.names.namespace + "/")
        found = set(self.nat_of) | set(self.policy_of)
        for _row, pool in self.catalog.values():
            found.update(owner[len(KIND) + 1:] for owner in pool.owners_starting(prefix))
        return found

    def auto(self, obj):
        """network -> addresses allocated for FIP ``obj`` alone."""
        return external_network.held(self.catalog, fip_owner(obj))

    def network_of_port(self, router_port):
        """The external network a gateway port of the project router is on."""
        prefix = self.names.router + "-"
        return router_port.name[len(prefix):] if router_port.name.startswith(prefix) else None

    def secondary_gateways(self):
        """network -> gateway port that FIPs of this project put on that network."""
        return dict(
            (self.network_of_port(port), port)
            for port in self.ports_by_name.values()
            if port.external_ids.get(KIND_KEY) == GATEWAY_KIND and is_ours(port)
        )

    def gateway_port(self, network):
        return self.ports_by_name.get(self.names.gateway_router_port(network))


class _Surroundings(object):
    """What the FIPs a task declares must not clash with: everything on the router
    that the task leaves as it is, indexed once (a scan per FIP would make a
    thousand FIPs cost a million comparisons)."""

    def __init__(self, have, touched):
        self.by_external_ip = {}
        self.by_target = {}
        self.networks_in_use = set()
        staying = list(have.others) + [nat for obj, nat in have.nat_of.items() if obj not in touched]
        for nat in staying:
            if nat.type in ("dnat_and_snat", "dnat"):
                self.by_external_ip.setdefault(nat.external_ip, nat)
            if nat.type == "dnat_and_snat":
                self.by_target.setdefault(nat.logical_ip, nat)
            if nat.external_ids.get(KIND_KEY) == KIND and is_ours(nat) and nat.gateway_port:
                self.networks_in_use.add(have.network_of_port(nat.gateway_port[0]))
        self.vip_users = vip_index(have.router)
        self.vips_by_backend = {}
        for lb in have.router.load_balancer if have.router is not None else []:
            for vip, backends in sorted(lb.vips.items()):
                for backend in backends.split(","):
                    self.vips_by_backend.setdefault(backend.rsplit(":", 1)[0], []).append(vip)
        # network -> the second gateway port planned (or kept) for FIPs there
        self.gateways = {}
        if have.router is not None:
            self.router = Existing("Logical_Router", have.router)
            self.cidr = validation.netaddr.IPNetwork(have.router.external_ids[CIDR_KEY])
            self.egress = have.router.external_ids.get(EXTERNAL_NETWORK_KEY)


class Fip(OvnResource):
    def _declared(self, names, item):
        return self.declared(
            organization=names.organization,
            project=names.project,
            name=item["name"],
            eip=item["eip"],
            external_network_type=item["network_type"],
            external_network=item["external_network"],
            ip_address=item["target"] if item["source"] == "ip_address" else None,
            pod_name=item["pod_name"],
            vm_name=item["vm_name"],
            interface_name=item["interface_name"],
            logical_port=item["logical_port"],
            external_mac=item["external_mac"],
        )

    def validate(self):
        p = self.params
        bulk, raw_items = declared_items(p, LIST_KEY, ITEM_KEYS)
        names = project_names(p["organization"], p["project"], "project")
        items = []
        for label, raw in raw_items:
            with about(label, raw.get("name")):
                items.append(self._validate_item(names, label, raw))
        refuse_repeats(items, "name", "name", "the name")
        if self.state == "present":
            self._resolve(names, items)
            self._refuse_repeated_targets(items)
            refuse_repeats(items, "eip", "eip", "the EIP")
        # describe() reports on the same objects, and only gets *have*.
        self._want = dict(names=names, items=items, bulk=bulk, exclusive=bool(p.get("exclusive")))
        return self._want

    def _validate_item(self, names, label, raw):
        name = validation.dns_label("name", raw["name"])
        obj = "{0}/{1}".format(names.namespace, name)
        item = dict(label=label, name=name, object=obj, auto_owner=fip_owner(obj))
        if self.state == "absent":
            return item
        given = [key for key in TARGET_KEYS if raw.get(key) is not None]
        if raw.get("interface_name") is not None and raw.get("vm_name") is None:
            raise InvalidInput("interface_name", raw["interface_name"], "needs vm_name: it names an interface of a virtual machine")
        if not given:
            raise InvalidInput("ip_address", None, "is required with state=present (or pod_name, or vm_name)")
        if len(given) > 1:
            raise InvalidInput(given[1], raw[given[1]], "and {0} are mutually exclusive: a FIP has one target".format(given[0]))
        source = given[0]
        if raw.get("eip") is not None and (raw.get("external_network_type") or raw.get("external_network")):
            raise InvalidInput("eip", raw["eip"], "and external_network_type/external_network are mutually exclusive")
        if bool(raw.get("logical_port")) != bool(raw.get("external_mac")):
            raise InvalidInput("logical_port", raw.get("logical_port"), "and external_mac go together: set both or neither")
        eip = raw.get("eip")
        if eip is not None:
            eip = validation.dns_label("eip", eip)
        target = str(validation.ipv4_address("ip_address", raw["ip_address"])) if source == "ip_address" else None
        interface = raw.get("interface_name")
        if interface is not None and (not isinstance(interface, str) or not interface.strip()):
            raise InvalidInput("interface_name", interface, "is not an interface name")
        mac = raw.get("external_mac")
        if mac is not None and not _MAC.match(mac.lower()):
            raise InvalidInput("external_mac", mac, "is not a MAC address like 0a:00:00:00:00:01")
        item.update(
            eip=eip,
            network_type=raw.get("external_network_type"),
            external_network=raw.get("external_network"),
            source=source,
            target=target,
            pod_name=_object_name("pod_name", raw["pod_name"]) if source == "pod_name" else None,
            vm_name=_object_name("vm_name", raw["vm_name"]) if source == "vm_name" else None,
            interface_name=interface,
            logical_port=raw.get("logical_port"),
            external_mac=mac.lower() if mac else None,
        )
        return item

    def _resolve(self, names, items):
        """The addresses of the pods and VMs the items target, read from Kubernetes."""
        wanted = [item for item in items if item["source"] != "ip_address"]
        if not wanted:
            return
        item = wanted[0]
        kube_client.refuse_without_connection(
            self.params, item, item["source"], item[item["source"]],
            ("a Kubernetes workload whose address", "this FIP's target was"),
        )
        reader = KubeReader(self.params)
        for item in wanted:
            with about(item["label"], item["name"]):
                if item["source"] == "pod_name":
                    item["target"] = reader.pod_ip(names.namespace, item["pod_name"])
                else:
                    found = reader.vm_interface(names.namespace, item["vm_name"], item["interface_name"])
                    item["target"] = found["ip"]
                    item["resolved_interface"] = found["interface"]

    @staticmethod
    def _refuse_repeated_targets(items):
        seen = {}
        for item in items:
            if item["target"] in seen:
                with about(item["label"], item["name"]), named_target(item):
                    raise InvalidInput("ip_address", item["target"], "is the target of {0} too; each may appear once "
                                       "in the list".format(seen[item["target"]]))
            seen[item["target"]] = "{0} ({1})".format(item["label"], item["name"])

    def scope(self, want):
        names = want["names"]
        scope = (
            NbScope()
            .table("NAT", "Logical_Router_Port", "Load_Balancer", "Logical_Router_Policy", "Gateway_Chassis")
            .fetch("Logical_Switch_Port")
            .root("Logical_Router", ["name", "==", names.router])
        )
        # The project's port on each external switch: a FIP may need one on any.
        scope.refine = external_network.gateway_switch_ports(names)
        distributed = sorted(set(item["logical_port"] for item in want["items"] if item.get("logical_port")))
        if distributed:
            # The ports, and the project switch to check that they sit on (not its other ports).
            for port in distributed:
                scope.root("Logical_Switch_Port", ["name", "==", port], follow=False)
            scope.root("Logical_Switch", ["name", "==", names.switch], follow=False)
        return external_network.catalog_scope(scope)

    def read(self, session, want):
        return FipProject(want["names"], session)

    # -- planning ---------------------------------------------------------

    def plan(self, session, want, have):
        plan = self.new_plan()
        items = want["items"]
        declared = set(item["object"] for item in items)
        if self.state == "absent":
            for item in items:
                self._plan_removal(plan, have, item["object"])
            self._remove_unused_gateways(plan, have, _Surroundings(have, declared).networks_in_use)
            return plan
        # An empty list (with exclusive: none at all) asks nothing of a project that does not exist.
        if items:
            require_project(have.router, want["names"])
        # Pruning first, so that a plan under review shows what goes before what comes.
        pruned = sorted(have.objects() - declared) if want["exclusive"] else []
        for obj in pruned:
            self._plan_removal(plan, have, obj)
        around = _Surroundings(have, declared | set(pruned))
        for item in items:
            with about(item["label"], item["name"]), named_target(item):
                self._plan_fip(plan, want["names"], item, have, around)
        self._remove_unused_gateways(plan, have, around.networks_in_use)
        return plan

    def removed(self, want, have):
        """Names of the FIPs this task deletes: those listed (absent) or pruned (exclusive)."""
        declared = set(item["object"] for item in want["items"])
        gone = self.removed_of(want, have.objects(), declared, have.router is not None)
        return sorted(obj.split("/", 1)[1] for obj in gone)

    def _plan_removal(self, plan, have, obj):
        router = Existing("Logical_Router", have.router) if have.router is not None else None
        if obj in have.nat_of:
            plan.add(Delete(Existing("NAT", have.nat_of[obj]), router, "nat"))
        if obj in have.policy_of:
            plan.add(Delete(Existing("Logical_Router_Policy", have.policy_of[obj]), router, "policies"))
        for network, addresses in sorted(have.auto(obj).items()):
            for address in addresses:
                ipam.release(plan, *have.catalog[network], address=address, owner=fip_owner(obj))

    def _address(self, plan, names, item, have):
        """(network, address, eip name or None) for the FIP, allocating if needed."""
        if item["eip"] is not None:
            network, address = external_network.first_held(have.catalog, eip_owner(names.namespace, item["eip"]))
            if address is None:
                raise InvalidInput(
                    "eip",
                    item["eip"],
                    "is not an EIP of project {0}: reserve it with kubedc.network.eip first".format(names.namespace),
                )
            return network, address, item["eip"]
        network = external_network.choose(
            have.catalog,
            name=item["external_network"],
            network_type=item["network_type"],
            type_field="external_network_type",
            default_type="cloud",
        )
        held = have.auto(item["object"]).get(network)
        if held:
            return network, held[0], None
        switch, pool = have.catalog[network]
        return network, ipam.allocate(plan, switch, pool, item["auto_owner"], None, "external_network_type"), None

    def _plan_fip(self, plan, names, item, have, around):
        validation.host_in("ip_address", item["target"], around.cidr)
        network, address, eip_name = self._address(plan, names, item, have)
        egress = around.egress
        self._check_clashes(item, have, around, address)
        self._check_load_balancers(item, have, around, network)
        router = around.router
        policy = have.policy_of.get(item["object"])
        if network == egress:
            gateway_port = have.gateway_port(network)
            if gateway_port is None:
                raise Conflict(
                    "project {0} has no gateway port on external network {1}; converge its "
                    "project_network first".format(names.namespace, network)
                )
            gateway_ref = Existing("Logical_Router_Port", gateway_port)
            if policy is not None:
                plan.add(Delete(Existing("Logical_Router_Policy", policy), router, "policies"))
        else:
            if network not in around.gateways:
                around.gateways[network] = self._plan_gateway(plan, names, have, network, egress)
            around.networks_in_use.add(network)
            gateway_ref = around.gateways[network]
            converge_row(
                plan,
                "Logical_Router_Policy",
                policy,
                dict(
                    priority=REROUTE_PRIORITY,
                    match="ip4.src == {0}".format(item["target"]),
                    action="reroute",
                    nexthops=[str(have.catalog[network][1].gateway)],
                    external_ids=ownership(KIND, item["object"]),
                ),
                "reroute:" + item["name"],
                router,
                "policies",
            )
        columns = dict(
            type="dnat_and_snat",
            external_ip=address,
            logical_ip=item["target"],
            gateway_port=[gateway_ref],
            logical_port=[item["logical_port"]] if item["logical_port"] else [],
            external_mac=[item["external_mac"]] if item["external_mac"] else [],
            external_ids=ownership(KIND, item["object"], **{EIP_KEY: eip_name or "", DECLARED_KEY: self._declared(names, item)}),
        )
        converge_row(plan, "NAT", have.nat_of.get(item["object"]), columns, "fip:" + item["name"], router, "nat")
        # An address allocated for the FIP alone on another network, or before it used an EIP, is given back.
        for other, addresses in sorted(have.auto(item["object"]).items()):
            for stale in addresses:
                if eip_name is not None or other != network:
                    ipam.release(plan, *have.catalog[other], address=stale, owner=item["auto_owner"])

    def _plan_gateway(self, plan, names, have, network, egress):
        """The project's gateway port on a second network, for FIPs there."""
        obj = "{0}/{1}".format(names.namespace, network)
        ids = ownership(GATEWAY_KIND, obj)
        switch, pool = have.catalog[network]
        owner = "{0}/{1}".format(GATEWAY_KIND, obj)
        held = pool.addresses_of(owner)
        if held:
            address = held[0]
        else:
            address = ipam.allocate(plan, switch, pool, owner, None, "eip")
        egress_port = have.gateway_port(egress)
        chassis = [row.chassis_name for row in sorted(egress_port.gateway_chassis if egress_port else [], key=lambda r: -r.priority)]
        if not chassis:
            raise Conflict(
                "project {0} has no gateway chassis on its egress port; converge its project_network "
                "first".format(names.namespace)
            )
        port_name = names.gateway_router_port(network)
        port_row = have.ports_by_name.get(port_name)
        networks = [with_prefix(address, pool.cidr.prefixlen)]
        port = converge_row(
            plan,
            "Logical_Router_Port",
            port_row,
            dict(name=port_name, networks=networks, external_ids=ids),
            "fip-gateway-port:" + network,
            Existing("Logical_Router", have.router),
            "ports",
            create_only=dict(mac=port_mac(port_name)),
        )
        converge_gateway_chassis(plan, port_name, chassis, port, port_row, ids)
        converge_row(
            plan,
            "Logical_Switch_Port",
            have.ports.get(names.gateway_switch_port(network)),
            router_type_port(names.gateway_switch_port(network), port_name, ids),
            "fip-gateway-switch-port:" + network,
            Existing("Logical_Switch", switch),
            "ports",
        )
        return port

    def _remove_unused_gateways(self, plan, have, in_use):
        """Remove second gateway ports that no FIP of the project needs any more."""
        for network, port in sorted(have.secondary_gateways().items()):
            if network in in_use:
                continue
            plan.add(Delete(Existing("Logical_Router_Port", port), Existing("Logical_Router", have.router), "ports"))
            switch, pool = have.catalog[network]
            switch_port = have.ports.get(have.names.gateway_switch_port(network))
            if switch_port is not None and owned_by(switch_port, GATEWAY_KIND, "{0}/{1}".format(have.names.namespace, network)):
                prune_rows(plan, "Logical_Switch_Port", [switch_port], Existing("Logical_Switch", switch), "ports")
            owner = "{0}/{1}/{2}".format(GATEWAY_KIND, have.names.namespace, network)
            for address in pool.addresses_of(owner):
                ipam.release(plan, switch, pool, address, owner)

    def _check_load_balancers(self, item, have, around, network):
        """Refuse a FIP on a backend of a VIP on the other network type (Kube-DC's documented conflict)."""
        fip_type = have.catalog[network][1].network_type
        for vip in around.vips_by_backend.get(item["target"], []):
            vip_network = external_network.network_of(have.catalog, vip.rsplit(":", 1)[0])
            vip_type = have.catalog[vip_network][1].network_type if vip_network else None
            if vip_type is not None and vip_type != fip_type:
                raise Conflict(
                    "ip_address: {0!r} backs load balancer VIP {1} on the {2} network {3}; a {4} FIP "
                    "on it would send the VIP's replies out through {5}, and clients would never get "
                    "them. Expose the workload one way only, or use the same network type for "
                    "both.".format(item["target"], vip, vip_type, vip_network, fip_type, network),
                    field="ip_address",
                    value=item["target"],
                )

    def _check_clashes(self, item, have, around, address):
        preview = address.preview if isinstance(address, Late) else address
        nat = around.by_external_ip.get(preview)
        if nat is not None:
            raise Conflict(
                "{0} is already used by NAT {1}{2}; an address carries one FIP".format(
                    preview, row_label("NAT", nat), "" if is_ours(nat) else " (not managed by kubedc.network)"
                ),
                field="eip",
            )
        nat = around.by_target.get(item["target"])
        if nat is not None:
            raise Conflict(
                "ip_address: {0!r} already has a floating IP: NAT {1}".format(item["target"], row_label("NAT", nat)),
                field="ip_address",
                value=item["target"],
            )
        users = around.vip_users.get(preview)
        if users:
            raise Conflict(
                "{0} is shared by load balancer VIPs ({1}); a FIP needs an address of its own".format(preview, ", ".join(users)),
                field="eip",
            )
        if item["logical_port"]:
            port = have.ports.get(item["logical_port"])
            on_switch = have.switch is not None and port is not None and port.uuid in ref_uuids(have.switch, "ports")
            if not on_switch:
                raise InvalidInput(
                    "logical_port", item["logical_port"],
                    "is not a port on the project switch {0}".format(have.names.switch),
                )

    # -- reporting --------------------------------------------------------

    def _view(self, names, name, columns, network, have):
        return dict(
            name=name,
            organization=names.organization,
            project=names.project,
            namespace=names.namespace,
            external_ip=columns["external_ip"],
            ip_address=columns["logical_ip"],
            pod_name=columns.get("pod_name"),
            vm_name=columns.get("vm_name"),
            interface_name=columns.get("interface_name"),
            eip=columns["eip"] or None,
            external_network=network,
            network_type=have.catalog[network][1].network_type if network in have.catalog else None,
            logical_port=columns["logical_port"] or None,
            external_mac=columns["external_mac"] or None,
        )

    def view_of(self, have, obj):
        """The FIP ``obj`` as it is in the NB, or None."""
        nat = have.nat_of.get(obj)
        if nat is None:
            return None
        columns = dict(
            external_ip=nat.external_ip,
            logical_ip=nat.logical_ip,
            eip=nat.external_ids.get(EIP_KEY),
            logical_port=nat.logical_port[0] if nat.logical_port else None,
            external_mac=nat.external_mac[0] if nat.external_mac else None,
        )
        columns.update(_declared_target(nat))
        network = external_network.network_of(have.catalog, nat.external_ip)
        return self._view(have.names, obj.split("/", 1)[1], columns, network, have)

    def describe(self, have):
        want = self._want
        objects = [item["object"] for item in want["items"]]
        if want["bulk"]:
            objects += [o for o in sorted(have.objects()) if o not in objects and want["exclusive"]]
            return [view for view in (self.view_of(have, obj) for obj in objects) if view is not None]
        return self.view_of(have, objects[0]) or {}

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return [] if want["bulk"] else {}
        names = want["names"]
        allocated = {}
        for op in plan.ops:
            # Only a FIP's own allocation: a second gateway port may allocate too.
            if isinstance(op, ipam.Allocate):
                allocated[op.owner] = (op.pool_ref.label, values.get(op.slot, op.address.preview))
        views = []
        for item in want["items"]:
            eip_name = item["eip"]
            if item["auto_owner"] in allocated:
                network, address = allocated[item["auto_owner"]]
            elif eip_name is not None:
                network, address = external_network.first_held(have.catalog, eip_owner(names.namespace, eip_name))
            else:
                network = external_network.choose(have.catalog, item["external_network"], item["network_type"], "external_network_type", "cloud")
                address = have.auto(item["object"])[network][0]
            columns = dict(
                external_ip=address,
                logical_ip=item["target"],
                eip=eip_name,
                logical_port=item["logical_port"],
                external_mac=item["external_mac"],
                pod_name=item["pod_name"],
                vm_name=item["vm_name"],
                interface_name=item["interface_name"],
            )
            views.append(self._view(names, item["name"], columns, network, have))
        return views if want["bulk"] else views[0]


def _declared_target(nat):
    """The pod or VM a FIP's row was declared for, from its recorded declaration."""
    try:
        declared = json.loads(nat.external_ids.get(DECLARED_KEY) or "{}")
    except ValueError:
        declared = {}
    if not isinstance(declared, dict):
        declared = {}
    return dict((key, declared.get(key)) for key in ("pod_name", "vm_name", "interface_name"))

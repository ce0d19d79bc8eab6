# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""project_network: a project's VPC on standalone OVN, shaped the way Kube-OVN shapes it.

For organization ``acme`` and project ``prod`` (namespace ``acme-prod``) on
external network ``ext-cloud``:

* ``Logical_Router acme-prod`` and ``Logical_Switch acme-prod-default``;
* router port ``acme-prod-acme-prod-default`` (the subnet gateway, first
  address of the CIDR unless given) and its router-type switch port
  ``acme-prod-default-acme-prod``;
* gateway router port ``acme-prod-ext-cloud`` on an address allocated from
  the external network (the default-gateway EIP), with Gateway_Chassis rows
  ``acme-prod-ext-cloud-<chassis>`` (priority 100, 99, ...) that make it a
  distributed gateway port, and switch port ``ext-cloud-acme-prod`` on the
  external switch;
* a default route to the external network's gateway;
* SNAT of the project CIDR to the default-gateway address.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network, ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope, connect
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    KIND_KEY,
    OBJECT_KEY,
    Delete,
    Existing,
    is_ours,
    owned_by,
    ownership,
    row_label,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import (
    DECLARED_KEY,
    OvnResource,
    converge_gateway_chassis,
    converge_row,
    port_mac,
    prune_rows,
    router_type_port,
    with_prefix,
)

KIND = "project_network"
# The tables of a project's rows below its router and switch.
PROJECT_TABLES = ("Logical_Router_Port", "Gateway_Chassis", "NAT", "Logical_Router_Static_Route", "Logical_Router_Policy", "Load_Balancer")
DEFAULT_ROUTE = "0.0.0.0/0"
ORGANIZATION_KEY = "kubedc:organization"
PROJECT_KEY = "kubedc:project"
CIDR_KEY = "kubedc:cidr"
EXTERNAL_NETWORK_KEY = "kubedc:external-network"
EGRESS_TYPE_KEY = "kubedc:egress-network-type"
DEFAULT_EGRESS_TYPE = "cloud"


class ProjectNames(object):
    """Every NB name of one project, following Kube-OVN's naming."""

    def __init__(self, organization, project):
        self.organization = organization
        self.project = project
        self.namespace = "{0}-{1}".format(organization, project)
        self.router = self.namespace
        self.switch = "{0}-default".format(self.namespace)
        self.subnet_router_port = "{0}-{1}".format(self.router, self.switch)
        self.subnet_switch_port = "{0}-{1}".format(self.switch, self.router)
        self.owner = "{0}/{1}".format(KIND, self.namespace)

    def gateway_router_port(self, network):
        return "{0}-{1}".format(self.router, network)

    def gateway_switch_port(self, network):
        return "{0}-{1}".format(network, self.router)


def project_names(organization, project, project_field="name"):
    """Checked names of a project: both labels, and the namespace they make."""
    names = ProjectNames(
        validation.dns_label("organization", organization),
        validation.dns_label(project_field, project),
    )
    if len(names.namespace) > validation.DNS_LABEL_MAX:
        raise InvalidInput(
            project_field,
            project,
            "makes the project namespace {0!r} longer than {1} characters".format(
                names.namespace, validation.DNS_LABEL_MAX
            ),
        )
    return names


def project_router(session, names):
    """The project's router if project_network made it, else None."""
    router = session.one("Logical_Router", name=names.router)
    return router if router is not None and owned_by(router, KIND, names.namespace) else None


def vip_users(router, address):
    """The load balancer VIPs on a project router that use ``address``."""
    return vip_index(router).get(address, [])


def vip_index(router):
    """address -> the load balancer VIPs on a project router that use it, read once
    for a task that asks about many addresses."""
    index = {}
    for lb in router.load_balancer if router is not None else []:
        for vip in lb.vips:
            index.setdefault(vip.rsplit(":", 1)[0], []).append("Load_Balancer {0} VIP {1}".format(lb.name, vip))
    for users in index.values():
        users.sort()
    return index


def require_project(router, names):
    """Objects of a project (EIPs, FIPs, bindings) need its project network first."""
    if router is None:
        raise InvalidInput(
            "project",
            names.project,
            "has no project network {0}: declare it with kubedc.network.project_network "
            "first".format(names.namespace),
        )


class ProjectState(object):
    """What exists of one project: its rows and the external networks around it."""

    def __init__(self, names, session):
        self.names = names
        self.router = session.one("Logical_Router", name=names.router)
        self.switch = session.one("Logical_Switch", name=names.switch)
        self.catalog = external_network.read_catalog(session)
        ports = session.unique_by_name("Logical_Switch_Port")
        self.gateway_switch_ports = dict(
            (network, ports[names.gateway_switch_port(network)])
            for network in self.catalog
            if names.gateway_switch_port(network) in ports
        )
        # Addresses this project holds, per external network.
        self.addresses = external_network.held(self.catalog, names.owner)

    def ours(self, row):
        return owned_by(row, KIND, self.names.namespace)

    @property
    def exists(self):
        return self.router is not None and self.ours(self.router)

    def router_rows(self, column):
        return list(getattr(self.router, column)) if self.exists else []

    def router_port(self, name):
        for port in self.router_rows("ports"):
            if port.name == name:
                return port
        return None

    def switch_ports(self):
        if self.switch is None or not self.ours(self.switch):
            return []
        return list(self.switch.ports)

    @property
    def external_network(self):
        return self.router.external_ids.get(EXTERNAL_NETWORK_KEY) if self.exists else None


def _overlaps(a, b):
    return a.first <= b.last and b.first <= a.last


class ProjectNetwork(OvnResource):
    def validate(self):
        p = self.params
        want = dict(names=project_names(p["organization"], p["name"]))
        if self.state == "absent":
            return want
        if p.get("cidr") is None:
            # The module requires it of the single form; an element of projects gets here without.
            raise InvalidInput("cidr", None, "is required with state=present")
        cidr = validation.ipv4_network("cidr", p["cidr"])
        gateway = validation.host_in("gateway", p.get("gateway") or str(cidr[1]), cidr)
        requested = p.get("default_gateway_ip")
        if requested is not None:
            requested = str(validation.ipv4_address("default_gateway_ip", requested))
        external = p.get("external_network")
        if external is not None:
            external = validation.dns_label("external_network", external)
        want.update(
            cidr=cidr,
            gateway=gateway,
            egress_network_type=p.get("egress_network_type"),
            external_network=external,
            default_gateway_ip=requested,
            gateway_chassis=validation.name_list("gateway_chassis", p.get("gateway_chassis")),
        )
        return want

    def scope(self, want):
        names = want["names"]
        scope = (
            NbScope()
            .table(*PROJECT_TABLES)
            .fetch("Logical_Switch_Port")
            .by_name("Logical_Router", names.router)
            .by_name("Logical_Switch", names.switch)
        )
        external_network.catalog_scope(scope)
        scope.refine = external_network.gateway_switch_ports(names)
        return scope

    def read(self, session, want):
        return ProjectState(want["names"], session)

    @staticmethod
    def managed_scope():
        """Every project network the collection made, with its rows: what exclusive may prune.

        A datacenter file names its projects; the others are only known once read, so the
        routers and switches are selected by their ownership, and a refinement adds each
        found project's own port on the external switches."""
        scope = NbScope().table(*PROJECT_TABLES).fetch("Logical_Switch_Port")
        for table in ("Logical_Router", "Logical_Switch"):
            scope.by_external_id(table, KIND_KEY, KIND)
        external_network.catalog_scope(scope)

        def refine(idl):
            pairs = []
            for names in managed_projects(idl.tables["Logical_Router"].rows.values()):
                pairs.extend(external_network.gateway_switch_ports(names)(idl))
            return pairs

        scope.refine = refine
        return scope

    @staticmethod
    def managed_projects_of(session):
        return managed_projects(session.rows("Logical_Router"))

    # -- planning ---------------------------------------------------------

    def _choose_network(self, want, have):
        return external_network.choose(
            have.catalog,
            name=want["external_network"],
            network_type=want["egress_network_type"],
            type_field="egress_network_type",
            default_type=DEFAULT_EGRESS_TYPE,
        )

    def _check_present(self, want, have, network):
        names = want["names"]
        # A router or switch with our name that is not ours is refused by
        # converge_row; the checks here are about the declaration itself.
        cidr = want["cidr"]
        for other, (_row, pool) in sorted(have.catalog.items()):
            if _overlaps(cidr, pool.cidr):
                raise InvalidInput(
                    "cidr", str(cidr), "overlaps external network {0} ({1})".format(other, pool.cidr)
                )
        ours = set([names.subnet_router_port, names.gateway_router_port(network)])
        for port in have.router_rows("ports"):
            if port.name in ours and have.ours(port):
                continue
            for net in port.networks:
                other = validation.netaddr.IPNetwork(net)
                if _overlaps(cidr, other.cidr):
                    raise InvalidInput(
                        "cidr",
                        str(cidr),
                        "overlaps {0} of port {1} on router {2}".format(
                            other.cidr, port.name, names.router
                        ),
                    )
        if have.exists:
            current_cidr = have.router.external_ids.get(CIDR_KEY)
            if current_cidr != str(want["cidr"]):
                raise Conflict(
                    "cidr: {0!r} cannot be changed to {1!r}: workloads hold addresses in it. "
                    "Delete and re-create the project network to renumber it.".format(
                        current_cidr, str(want["cidr"])
                    ),
                    field="cidr",
                    value=str(want["cidr"]),
                )
            if have.external_network != network:
                raise Conflict(
                    "egress_network_type: the project egresses through external network {0} "
                    "({1}); it cannot be moved to {2} ({3}). Delete and re-create the "
                    "project network instead.".format(
                        have.external_network,
                        have.router.external_ids.get(EGRESS_TYPE_KEY),
                        network,
                        have.catalog[network][1].network_type,
                    ),
                    field="egress_network_type",
                    value=have.catalog[network][1].network_type,
                )
        for nat in have.router_rows("nat"):
            if nat.type == "snat" and nat.logical_ip == str(cidr) and not have.ours(nat):
                raise Conflict(
                    "router {0} already has a SNAT for {1} that kubedc.network does not "
                    "manage (to {2}); remove it first".format(names.router, cidr, nat.external_ip),
                    row=row_label("NAT", nat),
                )

    def plan(self, session, want, have):
        if self.state == "absent":
            return self._plan_absent(have)
        names = want["names"]
        network = self._choose_network(want, have)
        self._check_present(want, have, network)
        switch_row, pool = have.catalog[network]
        external_ref = Existing("Logical_Switch", switch_row)
        chassis = want["gateway_chassis"] or list(pool.gateway_chassis)
        if not chassis:
            raise InvalidInput(
                "gateway_chassis",
                want["gateway_chassis"],
                "is empty and external network {0} names no default gateway chassis; "
                "the gateway port needs at least one chassis to run SNAT on".format(network),
            )

        plan = self.new_plan()
        address = self._plan_address(plan, want, have, network, pool)
        ids = ownership(KIND, names.namespace)
        router_ids = dict(ids)
        router_ids.update(
            {
                ORGANIZATION_KEY: names.organization,
                PROJECT_KEY: names.project,
                CIDR_KEY: str(want["cidr"]),
                EXTERNAL_NETWORK_KEY: network,
                EGRESS_TYPE_KEY: pool.network_type,
                DECLARED_KEY: self.declared(
                    organization=names.organization,
                    name=names.project,
                    cidr=want["cidr"],
                    gateway=want["gateway"],
                    egress_network_type=want["egress_network_type"],
                    external_network=want["external_network"],
                    default_gateway_ip=want["default_gateway_ip"],
                    gateway_chassis=want["gateway_chassis"],
                ),
            }
        )
        router = converge_row(
            plan, "Logical_Router", have.router, dict(name=names.router, external_ids=router_ids), "router"
        )
        switch = converge_row(
            plan, "Logical_Switch", have.switch, dict(name=names.switch, external_ids=ids), "switch"
        )
        converge_row(
            plan,
            "Logical_Router_Port",
            have.router_port(names.subnet_router_port),
            dict(
                name=names.subnet_router_port,
                networks=["{0}/{1}".format(want["gateway"], want["cidr"].prefixlen)],
                external_ids=ids,
            ),
            "subnet-router-port",
            router,
            "ports",
            create_only=dict(mac=port_mac(names.subnet_router_port)),
        )
        converge_row(
            plan,
            "Logical_Switch_Port",
            self._find(have.switch_ports(), names.subnet_switch_port),
            router_type_port(names.subnet_switch_port, names.subnet_router_port, ids),
            "subnet-switch-port",
            switch,
            "ports",
        )
        gateway_port_name = names.gateway_router_port(network)
        gateway_port_row = have.router_port(gateway_port_name)
        gateway_port = converge_row(
            plan,
            "Logical_Router_Port",
            gateway_port_row,
            dict(
                name=gateway_port_name,
                networks=[with_prefix(address, pool.cidr.prefixlen)],
                external_ids=ids,
            ),
            "gateway-router-port",
            router,
            "ports",
            create_only=dict(mac=port_mac(gateway_port_name)),
        )
        converge_gateway_chassis(plan, gateway_port_name, chassis, gateway_port, gateway_port_row, ids)
        converge_row(
            plan,
            "Logical_Switch_Port",
            have.gateway_switch_ports.get(network),
            router_type_port(names.gateway_switch_port(network), gateway_port_name, ids),
            "gateway-switch-port",
            external_ref,
            "ports",
        )
        routes = [r for r in have.router_rows("static_routes") if have.ours(r)]
        default_route = self._find_by(routes, ip_prefix=DEFAULT_ROUTE)
        converge_row(
            plan,
            "Logical_Router_Static_Route",
            default_route,
            dict(ip_prefix=DEFAULT_ROUTE, nexthop=str(pool.gateway), external_ids=ids),
            "default-route",
            router,
            "static_routes",
        )
        prune_rows(plan, "Logical_Router_Static_Route", [r for r in routes if r is not default_route], router, "static_routes")
        snats = [n for n in have.router_rows("nat") if have.ours(n) and n.type == "snat"]
        snat = snats[0] if snats else None
        converge_row(
            plan,
            "NAT",
            snat,
            dict(
                type="snat",
                external_ip=address,
                logical_ip=str(want["cidr"]),
                gateway_port=[gateway_port],
                external_ids=ids,
            ),
            "snat",
            router,
            "nat",
        )
        prune_rows(plan, "NAT", snats[1:], router, "nat")
        # Rows of ours that the current declaration no longer produces.
        keep = set([names.subnet_router_port, gateway_port_name])
        prune_rows(
            plan,
            "Logical_Router_Port",
            [p for p in have.router_rows("ports") if have.ours(p) and p.name not in keep],
            router,
            "ports",
        )
        for other, port in sorted(have.gateway_switch_ports.items()):
            if other != network and have.ours(port):
                prune_rows(plan, "Logical_Switch_Port", [port], Existing("Logical_Switch", have.catalog[other][0]), "ports")
        return plan

    def _plan_address(self, plan, want, have, network, pool):
        """The default-gateway address: kept, allocated, or moved to the one requested."""
        names = want["names"]
        held = have.addresses.get(network, [])
        requested = want["default_gateway_ip"]
        for other, addresses in sorted(have.addresses.items()):
            if other != network:
                for stale in addresses:
                    ipam.release(plan, *have.catalog[other], address=stale, owner=names.owner)
        keep = requested or (held[0] if held else None)
        if keep is not None and keep in held:
            address = keep
        else:
            address = ipam.allocate(plan, have.catalog[network][0], pool, names.owner, requested, "default_gateway_ip")
        for extra in held:
            if extra != keep:
                ipam.release(plan, have.catalog[network][0], pool, extra, names.owner)
        return address

    @staticmethod
    def _find(rows, name):
        for row in rows:
            if row.name == name:
                return row
        return None

    @staticmethod
    def _find_by(rows, **columns):
        for row in rows:
            if all(getattr(row, k) == v for k, v in columns.items()):
                return row
        return None

    def _plan_absent(self, have):
        plan = self.new_plan()
        names = have.names
        attached = []
        if have.exists:
            for column, table in (
                ("ports", "Logical_Router_Port"),
                ("nat", "NAT"),
                ("static_routes", "Logical_Router_Static_Route"),
                ("policies", "Logical_Router_Policy"),
                ("load_balancer", "Load_Balancer"),
            ):
                attached.extend((table, row) for row in have.router_rows(column) if not have.ours(row))
        switch_ours = have.switch is not None and have.ours(have.switch)
        if switch_ours:
            attached.extend(
                ("Logical_Switch_Port", port) for port in have.switch_ports() if not have.ours(port)
            )
        self._refuse_attached(names, attached)
        # Router and switch are root rows: their ports, NAT rows, routes and
        # gateway chassis go with them in the same transaction.
        if have.exists:
            plan.add(Delete(Existing("Logical_Router", have.router)))
        if switch_ours:
            plan.add(Delete(Existing("Logical_Switch", have.switch)))
        for network, port in sorted(have.gateway_switch_ports.items()):
            if have.ours(port):
                plan.add(
                    Delete(
                        Existing("Logical_Switch_Port", port),
                        Existing("Logical_Switch", have.catalog[network][0]),
                        "ports",
                    )
                )
        for network, addresses in sorted(have.addresses.items()):
            for address in addresses:
                ipam.release(plan, *have.catalog[network], address=address, owner=names.owner)
        return plan

    @staticmethod
    def _refuse_attached(names, attached):
        """Refuse to delete a project that other declarations or foreign rows still use.

        Rows of other declarations of ours (FIPs, bindings) are named by their
        declaration, so that the user knows which task to run first; rows we do
        not manage would be deleted with the router or switch, or orphaned.
        """
        users = {}
        foreign = []
        for table, row in attached:
            label = "{0} {1}".format(table, row_label(table, row))
            if is_ours(row):
                key = "{0} {1}".format(row.external_ids.get(KIND_KEY), row.external_ids.get(OBJECT_KEY))
                users.setdefault(key, []).append(label)
            else:
                foreign.append(label)
        if not users and not foreign:
            return
        parts = []
        if users:
            parts.append(
                "project network {0} is still used by: {1}. Remove those first.".format(
                    names.namespace,
                    ", ".join("{0} ({1})".format(k, ", ".join(sorted(v))) for k, v in sorted(users.items())),
                )
            )
        if foreign:
            parts.append(
                "{0} rows that kubedc.network does not manage: {1}. Remove them first (deleting "
                "the project would delete them with it).".format(
                    "It also has" if users else "project network {0} still has".format(names.namespace),
                    ", ".join(sorted(foreign)),
                )
            )
        raise Conflict(" ".join(parts), users=users, foreign=sorted(foreign))

    # -- reporting --------------------------------------------------------

    def describe(self, have):
        if not have.exists:
            return {}
        names = have.names
        ids = have.router.external_ids
        network = have.external_network
        subnet_port = have.router_port(names.subnet_router_port)
        gateway_port = have.router_port(names.gateway_router_port(network))
        chassis = sorted(
            gateway_port.gateway_chassis if gateway_port else [], key=lambda row: -row.priority
        )
        addresses = have.addresses.get(network, [])
        return self._view(
            names,
            cidr=ids.get(CIDR_KEY),
            gateway=subnet_port.networks[0].split("/")[0] if subnet_port and subnet_port.networks else None,
            egress_network_type=ids.get(EGRESS_TYPE_KEY),
            external_network=network,
            default_gateway_ip=addresses[0] if addresses else None,
            gateway_chassis=[row.chassis_name for row in chassis],
        )

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return {}
        names = want["names"]
        network = self._choose_network(want, have)
        pool = have.catalog[network][1]
        address = None
        for op in plan.ops:
            if isinstance(op, ipam.Allocate) and op.owner == names.owner:
                address = values.get(op.slot, op.address.preview)
        if address is None:
            address = have.addresses.get(network, [None])[0]
        chassis = want["gateway_chassis"] or list(have.catalog[network][1].gateway_chassis)
        return self._view(
            names,
            cidr=str(want["cidr"]),
            gateway=str(want["gateway"]),
            egress_network_type=pool.network_type,
            external_network=network,
            default_gateway_ip=address,
            gateway_chassis=chassis,
        )

    @staticmethod
    def _view(names, **fields):
        view = dict(
            organization=names.organization,
            name=names.project,
            namespace=names.namespace,
            router=names.router,
            switch=names.switch,
            gateway_router_port=names.gateway_router_port(fields["external_network"]),
        )
        view.update(fields)
        return view


def managed_projects(routers):
    """The names of the projects whose routers the collection made, by their external_ids."""
    found = []
    for router in routers:
        ids = router.external_ids
        if is_ours(router) and ids.get(KIND_KEY) == KIND and ids.get(ORGANIZATION_KEY) and ids.get(PROJECT_KEY):
            found.append(ProjectNames(ids[ORGANIZATION_KEY], ids[PROJECT_KEY]))
    return sorted(found, key=lambda names: names.namespace)


def gather_projects(params, organization=None):
    """Every project network the collection made (of ``organization``), as project_network describes it."""
    session = connect(params, ProjectNetwork.managed_scope())
    try:
        resource = ProjectNetwork(dict(params, state="present"))
        return [resource.describe(ProjectState(names, session)) for names in ProjectNetwork.managed_projects_of(session)
                if organization is None or names.organization == organization]
    finally:
        session.close()

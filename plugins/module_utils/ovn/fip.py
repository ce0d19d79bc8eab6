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
"""

import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network, ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope, ref_uuids
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import eip_owner
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    KIND_KEY,
    Delete,
    Existing,
    Plan,
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
    vip_users,
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

KIND = "fip"
GATEWAY_KIND = "fip_gateway"
EIP_KEY = "kubedc:eip"
REROUTE_PRIORITY = 30000
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class FipState(object):
    def __init__(self, want, session):
        names = want["names"]
        self.names = names
        self.object = want["object"]
        self.router = project_router(session, names)
        self.catalog = external_network.read_catalog(session)
        self.nat = None
        self.others = []
        self.policy = None
        self.ports_by_name = {}
        if self.router is not None:
            for nat in self.router.nat:
                if owned_by(nat, KIND, self.object):
                    self.nat = nat
                else:
                    self.others.append(nat)
            for policy in self.router.policies:
                if owned_by(policy, KIND, self.object):
                    self.policy = policy
            self.ports_by_name = dict((port.name, port) for port in self.router.ports)
        self.auto = external_network.held(self.catalog, want["auto_owner"])
        self.ports = dict((p.name, p) for p in session.rows("Logical_Switch_Port"))
        self.switch = session.one("Logical_Switch", name=names.switch)

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

    def networks_of_other_fips(self):
        return set(
            self.network_of_port(nat.gateway_port[0])
            for nat in self.others
            if nat.external_ids.get(KIND_KEY) == KIND and is_ours(nat) and nat.gateway_port
        )

    def gateway_port(self, network):
        return self.ports_by_name.get(self.names.gateway_router_port(network))


class Fip(OvnResource):
    def _declared(self, want):
        names = want["names"]
        return self.declared(
            organization=names.organization,
            project=names.project,
            name=want["name"],
            eip=want["eip"],
            external_network_type=want["network_type"],
            external_network=want["external_network"],
            ip_address=want["target"],
            logical_port=want["logical_port"],
            external_mac=want["external_mac"],
        )

    def validate(self):
        p = self.params
        name = validation.dns_label("name", p["name"])
        names = project_names(p["organization"], p["project"], "project")
        obj = "{0}/{1}".format(names.namespace, name)
        want = dict(
            name=name,
            names=names,
            object=obj,
            auto_owner="{0}/{1}".format(KIND, obj),
        )
        if self.state == "absent":
            return want
        eip = p.get("eip")
        if eip is not None:
            eip = validation.dns_label("eip", eip)
        target = validation.ipv4_address("ip_address", p["ip_address"])
        mac = p.get("external_mac")
        if mac is not None and not _MAC.match(mac.lower()):
            raise InvalidInput("external_mac", mac, "is not a MAC address like 0a:00:00:00:00:01")
        want.update(
            eip=eip,
            network_type=p.get("external_network_type"),
            external_network=p.get("external_network"),
            target=str(target),
            logical_port=p.get("logical_port"),
            external_mac=mac.lower() if mac else None,
        )
        return want

    def scope(self, want):
        names = want["names"]
        scope = (
            NbScope()
            .table("NAT", "Logical_Router_Port", "Load_Balancer", "Logical_Router_Policy", "Gateway_Chassis")
            .fetch("Logical_Switch_Port")
            .root("Logical_Router", ["name", "==", names.router])
        )

        def gateway_switch_ports(idl):
            # The project's port on each external switch (a FIP may need one on any).
            return [
                ("Logical_Switch_Port", ["name", "==", names.gateway_switch_port(row.name)])
                for row in idl.tables["Logical_Switch"].rows.values()
                if row.external_ids.get(KIND_KEY) == external_network.KIND
            ]

        scope.refine = gateway_switch_ports
        if want.get("logical_port"):
            # The port, and the project switch to check that it sits on (not its other ports).
            scope.root("Logical_Switch_Port", ["name", "==", want["logical_port"]], follow=False)
            scope.root("Logical_Switch", ["name", "==", want["names"].switch], follow=False)
        return external_network.catalog_scope(scope)

    def read(self, session, want):
        return FipState(want, session)

    # -- planning ---------------------------------------------------------

    def _address(self, plan, want, have):
        """(network, address, eip name or None) for the FIP, allocating if needed."""
        if want["eip"] is not None:
            network, address = external_network.first_held(have.catalog, eip_owner(want["names"].namespace, want["eip"]))
            if address is None:
                raise InvalidInput(
                    "eip",
                    want["eip"],
                    "is not an EIP of project {0}: reserve it with kubedc.network.eip first".format(
                        want["names"].namespace
                    ),
                )
            return network, address, want["eip"]
        network = external_network.choose(
            have.catalog,
            name=want["external_network"],
            network_type=want["network_type"],
            type_field="external_network_type",
            default_type="cloud",
        )
        held = have.auto.get(network)
        if held:
            return network, held[0], None
        switch, pool = have.catalog[network]
        return network, ipam.allocate(plan, switch, pool, want["auto_owner"], None, "external_network_type"), None

    def plan(self, session, want, have):
        plan = Plan()
        if self.state == "absent":
            if have.nat is not None:
                plan.add(Delete(Existing("NAT", have.nat), Existing("Logical_Router", have.router), "nat"))
            if have.policy is not None:
                plan.add(Delete(Existing("Logical_Router_Policy", have.policy), Existing("Logical_Router", have.router), "policies"))
            for network, addresses in sorted(have.auto.items()):
                for address in addresses:
                    plan.add(ipam.Release(Existing("Logical_Switch", have.catalog[network][0]), address, want["auto_owner"]))
            self._remove_unused_gateways(plan, want, have, keep=None)
            return plan
        names = want["names"]
        require_project(have.router, names)
        cidr = validation.netaddr.IPNetwork(have.router.external_ids[CIDR_KEY])
        validation.host_in("ip_address", want["target"], cidr)
        network, address, eip_name = self._address(plan, want, have)
        egress = have.router.external_ids.get(EXTERNAL_NETWORK_KEY)
        self._check_clashes(want, have, address)
        self._check_load_balancers(want, have, network)
        router = Existing("Logical_Router", have.router)
        if network == egress:
            gateway_port = have.gateway_port(network)
            if gateway_port is None:
                raise Conflict(
                    "project {0} has no gateway port on external network {1}; converge its "
                    "project_network first".format(names.namespace, network)
                )
            gateway_ref = Existing("Logical_Router_Port", gateway_port)
            if have.policy is not None:
                plan.add(Delete(Existing("Logical_Router_Policy", have.policy), router, "policies"))
        else:
            gateway_ref = self._plan_gateway(plan, want, have, network, egress)
            converge_row(
                plan,
                "Logical_Router_Policy",
                have.policy,
                dict(
                    priority=REROUTE_PRIORITY,
                    match="ip4.src == {0}".format(want["target"]),
                    action="reroute",
                    nexthops=[str(have.catalog[network][1].gateway)],
                    external_ids=ownership(KIND, want["object"]),
                ),
                "reroute",
                router,
                "policies",
            )
        columns = dict(
            type="dnat_and_snat",
            external_ip=address,
            logical_ip=want["target"],
            gateway_port=[gateway_ref],
            logical_port=[want["logical_port"]] if want["logical_port"] else [],
            external_mac=[want["external_mac"]] if want["external_mac"] else [],
            external_ids=ownership(KIND, want["object"], **{EIP_KEY: eip_name or "", DECLARED_KEY: self._declared(want)}),
        )
        converge_row(plan, "NAT", have.nat, columns, "fip", router, "nat")
        # An address allocated for the FIP alone on another network is given back.
        for other, addresses in sorted(have.auto.items()):
            for stale in addresses:
                if eip_name is not None or other != network:
                    plan.add(ipam.Release(Existing("Logical_Switch", have.catalog[other][0]), stale, want["auto_owner"]))
        self._remove_unused_gateways(plan, want, have, keep=network if network != egress else None)
        return plan

    def _plan_gateway(self, plan, want, have, network, egress):
        """The project's gateway port on a second network, for FIPs there."""
        names = want["names"]
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
            "fip-gateway-port",
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
            "fip-gateway-switch-port",
            Existing("Logical_Switch", switch),
            "ports",
        )
        return port

    def _remove_unused_gateways(self, plan, want, have, keep):
        """Remove second gateway ports that no FIP of the project needs any more."""
        used = have.networks_of_other_fips()
        for network, port in sorted(have.secondary_gateways().items()):
            if network == keep or network in used:
                continue
            plan.add(Delete(Existing("Logical_Router_Port", port), Existing("Logical_Router", have.router), "ports"))
            switch, pool = have.catalog[network]
            switch_port = have.ports.get(have.names.gateway_switch_port(network))
            if switch_port is not None and owned_by(switch_port, GATEWAY_KIND, "{0}/{1}".format(have.names.namespace, network)):
                prune_rows(plan, "Logical_Switch_Port", [switch_port], Existing("Logical_Switch", switch), "ports")
            owner = "{0}/{1}/{2}".format(GATEWAY_KIND, have.names.namespace, network)
            for address in pool.addresses_of(owner):
                plan.add(ipam.Release(Existing("Logical_Switch", switch), address, owner))

    def _check_load_balancers(self, want, have, network):
        """Refuse a FIP on a backend of a VIP on the other network type (Kube-DC's documented conflict)."""
        fip_type = have.catalog[network][1].network_type
        for lb in have.router.load_balancer:
            for vip, backends in sorted(lb.vips.items()):
                if want["target"] not in [b.rsplit(":", 1)[0] for b in backends.split(",")]:
                    continue
                vip_network = external_network.network_of(have.catalog, vip.rsplit(":", 1)[0])
                vip_type = have.catalog[vip_network][1].network_type if vip_network else None
                if vip_type is not None and vip_type != fip_type:
                    raise Conflict(
                        "ip_address: {0!r} backs load balancer VIP {1} on the {2} network {3}; a {4} FIP "
                        "on it would send the VIP's replies out through {5}, and clients would never get "
                        "them. Expose the workload one way only, or use the same network type for "
                        "both.".format(want["target"], vip, vip_type, vip_network, fip_type, network),
                        field="ip_address",
                        value=want["target"],
                    )

    def _check_clashes(self, want, have, address):
        for nat in have.others:
            if nat.type in ("dnat_and_snat", "dnat") and nat.external_ip == address:
                raise Conflict(
                    "{0} is already used by NAT {1}{2}; an address carries one FIP".format(
                        address, row_label("NAT", nat), "" if is_ours(nat) else " (not managed by kubedc.network)"
                    ),
                    field="eip",
                )
            if nat.type == "dnat_and_snat" and nat.logical_ip == want["target"]:
                raise Conflict(
                    "ip_address: {0!r} already has a floating IP: NAT {1}".format(want["target"], row_label("NAT", nat)),
                    field="ip_address",
                    value=want["target"],
                )
        users = vip_users(have.router, address)
        if users:
            raise Conflict(
                "{0} is shared by load balancer VIPs ({1}); a FIP needs an address of its own".format(address, ", ".join(users)),
                field="eip",
            )
        if want["logical_port"]:
            port = have.ports.get(want["logical_port"])
            on_switch = have.switch is not None and port is not None and port.uuid in ref_uuids(have.switch, "ports")
            if not on_switch:
                raise InvalidInput(
                    "logical_port", want["logical_port"],
                    "is not a port on the project switch {0}".format(have.names.switch),
                )

    # -- reporting --------------------------------------------------------

    def _view(self, want, nat_columns, network, have):
        names = want["names"]
        return dict(
            name=want["name"],
            organization=names.organization,
            project=names.project,
            namespace=names.namespace,
            external_ip=nat_columns["external_ip"],
            ip_address=nat_columns["logical_ip"],
            eip=nat_columns["eip"] or None,
            external_network=network,
            network_type=have.catalog[network][1].network_type if network in have.catalog else None,
            logical_port=nat_columns["logical_port"] or None,
            external_mac=nat_columns["external_mac"] or None,
        )

    def describe(self, have):
        if have.nat is None:
            return {}
        nat = have.nat
        columns = dict(
            external_ip=nat.external_ip,
            logical_ip=nat.logical_ip,
            eip=nat.external_ids.get(EIP_KEY),
            logical_port=nat.logical_port[0] if nat.logical_port else None,
            external_mac=nat.external_mac[0] if nat.external_mac else None,
        )
        want = dict(name=have.object.split("/", 1)[1], names=have.names)
        return self._view(want, columns, external_network.network_of(have.catalog, nat.external_ip), have)

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return {}
        network, address, eip_name = None, None, want["eip"]
        for op in plan.ops:
            # Only the FIP's own allocation: a second gateway port may allocate too.
            if isinstance(op, ipam.Allocate) and op.owner == want["auto_owner"]:
                network, address = op.pool_ref.label, values.get(op.slot, op.address.preview)
        if address is None:
            if eip_name is not None:
                network, address = external_network.first_held(have.catalog, eip_owner(want["names"].namespace, eip_name))
            else:
                network = external_network.choose(have.catalog, want["external_network"], want["network_type"], "external_network_type", "cloud")
                address = have.auto[network][0]
        columns = dict(
            external_ip=address,
            logical_ip=want["target"],
            eip=eip_name,
            logical_port=want["logical_port"],
            external_mac=want["external_mac"],
        )
        return self._view(want, columns, network, have)

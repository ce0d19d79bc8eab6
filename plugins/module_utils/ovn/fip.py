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
"""

import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network, ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope, ref_uuids
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import KIND as EIP_KIND
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
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
    KIND as PROJECT_KIND,
    ProjectNames,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import (
    OvnResource,
    converge_row,
)

KIND = "fip"
EIP_KEY = "kubedc:eip"
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class FipState(object):
    def __init__(self, want, session):
        names = want["names"]
        self.names = names
        self.object = want["object"]
        router = session.one("Logical_Router", name=names.router)
        self.router = router if router is not None and owned_by(router, PROJECT_KIND, names.namespace) else None
        self.catalog = external_network.read_catalog(session)
        self.nat = None
        self.others = []
        if self.router is not None:
            for nat in self.router.nat:
                if owned_by(nat, KIND, self.object):
                    self.nat = nat
                else:
                    self.others.append(nat)
        self.auto = dict(
            (network, pool.addresses_of(want["auto_owner"]))
            for network, (_row, pool) in self.catalog.items()
            if pool.addresses_of(want["auto_owner"])
        )
        self.ports = dict((p.name, p) for p in session.rows("Logical_Switch_Port"))
        self.switch = session.one("Logical_Switch", name=names.switch)

    def eip(self, owner):
        """(network, address) of an allocation, or (None, None)."""
        for network, (_row, pool) in sorted(self.catalog.items()):
            for address in pool.addresses_of(owner):
                return network, address
        return None, None

    def gateway_port(self, network):
        name = self.names.gateway_router_port(network)
        for port in self.router.ports if self.router is not None else []:
            if port.name == name:
                return port
        return None

    def vip_users(self, address):
        return sorted(
            "Load_Balancer {0} VIP {1}".format(lb.name, vip)
            for lb in (self.router.load_balancer if self.router is not None else [])
            for vip in lb.vips
            if vip.rsplit(":", 1)[0] == address
        )


class Fip(OvnResource):
    def validate(self):
        p = self.params
        name = validation.dns_label("name", p["name"])
        names = ProjectNames(
            validation.dns_label("organization", p["organization"]),
            validation.dns_label("project", p["project"]),
        )
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
        scope = (
            NbScope()
            .table("NAT", "Logical_Router_Port", "Load_Balancer")
            .fetch("Logical_Switch_Port")
            .root("Logical_Router", ["name", "==", want["names"].router])
        )
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
            network, address = have.eip("{0}/{1}/{2}".format(EIP_KIND, want["names"].namespace, want["eip"]))
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
        planned = pool.pick(want["auto_owner"], None, "external_network_type")
        allocate = plan.add(ipam.Allocate(Existing("Logical_Switch", switch), want["auto_owner"], None, planned, "external_network_type"))
        return network, allocate.address, None

    def plan(self, session, want, have):
        plan = Plan()
        if self.state == "absent":
            if have.nat is not None:
                plan.add(Delete(Existing("NAT", have.nat), Existing("Logical_Router", have.router), "nat"))
            for network, addresses in sorted(have.auto.items()):
                for address in addresses:
                    plan.add(ipam.Release(Existing("Logical_Switch", have.catalog[network][0]), address, want["auto_owner"]))
            return plan
        names = want["names"]
        if have.router is None:
            raise InvalidInput(
                "project",
                names.project,
                "has no project network {0}: declare it with kubedc.network.project_network first".format(names.namespace),
            )
        cidr = validation.netaddr.IPNetwork(have.router.external_ids[CIDR_KEY])
        validation.host_in("ip_address", want["target"], cidr)
        network, address, eip_name = self._address(plan, want, have)
        egress = have.router.external_ids.get(EXTERNAL_NETWORK_KEY)
        if network != egress:
            raise Conflict(
                "the FIP's address is on external network {0}, but project {1} egresses through {2}; "
                "FIPs on another network than the project's egress network are not supported yet".format(
                    network, names.namespace, egress
                ),
                field="eip" if eip_name else "external_network_type",
            )
        gateway_port = have.gateway_port(network)
        if gateway_port is None:
            raise Conflict(
                "project {0} has no gateway port on external network {1}; converge its "
                "project_network first".format(names.namespace, network)
            )
        self._check_clashes(want, have, address)
        columns = dict(
            type="dnat_and_snat",
            external_ip=address,
            logical_ip=want["target"],
            gateway_port=[Existing("Logical_Router_Port", gateway_port)],
            logical_port=[want["logical_port"]] if want["logical_port"] else [],
            external_mac=[want["external_mac"]] if want["external_mac"] else [],
            external_ids=ownership(KIND, want["object"], **{EIP_KEY: eip_name or ""}),
        )
        converge_row(plan, "NAT", have.nat, columns, "fip", Existing("Logical_Router", have.router), "nat")
        # An address allocated for the FIP alone on another network is given back.
        for other, addresses in sorted(have.auto.items()):
            for stale in addresses:
                if eip_name is not None or other != network:
                    plan.add(ipam.Release(Existing("Logical_Switch", have.catalog[other][0]), stale, want["auto_owner"]))
        return plan

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
        users = have.vip_users(address)
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

    def _network_of(self, have, address):
        for network, (_row, pool) in have.catalog.items():
            if validation.netaddr.IPAddress(address) in pool.cidr:
                return network
        return None

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
        return self._view(want, columns, self._network_of(have, nat.external_ip), have)

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return {}
        network, address, eip_name = None, None, want["eip"]
        for op in plan.ops:
            if isinstance(op, ipam.Allocate):
                network, address = op.pool_ref.label, values.get(op.slot, op.address.preview)
        if address is None:
            if eip_name is not None:
                network, address = have.eip("{0}/{1}/{2}".format(EIP_KIND, want["names"].namespace, eip_name))
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

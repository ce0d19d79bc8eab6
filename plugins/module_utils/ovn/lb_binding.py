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
"""

import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    Conflict,
    InvalidInput,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import external_network
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import KIND as EIP_KIND
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import eip_owner
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    Delete,
    DelKeys,
    Existing,
    Plan,
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
    converge_row,
    refuse_foreign,
)

KIND = "lb_binding"
BINDING_KEY_PREFIX = "kubedc:binding:"
DEFAULT_GATEWAY = "default-gw"
_BACKEND = re.compile(r"^(?P<ip>[0-9.]+):(?P<port>\d{1,5})$")


def load_balancer_name(names, protocol):
    return "vpc-{0}-{1}-load".format(names.namespace, protocol)


def binding_key(name):
    return BINDING_KEY_PREFIX + name


def declared_key(name):
    """Where a binding's declaration is recorded, on the load balancer it shares."""
    return "{0}:{1}".format(DECLARED_KEY, name)


class LbState(object):
    def __init__(self, want, session):
        names = want["names"]
        self.names = names
        self.name = want["name"]
        self.router = project_router(session, names)
        self.catalog = external_network.read_catalog(session)
        self.balancers = dict(
            (lb.name, lb) for lb in (self.router.load_balancer if self.router is not None else [])
        )

    def address_of(self, owner):
        return external_network.first_held(self.catalog, owner)[1]

    def binding(self, name):
        """(load balancer row, vip) this binding holds now, or (None, None)."""
        for lb in self.balancers.values():
            vip = lb.external_ids.get(binding_key(name))
            if vip is not None and owned_by(lb, KIND, self.names.namespace):
                return lb, vip
        return None, None


class LbBinding(OvnResource):
    def validate(self):
        p = self.params
        name = validation.dns_label("name", p["name"])
        names = project_names(p["organization"], p["project"], "project")
        want = dict(name=name, names=names)
        if self.state == "absent":
            return want
        eip = p.get("eip")
        if eip is not None and eip != DEFAULT_GATEWAY:
            validation.dns_label("eip", eip)
        port = p["port"]
        if not 1 <= port <= 65535:
            raise InvalidInput("port", port, "must be a port number from 1 to 65535")
        backends = []
        for index, backend in enumerate(p["backends"]):
            field = "backends[{0}]".format(index)
            match = _BACKEND.match(str(backend))
            if not match or not 1 <= int(match.group("port")) <= 65535:
                raise InvalidInput(field, backend, "is not an address:port backend like 10.0.0.10:8080")
            validation.ipv4_address(field, match.group("ip"))
            backends.append((field, backend))
        if not backends:
            raise InvalidInput("backends", [], "is empty: a VIP needs at least one backend")
        if len(set(b for _f, b in backends)) != len(backends):
            raise InvalidInput("backends", p["backends"], "lists a backend twice")
        want.update(eip=eip or DEFAULT_GATEWAY, protocol=p["protocol"], port=port, backends=backends)
        return want

    def scope(self, want):
        scope = NbScope().table("Load_Balancer", "NAT").root("Logical_Router", ["name", "==", want["names"].router])
        return external_network.catalog_scope(scope)

    def read(self, session, want):
        return LbState(want, session)

    def _address(self, want, have):
        names = want["names"]
        if want["eip"] == DEFAULT_GATEWAY:
            address = have.address_of("{0}/{1}".format(PROJECT_KIND, names.namespace))
        else:
            address = have.address_of(eip_owner(names.namespace, want["eip"]))
        if address is None:
            raise InvalidInput(
                "eip", want["eip"], "is not an EIP of project {0}: reserve it with kubedc.network.eip "
                "first".format(names.namespace),
            )
        return address

    def plan(self, session, want, have):
        plan = Plan()
        names = want["names"]
        current_lb, current_vip = have.binding(want["name"])
        if self.state == "absent":
            if current_lb is not None:
                self._plan_release(plan, want, have, current_lb, current_vip)
            return plan
        require_project(have.router, names)
        cidr = validation.netaddr.IPNetwork(have.router.external_ids[CIDR_KEY])
        for field, backend in want["backends"]:
            validation.host_in(field, backend.rsplit(":", 1)[0], cidr)
        address = self._address(want, have)
        fips = ["NAT " + row_label("NAT", nat) for nat in have.router.nat if nat.type == "dnat_and_snat" and nat.external_ip == address]
        if fips:
            raise Conflict(
                "eip: {0} ({1}) is held by a floating IP ({2}); a load balancer needs an address a FIP "
                "does not own".format(want["eip"], address, ", ".join(fips)),
                field="eip",
                value=want["eip"],
            )
        self._check_backend_fips(want, have, address)
        vip = "{0}:{1}".format(address, want["port"])
        lb_name = load_balancer_name(names, want["protocol"])
        lb = have.balancers.get(lb_name)
        refuse_foreign(lb, "Load_Balancer", "it")
        if lb is not None and vip in lb.vips and lb.external_ids.get(binding_key(want["name"])) != vip:
            holder = [k[len(BINDING_KEY_PREFIX):] for k, v in lb.external_ids.items() if k.startswith(BINDING_KEY_PREFIX) and v == vip]
            raise Conflict(
                "port: {0}/{1} is already bound on {2} by {3}; choose another port".format(
                    vip, want["protocol"], want["eip"], ", ".join(holder) or "a VIP kubedc.network does not manage"
                ),
                field="port",
                value=want["port"],
            )
        backends = ",".join(sorted((b for _f, b in want["backends"]), key=_backend_order))
        if current_lb is not None and (current_lb.name != lb_name or current_vip != vip):
            # Moving to another address, port or protocol: the old VIP goes in the same transaction.
            self._plan_release(plan, want, have, current_lb, current_vip, keep_row=current_lb.name == lb_name)
        record = {
            binding_key(want["name"]): vip,
            declared_key(want["name"]): self.declared(
                organization=names.organization,
                project=names.project,
                name=want["name"],
                eip=want["eip"],
                protocol=want["protocol"],
                port=want["port"],
                backends=sorted((b for _f, b in want["backends"]), key=_backend_order),
            ),
        }
        if lb is None:
            ids = ownership(KIND, names.namespace)
            ids.update(record)
            converge_row(
                plan, "Load_Balancer", None,
                dict(name=lb_name, protocol=[want["protocol"]], vips={vip: backends}, external_ids=ids),
                "load-balancer", Existing("Logical_Router", have.router), "load_balancer",
            )
            return plan
        ref = Existing("Load_Balancer", lb)
        if lb.vips.get(vip) != backends:
            plan.add(SetKeys(ref, "vips", {vip: backends}))
        changed = dict((k, v) for k, v in record.items() if lb.external_ids.get(k) != v)
        if changed:
            plan.add(SetKeys(ref, "external_ids", changed))
        return plan

    @staticmethod
    def _network_type_of(have, address):
        network = external_network.network_of(have.catalog, address)
        return network, have.catalog[network][1].network_type if network else None

    def _check_backend_fips(self, want, have, address):
        """Refuse a VIP whose backend has a FIP on the other network type (the reverse of fip's check)."""
        vip_network, vip_type = self._network_type_of(have, address)
        backends = set(b.rsplit(":", 1)[0] for _f, b in want["backends"])
        for nat in have.router.nat:
            if nat.type != "dnat_and_snat" or nat.logical_ip not in backends:
                continue
            fip_network, fip_type = self._network_type_of(have, nat.external_ip)
            if fip_type is not None and fip_type != vip_type:
                raise Conflict(
                    "backends: {0} has the {1} floating IP {2} (on {3}); a VIP on the {4} network {5} "
                    "would send its replies out through {3}, and clients would never get them. Expose "
                    "the workload one way only, or use the same network type for both.".format(
                        nat.logical_ip, fip_type, nat.external_ip, fip_network, vip_type, vip_network
                    ),
                    field="backends",
                )

    def _plan_release(self, plan, want, have, lb, vip, keep_row=False):
        others = [k for k in lb.external_ids if k.startswith(BINDING_KEY_PREFIX) and k != binding_key(want["name"])]
        if not others and not keep_row:
            # The router's reference is weak: it goes with the row.
            plan.add(Delete(Existing("Load_Balancer", lb)))
            return
        ref = Existing("Load_Balancer", lb)
        plan.add(DelKeys(ref, "vips", [vip]))
        plan.add(
            DelKeys(
                ref,
                "external_ids",
                [k for k in (binding_key(want["name"]), declared_key(want["name"])) if k in lb.external_ids],
            )
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

    def describe(self, have):
        lb, vip = have.binding(have.name)
        if lb is None:
            return {}
        address = vip.rsplit(":", 1)[0]
        eip = DEFAULT_GATEWAY
        for _network, (_row, pool) in have.catalog.items():
            owner = pool.allocations.get(address, "")
            if owner.startswith(EIP_KIND + "/"):
                eip = owner.rsplit("/", 1)[1]
        backends = sorted(lb.vips.get(vip, "").split(","), key=_backend_order)
        return self._view(have.names, have.name, eip, lb.protocol[0], vip, backends)

    def outcome(self, want, have, plan, values):
        if self.state == "absent":
            return {}
        vip = "{0}:{1}".format(self._address(want, have), want["port"])
        backends = sorted((b for _f, b in want["backends"]), key=_backend_order)
        return self._view(want["names"], want["name"], want["eip"], want["protocol"], vip, backends)


def _backend_order(backend):
    address, port = backend.rsplit(":", 1)
    return (validation.netaddr.IPAddress(address), int(port))

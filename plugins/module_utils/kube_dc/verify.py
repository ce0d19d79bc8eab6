# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""verify_ovn: is what Kube-DC reports really in the OVN Northbound DB?

Kube-DC's status says what its controller believes; the NB says what the
network does. Kube-OVN is known to leave them apart (NAT rows left behind,
rows keeping an old address), so with ``verify_ovn: true`` a kube_dc task
reads the rows Kube-OVN writes for the object (reference §3: names, no
``kubedc:*`` keys, NAT rows without external_ids) and fails with a drift
report when they differ. It only reads.
"""

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NbScope

VERIFY_ARGUMENT_SPEC = dict(verify_ovn=dict(type="bool", default=False))


def _router_scope(router, *switches):
    scope = NbScope().table("Logical_Router_Port", "NAT", "Logical_Router_Static_Route", "Logical_Router_Policy", "Load_Balancer")
    scope.root("Logical_Router", ["name", "==", router])
    for switch in switches:
        scope.root("Logical_Switch", ["name", "==", switch], follow=False)
    return scope


def read_router(params, router, *switches):
    """(router row or None, {switch name: row or None}) of a Kube-OVN VPC, read in one session.

    The rows are plain values afterwards; the session is closed.
    """
    session = connection.connect(params, _router_scope(router, *switches))
    try:
        row = session.one("Logical_Router", name=router)
        found = dict((name, session.one("Logical_Switch", name=name)) for name in switches)
        snapshot = None
        if row is not None:
            snapshot = dict(
                ports=dict((p.name, list(p.networks)) for p in row.ports),
                nat=[dict(type=n.type, external_ip=n.external_ip, logical_ip=n.logical_ip) for n in row.nat],
                routes=[(r.ip_prefix, r.nexthop) for r in row.static_routes],
                policies=[(p.priority, p.match, p.action) for p in row.policies],
                vips=dict((lb.name, dict(lb.vips)) for lb in row.load_balancer),
            )
        return snapshot, dict((name, sw is not None) for name, sw in found.items())
    finally:
        session.close()


def project_drift(params, namespace, cidr, default_gateway_ip):
    """What the NB lacks of a ready Kube-DC project's VPC, as sentences; [] when all is there."""
    switch = "{0}-default".format(namespace)
    router, switches = read_router(params, namespace, switch)
    if router is None:
        return ["Logical_Router {0} is missing".format(namespace)]
    drift = []
    if not switches[switch]:
        drift.append("Logical_Switch {0} is missing".format(switch))
    subnet_port = "{0}-{1}".format(namespace, switch)
    networks = router["ports"].get(subnet_port)
    if networks is None:
        drift.append("Logical_Router_Port {0} (the subnet's gateway) is missing".format(subnet_port))
    elif not any(str(validation.netaddr.IPNetwork(n).cidr) == cidr for n in networks):
        drift.append("Logical_Router_Port {0} has networks {1}, not an address of {2}".format(subnet_port, networks, cidr))
    if default_gateway_ip:
        gateways = [name for name, nets in router["ports"].items() if any(n.split("/")[0] == default_gateway_ip for n in nets)]
        if not gateways:
            drift.append("no gateway port of Logical_Router {0} has the default-gw address {1}".format(namespace, default_gateway_ip))
        snat = [n for n in router["nat"] if n["type"] == "snat" and n["logical_ip"] == cidr]
        if not snat:
            drift.append("NAT snat {0} -> {1} is missing".format(default_gateway_ip, cidr))
        elif not any(n["external_ip"] == default_gateway_ip for n in snat):
            drift.append("NAT snat of {0} goes to {1}, not to the default-gw address {2}".format(
                cidr, ", ".join(n["external_ip"] for n in snat), default_gateway_ip))
    else:
        drift.append("the default-gw EIp of {0} reports no address".format(namespace))
    if not any(prefix == "0.0.0.0/0" for prefix, _nexthop in router["routes"]):
        drift.append("Logical_Router {0} has no default route".format(namespace))
    return drift


def refuse_drift(what, drift):
    if drift:
        raise KubedcError(
            "{0} is ready in Kube-DC, but the OVN Northbound DB does not match: {1}".format(what, "; ".join(drift)),
            drift=drift,
        )


def fip_nat(params, namespace, external_ip):
    """The internal address the FIP NAT row of ``external_ip`` on router ``namespace`` points at;
    None when there is no such row (or no router)."""
    router, _switches = read_router(params, namespace)
    for nat in (router or {}).get("nat", []):
        if nat["type"] == "dnat_and_snat" and nat["external_ip"] == external_ip:
            return nat["logical_ip"]
    return None


def fip_drift(params, namespace, external_ip, target, reroute_via=None):
    """What the NB lacks of a ready FIp: its NAT row to ``target``, and the reroute policy
    when its address is on another network than the project's egress."""
    router, _switches = read_router(params, namespace)
    if router is None:
        return ["Logical_Router {0} is missing".format(namespace)]
    drift = []
    rows = [n for n in router["nat"] if n["type"] == "dnat_and_snat" and n["external_ip"] == external_ip]
    if not rows:
        drift.append("NAT dnat_and_snat {0} -> {1} is missing".format(external_ip, target))
    elif not any(n["logical_ip"] == target for n in rows):
        drift.append(
            "NAT dnat_and_snat {0} -> {1} is stale: the FIp resolves to {2} (repair_stale_nat: true fixes "
            "it)".format(external_ip, ", ".join(n["logical_ip"] for n in rows), target)
        )
    if reroute_via is not None:
        match = "ip4.src == {0}".format(target)
        if not any(p == (30000, match, "reroute") for p in router["policies"]):
            drift.append("Logical_Router_Policy 30000 {0!r} reroute (replies leave through {1}) is missing".format(match, reroute_via))
    return drift

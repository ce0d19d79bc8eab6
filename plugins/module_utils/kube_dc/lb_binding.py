# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""lb_binding on the kube_dc platform: annotations on a LoadBalancer Service.

Kube-DC's service load balancer controller reads the ``service.nlb.kube-dc.com/``
annotations of a ``type: LoadBalancer`` Service in a project namespace:

* ``bind-on-eip: <EIp name>`` binds it to that EIp of the namespace;
* ``bind-on-default-gw-eip: "true"`` binds it to the project's ``default-gw``
  EIp (shared with the project's SNAT, so ports must not collide);
* ``expose-route: http|https|tls-passthrough`` (with ``route-hostname``,
  ``route-port``, ``tls-issuer``, ``tls-secret``) makes a Gateway API route on
  the shared Envoy Gateway instead.

The module never creates or deletes the Service: it merge-patches exactly
these annotations - the declared ones set, the others of the family removed
(``null`` in the merge patch), so switching between the three ways removes
the old annotation - and ``state: absent`` removes them all and leaves the
Service. Before writing it refuses what Kube-DC would leave ``<pending>``: a
Service that is missing or not ``type: LoadBalancer``, an EIp that does not
exist or is held by a floating IP (``Exclusive``), and a port/protocol that
another Service bound to the same EIp already uses.

Ready, for a binding, is Kube-DC's own signal: the Service's
``status.loadBalancer.ingress[0].ip`` equals the EIp's ``status.ipAddress``.
For a gateway route it is the annotations as declared, read back from the
server, and the hostname Kube-DC assigned to the route in the read-only
annotation ``route-hostname-status`` (the declared ``route-hostname`` when one
is set); that hostname is returned.

With ``verify_ovn``, a ready binding is checked against the OVN NB: for each
port of the Service, the Kube-OVN load balancer of the VPC for its protocol
(``vpc-<ns>-<proto>-load``, ``-sess-load`` with ``sessionAffinity: ClientIP``)
is attached to the router ``<ns>`` and has the VIP ``<ingress IP>:<port>``
whose backends are the Service's ready endpoints. A gateway route has no row
of the VPC to check, so then nothing is checked.
"""

import ipaddress

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import Conflict, InvalidInput, about
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube.resource import (
    MANAGED_BY,
    MANAGED_BY_KEY,
    KubeChange,
    KubeResource,
    refuse_options,
)
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc import verify
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import project_names

PREFIX = "service.nlb.kube-dc.com/"
BIND_ON_EIP = PREFIX + "bind-on-eip"
BIND_ON_DEFAULT_GW = PREFIX + "bind-on-default-gw-eip"
EXPOSE_ROUTE = PREFIX + "expose-route"
ROUTE_HOSTNAME = PREFIX + "route-hostname"
ROUTE_PORT = PREFIX + "route-port"
TLS_ISSUER = PREFIX + "tls-issuer"
TLS_SECRET = PREFIX + "tls-secret"
# Written by the controller, never by the module.
ROUTE_HOSTNAME_STATUS = PREFIX + "route-hostname-status"
# The annotations the module manages: every one is either declared or removed. The marker
# says the module bound the Service, so that exclusive prunes its bindings and no others.
ANNOTATIONS = tuple(sorted((BIND_ON_EIP, BIND_ON_DEFAULT_GW, EXPOSE_ROUTE, ROUTE_HOSTNAME, ROUTE_PORT, TLS_ISSUER, TLS_SECRET,
                            MANAGED_BY_KEY)))

DEFAULT_GATEWAY = "default-gw"
EIP_API = "kube-dc.com/v1"
EIP_PLURAL = "eips"
ROUTE_TYPES = ("http", "https", "tls-passthrough")
# Options of the ovn platform (the VIP and its backends are Kube-DC's business on kube_dc).
OVN_ONLY = ("backends", "port", "protocol", "service_port")
KUBE_DC_REFUSAL = ("applies to platform ovn only; on kube_dc the Kube-DC controller makes the VIP from the Service's own "
                   "ports and endpoints")
# Options of the kube_dc platform (the route options of the expose-route family).
KUBE_DC_ONLY = ("expose_route", "hostname", "route_port", "issuer", "tls_secret")
ROUTE_OPTIONS = ("hostname", "route_port", "issuer", "tls_secret")


def refuse_other_platform(params):
    """Refuse the options of the other platform, naming the option (in a list, the entry's)."""
    if params.get("platform") == "kube_dc":
        refuse_options(params, OVN_ONLY, KUBE_DC_REFUSAL)
        if params.get("exclusive") and params.get("bindings") is None and params.get("projects") is None:
            raise InvalidInput("exclusive", True, "applies to the list forms (bindings, projects)")
        return
    refuse_options(params, KUBE_DC_ONLY, "applies to platform kube_dc only")
    for where, entries in _binding_lists(params):
        for index, entry in enumerate(entries):
            with about("{0}[{1}]".format(where, index), entry.get("name")):
                refuse_options(entry, KUBE_DC_ONLY, "applies to platform kube_dc only")
    if params.get("name") is None and params.get("bindings") is None and params.get("projects") is None:
        raise InvalidInput("name", None, "is required with platform ovn (or bindings, or projects)")


def _binding_lists(params):
    if params.get("bindings"):
        yield "bindings", params["bindings"]
    for index, entry in enumerate(params.get("projects") or []):
        yield "projects[{0}].bindings".format(index), entry.get("bindings") or []


def _annotations(obj):
    return ((obj or {}).get("metadata") or {}).get("annotations") or {}


def _ingress_ip(obj):
    ingress = (((obj or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return (ingress[0] or {}).get("ip") if ingress else None


def _ports(obj):
    return [
        dict(name=port.get("name"), port=port.get("port"), protocol=port.get("protocol") or "TCP")
        for port in ((obj or {}).get("spec") or {}).get("ports") or []
    ]


def _ip_key(backend):
    """Sort key of an ``address:port`` backend: by address, as Kube-OVN lists them."""
    host = backend.rsplit(":", 1)[0].strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return (1, 0, 0, backend)
    return (0, address.version, int(address), backend)


def _hostport(address, port):
    return "[{0}]:{1}".format(address, port) if ":" in address else "{0}:{1}".format(address, port)


def ready_endpoints(slices, port, family):
    """The sorted ``address:port`` backends a Service port has in its EndpointSlices.

    An endpoint counts when its condition ``ready`` is true or unset; its port is the one of the
    slice's port with the Service port's name (and protocol), else the Service's numeric
    ``targetPort`` (else its ``port``), as the Kube-DC controller does.
    """
    backends = set()
    for eps in slices:
        if (eps.get("addressType") or "IPv4") != family:
            continue
        number = None
        for slice_port in eps.get("ports") or []:
            if (slice_port.get("name") or "") == (port.get("name") or "") and \
                    (slice_port.get("protocol") or "TCP") == (port.get("protocol") or "TCP"):
                number = slice_port.get("port")
        if number is None:
            target = port.get("targetPort", port["port"])
            number = target if isinstance(target, int) else port["port"]
        for endpoint in eps.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready") is False:
                continue
            for address in endpoint.get("addresses") or []:
                backends.add(_hostport(address, number))
    return sorted(backends, key=_ip_key)


def load_balancer_name(namespace, protocol, session=False):
    """Kube-OVN's load balancer of a VPC for a protocol (the ``sess-`` one for ClientIP affinity)."""
    return "vpc-{0}-{1}-{2}load".format(namespace, protocol.lower(), "sess-" if session else "")


def vip_drift(router, namespace, address, service, slices):
    """What the NB (``router``, a ``verify.read_router`` snapshot or None) lacks of a bound Service's VIPs."""
    if router is None:
        return ["Logical_Router {0} is missing".format(namespace)]
    spec = service.get("spec") or {}
    session = spec.get("sessionAffinity") == "ClientIP"
    family = "IPv6" if ":" in address else "IPv4"
    drift = []
    for port in spec.get("ports") or []:
        lb = load_balancer_name(namespace, port.get("protocol") or "TCP", session)
        vip = _hostport(address, port["port"])
        want = ready_endpoints(slices, port, family)
        vips = router["vips"].get(lb)
        if vips is None:
            drift.append("Load_Balancer {0} is missing or not attached to Logical_Router {1}".format(lb, namespace))
            continue
        if vip not in vips:
            drift.append("Load_Balancer {0} has no VIP {1}".format(lb, vip))
            continue
        have = sorted(set(b.strip() for b in (vips[vip] or "").split(",") if b.strip()), key=_ip_key)
        if have != want:
            drift.append("VIP {0} of Load_Balancer {1} sends to {2}, not to the Service's endpoints {3}".format(
                vip, lb, ",".join(have) or "nothing", ",".join(want) or "(none ready)"))
    return drift


def bound_eip(annotations):
    """The EIp a Service's annotations bind it to, or None."""
    if annotations.get(BIND_ON_EIP):
        return annotations[BIND_ON_EIP]
    if annotations.get(BIND_ON_DEFAULT_GW) == "true":
        return DEFAULT_GATEWAY
    return None


class KubeLbBinding(KubeResource):
    api_version = "v1"
    kind = "Service"
    plural = "services"
    managed = tuple(("metadata", "annotations", key) for key in ANNOTATIONS)

    def __init__(self, params):
        super(KubeLbBinding, self).__init__(params)
        self._objects = None
        self._wanted = {}

    # -- want ----------------------------------------------------------------

    def validate(self):
        p = self.params
        refuse_other_platform(p)
        names = project_names(p["organization"], p["project"], "project")
        if p.get("service") is None:
            raise InvalidInput("service", None, "is required with platform kube_dc: the LoadBalancer Service to bind")
        service = validation.dns_label("service", p["service"])
        if p.get("name") is not None and p["name"] != service:
            raise InvalidInput("name", p["name"], "must be the Service's name (service: {0}) on platform kube_dc, where "
                               "the binding is the Service's annotations; leave it out".format(service))
        want = dict(names=names, namespace=names.namespace, name=service, eip=None, route=None,
                    fields=dict((path, None) for path in self.managed))
        if self.state == "absent":
            return want
        values = dict((key, None) for key in ANNOTATIONS)
        values[MANAGED_BY_KEY] = MANAGED_BY
        route = p.get("expose_route")
        if route is None:
            for option in ROUTE_OPTIONS:
                if p.get(option) is not None:
                    raise InvalidInput(option, p[option], "needs expose_route: it is an option of the gateway route")
            eip = p.get("eip") or DEFAULT_GATEWAY
            if eip == DEFAULT_GATEWAY:
                values[BIND_ON_DEFAULT_GW] = "true"
            else:
                values[BIND_ON_EIP] = validation.dns_label("eip", eip)
            want["eip"] = eip
        else:
            if route not in ROUTE_TYPES:
                raise InvalidInput("expose_route", route, "is not one of {0}".format(", ".join(ROUTE_TYPES)))
            if p.get("eip") is not None:
                raise InvalidInput("eip", p["eip"], "and expose_route are alternatives: a Service is bound to an EIP, or "
                                   "exposed as a route of the shared gateway")
            for option in ("issuer", "tls_secret"):
                if p.get(option) is not None and route != "https":
                    raise InvalidInput(option, p[option], "applies to expose_route=https only (the gateway terminates TLS "
                                       "for https; with tls-passthrough the Service does)")
            if p.get("issuer") is not None and p.get("tls_secret") is not None:
                raise InvalidInput("issuer", p["issuer"], "and tls_secret are alternatives: a certificate from the issuer, "
                                   "or the one in the secret")
            port = p.get("route_port")
            if port is not None and not 1 <= port <= 65535:
                raise InvalidInput("route_port", port, "must be a port number from 1 to 65535")
            hostname = p.get("hostname")
            if hostname is not None:
                hostname = validation.dns_name("hostname", hostname)
            values.update({
                EXPOSE_ROUTE: route,
                ROUTE_HOSTNAME: hostname,
                ROUTE_PORT: str(port) if port is not None else None,
                TLS_ISSUER: p.get("issuer"),
                TLS_SECRET: p.get("tls_secret"),
            })
            want["route"] = route
        self._wanted = values
        want["fields"] = dict((("metadata", "annotations", key), value) for key, value in values.items())
        return want

    # -- have, plan, checks ----------------------------------------------------

    def read(self, objects, want):
        self._objects = objects
        return super(KubeLbBinding, self).read(objects, want)

    def plan(self, want, have):
        """A merge patch of the family's annotations; never a create or a delete of the Service."""
        if have is None:
            return []  # present: check() refuses; absent: nothing is bound
        current = _annotations(have)
        patch, changed = {}, []
        for key in ANNOTATIONS:
            value = want["fields"][("metadata", "annotations", key)]
            if current.get(key) == value:
                continue
            if value is None and key not in current:
                continue
            patch[key] = value
            changed.append("{0}={1}".format(key, "(removed)" if value is None else value))
        if not patch:
            return []
        return [KubeChange("patch", self, want["namespace"], want["name"], body={"metadata": {"annotations": patch}},
                           fields=changed)]

    def check(self, objects, want, have):
        if self.state == "absent":
            return
        namespace, name = want["namespace"], want["name"]
        if have is None:
            raise InvalidInput("service", name, "is not a Service in namespace {0}: lb_binding annotates an existing "
                               "Service of type LoadBalancer, create it first".format(namespace))
        kind = (have.get("spec") or {}).get("type") or "ClusterIP"
        if kind != "LoadBalancer":
            raise InvalidInput("service", name, "is a Service of type {0} in namespace {1}: only a Service of type "
                               "LoadBalancer can be bound".format(kind, namespace))
        ports = _ports(have)
        if want["route"] is not None:
            port = self.params.get("route_port")
            if port is not None and port not in [p["port"] for p in ports]:
                raise InvalidInput("route_port", port, "is not a port of Service {0} (it has {1})".format(
                    name, ", ".join(str(p["port"]) for p in ports) or "none"))
            return
        eip = want["eip"]
        found = objects.get(EIP_API, EIP_PLURAL, namespace, eip)
        if found is None and eip != DEFAULT_GATEWAY:
            raise InvalidInput("eip", eip, "is not an EIp in namespace {0}: reserve it with kubedc.network.eip "
                               "first".format(namespace))
        status = (found or {}).get("status") or {}
        if status.get("ownershipType") == "Exclusive":
            owners = ", ".join("{0}/{1}".format(o.get("type"), o.get("ownerRef")) for o in status.get("owners") or [])
            raise InvalidInput("eip", eip, "is held by a floating IP (EIp ownershipType Exclusive{0}): a Service cannot "
                               "share it; choose another EIP".format(": " + owners if owners else ""))
        address = status.get("ipAddress")
        if address and bound_eip(_annotations(have)) == eip and _ingress_ip(have) == address:
            return  # it holds its ports on the EIp already: a Service that came later is the one left pending
        self._refuse_port_collisions(objects, want, ports, address)

    def _refuse_port_collisions(self, objects, want, ports, address):
        """Kube-DC leaves a Service <pending> whose port/protocol another Service on the same EIp has."""
        namespace, name, eip = want["namespace"], want["name"], want["eip"]
        mine = dict(((p["port"], p["protocol"]), p) for p in ports)
        for other in sorted(objects.list("v1", "services", namespace), key=lambda s: s["metadata"]["name"]):
            other_name = other["metadata"]["name"]
            if other_name == name or (other.get("spec") or {}).get("type") != "LoadBalancer":
                continue
            on = bound_eip(_annotations(other))
            if on != eip and not (address and on is None and _ingress_ip(other) == address):
                continue
            for theirs in _ports(other):
                key = (theirs["port"], theirs["protocol"])
                if key in mine:
                    raise Conflict(
                        "service: Service {0} port {1}/{2} is already bound on EIp {3}{4} by Service {5}; Kube-DC "
                        "would leave {0} pending. Use another port or another EIP".format(
                            name, key[0], key[1], eip, " ({0})".format(address) if address else "", other_name),
                        field="service", value=name,
                    )

    # -- wait and result ---------------------------------------------------------

    def ready(self, obj):
        current = _annotations(obj)
        for key, value in sorted(self._wanted.items()):
            if current.get(key) != value:
                return False, "its annotation {0} is {1!r}, not {2!r}".format(key, current.get(key), value)
        if self.params.get("expose_route") is not None:
            # The route is up once Kube-DC has written the hostname it assigned to it.
            assigned, hostname = current.get(ROUTE_HOSTNAME_STATUS), self.params.get("hostname")
            if not assigned:
                return False, "Kube-DC has not assigned the route a hostname yet (annotation {0} is unset)".format(
                    ROUTE_HOSTNAME_STATUS)
            if hostname and assigned != hostname:
                return False, "the route's assigned hostname is {0}, not {1}".format(assigned, hostname)
            return True, None
        eip = self.params.get("eip") or DEFAULT_GATEWAY
        found = self._objects.get(EIP_API, EIP_PLURAL, obj["metadata"]["namespace"], eip) if self._objects else None
        address = ((found or {}).get("status") or {}).get("ipAddress")
        ingress = _ingress_ip(obj)
        if found is None:
            return False, "EIp {0} does not exist".format(eip)
        if not address:
            return False, "EIp {0} has no address yet (status.ipAddress is empty)".format(eip)
        if not ingress:
            return False, "status.loadBalancer.ingress is empty; EIp {0} has {1}".format(eip, address)
        if ingress != address:
            return False, "its ingress IP is {0}, not EIp {1}'s address {2}".format(ingress, eip, address)
        return True, None

    def verify_ovn(self, objects, want, obj):
        """The VIPs of a bound Service in the VPC's load balancers; a gateway route has none to check."""
        address = _ingress_ip(obj)
        if bound_eip(_annotations(obj)) is None or not address:
            return
        namespace, name = want["namespace"], want["name"]
        router = verify.read_router(self.params, namespace)[0]
        drift = vip_drift(router, namespace, address, obj, objects.endpoint_slices(namespace, name))
        verify.refuse_drift("Service {0}/{1}".format(namespace, name), drift)

    @classmethod
    def managed_names(cls, objects, namespace):
        """The Services of ``namespace`` the module bound (by its annotation)."""
        return sorted(svc["metadata"]["name"] for svc in objects.list("v1", "services", namespace)
                      if _annotations(svc).get(MANAGED_BY_KEY) == MANAGED_BY)

    def gone(self, objects, want):
        """Absent is done once the annotations are gone (Kube-DC may then give the Service an EIP of its own)."""
        obj = objects.get(self.api_version, self.plural, want["namespace"], want["name"])
        return obj is None or not any(key in _annotations(obj) for key in ANNOTATIONS)

    def view(self, objects, want, obj):
        annotations = _annotations(obj)
        route_port = annotations.get(ROUTE_PORT)
        try:
            route_port = int(route_port) if route_port is not None else None
        except ValueError:
            pass
        names = want["names"]
        return dict(
            name=want["name"],
            organization=names.organization,
            project=names.project,
            namespace=want["namespace"],
            eip=bound_eip(annotations),
            address=_ingress_ip(obj),
            ports=_ports(obj),
            expose_route=annotations.get(EXPOSE_ROUTE),
            hostname=annotations.get(ROUTE_HOSTNAME),
            route_port=route_port,
            issuer=annotations.get(TLS_ISSUER),
            tls_secret=annotations.get(TLS_SECRET),
            route_hostname=annotations.get(ROUTE_HOSTNAME_STATUS),
        )

    def declared_view(self, obj):
        annotations = _annotations(obj)
        return dict((key, annotations[key]) for key in ANNOTATIONS if key in annotations)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""A datacenter file, checked and turned into the declarations of its objects.

The datacenter module (and the ``datacenter_plan`` filter) call this before
anything changes. The argument spec has already checked the file's shape;
this checks what a shape cannot say - names unique per project, CIDRs that parse, references that resolve, an exposure the platform can do - and
names every bad key by its full path (``organizations[0].projects[2].fips[1].eip``)
and the object's name, so that a user finds it in a file of hundreds of projects.

Services follow the decision tree of the Kube-DC networking docs: a web app is
exposed through a gateway route, a VM reached by SSH or RDP through a FIP, a
custom TCP or UDP service through an EIP and a load balancer, and several
services that share one address through the project's default-gateway EIP and
a load balancer. ``expose`` says which; ``app`` picks it by that tree.
"""

import ipaddress

from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput, KubedcError

PLATFORMS = ("ovn", "kube_dc")
NETWORK_TYPES = ("cloud", "public")
EXPOSURES = ("route", "fip", "load_balancer")
# app -> exposure, the decision tree of the Kube-DC networking docs
DECISION_TREE = {"web": "route", "ssh": "fip", "rdp": "fip", "tcp": "load_balancer", "udp": "load_balancer"}
DEFAULT_GW = "default-gw"

NB_KEYS = ("ovn_nb_connection", "ovn_nb_private_key", "ovn_nb_certificate", "ovn_nb_ca_cert", "ovn_nb_timeout")
SB_KEYS = ("ovn_sb_connection", "ovn_sb_private_key", "ovn_sb_certificate", "ovn_sb_ca_cert")
KUBE_KEYS = ("kubeconfig", "context", "host", "api_key", "ca_cert", "client_cert", "client_key", "validate_certs")
EXTERNAL_NETWORK_KEYS = ("name", "network_type", "cidr", "gateway", "reserved", "network_name", "vlan", "gateway_chassis")
TARGET_KEYS = ("ip_address", "vm_name", "pod_name")
# The modules a datacenter file's platform decides: the roles pass them platform explicitly.
PLATFORM_MODULES = ("project_network", "eip", "fip", "lb_binding")
# A gateway route (app web, platform kube_dc): Kube-DC's expose-route annotations.
ROUTE_TYPES = ("http", "https", "tls-passthrough")
ROUTE_KEYS = ("hostname", "route_port", "issuer", "tls_secret")
# The keys of a datacenter file that the kube_dc modules refuse, and why.
KUBE_DC_REFUSED = dict(
    default_gateway_ip="applies to platform ovn only: on kube_dc the project's default-gateway (SNAT) address is its "
                       "default-gw EIp, which Kube-DC allocates",
    external_network="applies to platform ovn only: on kube_dc egress_network_type picks the external network, which is "
                     "Kube-OVN's, set up by the platform's admin",
    address="applies to platform ovn only: on kube_dc Kube-DC allocates the address from the pool of external_network_type",
    pod_name="applies to platform ovn only: a Kube-DC FIp targets an ip_address or a VM interface (vm_name with interface_name)",
    backends="applies to platform ovn only: on kube_dc the Kubernetes Service's own endpoints are the backends",
    port="applies to platform ovn only: on kube_dc the Kubernetes Service's own ports are exposed",
    protocol="applies to platform ovn only: on kube_dc the Kubernetes Service's own ports say the protocol",
    service_port="applies to platform ovn only: on kube_dc the Kubernetes Service's own ports are exposed",
)


class DatacenterError(KubedcError):
    """Everything wrong with a datacenter file, one problem a line."""

    def __init__(self, problems):
        super(DatacenterError, self).__init__(
            "the datacenter file has {0} problem(s), nothing was changed:\n{1}".format(len(problems), "\n".join(problems)),
            problems=problems,
        )
        self.problems = problems


def _given(entry, keys):
    return dict((key, entry[key]) for key in keys if entry.get(key) is not None)


class _Checker(object):
    def __init__(self):
        self.problems = []

    def bad(self, path, name, value, reason):
        where = "{0} ({1})".format(path, name) if name else path
        self.problems.append("{0}: {1!r} {2}".format(where, value, reason))

    def label(self, path, value, name=None):
        # The modules' own rule, reported the datacenter file's way (a problem among all of them).
        try:
            validation.dns_label(path, value)
        except InvalidInput:
            self.bad(path, name, value, "is not a lower-case RFC 1123 label (a-z, 0-9 and '-', at most 63)")
            return False
        return True

    def unique(self, path, entries, what):
        self.unique_at([("{0}[{1}]".format(path, index), entry) for index, entry in enumerate(entries)], what)

    def unique_at(self, pairs, what):
        """Names unique among (path, entry) pairs, which may come from more than one list of the file."""
        seen = {}
        for path, entry in pairs:
            name = entry.get("name")
            if name in seen:
                self.bad(path + ".name", None, name, "is the name of {0} too; each {1} may appear once".format(seen[name], what))
            else:
                seen[name] = path

    def network(self, path, name, value):
        try:
            return ipaddress.IPv4Network(value, strict=True)
        except (ValueError, TypeError) as exc:
            self.bad(path, name, value, "is not an IPv4 network: {0}".format(exc))
            return None

    def address_in(self, path, name, value, network):
        try:
            address = ipaddress.IPv4Address(value)
        except (ValueError, TypeError):
            self.bad(path, name, value, "is not an IPv4 address")
            return
        if network is not None and address not in network:
            self.bad(path, name, value, "is outside the project's cidr {0}".format(network))


def plan(datacenter):
    """The module arguments a datacenter file declares: see the filter's RETURN."""
    check = _Checker()
    datacenter = datacenter or {}
    platform = datacenter.get("platform") or "ovn"
    if platform not in PLATFORMS:
        check.bad("platform", None, platform, "is not one of {0}".format(", ".join(PLATFORMS)))
    kube_dc = platform == "kube_dc"
    # The NB options go to every module (on kube_dc, for verify_ovn); the Southbound ones to
    # network_trace (verify.yml); the Kubernetes ones to the platform modules that take them.
    connection = _given(datacenter.get("connection") or {}, NB_KEYS)
    southbound = _given(datacenter.get("connection") or {}, SB_KEYS)
    kubernetes = _given(datacenter.get("connection") or {}, KUBE_KEYS)

    networks = [_given(n, EXTERNAL_NETWORK_KEYS) for n in datacenter.get("external_networks") or []]
    if kube_dc:
        if networks:
            check.bad("external_networks", None, [n.get("name") for n in networks], "must be empty on platform kube_dc: "
                      "its external networks are Kube-OVN's, set up by the platform's admin (a project's egress_network_type "
                      "and an EIP's or FIP's external_network_type pick one)")
    else:
        check.unique("external_networks", networks, "external network")
        for index, network in enumerate(networks):
            path = "external_networks[{0}]".format(index)
            check.label(path + ".name", network.get("name"))
            if network.get("cidr") is not None:
                check.network(path + ".cidr", network.get("name"), network["cidr"])
    network_types = set(n.get("network_type") for n in networks)

    # On ovn only fip and lb_binding talk to Kubernetes (pod, VM and Service targets); on
    # kube_dc every platform module declares its objects through the Kubernetes API.
    takes_kubernetes = PLATFORM_MODULES if kube_dc else ("fip", "lb_binding")
    out = dict(
        platform=platform,
        exclusive=bool(datacenter.get("exclusive")),
        connection=connection,
        southbound=southbound,
        kubernetes=kubernetes,
        module_defaults=dict((module, dict(kubernetes) if module in takes_kubernetes else {}) for module in PLATFORM_MODULES),
        external_networks=networks,
        projects=[],
        eips=[],
        fips=[],
        bindings=[],
        counts=dict(organizations=0, projects=0, eips=0, fips=0, bindings=0),
        # Where each external network and project is in the file, for what the engines report.
        network_paths=dict((n.get("name"), "external_networks[{0}]".format(i)) for i, n in enumerate(networks)),
        project_paths={},
        # Project namespace -> for each of eips, fips and bindings, the path of each object in
        # the file relative to the project's (a service's FIP is at the service, services[2]).
        item_paths={},
    )
    organizations = datacenter.get("organizations") or []
    check.unique("organizations", organizations, "organization")
    for org_index, organization in enumerate(organizations):
        org_path = "organizations[{0}]".format(org_index)
        org_name = organization.get("name")
        check.label(org_path + ".name", org_name)
        out["counts"]["organizations"] += 1
        projects = organization.get("projects") or []
        check.unique(org_path + ".projects", projects, "project of the organization")
        for index, project in enumerate(projects):
            _plan_project(check, out, network_types, kube_dc, org_name, "{0}.projects[{1}]".format(org_path, index), project)
    if check.problems:
        raise DatacenterError(check.problems)
    return out


def _refuse(check, path, name, entry, keys):
    """The options the kube_dc modules refuse, refused by path before anything changes."""
    for key in keys:
        if entry.get(key) is not None:
            check.bad("{0}.{1}".format(path, key), name, entry[key], KUBE_DC_REFUSED[key])


def _plan_project(check, out, network_types, kube_dc, organization, path, project):
    name = project.get("name")
    label = "{0}-{1}".format(organization, name)
    check.label(path + ".name", name)
    cidr = check.network(path + ".cidr", label, project.get("cidr"))
    egress = project.get("egress_network_type") or "cloud"
    if network_types and egress not in network_types:
        check.bad(path + ".egress_network_type", label, egress, "has no external network of that type in external_networks")
    if kube_dc:
        _refuse(check, path, label, project, ("default_gateway_ip", "external_network"))
    declared = dict(organization=organization, name=name, cidr=project.get("cidr"), egress_network_type=project.get("egress_network_type"))
    declared.update(_given(project, ("default_gateway_ip", "external_network")))
    if project.get("gateway") is not None:
        check.address_in(path + ".gateway", label, project["gateway"], cidr)
        declared["gateway"] = project["gateway"]
    out["projects"].append(dict((k, v) for k, v in declared.items() if v is not None))
    out["project_paths"][label] = path
    out["counts"]["projects"] += 1

    # (path in the file, object) pairs of each kind: an EIP, FIP or binding that a service
    # makes is at the service (an EIP at its eip), so that what the resources later refuse
    # names the line the user wrote, not an index into a list the file never had.
    eips, fips, bindings = [], [], []
    for index, eip in enumerate(project.get("eips") or []):
        eip_path = "{0}.eips[{1}]".format(path, index)
        if kube_dc:
            _refuse(check, eip_path, eip.get("name"), eip, ("address",))
        check.label(eip_path + ".name", eip.get("name"))
        if eip.get("name") == DEFAULT_GW:
            check.bad(eip_path + ".name", None, DEFAULT_GW, "is the project's own default-gateway EIP; it is not declared")
        eips.append((eip_path, _given(eip, ("name", "external_network_type", "address"))))
    check.unique(path + ".eips", [eip for _path, eip in eips], "EIP of the project")
    for index, fip in enumerate(project.get("fips") or []):
        fip_path = "{0}.fips[{1}]".format(path, index)
        fips.append((fip_path, _fip(check, kube_dc, cidr, fip_path, fip)))
    for index, service in enumerate(project.get("services") or []):
        _service(check, kube_dc, cidr, eips, fips, bindings, "{0}.services[{1}]".format(path, index), service)

    check.unique_at(fips, "FIP of the project (services exposed by FIP included)")
    check.unique(path + ".services", project.get("services") or [], "service of the project")
    if kube_dc:
        _kube_dc_sharing(check, fips, bindings)
    eip_names = set(eip.get("name") for _path, eip in eips)
    for fip_path, fip in fips:
        if fip.get("eip") is not None and fip["eip"] not in eip_names:
            check.bad(fip_path + ".eip", fip.get("name"), fip["eip"], "is not an EIP of the project's eips")
    scope = dict(organization=organization, project=name)
    out["eips"].append(dict(scope, eips=[eip for _path, eip in eips]))
    out["fips"].append(dict(scope, fips=[fip for _path, fip in fips]))
    out["bindings"].append(dict(scope, bindings=[binding for _path, binding, _service in bindings]))
    # Relative to the project's path, as the resources label their items (fips[1]).
    out["item_paths"][label] = dict(
        eips=[_below(path, p) for p, _eip in eips],
        fips=[_below(path, p) for p, _fip in fips],
        bindings=[_below(path, p) for p, _binding, _service in bindings],
    )
    out["counts"]["eips"] += len(eips)
    out["counts"]["fips"] += len(fips)
    out["counts"]["bindings"] += len(bindings)


def _below(parent, path):
    return path[len(parent) + 1:]


def _kube_dc_sharing(check, fips, bindings):
    """What Kube-DC would refuse or leave pending once the objects exist, refused by path now.

    A binding is a Service's annotations, so one Service is exposed by one service of the file;
    and a FIp takes its EIp for itself (ownership Exclusive), so no other FIP and no Service
    can use it.
    """
    exposed = {}
    for path, binding, service in bindings:
        first, first_service = exposed.setdefault(binding["name"], (path, service))
        if first == path or first_service.get("name") == service.get("name"):
            continue  # the same service entry twice: the services' own check names it
        where = path + (".service" if service.get("service") is not None else ".name")
        check.bad(where, service.get("name"), binding["name"], "is the Kubernetes Service of {0} too; on kube_dc a "
                  "binding is the Service's annotations, so each Service may be exposed once".format(first))
    held = {}
    for path, fip in fips:
        eip = fip.get("eip")
        if eip is None:
            continue
        if eip in held:
            check.bad(path + ".eip", fip.get("name"), eip, "is the EIP of the FIP {0} too; on kube_dc a FIP holds its EIP "
                      "alone (EIp ownershipType Exclusive)".format(held[eip]))
        else:
            held[eip] = path
    for path, binding, service in bindings:
        if binding.get("eip") in held:
            check.bad(path + ".eip", service.get("name"), binding["eip"], "is held by the FIP {0}; on kube_dc "
                      "a FIP holds its EIP alone (EIp ownershipType Exclusive), so no Service can be bound to it".format(
                          held[binding["eip"]]))


def _fip(check, kube_dc, cidr, path, fip):
    name = fip.get("name")
    check.label(path + ".name", name)
    if kube_dc:
        _refuse(check, path, name, fip, ("pod_name",))
    targets = [key for key in TARGET_KEYS if fip.get(key) is not None]
    if len(targets) != 1:
        choices = "ip_address or vm_name (with interface_name)" if kube_dc else "ip_address, vm_name (with interface_name) or pod_name"
        check.bad(path, name, targets, "needs exactly one target: " + choices)
    if fip.get("ip_address") is not None:
        check.address_in(path + ".ip_address", name, fip["ip_address"], cidr)
    if fip.get("eip") is not None and fip.get("external_network_type") is not None:
        check.bad(path + ".external_network_type", name, fip["external_network_type"], "goes with eip: the EIP already has a network")
    return _given(fip, ("name", "eip", "external_network_type", "ip_address", "vm_name", "interface_name", "pod_name"))


def _service(check, kube_dc, cidr, eips, fips, bindings, path, service):
    name = service.get("name")
    check.label(path + ".name", name)
    app = service.get("app")
    expose = service.get("expose") or DECISION_TREE.get(app)
    if expose is None:
        check.bad(path, name, app, "needs expose ({0}) or an app the decision tree knows ({1})".format(
            ", ".join(EXPOSURES), ", ".join(sorted(DECISION_TREE))))
        return
    if expose == "route" and not kube_dc:
        check.bad(path + ".expose", name, expose, "needs platform kube_dc: a gateway route is Kube-DC's Envoy gateway")
        return
    if kube_dc:
        if expose != "route":
            for key in ("route",) + ROUTE_KEYS:
                if service.get(key) is not None:
                    check.bad("{0}.{1}".format(path, key), name, service[key], "goes with expose route (app web): it is an "
                              "option of the gateway route, and this service is exposed by {0}".format(expose))
        if expose != "fip":
            _refuse(check, path, name, service, ("backends", "port", "protocol", "service_port"))
    if expose == "fip":
        fips.append((path, _fip(check, kube_dc, cidr, path, service)))
        return
    if kube_dc:
        # The binding is the annotations of the Kubernetes Service, named by `service` (by
        # default the service entry's own name); its ports and endpoints are what is exposed.
        target = service.get("service")
        if target is None:
            target = name
        else:
            check.label(path + ".service", target, name)
        if expose == "route":
            bindings.append((path, _route(check, path, name, service, target), service))
            return
        eip = service.get("eip") or name
        _declare(check, eips, eip, path, service)
        bindings.append((path, dict(name=target, eip=eip), service))
        return
    # load_balancer: on a named EIP (by default one named after the service, declared with it
    # if the project does not list it) or, for several services behind one address, on the
    # project's default-gateway EIP (eip: default-gw).
    eip = service.get("eip") or name
    if service.get("port") is None:
        check.bad(path + ".port", name, None, "is required to expose a service by load balancer")
    if (service.get("backends") is None) == (service.get("service") is None):
        check.bad(path, name, None, "needs exactly one of backends (ip:port) and service (a Kubernetes Service)")
    _declare(check, eips, eip, path, service)
    binding = dict(name=name, eip=eip, protocol=service.get("protocol") or ("udp" if app == "udp" else "tcp"))
    binding.update(_given(service, ("port", "backends", "service", "service_port")))
    bindings.append((path, binding, service))


def _declare(check, eips, eip, path, service):
    """A load-balanced service's EIP, declared with it if the project does not list it: at the
    service's eip, or at the service when the EIP takes the service's name."""
    if eip == DEFAULT_GW or eip in set(e.get("name") for _path, e in eips):
        return
    where = path
    if service.get("eip") is not None:
        where = path + ".eip"
        if not check.label(where, eip, service.get("name")):
            return
    eips.append((where, dict(name=eip)))


def _route(check, path, name, service, target):
    """A web app's gateway route on Kube-DC's shared Envoy gateway: the expose-route annotations."""
    route = service.get("route") or "https"
    if route not in ROUTE_TYPES:
        check.bad(path + ".route", name, route, "is not one of {0}".format(", ".join(ROUTE_TYPES)))
    if service.get("eip") is not None:
        check.bad(path + ".eip", name, service["eip"], "goes with a load balancer: a route is served on the shared Envoy "
                  "gateway's address, not on an EIP of the project")
    port = service.get("route_port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        check.bad(path + ".route_port", name, port, "is not a port number from 1 to 65535")
    if route in ROUTE_TYPES and route != "https":
        for key in ("issuer", "tls_secret"):
            if service.get(key) is not None:
                check.bad("{0}.{1}".format(path, key), name, service[key], "goes with route https only: the gateway "
                          "terminates TLS for https, with tls-passthrough the Service does, and http has none")
    if service.get("issuer") is not None and service.get("tls_secret") is not None:
        check.bad(path + ".tls_secret", name, service["tls_secret"], "and issuer are alternatives: the route's certificate "
                  "comes from the issuer or is the one in the secret")
    hostname = service.get("hostname")
    if hostname is not None:
        try:
            validation.dns_name("hostname", hostname)
        except InvalidInput:
            check.bad(path + ".hostname", name, hostname, "is not a DNS name: lower-case labels of letters, digits and '-' "
                      "separated by dots, like shop.example.com")
    binding = dict(name=target, expose_route=route)
    binding.update(_given(service, ROUTE_KEYS))
    return binding

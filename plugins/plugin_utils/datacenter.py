# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""A datacenter file, turned into the arguments of the collection's modules.

The roles call this (through the ``datacenter_plan`` filter) before they change
anything. The roles' ``meta/argument_specs.yml`` has already checked the file's
shape; this checks what a shape cannot say - names unique per project, CIDRs
that parse, references that resolve, an exposure the platform can do - and
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
from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput

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


class DatacenterError(Exception):
    """Everything wrong with a datacenter file, one problem a line."""

    def __init__(self, problems):
        super(DatacenterError, self).__init__(
            "the datacenter file has {0} problem(s), nothing was changed:\n{1}".format(len(problems), "\n".join(problems))
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
        seen = {}
        for index, entry in enumerate(entries):
            name = entry.get("name")
            if name in seen:
                self.bad("{0}[{1}].name".format(path, index), None, name,
                         "is the name of {0}[{1}] too; each {2} may appear once".format(path, seen[name], what))
            else:
                seen[name] = index

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
    out["counts"]["projects"] += 1

    eips = []
    for index, eip in enumerate(project.get("eips") or []):
        if kube_dc:
            _refuse(check, "{0}.eips[{1}]".format(path, index), eip.get("name"), eip, ("address",))
        eips.append(_given(eip, ("name", "external_network_type", "address")))
    # (path in the file, FIP) pairs and (path of the service, binding, service) triples: a FIP or
    # binding made by a service is reported at the service.
    fips, bindings = [], []
    for index, fip in enumerate(project.get("fips") or []):
        fip_path = "{0}.fips[{1}]".format(path, index)
        fips.append((fip_path, _fip(check, kube_dc, cidr, fip_path, fip)))
    for index, service in enumerate(project.get("services") or []):
        _service(check, kube_dc, cidr, eips, fips, bindings, "{0}.services[{1}]".format(path, index), service)

    check.unique(path + ".eips", eips, "EIP of the project")
    check.unique(path + ".fips", [fip for _path, fip in fips], "FIP of the project (services exposed by FIP included)")
    check.unique(path + ".services", project.get("services") or [], "service of the project")
    if kube_dc:
        _kube_dc_sharing(check, fips, bindings)
    eip_names = set(e.get("name") for e in eips)
    for index, eip in enumerate(eips):
        check.label("{0}.eips[{1}].name".format(path, index), eip.get("name"))
        if eip.get("name") == DEFAULT_GW:
            check.bad("{0}.eips[{1}].name".format(path, index), None, DEFAULT_GW, "is the project's own default-gateway EIP; it is not declared")
    for fip_path, fip in fips:
        if fip.get("eip") is not None and fip["eip"] not in eip_names:
            check.bad(fip_path + ".eip", fip.get("name"), fip["eip"], "is not an EIP of the project's eips")
    scope = dict(organization=organization, project=name)
    out["eips"].append(dict(scope, eips=eips))
    out["fips"].append(dict(scope, fips=[fip for _path, fip in fips]))
    out["bindings"].append(dict(scope, bindings=[binding for _path, binding, _service in bindings]))
    out["counts"]["eips"] += len(eips)
    out["counts"]["fips"] += len(fips)
    out["counts"]["bindings"] += len(bindings)


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
        _declare(eips, eip)
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
    _declare(eips, eip)
    binding = dict(name=name, eip=eip, protocol=service.get("protocol") or ("udp" if app == "udp" else "tcp"))
    binding.update(_given(service, ("port", "backends", "service", "service_port")))
    bindings.append((path, binding, service))


def _declare(eips, eip):
    """A load-balanced service's EIP, declared with it if the project does not list it."""
    if eip != DEFAULT_GW and eip not in set(e.get("name") for e in eips):
        eips.append(dict(name=eip))


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


def plannable(plan_, networks=None, projects=None, eips=None):
    """The part of a plan that the next tasks can plan in check mode.

    A check run changes nothing, so a module cannot plan a project on an external
    network the same run would create, nor a FIP in a project it would create, nor a
    FIP or binding on an EIP it would create. Pass the registered check-mode results
    of the external network task (``networks``), of the project network task
    (``projects``) or of the EIP task (``eips``); what depends on something still to
    be created is left out - whole projects listed in ``deferred``, single FIPs and
    bindings in ``deferred_objects`` - and the summary counts it as to be created (a
    left-out object the check run of its task would prune, as exclusive prunes what
    the list does not name, as to be changed). Without results, the plan is
    returned whole.
    """
    out = dict(plan_)
    deferred = set(plan_.get("deferred") or [])
    objects = set(tuple(o) for o in plan_.get("deferred_objects") or [])
    if networks is not None:
        new_types = set()
        for result in _flat(networks):
            if not (result.get("diff") or {}).get("before") and result.get("changed"):
                new_types.add((result.get("external_network") or {}).get("network_type"))
        kept = []
        for project in plan_["projects"]:
            if (project.get("egress_network_type") or "cloud") in new_types:
                deferred.add("{0}-{1}".format(project["organization"], project["name"]))
            else:
                kept.append(project)
        out["projects"] = kept
    if projects is not None:
        existing = set()
        for result in _flat(projects):
            existing.update(project for project, _name in _objects((result.get("diff") or {}).get("before")))
        for project in plan_["projects"]:
            namespace = "{0}-{1}".format(project["organization"], project["name"])
            if namespace not in existing:
                deferred.add(namespace)
    if eips is not None:
        new = set()
        for result in _flat(eips):
            diff = result.get("diff") or {}
            before = _objects(diff.get("before"))
            new.update(key for key in _objects(diff.get("after")) if key not in before)
        for kind, singular in (("fips", "fip"), ("bindings", "binding")):
            for entry in plan_[kind]:
                namespace = "{0}-{1}".format(entry["organization"], entry["project"])
                for obj in entry[kind]:
                    if obj.get("eip") is not None and (namespace, obj["eip"]) in new:
                        objects.add((namespace, singular, obj["name"]))
    for kind, singular in (("eips", "eip"), ("fips", "fip"), ("bindings", "binding")):
        out["declared_" + kind] = plan_.get("declared_" + kind, plan_[kind])
        kept, left_out = [], []
        for entry in plan_[kind]:
            namespace = "{0}-{1}".format(entry["organization"], entry["project"])
            if namespace in deferred:
                continue
            later = [o["name"] for o in entry[kind] if (namespace, singular, o["name"]) in objects]
            kept.append(dict(entry, **{kind: [o for o in entry[kind] if o["name"] not in later]}))
            if later:
                # As the projects form names them, for a check-mode task with state absent that
                # tells which of them exist (those change; the others are new).
                left_out.append({"organization": entry["organization"], "project": entry["project"], kind: [dict(name=n) for n in later]})
        out[kind] = kept
        if kind != "eips":
            out["deferred_" + kind] = left_out
    out["deferred"] = sorted(deferred)
    out["deferred_objects"] = [list(o) for o in sorted(objects)]
    return out


def dropped(plan_, made):
    """The plan, with the projects the collection made that the file no longer names.

    ``made`` is the registered ``project_network_info`` result. Each such project gets an
    empty entry in the EIP, FIP and binding lists, so that their tasks (with ``exclusive``)
    remove everything of ours in it first, and is listed in ``dropped`` (organization and
    name, as the projects form of project_network takes them), for the task that deletes
    the project networks last and for the summary. A project check mode left out to be
    created (``deferred``) is declared too.
    """
    declared = set("{0}-{1}".format(p["organization"], p["name"]) for p in plan_["projects"])
    declared.update(plan_.get("deferred") or [])
    gone = []
    for network in (made or {}).get("project_networks") or []:
        if network["namespace"] not in declared:
            gone.append(dict(organization=network["organization"], name=network["name"]))
    out = dict(plan_, dropped=sorted(gone, key=lambda p: (p["organization"], p["name"])))
    for kind in ("eips", "fips", "bindings"):
        out[kind] = list(plan_[kind]) + [{"organization": p["organization"], "project": p["name"], kind: []} for p in out["dropped"]]
    return out


def summary(plan_, results):
    """What a run did or, in check mode, would do: per project, the objects created,
    changed and removed (removals first), and the totals.

    ``results`` maps a kind (``project``, ``eip``, ``fip``, ``binding``) to the
    registered results of the tasks that converged that kind.
    """
    projects, unseen = _changes(plan_, results)
    totals = dict(created=0, changed=0, removed=0)
    lines = []
    for project in sorted(projects):
        entry = projects[project]
        lines.append("{0}:".format(project))
        for action in ("removed", "created", "changed"):
            totals[action] += len(entry[action])
            for kind, name in entry[action]:
                lines.append("  {0} {1} {2}".format(action[:-1] if action != "changed" else "change", kind, name))
    for kind in sorted(unseen):
        lines.append("{0}: {1} row operation(s); run with --diff to see them object by object".format(kind, unseen[kind]))
    lines.append("{0} to create, {1} to change, {2} to remove.".format(totals["created"], totals["changed"], totals["removed"]))
    listed = dict((project, dict((action, ["{0} {1}".format(kind, name) for kind, name in entry[action]]) for action in entry))
                  for project, entry in projects.items())
    return dict(projects=listed, totals=totals, operations=unseen, lines=lines)


def _changes(plan_, results):
    """Project namespace -> action -> [(kind, name)] of the objects the registered ``results``
    created, changed or removed (would, in check mode), and kind -> row operations of the
    results without a diff."""
    projects = {}

    def record(project, action, kind, name):
        # Once: in check mode the EIP pruning task plans again the EIPs the EIP task would create.
        listed = projects.setdefault(project, dict(removed=[], created=[], changed=[]))[action]
        if (kind, name) not in listed:
            listed.append((kind, name))

    unseen = {}
    for kind, registered in sorted((results or {}).items()):
        for result in _flat(registered):
            if "diff" not in result:
                # Run without --diff: what changed is known by its row operations only.
                if result.get("changed"):
                    unseen[kind] = unseen.get(kind, 0) + len(result.get("commands") or [])
                continue
            diff = result.get("diff") or {}
            before, after = _objects(diff.get("before")), _objects(diff.get("after"))
            for key in sorted(set(before) | set(after)):
                project, name = key
                if key not in before:
                    record(project, "created", kind, name)
                elif key not in after:
                    record(project, "removed", kind, name)
                elif before[key] != after[key]:
                    record(project, "changed", kind, name)
    # Objects a check run could not plan yet (their EIP is new): new, or changed if one of that
    # name exists - the check run of their task would prune it (exclusive), or the check-mode
    # task with state absent on the plan's deferred_fips/deferred_bindings would remove it.
    for namespace, kind, name in plan_.get("deferred_objects") or []:
        entry = projects.setdefault(namespace, dict(removed=[], created=[], changed=[]))
        if (kind, name) in entry["removed"]:
            entry["removed"].remove((kind, name))
            _insert(entry["changed"], kind, name)
        elif (kind, name) not in entry["created"] + entry["changed"]:
            _insert(entry["created"], kind, name)
    # Projects the file no longer names go, whether or not the task that deletes them ran: it
    # does not in check mode on ovn, where our FIPs and bindings in them, which a real run
    # removes first, would still be there and refuse it.
    for project in plan_.get("dropped") or []:
        record("{0}-{1}".format(project["organization"], project["name"]), "removed", "project", "network")
    # Projects a check run could not plan yet: everything the file declares in them is new.
    for namespace in plan_.get("deferred") or []:
        if ("project", "network") not in projects.get(namespace, {}).get("created", []):
            record(namespace, "created", "project", "network")
        for kind, key in (("eip", "eips"), ("fip", "fips"), ("binding", "bindings")):
            for entry in plan_.get("declared_" + key, plan_.get(key)) or []:
                if "{0}-{1}".format(entry["organization"], entry["project"]) == namespace:
                    for obj in entry[key]:
                        record(namespace, "created", kind, obj["name"])
    return projects, unseen


def _insert(listed, kind, name):
    """Add (kind, name) where the run that makes it would list it: by kind, as the results are
    read, then by name."""
    for index, (other_kind, other_name) in enumerate(listed):
        if (other_kind, other_name) > (kind, name):
            listed.insert(index, (kind, name))
            return
    listed.append((kind, name))


def _flat(registered):
    """The module results of a registered variable, loop or not, skipped ones left out."""
    if isinstance(registered, list):
        for item in registered:
            yield from _flat(item)
        return
    if not isinstance(registered, dict) or registered.get("skipped"):
        return
    if "results" in registered and isinstance(registered["results"], list):
        yield from _flat(registered["results"])
        return
    yield registered


def _objects(side):
    """(project, name) -> object of one side of a module's diff."""
    found = {}
    if not side:
        return found
    if isinstance(side, dict) and len(side) == 1 and isinstance(list(side.values())[0], list):
        side = list(side.values())[0]
    for obj in side if isinstance(side, list) else [side]:
        if not obj:
            continue
        project = obj.get("namespace") or "{0}-{1}".format(obj.get("organization"), obj.get("project") or obj.get("name"))
        name = obj.get("name") if obj.get("project") else "network"
        found[(project, name)] = obj
    return found


def verify(plan_, networks, traces=None, checks=None, made=None):
    """What differs between a datacenter file and the gathered networks of its projects.

    ``networks`` are the registered ``network_info`` results of the file's projects, and
    ``traces`` (optional) their ``network_trace`` results. Returns one line per problem: a
    project, EIP, FIP or binding the file declares and the network lacks; one of the
    collection's the network has and the file does not name (what ``exclusive`` would
    prune); every drift item network_info reports; and every path ovn-trace did not see go
    where it is declared to.

    ``checks`` (optional; platform kube_dc, where network_info and network_trace do not
    apply) maps a kind (``project``, ``eip``, ``fip``, ``binding``) to the registered results
    of the module converging the file's objects of that kind in check mode with diff (the
    eip, fip and lb_binding ones with ``exclusive``), and ``plan_`` is then the plan
    ``datacenter_plannable`` made of the project task's result. Every object those runs
    would create, change or remove is a difference, and so is a failed run; the projects
    are then not compared with ``networks`` (only their drift items count).

    ``made`` (optional) is the registered ``project_network_info`` result: every project
    network of the collection's that the file does not name is a difference too.
    """
    gathered = dict((result["network"]["namespace"], result["network"]) for result in _flat(networks) if "network" in result)
    problems = []
    if checks is not None:
        problems.extend(_check_differences(plan_, checks))
    declared = dict((kind, dict(("{0}-{1}".format(e["organization"], e["project"]), e[kind]) for e in plan_[kind]))
                    for kind in ("eips", "fips", "bindings"))
    for project in plan_["projects"]:
        namespace = "{0}-{1}".format(project["organization"], project["name"])
        network = gathered.get(namespace)
        if checks is None:
            if not network or not network.get("exists"):
                problems.append("{0}: the project network does not exist".format(namespace))
                continue
            for kind, found_key, label in (("eips", "eips", "EIP"), ("fips", "fips", "FIP"), ("bindings", "lb_bindings", "binding")):
                wanted = set(item["name"] for item in declared[kind].get(namespace, []))
                found = set(item["name"] for item in network.get(found_key) or [])
                for name in sorted(wanted - found):
                    problems.append("{0}: {1} {2} is declared and missing".format(namespace, label, name))
                for name in sorted(found - wanted):
                    problems.append("{0}: {1} {2} exists and the file does not name it".format(namespace, label, name))
        for item in (network or {}).get("drift") or []:
            what = "; ".join(item.get("commands") or []) or item.get("error")
            problems.append("{0}: {1} drifted: {2}".format(namespace, item.get("declaration"), what))
    for project in dropped(plan_, made)["dropped"] if made is not None else []:
        problems.append("{0}-{1}: the project network exists and the file does not name it".format(project["organization"], project["name"]))
    for result in _flat(traces or []):
        if "network_trace" not in result and result.get("failed"):
            item = result.get("item") if isinstance(result.get("item"), dict) else {}
            problems.append("{0}-{1}: the ovn-trace proof failed: {2}".format(item.get("organization"), item.get("name"), result.get("msg")))
            continue
        report = result.get("network_trace") or {}
        for failure in report.get("failures") or []:
            problems.append("{0}: ovn-trace: {1}".format(report.get("namespace"), failure))
    return problems


CHECK_LABELS = dict(eip="EIP", fip="FIP", binding="binding")
CHECK_DIFFERENCES = dict(
    created="is declared and missing",
    removed="exists and the file does not name it",
    changed="differs from the file",
)


def _check_differences(plan_, checks):
    """The differences the check-mode runs of ``checks`` show, worded as verify's others."""
    problems = []
    for kind, registered in sorted(checks.items()):
        for result in _flat(registered):
            if result.get("failed"):
                problems.append("{0}: the check run failed: {1}".format(kind, result.get("msg")))
    projects, unseen = _changes(plan_, dict((kind, registered) for kind, registered in checks.items()))
    for namespace in sorted(projects):
        entry = projects[namespace]
        if ("project", "network") in entry["created"]:
            # As on ovn: a project that does not exist is one difference, not one per object in it.
            problems.append("{0}: the project network does not exist".format(namespace))
            continue
        for action in ("removed", "created", "changed"):
            for kind, name in entry[action]:
                if kind == "project":
                    problems.append("{0}: the project network {1}".format(namespace, CHECK_DIFFERENCES[action]))
                else:
                    problems.append("{0}: {1} {2} {3}".format(namespace, CHECK_LABELS.get(kind, kind), name, CHECK_DIFFERENCES[action]))
    for kind in sorted(unseen):
        problems.append("{0}: the check run would make {1} change(s); run it with diff to see them object by object".format(
            kind, unseen[kind]))
    return problems

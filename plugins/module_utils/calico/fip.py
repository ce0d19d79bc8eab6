# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""fip on the calico platform: ``cni.projectcalico.org/floatingIPs`` on a workload's pod template.

Calico has no floating IP object. A pod asks for floating IPs with the annotation
``cni.projectcalico.org/floatingIPs``, a JSON list of addresses, which the Calico
CNI plugin reads when it sets up the pod's network: each address becomes a 1:1
NAT (inbound DNAT, hairpin SNAT) to the pod's own address of the same family,
which Felix programs on the pod's node, and BIRD advertises the address when an
IP pool's BGP export accepts it. So the module sets that annotation, as
canonical JSON (sorted, de-duplicated, compressed IPv6), on the pod template of
an existing Deployment or StatefulSet (kube/workload.py), and the pods the
rollout creates carry it. A bare Pod is converged only if it already carries
the same addresses: the annotation is read when the pod is created.

Calico checks almost nothing itself - with a gate off, an address outside
every pool, the eBPF dataplane or VXLAN, the pod just runs without a working
floating IP - so before writing, the preflight reads what it can and refuses
what cannot work (the reference of these facts is Calico's own code and docs):

* ``installation``: an ``operator.tigera.io`` Installation (operator-managed
  Calico does not support floating IPs);
* ``cni_gate``: ``feature_control.floating_ips`` in the calico plugin of the
  ConfigMap ``kube-system/calico-config`` key ``cni_network_config`` (without it
  the CNI ADD fails and the pod never starts);
* ``felix_gate``: Felix's ``floatingIPs`` (Calico 3.23+, default Disabled), by
  Felix's precedence: the calico-node DaemonSet's ``FELIX_FLOATINGIPS``, then the
  FelixConfiguration ``node.<node>`` of the pods' nodes, then ``default``;
* ``dataplane``: ``bpfEnabled`` (``FELIX_BPFENABLED``), as the eBPF dataplane has
  no floating IPs; ``ipv6_support`` for an IPv6 address;
* ``routing``: calico-node's ``CALICO_NETWORKING_BACKEND`` (VXLAN-only runs no BGP);
* ``ip_pools``: every address inside an IPPool whose BGP export is on
  (``require_ip_pool``), with warnings for a pool IPAM may hand it out of;
  ``encapsulation``: that pool's ``vxlanMode`` (VXLAN does not distribute the route);
* ``ip_family``: each address's family is one the target's pods have;
* ``replicas``: one replica (every replica would get the same address);
* ``in_use``: no other pod or Deployment/StatefulSet template of the cluster
  carries the address, and no pod has it as its own IP.

What Calico cannot be asked about (a missing ConfigMap, a CRD not served, a
value from a reference, a read the credentials may not make) is a warning that
the gate "cannot be verified"; ``check_cluster: false`` skips the cluster gates
and ``allow_shared: true`` turns the replica and in-use refusals into warnings.
The module never changes Calico's configuration.

The result lists, per live pod of the target, the NAT Calico derives from that
pod as it is (its annotation and ``status.podIPs``, as Calico's Kubernetes
datastore does), and ``rollout``: whether pods must be replaced and whether the
controller does so by itself.
"""

import ipaddress
import json
import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput, KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import KubeError
from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import object_path
from ansible_collections.kubedc.network.plugins.module_utils.kube.workload import (
    WorkloadResource,
    parse_target,
    refuse_across_platforms,
    pod_ips,
    replicas_of,
    run_workload,
    template_of,
)

ANNOTATION = "cni.projectcalico.org/floatingIPs"
FIELD = ("metadata", "annotations", ANNOTATION)
CALICO_NAMESPACE = "kube-system"
CALICO_CONFIG = "calico-config"
CNI_CONFIG_KEY = "cni_network_config"
CALICO_NODE = "calico-node"
# Calico's resources through its CRDs (manifest installs), else through the calico-apiserver.
CALICO_APIS = ("crd.projectcalico.org/v1", "projectcalico.org/v3")
INSTALLATION_API = "operator.tigera.io/v1"

# The options of this platform, refused on the others; and the others', refused here.
CALICO_ONLY = ("namespace", "target", "floating_ips", "require_ip_pool", "check_cluster", "allow_shared")
NOT_CALICO = ("organization", "project", "name", "fips", "projects", "eip", "external_network_type", "external_network",
              "ip_address", "pod_name", "vm_name", "interface_name", "logical_port", "external_mac")
NOT_CALICO_FLAGS = ("exclusive", "repair_stale_nat", "verify_ovn")
NOT_CALICO_REASON = ("applies to platforms ovn and kube_dc; on calico a floating IP is an annotation of the target "
                     "workload's pod template (namespace, target, floating_ips)")

OK, REFUSED, WARNING, UNVERIFIED, SKIPPED = "ok", "refused", "warning", "unverified", "skipped"
CHECKS = ("installation", "cni_gate", "felix_gate", "dataplane", "ipv6_support", "routing", "ip_pools", "encapsulation",
          "ip_family", "replicas", "in_use")
# An environment variable whose value comes from a reference (valueFrom) the module does not follow.
UNREADABLE = object()
# Placeholders of calico-config's CNI template that are not JSON strings (``"mtu": __CNI_MTU__``).
_PLACEHOLDER = re.compile(r'(?<!")__[A-Z0-9_]+__(?!")')


def refuse_other_platform(params):
    """On calico, refuse the options of ovn and kube_dc; elsewhere, calico's. Names the option."""
    refuse_across_platforms(params, "calico", CALICO_ONLY, NOT_CALICO, NOT_CALICO_FLAGS, NOT_CALICO_REASON)


# -- the addresses ------------------------------------------------------------------------


def canonical_ips(field, values):
    """The declared addresses as Calico should see them: plain addresses (no CIDR), IPv6 compressed,
    de-duplicated, sorted as strings (the order Felix uses to choose the hairpin SNAT address)."""
    if not isinstance(values, list) or not values:
        raise InvalidInput(field, values, "needs at least one address (state=absent removes them)")
    found = set()
    for index, value in enumerate(values):
        item = "{0}[{1}]".format(field, index)
        if not isinstance(value, str):
            raise InvalidInput(item, value, "is not an IP address")
        text = value.strip()
        if "/" in text:
            raise InvalidInput(item, value, "is a CIDR; Calico takes plain addresses and silently drops anything else")
        if "%" in text:
            raise InvalidInput(item, value, "has a zone index; a floating IP is a plain address")
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise InvalidInput(item, value, "is not an IP address")
        if address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local:
            raise InvalidInput(item, value, "cannot be a floating IP (an unspecified, loopback, multicast or link-local "
                               "address)")
        if address.version == 6 and address.ipv4_mapped is not None:
            raise InvalidInput(item, value, "is an IPv4-mapped IPv6 address; give the IPv4 address {0}".format(
                address.ipv4_mapped))
        found.add(str(address))
    return sorted(found)


def annotation_value(ips):
    """The annotation's canonical JSON."""
    return json.dumps(sorted(ips), separators=(",", ":"))


def parse_annotation(value):
    """The addresses of an annotation as Calico would take them (canonical); None if it is not a JSON
    list of strings, which Calico cannot read at all."""
    if value is None:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
        return None
    found = set()
    for item in parsed:
        try:
            found.add(str(ipaddress.ip_address(item.strip())))
        except ValueError:
            continue  # Felix drops what does not parse as an address
    return sorted(found)


def _annotation(obj):
    return ((obj or {}).get("metadata") or {}).get("annotations", {}) or {}


def derived_nat(pod):
    """The NAT Calico derives from a pod as it is (Kubernetes datastore): each floating IP of its
    annotation to the pod's first address of the same family; one without such an address is skipped."""
    floating = parse_annotation(_annotation(pod).get(ANNOTATION)) or []
    internal = {}
    for address in pod_ips(pod):
        try:
            internal.setdefault(ipaddress.ip_address(address).version, address)
        except ValueError:
            continue
    nats = []
    for external in floating:
        version = ipaddress.ip_address(external).version
        if version in internal:
            nats.append(dict(internal_ip=internal[version], external_ip=external))
    return floating, nats


# -- reading Calico --------------------------------------------------------------------------


def _read(call, *args):
    """(answer, None), or (None, why) when the server refuses the read (403 and the like)."""
    try:
        return call(*args), None
    except KubeError as exc:
        return None, exc.msg


def _list_any(objects, api_versions, plural, namespace=None):
    """(api_version, items) of the first API version that serves ``plural``; (None, None) if none does."""
    for api_version in api_versions:
        found = objects.request("GET", object_path(api_version, plural, namespace), allow_404=True)
        if found is not None:
            return api_version, found.get("items") or []
    return None, None


def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "y", "t", "on")


def calico_node_env(daemonset):
    """The environment of the calico-node container: name -> value (UNREADABLE for a valueFrom)."""
    containers = ((((daemonset or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    chosen = [c for c in containers if c.get("name") == CALICO_NODE] or containers[:1]
    env = {}
    for container in chosen:
        for entry in container.get("env") or []:
            env[entry.get("name")] = entry["value"] if "value" in entry else UNREADABLE
    return env


def felix_value(env, configs, env_name, field, node=None):
    """(value, source) of one Felix parameter on ``node`` (None: a node without an override of its
    own) by Felix's precedence: calico-node's environment, FelixConfiguration ``node.<node>``, then
    ``default``; (None, None) when set nowhere."""
    if env_name in env:
        return env[env_name], "the {0} environment variable of DaemonSet {1}/{2}".format(env_name, CALICO_NAMESPACE, CALICO_NODE)
    for name in (["node." + node] if node else []) + ["default"]:
        spec = configs.get(name)
        if spec is not None and spec.get(field) is not None:
            return spec[field], "FelixConfiguration {0} spec.{1}".format(name, field)
    return None, None


def cni_gate(config_map):
    """(result, detail) of the CNI gate in calico-config's CNI configuration."""
    where = "ConfigMap {0}/{1}".format(CALICO_NAMESPACE, CALICO_CONFIG)
    if config_map is None:
        return UNVERIFIED, ("{0} does not exist, so the CNI plugin's feature_control.floating_ips cannot be verified (the "
                            "configuration lives on the nodes' disks)".format(where))
    text = ((config_map.get("data") or {}).get(CNI_CONFIG_KEY))
    if not text:
        return UNVERIFIED, "{0} has no key {1}, so the CNI gate cannot be verified".format(where, CNI_CONFIG_KEY)
    try:
        conf = json.loads(_PLACEHOLDER.sub("0", text))
    except ValueError as exc:
        return UNVERIFIED, "{0} key {1} is not JSON ({2}), so the CNI gate cannot be verified".format(where, CNI_CONFIG_KEY, exc)
    plugins = conf.get("plugins") if isinstance(conf, dict) and isinstance(conf.get("plugins"), list) else [conf]
    calico = [p for p in plugins if isinstance(p, dict) and p.get("type") == "calico"]
    if not calico:
        return REFUSED, "{0} key {1} has no plugin of type calico".format(where, CNI_CONFIG_KEY)
    if (calico[0].get("feature_control") or {}).get("floating_ips") is not True:
        return REFUSED, ("feature_control.floating_ips is not true in the calico plugin of {0} key {1}: the CNI plugin would "
                         "fail the pod's sandbox (requested feature is not enabled: floating_ips). Set it, and restart the "
                         "calico-node DaemonSet so that the nodes' CNI configuration follows".format(where, CNI_CONFIG_KEY))
    return OK, "feature_control.floating_ips is true in {0} key {1}".format(where, CNI_CONFIG_KEY)


def _shown(value):
    """A setting as its YAML reads: true/false for a boolean."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


class Gate(object):
    """One Felix parameter the floating IPs need, as checked on the nodes that matter: ``problem``
    says what a bad value breaks, ``effect`` what it does to the pods of a node (after "pods there")."""

    def __init__(self, key, env_name, field, builtin, good, problem, effect):
        self.key = key
        self.env_name = env_name
        self.field = field
        self.builtin = builtin
        self.good = good
        self.problem = problem
        self.effect = effect

    def judge(self, env, configs, pod_nodes):
        """(result, detail, value, source) for the nodes of the target's pods and the nodes new pods go to."""
        value, source = felix_value(env, configs, self.env_name, self.field)
        if value is UNREADABLE:
            return UNVERIFIED, "{0} is set from a reference, so {1} cannot be verified".format(source, self.field), None, source
        if value is None:
            value, source = self.builtin, "Felix's built-in default, as it is set nowhere"
        overrides = {}
        if self.env_name not in env:
            for name, spec in sorted(configs.items()):
                if name.startswith("node.") and spec.get(self.field) is not None:
                    overrides[name[len("node."):]] = spec[self.field]
        bad_nodes = sorted(node for node, setting in overrides.items() if not self.good(setting))
        pods_bad = sorted(set(node for node in pod_nodes if not self.good(overrides.get(node, value))))
        if pods_bad:
            node = pods_bad[0]
            setting = overrides.get(node, value)
            where = felix_value(env, configs, self.env_name, self.field, node)[1] if node in overrides else source
            return REFUSED, "{0} is {1} on node {2} of the target's pods ({3}): {4}".format(
                self.field, _shown(setting), node, where, self.problem), setting, where
        if not self.good(value):
            if pod_nodes:
                return WARNING, ("{0} is {1} ({2}) and only the nodes of the target's current pods ({3}) override it: pods "
                                 "the rollout places elsewhere {4}".format(self.field, _shown(value), source,
                                                                           ", ".join(sorted(pod_nodes)), self.effect)), value, source
            return REFUSED, "{0} is {1} ({2}): {3}".format(self.field, _shown(value), source, self.problem), value, source
        if bad_nodes:
            return WARNING, "{0} is {1} ({2}), but FelixConfiguration overrides it on node(s) {3}: pods there {4}".format(
                self.field, _shown(value), source, ", ".join(bad_nodes), self.effect), value, source
        return OK, "{0} is {1} ({2})".format(self.field, _shown(value), source), value, source


FELIX_GATE = Gate("felix_gate", "FELIX_FLOATINGIPS", "floatingIPs", "Disabled", lambda v: str(v).strip().lower() == "enabled",
                  "Felix programs no floating-IP NAT; set spec.floatingIPs: Enabled in FelixConfiguration default "
                  "(Calico 3.23 and later)", "get no floating-IP NAT")
DATAPLANE = Gate("dataplane", "FELIX_BPFENABLED", "bpfEnabled", False, lambda v: not _truthy(v),
                 "the eBPF dataplane does not implement floating IPs (calico#5251)",
                 "run the eBPF dataplane, which has no floating IPs (calico#5251)")
IPV6_SUPPORT = Gate("ipv6_support", "FELIX_IPV6SUPPORT", "ipv6Support", True, _truthy,
                    "Felix programs no IPv6 NAT, so an IPv6 floating IP does nothing", "get no IPv6 NAT")


def containing_pool(pools, address):
    """The most specific IPPool whose CIDR holds ``address``, or None."""
    best = None
    for pool in pools:
        network = pool["network"]
        if network is not None and network.version == address.version and address in network:
            if best is None or network.prefixlen > best["network"].prefixlen:
                best = pool
    return best


def read_pools(items):
    pools = []
    for item in items:
        spec = item.get("spec") or {}
        try:
            network = ipaddress.ip_network(spec.get("cidr") or "", strict=False)
        except ValueError:
            network = None
        pools.append(dict(name=item["metadata"]["name"], network=network, disabled=bool(spec.get("disabled")),
                          export=not spec.get("disableBGPExport"), vxlan=spec.get("vxlanMode") or "Never",
                          manual=spec.get("assignmentMode") == "Manual"))
    return pools


# -- the preflight ------------------------------------------------------------------------------


class Preflight(object):
    """The matrix of checks (``CHECKS``), the refusals and the warnings."""

    def __init__(self):
        self.matrix = dict((name, dict(result=SKIPPED, detail=None)) for name in CHECKS)
        self.refusals = []
        self.warnings = []

    def record(self, name, result, detail, about=None, **data):
        """One check's outcome; ``about`` is the (field, value) a refusal is about, if an option's value."""
        entry = dict(result=result, detail=detail)
        entry.update(data)
        self.matrix[name] = entry
        if result == REFUSED:
            field, value = about or (None, None)
            self.refusals.append((name, detail, field, value))
        elif result in (WARNING, UNVERIFIED):
            self.warnings.append("{0}: {1}".format(name, detail))

    def raise_refusals(self, target):
        if not self.refusals:
            return
        details = dict(preflight=self.matrix, refused=[name for name, _detail, _field, _value in self.refusals])
        first = [r for r in self.refusals if r[2] is not None]
        if first:
            details.update(field=first[0][2], value=first[0][3])
        raise KubedcError("the floating IPs of {0} would not work, so nothing was written; {1}".format(
            target.describe(), "; ".join("{0}: {1}".format(name, detail) for name, detail, _f, _v in self.refusals)), **details)


class CalicoFip(WorkloadResource):
    """The floating IPs of one workload: its pod template's ``cni.projectcalico.org/floatingIPs``."""

    creation_time = ("Calico reads cni.projectcalico.org/floatingIPs only when it sets up a pod's network (a running pod "
                     "does not change officially, calico#5198)")

    def __init__(self, params):
        super(CalicoFip, self).__init__(params)
        self.floating_ips = []
        self.preflight = Preflight()

    def validate(self):
        p = self.params
        refuse_other_platform(p)
        target = parse_target(p)
        value = None
        if not self.removing:
            self.floating_ips = canonical_ips("floating_ips", p.get("floating_ips"))
            value = annotation_value(self.floating_ips)
        elif p.get("floating_ips"):
            raise InvalidInput("floating_ips", p["floating_ips"], "is not needed with state=absent, which removes them all")
        return self.declare(target, {FIELD: value})

    def equivalent(self, path, current, wanted):
        """The same addresses in another order or spelling are no change."""
        found = parse_annotation(current)
        return found is not None and found == parse_annotation(wanted)

    # -- the preflight -------------------------------------------------------------

    def check(self, objects, want, have):
        self.preflight = Preflight()  # afresh: a 409 reads and plans again
        if self.removing or have is None:
            return
        p, pre, ips = self.params, self.preflight, [ipaddress.ip_address(a) for a in self.floating_ips]
        pods = self.pods(objects, have)
        if p.get("check_cluster") is not False:
            self._check_cluster(objects, pods, ips)
        if p.get("require_ip_pool") is not False or p.get("check_cluster") is not False:
            self._check_pools(objects, ips)
        self._check_family(pods, ips)
        self._check_replicas(have)
        self._check_in_use(objects, have, pods, ips)
        pre.raise_refusals(self.target)

    def _check_cluster(self, objects, pods, ips):
        pre = self.preflight
        found, error = _read(_list_any, objects, (INSTALLATION_API,), "installations")
        installations = found[1] if found else None
        if error:
            pre.record("installation", UNVERIFIED, "cannot list {0} Installations ({1}), so whether the Tigera operator "
                       "manages Calico cannot be verified".format(INSTALLATION_API, error))
        elif installations:
            pre.record("installation", REFUSED, "Calico is managed by the Tigera operator (Installation {0}), and "
                       "operator-managed Calico does not support floating IPs for pods".format(installations[0]["metadata"]["name"]))
        else:
            pre.record("installation", OK, "no {0} Installation: a manifest install".format(INSTALLATION_API))
        config_map, error = _read(objects.get, "v1", "configmaps", CALICO_NAMESPACE, CALICO_CONFIG)
        result, detail = (UNVERIFIED, "cannot read ConfigMap {0}/{1}: {2}".format(CALICO_NAMESPACE, CALICO_CONFIG, error)) \
            if error else cni_gate(config_map)
        pre.record("cni_gate", result, detail)

        daemonset, error = _read(objects.get, "apps/v1", "daemonsets", CALICO_NAMESPACE, CALICO_NODE)
        env = calico_node_env(daemonset)
        unread = None
        if daemonset is None:
            why = "cannot be read ({0})".format(error) if error else "does not exist"
            unread = "DaemonSet {0}/{1} {2}".format(CALICO_NAMESPACE, CALICO_NODE, why)
        found, error = _read(_list_any, objects, CALICO_APIS, "felixconfigurations")
        items = found[1] if found else None
        configs = dict((item["metadata"]["name"], item.get("spec") or {}) for item in items or [])
        nodes = set(((pod.get("spec") or {}).get("nodeName")) for pod in pods) - set([None, ""])
        for gate in (FELIX_GATE, DATAPLANE) + ((IPV6_SUPPORT,) if any(ip.version == 6 for ip in ips) else ()):
            if items is None and gate.env_name not in env:
                why = error or "no FelixConfiguration API is served ({0})".format(", ".join(CALICO_APIS))
                pre.record(gate.key, UNVERIFIED, "{0} cannot be verified: {1}".format(gate.field, why))
                continue
            result, detail, value, source = gate.judge(env, configs, nodes)
            if unread:
                detail += "; {0}, and its {1} would take precedence".format(unread, gate.env_name)
            pre.record(gate.key, result, detail, value=value, source=source)

        backend = env.get("CALICO_NETWORKING_BACKEND")
        if unread or backend is UNREADABLE:
            pre.record("routing", UNVERIFIED, "{0}, so whether calico-node runs BGP (CALICO_NETWORKING_BACKEND) cannot be "
                       "verified".format(unread or "calico-node's CALICO_NETWORKING_BACKEND is set from a reference"), value=None)
        elif (backend or "bird") == "vxlan":
            pre.record("routing", REFUSED, "calico-node runs with CALICO_NETWORKING_BACKEND=vxlan: no BGP, and Calico does "
                       "not distribute floating-IP routes over VXLAN (calico#5190, calico#9176)", value=backend)
        elif backend == "none":
            pre.record("routing", WARNING, "calico-node runs with CALICO_NETWORKING_BACKEND=none: Calico advertises no "
                       "routes, so only what routes the address to the pod's node makes it reachable", value=backend)
        else:
            pre.record("routing", OK, "calico-node runs BGP (CALICO_NETWORKING_BACKEND={0})".format(backend or "bird (default)"),
                       value=backend or "bird")

    def _check_pools(self, objects, ips):
        p, pre = self.params, self.preflight
        require = p.get("require_ip_pool") is not False
        found, error = _read(_list_any, objects, CALICO_APIS, "ippools")
        items = found[1] if found else None
        if items is None:
            why = error or "no IPPool API is served ({0})".format(", ".join(CALICO_APIS))
            if require:
                pre.record("ip_pools", UNVERIFIED, "the IP pools cannot be read ({0}), so BGP advertisement of {1} cannot be "
                           "verified".format(why, ", ".join(self.floating_ips)))
            return
        pools = read_pools(items)
        matched, missing, unexported, vxlan, cross, handed = {}, [], [], [], [], []
        for ip in ips:
            pool = containing_pool(pools, ip)
            matched[str(ip)] = pool["name"] if pool else None
            if pool is None:
                missing.append(str(ip))
                continue
            if not pool["export"]:
                unexported.append("{0} (IPPool {1})".format(ip, pool["name"]))
            if pool["vxlan"] == "Always":
                vxlan.append("{0} (IPPool {1})".format(ip, pool["name"]))
            elif pool["vxlan"] == "CrossSubnet":
                cross.append("{0} (IPPool {1})".format(ip, pool["name"]))
            if not pool["disabled"] and not pool["manual"]:
                handed.append("{0} (IPPool {1})".format(ip, pool["name"]))
        if require:
            if missing:
                pre.record("ip_pools", REFUSED, "{0} is in no IPPool: Calico advertises a floating IP only inside an IP pool "
                           "whose BGP export is on (add one; a disabled pool keeps IPAM from handing the address to pods, or "
                           "set require_ip_pool=false)".format(", ".join(missing)), about=("floating_ips", missing[0]),
                           pools=matched)
            elif unexported:
                pre.record("ip_pools", REFUSED, "{0} has disableBGPExport: true, so BGP does not advertise the floating "
                           "IP".format(", ".join(unexported)), about=("floating_ips", unexported[0].split()[0]),
                           pools=matched)
            elif handed:
                pre.record("ip_pools", WARNING, "{0} is enabled for automatic assignment, so Calico IPAM may give the same "
                           "address to a pod; a pool with disabled: true (or an IPReservation) avoids it".format(", ".join(handed)),
                           pools=matched)
            else:
                pre.record("ip_pools", OK, "every address is in an IP pool whose BGP export is on", pools=matched)
        if p.get("check_cluster") is not False:
            if vxlan:
                pre.record("encapsulation", REFUSED, "{0} has vxlanMode Always: Calico does not distribute floating-IP routes "
                           "over VXLAN (calico#5190, calico#9176)".format(", ".join(vxlan)))
            elif cross:
                pre.record("encapsulation", WARNING, "{0} has vxlanMode CrossSubnet: the floating IP's route reaches other "
                           "subnets only if BGP carries it there".format(", ".join(cross)))
            else:
                pre.record("encapsulation", OK, "no pool of the floating IPs uses VXLAN")

    def _check_family(self, pods, ips):
        pre = self.preflight
        families = {}
        for pod in pods:
            for address in pod_ips(pod):
                try:
                    families.setdefault(ipaddress.ip_address(address).version, pod["metadata"]["name"])
                except ValueError:
                    continue
        if not families:
            pre.record("ip_family", UNVERIFIED, "no pod of the target has an IP yet, so whether its pods have an address of "
                       "each floating IP's family cannot be verified")
            return
        for ip in ips:
            if ip.version not in families:
                pod = pods[0]["metadata"]["name"]
                pre.record("ip_family", REFUSED, "{0} is IPv{1}, and pod {2} has only {3}: Calico maps a floating IP to "
                           "the pod's address of the same family".format(ip, ip.version, pod, ", ".join(pod_ips(pods[0]))),
                           about=("floating_ips", str(ip)), families=sorted("IPv%d" % v for v in families))
                return
        pre.record("ip_family", OK, "the pods have an address of each floating IP's family",
                   families=sorted("IPv%d" % v for v in families))

    def _check_replicas(self, have):
        pre, target = self.preflight, self.target
        replicas = replicas_of(target, have)
        shared = bool(self.params.get("allow_shared"))
        strategy = ((have.get("spec") or {}).get("strategy") or {}) if target.known and target.kind == "Deployment" else None
        surge = None
        if strategy is not None and (strategy.get("type") or "RollingUpdate") == "RollingUpdate":
            surge = (strategy.get("rollingUpdate") or {}).get("maxSurge", "25%")
        if replicas > 1:
            detail = ("{0} has {1} replicas, and one pod template gives every replica the same floating IP".format(
                target.describe(), replicas))
            pre.record("replicas", WARNING if shared else REFUSED, detail + (" (allow_shared)" if shared else
                       "; use one workload per address, or allow_shared=true"), about=("target.name", target.name),
                       replicas=replicas)
        elif surge not in (None, 0, "0", "0%"):
            pre.record("replicas", WARNING, "Deployment {0} rolls out with maxSurge {1}: during a rollout the old and the new "
                       "pod carry the floating IP at once; strategy Recreate avoids it".format(target.name, surge),
                       replicas=replicas)
        else:
            pre.record("replicas", OK, "{0} replica(s)".format(replicas), replicas=replicas)

    def _check_in_use(self, objects, have, pods, ips):
        pre = self.preflight
        mine = set(ips)
        own = set(pod["metadata"].get("uid") for pod in pods) | set([have["metadata"].get("uid")])
        conflicts = []
        for api_version, plural, kind in (("v1", "pods", "Pod"), ("apps/v1", "deployments", "Deployment"),
                                          ("apps/v1", "statefulsets", "StatefulSet")):
            items, error = _read(objects.list, api_version, plural, None)
            if error:
                pre.record("in_use", UNVERIFIED, "cannot list {0} in all namespaces ({1}), so whether another workload uses "
                           "{2} cannot be verified".format(plural, error, ", ".join(self.floating_ips)))
                return
            for item in items:
                metadata = item.get("metadata") or {}
                if metadata.get("uid") in own:
                    continue
                where = "{0} {1}/{2}".format(kind, metadata.get("namespace"), metadata.get("name"))
                template = item if kind == "Pod" else (item.get("spec") or {}).get("template")
                for address in parse_annotation(_annotation(template).get(ANNOTATION)) or []:
                    if ipaddress.ip_address(address) in mine:
                        conflicts.append(dict(floating_ip=address, used_by=where, how="floating IP"))
                if kind == "Pod" and not metadata.get("deletionTimestamp"):
                    for address in pod_ips(item):
                        try:
                            if ipaddress.ip_address(address) in mine:
                                conflicts.append(dict(floating_ip=str(ipaddress.ip_address(address)), used_by=where, how="pod IP"))
                        except ValueError:
                            continue
        if not conflicts:
            pre.record("in_use", OK, "no other pod or pod template uses the addresses", conflicts=[])
            return
        first = conflicts[0]
        detail = "; ".join("{0} is the {1} of {2}".format(c["floating_ip"], c["how"], c["used_by"]) for c in conflicts)
        if self.params.get("allow_shared") and all(c["how"] == "floating IP" for c in conflicts):
            pre.record("in_use", WARNING, detail + " (allow_shared)", conflicts=conflicts)
        else:
            pre.record("in_use", REFUSED, detail + ("" if first["how"] == "pod IP" else "; Calico does not check this, and "
                       "the address would go to whichever pod Felix picks (allow_shared=true permits it)"),
                       about=("floating_ips", first["floating_ip"]), conflicts=conflicts)

    # -- the result -------------------------------------------------------------------

    def view(self, objects, want, have, after, changes):
        obj = after if after is not None else have
        template = template_of(self.target, obj)
        value = _annotation(template).get(ANNOTATION)
        addresses = []
        for pod in self.pods(objects, obj) if obj is not None else []:
            floating, nats = derived_nat(pod)
            addresses.append(dict(
                pod=pod["metadata"]["name"],
                node=(pod.get("spec") or {}).get("nodeName"),
                phase=(pod.get("status") or {}).get("phase"),
                pod_ips=pod_ips(pod),
                floating_ips=floating,
                ip_nats=nats,
                up_to_date=self.up_to_date(pod),
            ))
        rollout = self.rollout(objects, have, after, changes)
        warnings = list(self.preflight.warnings)
        if rollout["needed"] and rollout["started"] is False:
            warnings.append("rollout: the pods keep their old floating IPs until they are replaced: {0}".format(rollout["reason"]))
        if obj is None:
            warnings.append("target: {0} does not exist; nothing to remove".format(self.target.describe()))
        return dict(
            platform="calico",
            target=self.target.as_dict(),
            floating_ips=parse_annotation(value) or [],
            annotation=value,
            replicas=replicas_of(self.target, obj) if obj is not None else None,
            rollout=rollout,
            preflight=self.preflight.matrix,
            addresses=addresses,
            warnings=warnings,
        )


def run(module):
    """``workload_platforms`` entry of the fip module: converge, and show the warnings."""
    result = run_workload(CalicoFip(module.params), module.params, module.check_mode, module.diff_mode, "fip")
    for warning in result["fip"]["warnings"]:
        module.ansible.warn(warning)
    return result

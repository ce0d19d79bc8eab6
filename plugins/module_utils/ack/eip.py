# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""eip on the ack platform: an EIP for every pod of a workload, on Alibaba Cloud ACK.

On ACK an EIP is no object of its own: ack-extend-network-controller (or, legacy, Terway)
allocates one for each pod whose annotations ask for it, once the pod has its IP, and records it
in a ``PodEIP`` (``alibabacloud.com/v1beta1``) of the pod's name. So the module declares the
annotations on the pod template of an existing workload (``target`` in ``namespace``) - the
address comes with the pods the next rollout makes - and reads the addresses back:

* The annotations, under ONE prefix (``annotation_prefix``; which one wins when both are set is
  not documented, so the same keys under the other prefix, and the compat keys ``eci-with-eip``,
  ``eip-charge-type`` and ``eci-eip-instanceid``, are removed): ``pod-with-eip: "true"``, and
  one key per option that is set, in a canonical string form (``"5"``, tags as JSON with sorted
  keys, protection types sorted and joined with ``,``), so that an unchanged declaration plans
  no patch and starts no rollout. Unset options leave their key absent.
* ``readiness_gate``: the gate ``k8s.aliyun.com/eip`` in ``spec.template.spec.readinessGates``,
  so that a pod is Ready only once its EIP is bound. That list has no patch strategy, so it is
  read, changed and written whole, with the resourceVersion read (a 409 re-reads and plans again),
  keeping the gates of others.
* Refused before anything is written: an instance ID with more than one replica (an EIP binds
  to one pod), a release strategy other than Follow on a kind that is not stateful (the PodEIP is
  keyed by the pod name, which only a StatefulSet - or a kind listed in ``stateful_kinds`` -
  keeps), charge types, ISPs and durations the controller does not know, and an instance ID that
  another workload or pod of the namespace already declares.
* Preflight (read-only): the PodEIP CRD, the controller's Deployment, and Terway's own EIP
  feature (``kube-system/eni-config``): both enabled is refused (the documented double
  allocation); Terway alone is the ``terway-legacy`` backend, where release strategies, the
  readiness gate and the ``network.alibabacloud.com`` prefix do nothing and are refused.
  What cannot be read is a warning, not a failure.
* The addresses: per current pod of the workload, its PodEIP (ready when ``status.eipAddress``
  is set, ``status.status`` is ``InUse`` and ``status.privateIPAddress`` is the pod IP), else
  the pod annotation ``allocated-eipAddress`` under either prefix (legacy Terway's only signal),
  and the pod condition ``k8s.aliyun.com/eip``. With ``wait``, the task waits until every pod of
  the workload carries the declared annotations and has its EIP (and, gated, the condition).
* ``state: absent`` strips the annotations (both prefixes) and the gate, never deletes a PodEIP
  of a pod that exists, and returns the PodEIPs that stay behind by their release strategy
  (``TTL``, ``Never``) in ``retained_podeips``. With ``release_orphans``, the PodEIPs of the
  workload's pods that no longer exist are deleted (releasing Auto EIPs, detaching Static ones).
"""

import json
import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import Conflict, InvalidInput, KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import ApiRefused
from ansible_collections.kubedc.network.plugins.module_utils.kube.resource import KubeChange, _get_path, wait_for
from ansible_collections.kubedc.network.plugins.module_utils.kube.workload import (
    WorkloadResource,
    parse_target,
    refuse_across_platforms,
    pod_ips,
    replicas_of,
    run_workload,
    template_of,
)

PREFIXES = ("k8s.aliyun.com", "network.alibabacloud.com")
DEFAULT_PREFIX = PREFIXES[0]
# The input annotations, by the option that sets them (suffixes under the prefix).
POD_WITH_EIP = "pod-with-eip"
INSTANCE_ID = "pod-eip-instanceid"
RELEASE_STRATEGY = "pod-eip-release-strategy"
OPTION_KEYS = (
    ("eip_instance_id", INSTANCE_ID),
    ("bandwidth", "eip-bandwidth"),
    ("internet_charge_type", "eip-internet-charge-type"),
    ("instance_charge_type", "eip-instance-charge-type"),
    ("bandwidth_package_id", "eip-common-bandwidth-package-id"),
    ("isp", "eip-isp"),
    ("public_ip_address_pool_id", "eip-public-ip-address-pool-id"),
    ("resource_group_id", "eip-resource-group-id"),
    ("eip_name", "eip-name"),
    ("eip_description", "eip-description"),
    ("security_protection_types", "eip-security-protection-types"),
    ("tags", "eip-tags"),
    ("release_strategy", RELEASE_STRATEGY),
)
SUFFIXES = (POD_WITH_EIP,) + tuple(suffix for _option, suffix in OPTION_KEYS)
# Older spellings (ECI's and Terway's) that mean the same; a declaration removes them.
COMPAT_KEYS = ("k8s.aliyun.com/eci-with-eip", "k8s.aliyun.com/eip-charge-type", "k8s.aliyun.com/eci-eip-instanceid")
# Every pod-template annotation the module owns: declared, or removed.
MANAGED_KEYS = tuple(sorted(["{0}/{1}".format(p, s) for p in PREFIXES for s in SUFFIXES] + list(COMPAT_KEYS)))
# Creation parameters: they apply when the controller allocates an EIP, not to an instance ID's.
CREATION_OPTIONS = tuple(option for option, _suffix in OPTION_KEYS if option not in ("eip_instance_id", "release_strategy"))
# Written by the controller (or Terway) on the pod; read, never written.
ALLOCATED_ADDRESS = "allocated-eipAddress"
READINESS_GATE = "k8s.aliyun.com/eip"

PODEIP_API = "alibabacloud.com/v1beta1"
PODEIP_PLURAL = "podeips"
PODEIP_CRD = "podeips.alibabacloud.com"
CONTROLLER = ("kube-system", "ack-extend-network-controller")
ENI_CONFIG = ("kube-system", "eni-config")
BACKEND_CONTROLLER = "ack-extend-network-controller"
BACKEND_TERWAY = "terway-legacy"

INTERNET_CHARGE_TYPES = ("PayByTraffic", "PayByBandwidth")
INSTANCE_CHARGE_TYPES = ("PostPaid",)
ISPS = ("BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile", "ChinaTelecom_L2", "ChinaUnicom_L2",
        "ChinaMobile_L2", "BGP_FinanceCloud")
FOLLOW, NEVER, TTL = "Follow", "Never", "TTL"
# A Go duration as time.ParseDuration reads it, without a sign.
_DURATION = re.compile(u"^([0-9]+(\\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+$")
_DURATION_PART = re.compile(u"([0-9]+(?:\\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)")
_IDS = dict(
    eip_instance_id=("eip-", re.compile(r"^eip-[0-9a-z]+$")),
    bandwidth_package_id=("cbwp-", re.compile(r"^cbwp-[0-9a-z]+$")),
    public_ip_address_pool_id=("pippool-", re.compile(r"^pippool-[0-9a-z]+$")),
    resource_group_id=("rg-", re.compile(r"^rg-[0-9a-z]+$")),
)
STATEFUL_KINDS = ("StatefulSet",)
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")

# The options of this platform, refused by name on ovn and kube_dc, and theirs refused here.
ACK_OPTIONS = ("namespace", "target", "annotation_prefix", "readiness_gate", "stateful_kinds", "release_orphans") + tuple(
    option for option, _suffix in OPTION_KEYS)
OTHER_OPTIONS = ("name", "organization", "project", "external_network_type", "external_network", "address", "ovn_eip",
                 "eips", "projects")
OTHER_FLAGS = ("force", "exclusive")
NOT_ON_ACK = ("applies to platforms ovn and kube_dc only; on ack the EIP belongs to each pod of the target workload "
              "and the controller allocates it")


def refuse_other_platform(params):
    """Refuse, by name, the options of the other platforms on ack and ack's options on them."""
    refuse_across_platforms(params, "ack", ACK_OPTIONS, OTHER_OPTIONS, OTHER_FLAGS, NOT_ON_ACK)


def go_duration_seconds(text):
    """The length of a Go duration (``1h30m``) in seconds."""
    units = {"ns": 1e-9, "us": 1e-6, u"\u00b5s": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * units[unit] for number, unit in _DURATION_PART.findall(text))


def release_strategy(value):
    """The canonical annotation value of ``release_strategy``: Follow, Never or a Go duration."""
    if value in (FOLLOW, NEVER):
        return value
    if not isinstance(value, str) or not _DURATION.match(value):
        raise InvalidInput(
            "release_strategy", value,
            "is not Follow, Never or a Go duration like 10m or 1h30m (digits with a unit ns, us, ms, s, m or h)")
    if go_duration_seconds(value) <= 0:
        raise InvalidInput("release_strategy", value, "is a zero duration; use Follow to release the EIP with its pod")
    return value


def _text(option, value):
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(option, value, "must be a non-empty string; leave the option out instead")
    if value != value.strip():
        raise InvalidInput(option, value, "has leading or trailing blanks")
    return value


def _identifier(option, value):
    prefix, pattern = _IDS[option]
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(option, value, "is not an Alibaba Cloud ID of the form {0}<lower-case letters and digits>".format(prefix))
    return value


def _tags(value):
    if not isinstance(value, dict) or not value:
        raise InvalidInput("tags", value, "must be a non-empty mapping of tag keys to values")
    tags = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput("tags", value, "has an empty tag key")
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise InvalidInput("tags.{0}".format(key), item, "must be a string (a tag value)")
        tags[key] = item if isinstance(item, str) else str(item)
    return json.dumps(tags, sort_keys=True, separators=(",", ":"))


def _protection_types(value):
    if not isinstance(value, list) or not value:
        raise InvalidInput("security_protection_types", value, "must be a non-empty list")
    found = set()
    for item in value:
        if not isinstance(item, str) or not item.strip() or "," in item or item != item.strip():
            raise InvalidInput("security_protection_types", item, "is not a protection type (a word without ',' or blanks)")
        found.add(item)
    return ",".join(sorted(found))


def declared_values(params):
    """Suffix -> canonical annotation value of every key the task declares (state present)."""
    values = {POD_WITH_EIP: "true"}
    for option, suffix in OPTION_KEYS:
        value = params.get(option)
        if value is None:
            continue
        if option in _IDS:
            value = _identifier(option, value)
        elif option == "bandwidth":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(option, value, "must be a whole number of Mbit/s, 1 or more")
            value = str(value)
        elif option == "internet_charge_type":
            if value not in INTERNET_CHARGE_TYPES:
                raise InvalidInput(option, value, "is not a charge type the controller knows: {0}".format(", ".join(INTERNET_CHARGE_TYPES)))
        elif option == "instance_charge_type":
            if value not in INSTANCE_CHARGE_TYPES:
                raise InvalidInput(option, value, "is not supported: pod EIPs are PostPaid (pay-as-you-go) only")
        elif option == "isp":
            if value not in ISPS:
                raise InvalidInput(option, value, "is not a line type the controller knows: {0}".format(", ".join(ISPS)))
        elif option == "tags":
            value = _tags(value)
        elif option == "security_protection_types":
            value = _protection_types(value)
        elif option == "release_strategy":
            value = release_strategy(value)
        else:
            value = _text(option, value)
        values[suffix] = value
    return values


def wanted_annotations(values, prefix):
    """Key -> value (None: removed) of every managed annotation, for the declared ``values``."""
    wanted = dict((key, None) for key in MANAGED_KEYS)
    for suffix, value in values.items():
        wanted["{0}/{1}".format(prefix, suffix)] = value
    return wanted


def wanted_gates(current, gated):
    """The readinessGates list with the EIP gate added or removed, keeping the others in order."""
    others = [gate for gate in current or [] if (gate or {}).get("conditionType") != READINESS_GATE]
    return others + [{"conditionType": READINESS_GATE}] if gated else others


def instance_ids(annotations):
    """The EIP instance IDs annotations name (any prefix, compat key)."""
    annotations = annotations or {}
    keys = ["{0}/{1}".format(p, INSTANCE_ID) for p in PREFIXES] + ["k8s.aliyun.com/eci-eip-instanceid"]
    return set(annotations[key] for key in keys if annotations.get(key))


# -- the target workload ------------------------------------------------------------------------------


def stateful_pod_name(workload, name):
    """Whether ``name`` is the name a stateful kind gives its pods: ``<workload>-<ordinal>``."""
    return re.match(r"^{0}-(0|[1-9][0-9]*)$".format(re.escape(workload)), name) is not None


# -- PodEIPs and addresses ----------------------------------------------------------------------------


def _annotations(obj):
    return ((obj or {}).get("metadata") or {}).get("annotations") or {}


def podeip_ready(podeip, pod):
    """(ready, why not) of a PodEIP for its pod: an address, InUse, bound to the pod's IP."""
    status = (podeip or {}).get("status") or {}
    pod_ip = ((pod or {}).get("status") or {}).get("podIP")
    if podeip is None:
        return False, "has no PodEIP yet"
    if not status.get("eipAddress"):
        return False, "its PodEIP has no address yet (status.eipAddress is empty)"
    if status.get("status") != "InUse":
        return False, "its PodEIP {0} is {1}, not InUse".format(status["eipAddress"], status.get("status") or "without a status")
    if pod_ip and status.get("privateIPAddress") != pod_ip:
        return False, "its PodEIP {0} is bound to {1}, not to the pod IP {2}".format(
            status["eipAddress"], status.get("privateIPAddress") or "nothing", pod_ip)
    return True, None


def allocated_address(pod):
    """The address the pod annotation ``allocated-eipAddress`` names, under either prefix."""
    annotations = _annotations(pod)
    for prefix in PREFIXES:
        value = annotations.get("{0}/{1}".format(prefix, ALLOCATED_ADDRESS))
        if value:
            return value
    return None


def gate_condition(pod):
    """The pod's condition k8s.aliyun.com/eip: True, False, or None when it has none."""
    for condition in ((pod or {}).get("status") or {}).get("conditions") or []:
        if condition.get("type") == READINESS_GATE:
            return condition.get("status") == "True"
    return None


def podeip_view(podeip):
    """What a PodEIP says, as the module returns it."""
    spec, status = podeip.get("spec") or {}, podeip.get("status") or {}
    kind = spec.get("allocationType") or {}
    return dict(
        name=podeip["metadata"]["name"],
        eip_address=status.get("eipAddress") or None,
        allocation_id=spec.get("allocationID"),
        allocation_type=kind.get("type"),
        release_strategy=kind.get("releaseStrategy"),
        release_after=kind.get("releaseAfter"),
        status=status.get("status") or None,
        pod_last_seen=status.get("podLastSeen"),
    )


def address_view(pod, podeip):
    """One pod's EIP: from its PodEIP, else from the pod annotation (legacy Terway)."""
    meta = pod["metadata"]
    view = dict(pod=meta["name"], pod_ip=(pod.get("status") or {}).get("podIP"), eip_address=None, allocation_id=None,
                allocation_type=None, release_strategy=None, release_after=None, status=None, source=None,
                ready_condition=gate_condition(pod))
    if podeip is not None:
        found = podeip_view(podeip)
        found.pop("name")
        found.pop("pod_last_seen")
        view.update(found)
        view["source"] = "podeip"
        view["ready"] = podeip_ready(podeip, pod)[0]
        return view
    address = allocated_address(pod)
    if address:
        view.update(eip_address=address, source="annotation", ready=True)
    else:
        view["ready"] = False
    return view


def fate(podeip, pod_exists):
    """What happens to a PodEIP's EIP once its pod is gone, by its release strategy."""
    view = podeip_view(podeip)
    static = view["allocation_type"] == "Static"
    strategy = view["release_strategy"] or FOLLOW
    if strategy == FOLLOW:
        what = "detached (the instance is kept)" if static else "released"
        return "{0} with the pod".format(what) if pod_exists else "{0} as its pod is gone".format(what)
    if strategy == TTL:
        what = "detached" if static else "released"
        return "{0} {1} after the pod is gone; a pod of the same name takes it back until then".format(
            what, view["release_after"] or "(no releaseAfter)")
    return "kept{0} until the PodEIP is deleted".format(" (and billed)" if not static else "")


# -- preflight ----------------------------------------------------------------------------------------


def _probe(objects, api_version, plural, namespace, name):
    """("present", obj), ("missing", None), or ("unknown", None) when the task may not read it."""
    try:
        found = objects.get(api_version, plural, namespace, name)
    except ApiRefused as exc:
        if exc.details.get("status") == 403:
            return "unknown", None
        raise
    return ("present", found) if found is not None else ("missing", None)


def terway_eip(config_map):
    """Whether Terway's own EIP feature is on in its eni-config ("enabled"/"disabled"/"unknown")."""
    text = ((config_map or {}).get("data") or {}).get("eni_conf")
    if not text:
        return "disabled"
    try:
        conf = json.loads(text)
    except ValueError:
        return "unknown"
    if not isinstance(conf, dict):
        return "unknown"
    return "enabled" if str(conf.get("enable_eip_pool")).lower() == "true" else "disabled"


def preflight(objects):
    """What the cluster has for pod EIPs; read only. (matrix, warnings, refusal: an error to raise or None)"""
    crd = _probe(objects, "apiextensions.k8s.io/v1", "customresourcedefinitions", None, PODEIP_CRD)[0]
    controller = _probe(objects, "apps/v1", "deployments", CONTROLLER[0], CONTROLLER[1])[0]
    state, config_map = _probe(objects, "v1", "configmaps", ENI_CONFIG[0], ENI_CONFIG[1])
    terway = terway_eip(config_map) if state == "present" else ("disabled" if state == "missing" else "unknown")
    matrix = dict(podeip_crd=crd, controller=controller, terway_eip=terway)
    warnings = []
    where = "{0}/{1}".format(*CONTROLLER)
    if terway == "enabled":
        if controller == "present":
            return matrix, warnings, Conflict(
                "Terway's own EIP feature is enabled (enable_eip_pool in ConfigMap {0}/{1}) and "
                "ack-extend-network-controller runs (Deployment {2}): with both, EIPs are allocated twice and fail to "
                "bind. Turn one off first (Alibaba's migration: Terway enable_eip_migrate, then the controller).".format(
                    ENI_CONFIG[0], ENI_CONFIG[1], where),
                field="platform", preflight=matrix)
        matrix["backend"] = BACKEND_TERWAY
        warnings.append("pod EIPs come from Terway's own EIP feature (enable_eip_pool), which Terway removed in v1.7.0; "
                        "migrate to ack-extend-network-controller")
        if controller == "unknown":
            warnings.append("cannot tell whether ack-extend-network-controller runs (Deployment {0} is not readable); "
                            "with Terway's EIP feature also on, they would conflict".format(where))
        return matrix, warnings, None
    matrix["backend"] = BACKEND_CONTROLLER
    if crd == "missing":
        return matrix, warnings, KubedcError(
            "no pod EIP controller on this cluster: the CRD {0} is not installed and Terway's EIP feature is off. Install "
            "ack-extend-network-controller with enableControllers [eip] first.".format(PODEIP_CRD),
            field="platform", preflight=matrix)
    if crd == "unknown":
        warnings.append("cannot verify that the CRD {0} is installed (not readable with these credentials)".format(PODEIP_CRD))
    if controller == "missing":
        warnings.append("Deployment {0} (ack-extend-network-controller) was not found; unless the controller runs "
                        "under another name, no EIP will be attached".format(where))
    elif controller == "unknown":
        warnings.append("cannot verify that ack-extend-network-controller runs (Deployment {0} is not readable)".format(where))
    if terway == "unknown":
        warnings.append("cannot tell whether Terway's EIP feature is on (ConfigMap {0}/{1} is not readable or not "
                        "JSON); it must be off while the controller allocates EIPs".format(*ENI_CONFIG))
    return matrix, warnings, None


# -- the resource -------------------------------------------------------------------------------------

ANNOTATIONS = ("metadata", "annotations")
GATES = ("spec", "readinessGates")


class PodEipKind(object):
    """What names a PodEIP in a KubeChange (the deletions of release_orphans)."""

    api_version = PODEIP_API
    kind = "PodEIP"
    plural = PODEIP_PLURAL


class AckEip(WorkloadResource):
    """The EIP annotations (and readiness gate) on the pod template of a workload (kube/workload.py)."""

    creation_time = "a pod's EIP annotations are read when it is created, and its readiness gates cannot change"

    def __init__(self, params):
        super(AckEip, self).__init__(params)
        self.objects = None
        self.want = None
        self.orphans = []
        self.matrix = {}
        self.warnings = []

    # -- want ----------------------------------------------------------------

    def validate(self):
        p = self.params
        refuse_other_platform(p)
        target = parse_target(p)
        prefix = p.get("annotation_prefix") or DEFAULT_PREFIX
        if prefix not in PREFIXES:
            raise InvalidInput("annotation_prefix", prefix, "is not one of {0}".format(", ".join(PREFIXES)))
        stateful = list(STATEFUL_KINDS)
        for index, kind in enumerate(p.get("stateful_kinds") or []):
            if not isinstance(kind, str) or not _KIND.match(kind):
                raise InvalidInput("stateful_kinds[{0}]".format(index), kind, "is not a kind name like StatefulSet")
            stateful.append(kind)
        values, gated = {}, False
        if not self.removing:
            if p.get("release_orphans"):
                raise InvalidInput("release_orphans", p["release_orphans"], "applies to state=absent only: it deletes "
                                   "the PodEIPs of the workload's pods that are gone")
            values = declared_values(p)
            gated = bool(p.get("readiness_gate"))
        stateful = target.kind in stateful and not target.is_pod
        strategy = values.get(RELEASE_STRATEGY)
        if strategy not in (None, FOLLOW) and not stateful:
            raise InvalidInput(
                "release_strategy", strategy,
                "keeps a pod's EIP for the next pod of the same name, and a {0} does not keep its pods' names: only a "
                "StatefulSet, or a kind listed in stateful_kinds (the controller's customStatefulWorkloadKinds), can "
                "use a release strategy other than Follow".format(target.kind))
        fields = dict((ANNOTATIONS + (key,), value) for key, value in wanted_annotations(values, prefix).items())
        want = self.declare(target, fields)
        want.update(prefix=prefix, values=values, gated=gated, stateful=stateful,
                    release_orphans=bool(p.get("release_orphans")))
        self.want = want
        return want

    # -- have and plan ---------------------------------------------------------------

    def read(self, objects, want):
        self.objects = objects
        return super(AckEip, self).read(objects, want)

    def plan(self, want, have):
        # The gate list is read, changed and written whole (WorkloadResource guards it with the
        # resourceVersion read), so its wanted value is known only now; a 409 plans again.
        want["fields"].pop(GATES, None)
        self.fields.pop(GATES, None)
        if have is not None:
            gates = _get_path(template_of(self.target, have), GATES)
            wanted = wanted_gates(gates, want["gated"]) or None
            if wanted != gates and not (wanted is None and gates == []):
                want["fields"][GATES] = self.fields[GATES] = wanted
            elif gates:
                want["fields"][GATES] = self.fields[GATES] = gates
        return super(AckEip, self).plan(want, have)

    # -- checks (before anything is written; in check mode too) -------------------------

    def check(self, objects, want, have):
        self.objects = objects
        self.warnings = []
        self.matrix, warnings, refusal = preflight(objects)
        self.warnings.extend(warnings)
        if self.removing:
            if refusal is not None:
                self.warnings.append(refusal.msg)
            self.orphans = self._orphans(objects, want) if want["release_orphans"] else []
            return
        if refusal is not None:
            raise refusal
        target, values = self.target, want["values"]
        if self.matrix.get("backend") == BACKEND_TERWAY:
            for option, value, what in (
                    ("release_strategy", self.params.get("release_strategy"), "release strategies"),
                    ("readiness_gate", True if want["gated"] else None, "the k8s.aliyun.com/eip readiness gate"),
                    ("annotation_prefix", None if want["prefix"] == DEFAULT_PREFIX else want["prefix"], "this prefix")):
                if value is not None:
                    raise InvalidInput(option, value, "is not supported by Terway's own EIP feature, the backend of this "
                                       "cluster: only ack-extend-network-controller knows {0}".format(what))
        instance = values.get(INSTANCE_ID)
        replicas = replicas_of(target, have)
        if instance is not None and replicas != 1:
            raise InvalidInput(
                "eip_instance_id", instance,
                "is one EIP, which binds to one pod, and {0} {1} has {2} replicas: use one replica (a StatefulSet), or "
                "leave eip_instance_id out to give every pod an EIP of its own".format(target.kind, target.name, replicas))
        if instance is not None:
            self._refuse_shared_instance(objects, want, have, instance)
            ignored = [option for option in CREATION_OPTIONS if self.params.get(option) is not None]
            if ignored:
                self.warnings.append("{0}: these apply only when the controller allocates an EIP; with eip_instance_id the "
                                     "existing EIP {1} is attached as it is".format(", ".join(ignored), instance))
            strategy_type = ((have.get("spec") or {}).get("strategy") or {}).get("type") or "RollingUpdate"
            if target.known and target.kind == "Deployment" and strategy_type == "RollingUpdate":
                self.warnings.append("eip_instance_id: Deployment {0} updates by RollingUpdate, and its new pod cannot bind "
                                     "EIP {1} until the old pod has let it go; use strategy Recreate, or a "
                                     "StatefulSet".format(target.name, instance))
        if want["prefix"] != DEFAULT_PREFIX:
            self.warnings.append("annotation_prefix: {0} needs ack-extend-network-controller v0.9.2 or later (v0.10.1 for "
                                 "eip-internet-charge-type)".format(want["prefix"]))

    def _refuse_shared_instance(self, objects, want, have, instance):
        """An EIP instance binds to one pod: refuse one that another workload or pod of the namespace declares."""
        target = self.target
        own = set(pod["metadata"].get("uid") for pod in self.pods(objects, have)) | set([have["metadata"].get("uid")])
        users = []
        for api_version, plural, kind in (("apps/v1", "deployments", "Deployment"), ("apps/v1", "statefulsets", "StatefulSet"),
                                          ("v1", "pods", "Pod")):
            try:
                found = objects.list(api_version, plural, target.namespace)
            except ApiRefused as exc:
                if exc.details.get("status") != 403:
                    raise
                self.warnings.append("eip_instance_id: cannot verify that no other {0} of namespace {1} declares EIP {2} "
                                     "({3} are not readable with these credentials)".format(kind, target.namespace, instance, plural))
                continue
            for obj in found:
                metadata = obj.get("metadata") or {}
                if metadata.get("uid") in own or metadata.get("deletionTimestamp"):
                    continue
                template = obj if kind == "Pod" else _get_path(obj, ("spec", "template"))
                if instance in instance_ids(_annotations(template)):
                    users.append("{0} {1}".format(kind, metadata.get("name")))
        if users:
            raise Conflict(
                "eip_instance_id: EIP {0} is already declared by {1} in namespace {2}, and an EIP binds to one pod".format(
                    instance, ", ".join(users), target.namespace),
                field="eip_instance_id", value=instance)
        mine = set(pod["metadata"]["name"] for pod in self.pods(objects, have))
        for podeip in objects.list(PODEIP_API, PODEIP_PLURAL, target.namespace):
            name = podeip["metadata"]["name"]
            if (podeip.get("spec") or {}).get("allocationID") != instance or name in mine:
                continue
            if not (want["stateful"] and stateful_pod_name(target.name, name)):
                self.warnings.append("eip_instance_id: PodEIP {0} still holds EIP {1}; a new pod binds it only once that "
                                     "PodEIP lets it go".format(name, instance))

    def _orphans(self, objects, want):
        """The PodEIPs of the workload's pods that no longer exist, by the pod name: those of a stateful kind
        (``<name>-<ordinal>``) or of the Pod itself; a Deployment's pods have names no PodEIP can be told by."""
        target, found = self.target, []
        for podeip in objects.list(PODEIP_API, PODEIP_PLURAL, target.namespace):
            name = podeip["metadata"]["name"]
            if podeip["metadata"].get("deletionTimestamp"):
                continue
            if not (name == target.name if target.is_pod else want["stateful"] and stateful_pod_name(target.name, name)):
                continue
            if objects.get("v1", "pods", target.namespace, name) is None:
                found.append(name)
        return sorted(found)

    # -- waiting and the result --------------------------------------------------------

    def pod_done(self, pod):
        """A pod of the declared template is done once its EIP is bound (and, gated, its condition True)."""
        if self.removing:
            return super(AckEip, self).pod_done(pod)
        name = pod["metadata"]["name"]
        podeip = self.objects.get(PODEIP_API, PODEIP_PLURAL, self.target.namespace, name)
        view = address_view(pod, podeip)
        if not view["ready"]:
            if not pod_ips(pod):
                return False, "has no IP yet"
            if podeip is None:
                return False, "has no PodEIP yet (nor the pod annotation {0})".format(ALLOCATED_ADDRESS)
            return False, podeip_ready(podeip, pod)[1]
        if self.want["gated"] and view["ready_condition"] is not True:
            return False, "has its EIP {0} but not the condition {1}=True yet".format(view["eip_address"], READINESS_GATE)
        return True, None

    def view(self, objects, want, have, after, changes):
        obj = after if after is not None else have
        target = self.target
        template = template_of(target, obj)
        current = _annotations(template)
        pods = self.pods(objects, obj) if obj is not None else []
        podeips = dict((o["metadata"]["name"], o) for o in objects.list(PODEIP_API, PODEIP_PLURAL, target.namespace))
        addresses = []
        for pod in pods:
            entry = address_view(pod, podeips.get(pod["metadata"]["name"]))
            entry["up_to_date"] = self.up_to_date(pod)
            addresses.append(entry)
        rollout = self.rollout(objects, have, after, changes)
        warnings = list(self.warnings)
        if rollout["needed"] and rollout["started"] is False:
            warnings.append("rollout: the pods get the declared EIP annotations only once they are replaced: {0}".format(
                rollout["reason"]))
        if changes and want["values"] and not want["stateful"] and INSTANCE_ID not in want["values"] and not target.is_pod:
            warnings.append("rollout: {0} {1} replaces its pods, and every new pod gets a new EIP address".format(
                target.kind, target.name))
        if obj is None:
            warnings.append("target: {0} does not exist; nothing to remove".format(target.describe()))
        view = dict(
            platform="ack",
            target=target.as_dict(),
            backend=self.matrix.get("backend"),
            preflight=dict((k, v) for k, v in self.matrix.items() if k != "backend"),
            annotation_prefix=want["prefix"],
            annotations=dict((key, current[key]) for key in MANAGED_KEYS if key in current),
            readiness_gates=[(g or {}).get("conditionType") for g in _get_path(template, GATES) or []],
            replicas=replicas_of(target, obj) if obj is not None else None,
            rollout=rollout,
            addresses=addresses,
            warnings=warnings,
        )
        if self.removing:
            names = set(pod["metadata"]["name"] for pod in pods)
            retained = []
            for name, podeip in sorted(podeips.items()):
                if name in self.orphans or not (name in names or self._named_like_mine(want, name)):
                    continue
                found = podeip_view(podeip)
                if found["release_strategy"] in (TTL, NEVER):
                    found.update(pod_exists=name in names, fate=fate(podeip, name in names))
                    retained.append(found)
            view.update(retained_podeips=retained, released_podeips=list(self.orphans))
            if retained:
                warnings.append("retained_podeips: {0} PodEIP(s) stay by their release strategy - {1}".format(
                    len(retained), "; ".join("{0} ({1})".format(r["name"], r["fate"]) for r in retained)))
        return view

    def _named_like_mine(self, want, name):
        target = self.target
        return name == target.name if target.is_pod else bool(want["stateful"] and stateful_pod_name(target.name, name))


def run(module):
    """``workload_platforms`` entry of the eip module: converge the template, release orphans, warn."""
    params = module.params
    resource = AckEip(params)
    result = run_workload(resource, params, module.check_mode, module.diff_mode, "eip")
    if resource.orphans:
        objects, namespace = resource.objects, resource.target.namespace
        for name in resource.orphans:
            change = KubeChange("delete", PodEipKind, namespace, name)
            change.apply(objects, module.check_mode)
            result["commands"].append(change.describe())
        result["changed"] = True
        if not module.check_mode and params.get("wait", True):
            def pending():
                left = [n for n in resource.orphans if objects.get(PODEIP_API, PODEIP_PLURAL, namespace, n) is not None]
                return "still there: {0}".format(", ".join(left)) if left else None

            wait_for(params, pending, "the released PodEIPs to be deleted")
    for warning in result["eip"]["warnings"]:
        module.ansible.warn(warning)
    return result

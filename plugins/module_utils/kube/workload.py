# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""A workload's pod template as the object a module converges (platforms calico and ack).

On Calico and on ACK the address of a pod is not an object of its own: it is a
property of the pod, declared in the pod template of the workload that makes it
(annotations, and on ACK a readiness gate). A module of those platforms
therefore changes an EXISTING workload - never creates or deletes one - and the
effect comes with the pods the workload's controller creates next (a rollout).
This file is what both platforms share.

The target
    ``parse_target(params)`` reads the options ``namespace`` and ``target``
    (``{kind, name, api_version}``, see ``TARGET_OPTIONS``) into a ``Target``.
    Deployment, StatefulSet (``apps/v1``) and Pod (``v1``) are known; any other
    kind needs ``api_version`` and is found by discovery when read (a custom
    workload with ``spec.replicas``, ``spec.selector`` and ``spec.template``, as
    ``apps/v1`` has them, like an OpenKruise Advanced StatefulSet).

Reading a workload (``obj`` is the object as the server has it)
    ``template_of(target, obj)``  its pod template: ``spec.template``; for a Pod,
                                  the Pod itself (its metadata and spec)
    ``replicas_of(target, obj)``  ``spec.replicas`` (1 when unset); a Pod is 1
    ``label_selector(obj)``       ``spec.selector`` as a label selector string
    ``current_pods(objects, target, obj, include_terminating=False)``
                                  its live pods: those of its selector that it (for a
                                  Deployment, one of its ReplicaSets) controls or
                                  nobody does, not finished (nor terminating, unless
                                  asked); sorted by name
    ``rollout_blocker(target, obj)``
                                  why a template change does not replace the pods by
                                  itself (paused, OnDelete, a partition, a bare Pod),
                                  or None; ``UNKNOWN_ROLLOUT`` for a custom kind
    ``pod_ips(pod)``              a pod's addresses (``status.podIPs``, else ``podIP``)

Converging it
    ``WorkloadResource`` is a ``KubeResource`` (kube/resource.py) whose
    ``want["fields"]`` maps paths RELATIVE TO THE POD TEMPLATE to values:
    ``("metadata", "annotations", key): "value"`` (None removes the key),
    ``("spec", "readinessGates"): [...]`` (a whole list: read, modify and write it;
    None removes it). Its plan is one merge patch of the fields that differ; when a
    changed value is a list (a read-modify-write), the patch carries the
    ``resourceVersion`` it was computed on, so that a concurrent writer makes it a
    409, which re-reads and plans again. ``equivalent(path, current, wanted)`` says
    when a differently written value means the same (a JSON list in another order).
    A bare Pod is refused any change (``creation_time``): what these fields declare
    is read when the pod is created; a Pod that already matches is converged. A
    workload that does not exist is refused with ``state=present`` and left alone
    with ``state=absent``.

    Subclasses implement ``validate()`` (return ``self.declare(target, fields)``),
    ``check()`` (preflight: raise before anything is written; it runs in check
    mode too) and ``view()``; they may override ``pod_done(pod)`` (when a pod of
    the rollout counts as done; default: it has an IP) and ``creation_time``.

    ``run_workload(resource, params, check_mode, diff_mode, result_key)`` runs it
    the way ``run_kube`` runs a kube_dc resource - check mode as a server-side
    dry run, a 409 re-read and re-plan, ``commands``, a diff of the managed
    template fields - and then, with ``wait`` and a rollout that the controller
    carries out by itself, waits until every pod of the workload carries the
    declared fields and is done (``rollout_pending``). ``state=absent`` is a patch
    that removes the fields (the engine sees ``present``: ``resource.removing``
    says which), so ``view()`` is called with the workload after the task in
    both states. ``rollout(...)`` gives the result's ``rollout`` entry.
"""

import json
import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import KubeObjects, describe_ref
from ansible_collections.kubedc.network.plugins.module_utils.kube.resource import (
    KubeChange,
    KubeResource,
    KubeStep,
    _get_path,
    _set_path,
    refuse_options,
    wait_for,
)

TARGET_OPTIONS = dict(
    kind=dict(type="str", required=True),
    name=dict(type="str", required=True),
    api_version=dict(type="str"),
)
# The options of a workload platform's target, for a module's argument spec.
TARGET_ARGUMENT_SPEC = dict(
    namespace=dict(type="str"),
    target=dict(type="dict", options=TARGET_OPTIONS),
)
# kind -> (api_version, plural) of the workloads known without discovery.
KNOWN_KINDS = {
    "Deployment": ("apps/v1", "deployments"),
    "StatefulSet": ("apps/v1", "statefulsets"),
    "Pod": ("v1", "pods"),
}
TEMPLATE = ("spec", "template")
# rollout_blocker's answer for a custom kind, whose controller's rules are not known here.
UNKNOWN_ROLLOUT = "unknown"

_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?v[0-9]+((alpha|beta)[0-9]+)?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class Target(object):
    """The workload a task changes: ``namespace``, ``kind``, ``name``, ``api_version``;
    ``plural`` is known for the known kinds and found by ``resolve()`` for the others."""

    def __init__(self, namespace, kind, name, api_version):
        self.namespace = namespace
        self.kind = kind
        self.name = name
        self.api_version = api_version
        known = KNOWN_KINDS.get(kind)
        self.plural = known[1] if known and known[0] == api_version else None
        self.known = self.plural is not None

    @property
    def is_pod(self):
        return self.known and self.kind == "Pod"

    def describe(self):
        """``apps/v1 Deployment shop/web``, as plans and errors name objects."""
        return describe_ref(self.api_version, self.kind, self.namespace, self.name)

    def as_dict(self):
        return dict(kind=self.kind, name=self.name, api_version=self.api_version, namespace=self.namespace)

    def resolve(self, objects):
        """Find the plural of a custom kind in the API server's discovery; refuse a kind it does not serve."""
        if self.plural is not None:
            return self.plural
        found = objects.request("GET", "/apis/" + self.api_version, allow_404=True)
        for resource in (found or {}).get("resources") or []:
            if resource.get("kind") == self.kind and "/" not in resource.get("name", ""):
                if not resource.get("namespaced", True):
                    raise InvalidInput("target.kind", self.kind, "is cluster-scoped in {0}; a workload lives in a namespace".format(
                        self.api_version))
                self.plural = resource["name"]
                return self.plural
        raise InvalidInput("target.kind", self.kind, "is not a kind the API server serves in {0} (target.api_version)".format(
            self.api_version))


def parse_target(params):
    """The ``Target`` of a task's ``namespace`` and ``target`` options; bad input names its field."""
    namespace = params.get("namespace")
    if namespace is None:
        raise InvalidInput("namespace", None, "is required: the namespace of the target workload")
    validation.dns_label("namespace", namespace)
    target = params.get("target")
    if not target:
        raise InvalidInput("target", target, "is required: the workload whose pod template to change ({kind, name})")
    kind, name, api_version = target.get("kind"), target.get("name"), target.get("api_version")
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise InvalidInput("target.kind", kind, "is not a kind: {0}, or a custom workload kind with target.api_version".format(
            ", ".join(sorted(KNOWN_KINDS))))
    if api_version is None:
        if kind not in KNOWN_KINDS:
            raise InvalidInput("target.kind", kind, "needs target.api_version: only {0} are known without it".format(
                ", ".join(sorted(KNOWN_KINDS))))
        api_version = KNOWN_KINDS[kind][0]
    elif not isinstance(api_version, str) or not _API_VERSION.match(api_version):
        raise InvalidInput("target.api_version", api_version, "is not an API version like apps/v1")
    elif kind == "Pod" and api_version != "v1":
        raise InvalidInput("target.api_version", api_version, "is not the API version of a Pod (v1)")
    if not isinstance(name, str) or len(name) > 253 or not _SUBDOMAIN.match(name):
        raise InvalidInput("target.name", name, "is not a valid object name: lower-case letters, digits, '-' and '.', "
                           "starting and ending with a letter or digit, at most 253 characters")
    return Target(namespace, kind, name, api_version)


# -- reading a workload -----------------------------------------------------------------


def template_of(target, obj):
    """The pod template of a workload; a Pod is its own template (its metadata and spec)."""
    if obj is None:
        return {}
    if target.is_pod:
        return obj
    return _get_path(obj, TEMPLATE) or {}


def template_path(target, path):
    """The path in the workload object of a path relative to the pod template."""
    return tuple(path) if target.is_pod else TEMPLATE + tuple(path)


def replicas_of(target, obj):
    """How many pods the workload wants: ``spec.replicas`` (1 when unset, as apps/v1 defaults it); a Pod is 1."""
    if target.is_pod:
        return 1
    replicas = ((obj or {}).get("spec") or {}).get("replicas")
    return 1 if replicas is None else replicas


def label_selector(obj):
    """The workload's ``spec.selector`` as a label selector string; None if it has none."""
    selector = ((obj or {}).get("spec") or {}).get("selector")
    if not isinstance(selector, dict):
        return None
    parts = ["{0}={1}".format(key, value) for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator == "In":
            parts.append("{0} in ({1})".format(key, ",".join(values)))
        elif operator == "NotIn":
            parts.append("{0} notin ({1})".format(key, ",".join(values)))
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append("!" + key)
    return ",".join(parts) or None


def _controller(obj):
    for ref in ((obj or {}).get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def _live(pod, include_terminating=False):
    metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
    if metadata.get("deletionTimestamp") and not include_terminating:
        return False
    return status.get("phase") not in ("Succeeded", "Failed")


def current_pods(objects, target, obj, include_terminating=False):
    """The workload's live pods, by name: those of its selector that it controls (for a Deployment,
    through one of its ReplicaSets) or that no controller holds yet (its controller adopts them);
    finished pods are left out, and pods being deleted unless ``include_terminating``. A Pod is its own."""
    if obj is None:
        return []
    if target.is_pod:
        return [obj] if _live(obj, include_terminating) else []
    selector = label_selector(obj)
    if selector is None:
        return []
    owners = set([obj["metadata"].get("uid")])
    if target.known and target.kind == "Deployment":
        for replica_set in objects.list("apps/v1", "replicasets", target.namespace, selector):
            controller = _controller(replica_set)
            if controller and controller.get("uid") == obj["metadata"].get("uid"):
                owners.add(replica_set["metadata"].get("uid"))
    pods = []
    for pod in objects.list("v1", "pods", target.namespace, selector):
        controller = _controller(pod)
        if controller is not None and controller.get("uid") not in owners:
            continue
        if _live(pod, include_terminating):
            pods.append(pod)
    return sorted(pods, key=lambda pod: pod["metadata"]["name"])


def pod_ips(pod):
    """A pod's addresses: ``status.podIPs``, else ``status.podIP``."""
    status = (pod or {}).get("status") or {}
    found = [entry.get("ip") for entry in status.get("podIPs") or [] if entry.get("ip")]
    if not found and status.get("podIP"):
        found = [status["podIP"]]
    return found


def rollout_blocker(target, obj):
    """Why changing the workload's pod template does not replace its pods by itself, or None."""
    if target.is_pod:
        return "a Pod is not rolled out: what its template declares is read when the Pod is created"
    if not target.known:
        return UNKNOWN_ROLLOUT
    spec = (obj or {}).get("spec") or {}
    if target.kind == "Deployment":
        if spec.get("paused"):
            return "Deployment {0} is paused (spec.paused): its pods are replaced once it is resumed".format(target.name)
        return None
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        return ("StatefulSet {0} has updateStrategy OnDelete: each pod gets the new template only when it is "
                "deleted".format(target.name))
    partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
    if partition:
        return ("StatefulSet {0} has a rolling update partition of {1}: only pods with an ordinal of {1} or more are "
                "replaced".format(target.name, partition))
    return None


# -- converging the pod template ---------------------------------------------------------


def _field_name(path):
    """``spec.template.metadata.annotations[cni.projectcalico.org/floatingIPs]``: a key has dots of its own."""
    if len(path) >= 3 and tuple(path[-3:-1]) in (("metadata", "annotations"), ("metadata", "labels")):
        return "{0}[{1}]".format(".".join(path[:-1]), path[-1])
    return ".".join(path)


def _shown(value):
    """A value in a command line: a string as it is, anything else (a list written whole) as compact JSON."""
    if value is None:
        return "(removed)"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


class WorkloadResource(KubeResource):
    """The pod template of one existing workload; see the module docstring."""

    # What the fields of this resource are, for the refusal of a change to a bare Pod.
    creation_time = "what these fields declare is read when a pod is created"

    def __init__(self, params):
        super(WorkloadResource, self).__init__(params)
        # The engine only ever patches: absent is a patch that removes the fields.
        self.removing = self.state == "absent"
        self.state = "present"
        self.target = None
        self.fields = {}
        self._pods = {}

    def declare(self, target, fields):
        """The *want* validate() returns: the target (whose kind this resource takes) and ``fields``,
        template-relative paths -> values (None removes)."""
        self.target = target
        self.api_version, self.kind, self.plural = target.api_version, target.kind, target.plural
        self.fields = dict(fields)
        return dict(target=target, namespace=target.namespace, name=target.name, fields=dict(fields))

    # -- hooks -------------------------------------------------------------------

    def equivalent(self, path, current, wanted):
        """True when ``current`` means what ``wanted`` declares though written otherwise."""
        return False

    def pod_done(self, pod):
        """(done?, why not) for a pod that carries the declared fields; by default, it has an IP."""
        if pod_ips(pod):
            return True, None
        return False, "has no IP yet (phase {0})".format((pod.get("status") or {}).get("phase") or "unknown")

    # -- engine --------------------------------------------------------------------

    def read(self, objects, want):
        self.plural = self.target.resolve(objects)
        return objects.get(self.api_version, self.plural, want["namespace"], want["name"])

    def plan(self, want, have):
        target = self.target
        fields = want["fields"]
        if have is None:
            if self.removing:
                return []
            raise InvalidInput("target.name", target.name, "is not a {0} in namespace {1}: {2}".format(
                target.kind, target.namespace, self._create_it(fields)))
        template = template_of(target, have)
        patch, changed, lists = {}, [], False
        for path, value in sorted(fields.items()):
            current = _get_path(template, path)
            if current == value or (current is not None and value is not None and self.equivalent(path, current, value)):
                continue
            _set_path(patch, template_path(target, path), value)
            changed.append("{0}={1}".format(_field_name(template_path(target, path)), _shown(value)))
            lists = lists or isinstance(value, list) or isinstance(current, list)
        if not patch:
            return []
        if target.is_pod:
            raise InvalidInput("target.name", target.name, "is a Pod that exists, and {0}; it would need {1}. Delete the "
                               "Pod and create it again with them, or target the Deployment or StatefulSet that makes "
                               "it".format(self.creation_time, ", ".join(changed)))
        if lists:
            # A list is written whole (a merge patch replaces it): guard the read it was made from.
            patch.setdefault("metadata", {})["resourceVersion"] = have["metadata"].get("resourceVersion")
        return [KubeChange("patch", self, want["namespace"], want["name"], body=patch, fields=changed)]

    def _create_it(self, fields):
        declared = ", ".join("{0}={1}".format(_field_name(path), value) for path, value in sorted(fields.items())
                             if value is not None)
        if self.target.is_pod:
            return "{0}: create it with {1}".format(self.creation_time, declared)
        return "this module changes the pod template of an existing workload and never creates one"

    def rollout_pending(self, objects, obj):
        """None once every live pod of the workload carries the declared fields and is done, and there
        are as many as it wants; else what is missing. A rollout that the controller does not carry
        out by itself (rollout_blocker) is not waited for."""
        target = self.target
        if obj is None:
            return "{0} does not exist".format(target.describe())
        if not target.is_pod and rollout_blocker(target, obj) is not None:
            return None
        if not target.is_pod:
            observed, generation = (obj.get("status") or {}).get("observedGeneration"), obj["metadata"].get("generation")
            if observed is not None and generation is not None and observed < generation:
                return "the {0} controller has not seen generation {1} yet".format(target.kind, generation)
        pods = self.pods(objects, obj, fresh=True)
        wanted = replicas_of(target, obj)
        outdated = [pod["metadata"]["name"] for pod in pods if not self.up_to_date(pod)]
        if outdated:
            return "pods still without the declared fields: {0}".format(", ".join(outdated))
        for pod in pods:
            done, why = self.pod_done(pod)
            if not done:
                return "pod {0} {1}".format(pod["metadata"]["name"], why)
        if len(pods) != wanted:
            return "{0} pods of {1} wanted".format(len(pods), wanted)
        return None

    def up_to_date(self, pod):
        """Whether a pod carries the declared fields (a pod is shaped like its template)."""
        for path, value in self.fields.items():
            current = _get_path(pod, path)
            if current == value:
                continue
            if current is not None and value is not None and self.equivalent(path, current, value):
                continue
            return False
        return True

    def pods(self, objects, obj, fresh=False):
        """The live pods of the workload (current_pods), read once per version of the object unless ``fresh``."""
        key = (obj or {}).get("metadata", {}).get("resourceVersion")
        if fresh or key not in self._pods:
            self._pods[key] = current_pods(objects, self.target, obj)
        return self._pods[key]

    def declared_view(self, obj):
        """The managed fields of the pod template, as a (partial) pod template: the diff's sides."""
        view = {}
        if not obj:
            return view
        template = template_of(self.target, obj)
        for path in sorted(self.fields):
            value = _get_path(template, path)
            if value is not None:
                _set_path(view, path, value)
        return view

    def rollout(self, objects, have, after, changes):
        """The result's ``rollout``: whether pods must be replaced to carry the declared fields
        (``needed``), whether the controller does that by itself (``started``; None for a custom kind),
        why not (``reason``), and which live pods lack them (``outdated_pods``)."""
        target, obj = self.target, after if after is not None else have
        if obj is None:
            return dict(needed=False, started=False, reason="{0} does not exist".format(target.describe()), outdated_pods=[])
        outdated = [pod["metadata"]["name"] for pod in self.pods(objects, obj) if not self.up_to_date(pod)]
        needed = bool(outdated) or (bool(changes) and replicas_of(target, obj) > 0)
        blocker = rollout_blocker(target, obj)
        if not needed:
            return dict(needed=False, started=False, reason=None, outdated_pods=[])
        if blocker == UNKNOWN_ROLLOUT:
            return dict(needed=True, started=None, reason="{0} is a custom kind: whether its controller replaces the pods "
                        "by itself is not known here".format(target.kind), outdated_pods=outdated)
        return dict(needed=True, started=blocker is None, reason=blocker, outdated_pods=outdated)


def run_workload(resource, params, check_mode, diff_mode, result_key):
    """Converge one WorkloadResource; returns the module result (see the module docstring)."""
    step = KubeStep(resource)
    want = step.validate()
    objects = KubeObjects(params, "{0} {1}".format(resource.kind, want["name"]))
    step.plan(objects)
    step.apply(objects, check_mode)
    step.commands = [change.describe() for change in step.changes]
    after = step.after
    if not check_mode and params.get("wait", True) and after is not None:
        latest = {}

        def pending():
            latest["obj"] = objects.get(resource.api_version, resource.plural, want["namespace"], want["name"])
            return resource.rollout_pending(objects, latest["obj"])

        wait_for(params, pending, "the pods of {0} to carry the declared pod template".format(resource.target.describe()))
        after = latest.get("obj", after)
    result = dict(changed=bool(step.commands), commands=step.commands)
    result[result_key] = resource.view(objects, want, step.have, after, step.changes)
    if diff_mode:
        result["diff"] = dict(before=resource.declared_view(step.have), after=resource.declared_view(after))
    return result


def refuse_across_platforms(params, platform, own, others, other_flags, others_reason):
    """On ``platform`` (a workload platform), refuse by name the options of the module's other
    platforms - ``others``, and the switches ``other_flags`` when set true, which have defaults
    and so cannot be told apart when false; on the other platforms, refuse ``own``."""
    if params.get("platform") == platform:
        refuse_options(params, others, others_reason)
        for flag in other_flags:
            if params.get(flag):
                raise InvalidInput(flag, params[flag], others_reason)
        return
    refuse_options(params, own, "applies to platform {0} only".format(platform))

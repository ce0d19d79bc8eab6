# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""The want/have/commands engine of the kube_dc platform.

A ``KubeResource`` declares one Kubernetes object (a Kube-DC ``Project``, an
``EIp``...) whose controller realizes it. Its steps mirror the OVN engine's:
validate the parameters into *want*, read *have* (the object as the server
has it), and plan ``KubeChange`` writes - a create, a merge patch of exactly
the fields that differ, or a delete. Fields the controller or the server own
(``status``, ``metadata.uid``, ``resourceVersion``, ``managedFields``...)
never take part, so a converged object plans nothing.

``run_kube`` executes a plan the same way for every kube_dc module: in check
mode as a server-side dry run (the server validates, stores nothing); a 409
(someone wrote the object between our read and our write) re-reads and plans
again; then, unless ``wait: false``, it waits for the object to be ready (or
gone) as the resource defines it.
"""

import contextlib
import time

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput, KubedcError, about
from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import ApiRefused, KubeObjects, describe_ref

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=300),
    wait_sleep=dict(type="float", default=2.0),
)
CONFLICT_ATTEMPTS = 3
# What marks the objects the collection made, so that exclusive prunes those and no others
# (a label of the custom resources it creates; lb_binding marks its Services by annotation,
# as a Service's labels are its owner's). The OVN rows carry the same idea in external_ids.
MANAGED_BY_KEY = "kubedc.network/managed-by"
MANAGED_BY = "kubedc.network"
OVN_ONLY = "applies to platform ovn only; on kube_dc the Kube-DC controller chooses it"


def refuse_options(params, options, reason=OVN_ONLY):
    """Refuse, naming it, the first of ``options`` a task sets: options of the other platform."""
    for option in options:
        value = params.get(option)
        if value is not None and value != []:
            raise InvalidInput(option, value, reason)


class KubeChange(object):
    """One write: ``create``, ``patch`` (a merge patch) or ``delete`` of one object."""

    def __init__(self, action, resource, namespace, name, body=None, fields=None):
        self.action = action
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.body = body
        self.fields = fields or []

    def describe(self):
        ref = describe_ref(self.resource.api_version, self.resource.kind, self.namespace, self.name)
        if self.action == "patch":
            return "patch {0}: {1}".format(ref, ", ".join(self.fields))
        return "{0} {1}".format(self.action, ref)

    def apply(self, objects, dry_run):
        res = self.resource
        if self.action == "create":
            return objects.create(res.api_version, res.plural, self.namespace, self.body, dry_run)
        if self.action == "patch":
            return objects.merge_patch(res.api_version, res.plural, self.namespace, self.name, self.body, dry_run)
        return objects.delete(res.api_version, res.plural, self.namespace, self.name, dry_run)


def _get_path(obj, path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _set_path(obj, path, value):
    for key in path[:-1]:
        obj = obj.setdefault(key, {})
    obj[path[-1]] = value


class KubeResource(object):
    """One kind of Kube-DC object. Subclasses set the class attributes and the hooks below."""

    api_version = None
    kind = None
    plural = None
    # Paths (tuples of keys) of the fields this collection declares; only these are compared and patched.
    managed = ()
    # Managed paths the platform refuses to change once set: (path, parameter name).
    immutable = ()

    def __init__(self, params):
        self.params = params
        self.state = params.get("state", "present")

    # -- hooks ---------------------------------------------------------------

    def validate(self):
        """Return *want*: at least ``namespace``, ``name`` and ``fields`` (path -> value, None to remove)."""
        raise NotImplementedError

    def ready(self, obj):
        """(ready?, why not) for the object as the server has it."""
        status = obj.get("status") or {}
        return bool(status.get("ready")), _conditions(status) or "status.ready is not true yet"

    def view(self, objects, want, obj):
        """What the module returns about the object (which is not None)."""
        raise NotImplementedError

    def check(self, objects, want, have):
        """Refusals that need reading other objects; raise before anything is written."""

    def verify_ovn(self, objects, want, obj):
        """With verify_ovn: raise a drift report if the NB lacks what the ready object stands for."""
        raise NotImplementedError

    def repair(self, objects, want, obj, check_mode):
        """Changes beyond the object, once it is ready (fip's stale NAT repair); their command lines."""
        return []

    def identity(self, want):
        """What names the object in a list form's result and diff."""
        names = want["names"]
        return dict(organization=names.organization, project=names.project, namespace=names.namespace, name=want["name"])

    @classmethod
    def managed_names(cls, objects, namespace):
        """The names of the objects of this kind in ``namespace`` that the collection made."""
        found = objects.list(cls.api_version, cls.plural, namespace, "{0}={1}".format(MANAGED_BY_KEY, MANAGED_BY))
        return sorted(obj["metadata"]["name"] for obj in found)

    def gone(self, objects, want):
        """True once deleting the object has finished (its finalizers, what the controller tears down)."""
        return objects.get(self.api_version, self.plural, want["namespace"], want["name"]) is None

    # -- engine ----------------------------------------------------------------

    def read(self, objects, want):
        return objects.get(self.api_version, self.plural, want["namespace"], want["name"])

    def plan(self, want, have):
        if self.state == "absent":
            return [KubeChange("delete", self, want["namespace"], want["name"])] if have is not None else []
        fields = want["fields"]
        if have is None:
            body = {"apiVersion": self.api_version, "kind": self.kind,
                    "metadata": {"name": want["name"], "namespace": want["namespace"], "labels": {MANAGED_BY_KEY: MANAGED_BY}}}
            for path, value in sorted(fields.items()):
                if value is not None:
                    _set_path(body, path, value)
            return [KubeChange("create", self, want["namespace"], want["name"], body=body)]
        patch, changed = {}, []
        for path, value in sorted(fields.items()):
            current = _get_path(have, path)
            if current == value:
                continue
            for immutable, parameter in self.immutable:
                if path == immutable and current is not None:
                    raise InvalidInput(
                        parameter, value,
                        "cannot change: {0} {1} has {2}={3!r}, which the platform does not allow to change. "
                        "Delete and re-create it instead.".format(self.kind, want["name"], ".".join(path), current),
                    )
            _set_path(patch, path, value)
            changed.append("{0}={1}".format(".".join(path), "(removed)" if value is None else value))
        if not patch:
            return []
        return [KubeChange("patch", self, want["namespace"], want["name"], body=patch, fields=changed)]

    def declared_view(self, obj):
        """The managed fields of an object: the diff's before and after."""
        if not obj:
            return {}
        return dict((".".join(path), _get_path(obj, path)) for path in self.managed if _get_path(obj, path) is not None)


def _conditions(status):
    return "; ".join(
        "{0}={1}{2}".format(c.get("type"), c.get("status"), ": " + c["message"] if c.get("message") else "")
        for c in status.get("conditions") or []
    )


class KubeStep(object):
    """One object of a task on its way: the resource, its want and have, the writes planned.

    ``where`` (``[("projects[0]", "acme-prod"), ("eips[1]", "web")]``) is how errors about
    the object name it in a list form; the single form has none. ``removal`` is how the
    result's ``removed`` names it once deleted (None: it is not listed there).
    """

    def __init__(self, resource, where=(), removal=None):
        self.resource = resource
        self.where = list(where)
        self.removal = removal
        self.want = self.have = self.after = self.objects = None
        self.changes = []
        self.commands = []

    def about(self):
        return _about_all(self.where)

    def validate(self):
        with self.about():
            self.want = self.resource.validate()
        return self.want

    def plan(self, objects):
        self.objects = objects
        with self.about():
            self.have = self.resource.read(objects, self.want)
            self.changes = self.resource.plan(self.want, self.have)
            self.resource.check(objects, self.want, self.have)

    def apply(self, objects, check_mode):
        """Write the planned changes; on a 409 (someone wrote the object between our read and
        our write) read and plan again."""
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                written = [change.apply(objects, check_mode) for change in self.changes]
                break
            except ApiRefused as exc:
                if exc.details.get("status") == 409 and attempt < CONFLICT_ATTEMPTS - 1:
                    self.plan(objects)
                    continue
                raise
        self.after = written[-1] if written and self.resource.state == "present" else self.have
        if self.resource.state == "absent":
            self.after = None

    def identity(self):
        return self.resource.identity(self.want)

    def diff_side(self, obj):
        """The object's managed fields with what names it: one entry of a list form's diff."""
        declared = self.resource.declared_view(obj) if obj else None
        if not declared:
            return None  # nothing of the collection's there (a Service no binding annotates)
        return dict(self.identity(), **declared)


def _about_all(where):
    if not where:
        return about(None)
    stack = contextlib.ExitStack()
    for item, name in where:
        stack.enter_context(about(item, name))
    return stack


def converge(steps, params, check_mode, prune=None):
    """Converge the objects of ``steps`` together: all validated, then all read, planned
    and checked, before the first write, so a bad object or a refusal writes nothing.
    ``prune(objects)`` returns the steps of the objects to remove (exclusive), which are
    written first. Then every object is waited for (one deadline for all of them, as the
    controller works on them at once), repaired and verified. Returns all the steps.
    """
    for step in steps:
        step.validate()
    first = steps[0] if steps else None
    objects = KubeObjects(params, "{0} {1}".format(first.resource.kind, first.want["name"]) if first else "kube_dc")
    for step in steps:
        step.plan(objects)
    pruned = prune(objects) if prune else []
    for step in pruned:
        step.validate()
        step.plan(objects)
    steps = pruned + steps
    for step in steps:
        step.apply(objects, check_mode)
    if not check_mode and params.get("wait", True):
        wait_steps(steps, objects, params)
    for step in steps:
        step.commands = [change.describe() for change in step.changes]
        resource, after = step.resource, step.after
        if after and resource.state == "present" and resource.ready(after)[0]:
            with step.about():
                step.commands += resource.repair(objects, step.want, after, check_mode)
                if params.get("verify_ovn") and not (check_mode and len(step.commands) > len(step.changes)):
                    _verify(resource, objects, step.want, after, params, settle=bool(step.commands) and not check_mode)
    return steps


def wait_steps(steps, objects, params):
    """Wait until every written object is ready and every deleted one gone."""
    waiting = [s for s in steps if s.resource.state == "present" or s.changes]

    def pending():
        for step in list(waiting):
            resource, want = step.resource, step.want
            if resource.state == "absent":
                why = None if resource.gone(objects, want) else "still there"
            else:
                obj = resource.read(objects, want)
                if obj is None:
                    why = "it does not exist"
                else:
                    step.after = obj
                    ready, why = resource.ready(obj)
                    why = None if ready else why
            if why is not None:
                return "{0} {1}: {2}".format(resource.kind, want["name"], why) if len(steps) > 1 else why
            waiting.remove(step)
        return None

    if len(steps) == 1:
        step = steps[0]
        what = "{0} {1} to {2}".format(step.resource.kind, step.want["name"], "be deleted" if step.resource.state == "absent" else "be ready")
    else:
        what = "{0} object(s) to be ready or deleted".format(len(waiting))
    _wait(params, pending, what)


def run_kube(resource, params, check_mode, diff_mode, result_key):
    """Converge one kube_dc resource: plan, write (or dry-run), wait. Returns the module result."""
    step = converge([KubeStep(resource)], params, check_mode)[0]
    after = step.after
    result = dict(changed=bool(step.commands), commands=step.commands)
    result[result_key] = resource.view(step.objects, step.want, after) if after else {}
    if diff_mode:
        result["diff"] = dict(before=resource.declared_view(step.have), after=resource.declared_view(after))
    return result


def _verify(resource, objects, want, obj, params, settle):
    """verify_ovn. Right after a write, the controller may report ready a moment before
    Kube-OVN's rows are all there, so drift is given until wait_timeout to go away; on
    an object the task did not change, drift is reported at once."""
    if not settle:
        resource.verify_ovn(objects, want, obj)
        return
    last = {}

    def drifting():
        try:
            resource.verify_ovn(objects, want, obj)
        except KubedcError as exc:
            if "drift" not in exc.details:
                raise
            last["error"] = exc
            return exc.msg
        return None

    try:
        _wait(params, drifting, "the OVN Northbound DB to match {0} {1}".format(resource.kind, want["name"]))
    except KubedcError:
        if "error" in last:
            raise last["error"]
        raise


def wait_for(params, pending, what):
    """Poll ``pending()`` (None when done, else why not) until done or wait_timeout."""
    _wait(params, pending, what)


def _wait(params, pending, what):
    """Poll ``pending()`` (None when done, else why not) until done or wait_timeout."""
    timeout = params.get("wait_timeout") or 300
    sleep = max(0.1, float(params.get("wait_sleep") or 2))
    deadline = time.monotonic() + timeout
    while True:
        why = pending()
        if why is None:
            return
        if time.monotonic() >= deadline:
            raise KubedcError(
                "gave up waiting {0} seconds for {1}: {2}".format(timeout, what, why),
                timeout=timeout,
            )
        time.sleep(min(sleep, max(0.05, deadline - time.monotonic())))

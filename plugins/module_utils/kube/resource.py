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

import time

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput, KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import ApiRefused, KubeObjects, describe_ref

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=300),
    wait_sleep=dict(type="float", default=2.0),
)
CONFLICT_ATTEMPTS = 3
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
                    "metadata": {"name": want["name"], "namespace": want["namespace"]}}
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


def run_kube(resource, params, check_mode, diff_mode, result_key):
    """Converge one kube_dc resource: plan, write (or dry-run), wait. Returns the module result."""
    want = resource.validate()
    objects = KubeObjects(params, "{0} {1}".format(resource.kind, want["name"]))
    for attempt in range(CONFLICT_ATTEMPTS):
        have = resource.read(objects, want)
        changes = resource.plan(want, have)
        resource.check(objects, want, have)
        try:
            written = [change.apply(objects, check_mode) for change in changes]
            break
        except ApiRefused as exc:
            # Someone wrote the object between our read and our write: read and plan again.
            if exc.details.get("status") == 409 and attempt < CONFLICT_ATTEMPTS - 1:
                continue
            raise
    after = written[-1] if written and resource.state == "present" else have
    if resource.state == "absent":
        after = None
        if changes and not check_mode and params.get("wait", True):
            _wait(params, lambda: None if resource.gone(objects, want) else "still there",
                  "{0} {1} to be deleted".format(resource.kind, want["name"]))
    elif not check_mode and params.get("wait", True):
        after = _wait_ready(resource, objects, want, params)
    commands = [change.describe() for change in changes]
    if after and resource.state == "present" and resource.ready(after)[0]:
        commands += resource.repair(objects, want, after, check_mode)
        if params.get("verify_ovn") and not (check_mode and len(commands) > len(changes)):
            _verify(resource, objects, want, after, params, settle=bool(commands) and not check_mode)
    result = dict(changed=bool(commands), commands=commands)
    result[result_key] = resource.view(objects, want, after) if after else {}
    if diff_mode:
        result["diff"] = dict(before=resource.declared_view(have), after=resource.declared_view(after))
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


def _wait_ready(resource, objects, want, params):
    found = {}

    def not_ready():
        obj = resource.read(objects, want)
        if obj is None:
            return "it does not exist"
        found["obj"] = obj
        ready, why = resource.ready(obj)
        return None if ready else why

    _wait(params, not_ready, "{0} {1} to be ready".format(resource.kind, want["name"]))
    return found["obj"]


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

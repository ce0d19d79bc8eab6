# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""A datacenter file on platform kube_dc: one plan over every kind, applied in dependency order.

The Kubernetes API has no transaction across objects, so the engine does the next
best thing, in two passes over the same stages (Projects, EIps, FIps, Service
bindings, then the prunes, last-made first):

1. The plan: every object is read, planned and checked, and every write is sent as
   a server-side dry run, in order, against a ``PlannedObjects`` view that also
   holds what the earlier stages would have made. So a FIp is checked against the
   EIp planned before it, and an object whose project namespace does not exist yet
   (its Project is planned in the same run) is still listed - a create with its
   full manifest, waiting for its project - rather than left out. Every refusal of
   the whole file (an immutable field, a workload still in a project to delete) is
   found here, before the first write, and reported by project.
2. The run (not in check mode): stage by stage, each object is read and planned
   again and written, and the stage is waited for - Kube-DC reports the objects
   ready, or they are gone - before the next stage starts, as the next depends on
   it (an EIp needs the namespace Kube-DC makes for its Project).
"""

import copy

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.datacenter.ovn import refused
from ansible_collections.kubedc.network.plugins.module_utils.datacenter.report import Ledger
from ansible_collections.kubedc.network.plugins.module_utils.kube import resource as kube_resource
from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import KubeObjects
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.eip import KubeEip
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.fip import KubeFip
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.lb_binding import KubeLbBinding
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.project_network import KubeProject

RESOURCES = {"project network": KubeProject, "eip": KubeEip, "fip": KubeFip, "binding": KubeLbBinding}
# The list of a projects-form entry of the file's plan, per kind.
LISTS = {"eip": "eips", "fip": "fips", "binding": "bindings"}
# How an EIp's status.owners names the objects that hold it, per kind of this plan.
OWNER_TYPES = {"fip": "FIp", "binding": "ServiceLb"}
GONE = object()


class PlannedObjects(object):
    """The API server's objects as the plan so far would leave them (check pass only).

    Reads see the objects earlier stages would create, change or delete, and the
    namespaces of Projects they would create; a namespace that does not exist yet
    has nothing in it on the server, so it is not asked. Writes go to the server
    as dry runs.
    """

    def __init__(self, objects):
        self.objects = objects
        self.planned = {}
        self.pending = set()  # namespaces of Projects the plan creates

    def __getattr__(self, name):
        return getattr(self.objects, name)

    def exists(self, namespace):
        return namespace is None or namespace in self.pending or self.objects.get("v1", "namespaces", None, namespace) is not None

    def record(self, resource, namespace, name, obj):
        self.planned[(resource.api_version, resource.plural, namespace, name)] = GONE if obj is None else obj

    def get(self, api_version, plural, namespace, name):
        key = (api_version, plural, namespace, name)
        if key in self.planned:
            found = self.planned[key]
            return None if found is GONE else found
        if api_version == "v1" and plural == "namespaces" and name in self.pending:
            return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        if namespace in self.pending:
            return None
        return self.objects.get(api_version, plural, namespace, name)

    def list(self, api_version, plural, namespace, label_selector=None, unserved=None):
        found = [] if namespace in self.pending else self.objects.list(api_version, plural, namespace, label_selector, unserved)
        by_name = dict(((obj["metadata"].get("namespace"), obj["metadata"]["name"]), obj) for obj in found)
        for (version, kind, where, name), obj in self.planned.items():
            if (version, kind) != (api_version, plural) or (namespace is not None and where != namespace):
                continue
            if obj is GONE:
                by_name.pop((where, name), None)
            elif _selected(obj, label_selector):
                by_name[(where, name)] = obj
        return [by_name[key] for key in sorted(by_name, key=lambda k: (k[0] or "", k[1]))]

    def endpoint_slices(self, namespace, service):
        return [] if namespace in self.pending else self.objects.endpoint_slices(namespace, service)


def _selected(obj, selector):
    if not selector:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(labels.get(key) == value for key, value in (part.split("=", 1) for part in selector.split(",")))


class Step(object):
    """One object of the plan, with where the file has it and what the report calls it."""

    def __init__(self, kind, group, where, params, removal=False):
        self.kind = kind
        self.group = group
        self.removal = removal
        self.params = params
        self.where = where
        self.step = kube_resource.KubeStep(RESOURCES[kind](params), where)
        self.waiting_for = None

    @property
    def name(self):
        return None if self.kind == "project network" else self.step.want["name"]


class KubeDatacenter(object):
    def __init__(self, planned, base, state, part):
        self.planned = planned
        self.base = dict(base, platform="kube_dc")
        self.state = state
        self.part = part
        self.exclusive = planned["exclusive"] and state == "present" and part != "foundations"
        self.declared = set("{0}-{1}".format(p["organization"], p["name"]) for p in planned["projects"])

    # -- the steps -----------------------------------------------------------------

    def _path(self, namespace):
        return self.planned["project_paths"].get(namespace, "exclusive")

    def project(self, organization, name, state, project=None):
        namespace = "{0}-{1}".format(organization, name)
        params = dict(self.base, state=state, organization=organization, name=name)
        params.update(project or {})
        return Step("project network", namespace, [(self._path(namespace), namespace)], params, removal=state == "absent")

    def item(self, kind, organization, project, entry, index, state="present"):
        namespace = "{0}-{1}".format(organization, project)
        params = dict(self.base, state=state, organization=organization, project=project, exclusive=False, force=False)
        params.update(entry)
        if kind == "binding" and params.get("service") is None:
            params["service"] = params["name"]  # a binding is the annotations of the Service it names
        # Where the file has it (a FIP a service makes is at the service); a pruned object is in no list.
        listed = self.planned["item_paths"][namespace][LISTS[kind]][index] if index is not None else LISTS[kind]
        where = [(self._path(namespace), namespace), (listed, entry["name"])]
        return Step(kind, namespace, where, params, removal=state == "absent")

    def declared_items(self, kind):
        steps = []
        for entry in self.planned[LISTS[kind]]:
            for index, item in enumerate(entry[LISTS[kind]]):
                steps.append(self.item(kind, entry["organization"], entry["project"], copy.deepcopy(item), index))
        return steps

    def pruned_items(self, kind, objects, namespaces, keep=True):
        """The objects of ``kind`` of ours in each of ``namespaces`` ((org, project) pairs) the file
        does not list there (with ``keep=False``, all of them)."""
        steps = []
        listed = dict((("{0}-{1}".format(e["organization"], e["project"])), set(i["name"] for i in e[LISTS[kind]]))
                      for e in self.planned[LISTS[kind]])
        resource = RESOURCES[kind]
        for organization, project in namespaces:
            namespace = "{0}-{1}".format(organization, project)
            if not objects.exists(namespace):
                continue
            for name in resource.managed_names(objects, namespace):
                if keep and name in listed.get(namespace, ()):
                    continue
                steps.append(self.item(kind, organization, project, dict(name=name), None, state="absent"))
        return steps

    def stages(self, objects):
        """[(name, [Step], reported)] in the order they are applied; the prunes are found on ``objects``.
        With part exposures the foundations come first, not reported: they must be converged."""
        planned = self.planned
        file_projects = [(p["organization"], p["name"]) for p in planned["projects"]]
        if self.state == "absent":
            return [
                ("bindings", self.pruned_items("binding", objects, file_projects, keep=False), True),
                ("fips", self.pruned_items("fip", objects, file_projects, keep=False), True),
                ("eips", self.pruned_items("eip", objects, file_projects, keep=False), True),
                ("project networks", [self.project(o, n, "absent") for o, n in file_projects], True),
            ]
        reported = self.part != "exposures"
        stages = [
            ("project networks", [self.project(p["organization"], p["name"], "present", p) for p in planned["projects"]], reported),
            ("eips", self.declared_items("eip"), reported),
        ]
        if self.part == "foundations":
            return stages
        dropped = []
        if self.exclusive:
            dropped = [key for key in KubeProject.managed_projects(objects) if "{0}-{1}".format(*key) not in self.declared]
        pruning = (file_projects if self.exclusive else []) + dropped
        stages += [
            ("fips", self.pruned_items("fip", objects, pruning) + self.declared_items("fip"), True),
            ("bindings", self.pruned_items("binding", objects, pruning) + self.declared_items("binding"), True),
        ]
        if self.exclusive:
            stages += [
                ("eip prune", self.pruned_items("eip", objects, pruning), True),
                ("project prune", [self.project(o, n, "absent") for o, n in dropped], True),
            ]
        return stages


def converge(planned, base, check_mode, state="present", part="all"):
    """Plan (and unless ``check_mode`` apply) a checked datacenter file on platform kube_dc.

    Returns an object with ``ledger``, ``commands`` and ``views``, as the ovn engine does.
    """
    datacenter = KubeDatacenter(planned, base, state, part)
    objects = KubeObjects(datacenter.base, "converge the datacenter file")
    plan = _Pass(datacenter, PlannedObjects(objects), check_mode=True)
    plan.run()
    if plan.problems:
        raise refused(plan.problems, state)
    if check_mode:
        return plan
    done = _Pass(datacenter, PlannedObjects(objects), check_mode=False)
    done.run()
    return done


class _Pass(object):
    def __init__(self, datacenter, objects, check_mode):
        self.datacenter = datacenter
        self.objects = objects
        self.check_mode = check_mode
        self.ledger = Ledger()
        self.commands = []
        self.views = {}
        self.problems = []
        self.removed = set()  # (owner type, name) per namespace, of what the plan removes

    def run(self):
        params = self.datacenter.base
        for _name, steps, reported in self.datacenter.stages(self.objects):
            earlier = len(self.problems)
            for step in steps:
                try:
                    step.step.validate()
                except KubedcError as exc:
                    self.problems.append((step.group, exc.msg))
            if len(self.problems) == earlier:
                for step in steps:
                    try:
                        self._plan(step)
                    except KubedcError as exc:
                        self.problems.append((step.group, exc.msg))
            if len(self.problems) > earlier:
                # Every refusal of this stage is listed. The run pass meets one only when something
                # changed since the plan.
                if not self.check_mode:
                    # Something changed since the plan (a Service gone, say): the stages before
                    # this one are applied already, and the message says which.
                    raise refused(self.problems, self.datacenter.state, applied=self.commands)
                if self.datacenter.state != "absent":
                    return  # the stages after it depend on it
                # A teardown checks every precondition of the file before its first write: the
                # later stages are planned too, so that the refusal lists their blockers as well.
                continue
            if self.problems:
                continue  # a teardown already refused: plan on, write nothing
            if not reported:
                hidden = ["{0}: {1}".format(step.group, change.describe()) for step in steps for change in step.step.changes]
                if hidden and not self.check_mode:
                    raise refused([("", "the file's project networks and EIPs are not converged yet: run the project_bootstrap "
                                        "role (or playbooks/site.yml) first. It would: {0}".format("; ".join(hidden)))],
                                  self.datacenter.state)
            for step in steps:
                self._apply(step, reported)
            if not self.check_mode and params.get("wait", True):
                kube_resource.wait_steps([s.step for s in steps], self.objects, params)
            for step in steps if reported else []:
                self._record(step)

    def _plan(self, step):
        objects, inner = self.objects, step.step
        pending = self.check_mode and step.group in objects.pending
        if pending and step.kind == "binding":
            # The Service cannot exist before its namespace: what a run would write on it, once its
            # workload owner has made it there.
            inner.objects, inner.have = objects, None
            inner.changes = [kube_resource.KubeChange("patch", inner.resource, inner.want["namespace"], inner.want["name"],
                                                      body={"metadata": {"annotations": dict(
                                                          (path[-1], value) for path, value in sorted(inner.want["fields"].items())
                                                          if value is not None)}}, fields=["annotations"])]
        elif step.kind == "eip" and step.removal and self.check_mode:
            with inner.about():
                inner.objects = objects
                inner.have = inner.resource.read(objects, inner.want)
                # Owners this plan removes first (its FIPs, its Services' bindings) do not hold the EIp then.
                owners = ((inner.have or {}).get("status") or {}).get("owners") or []
                if all((owner.get("type"), step.group, owner.get("ownerRef")) in self.removed for owner in owners if isinstance(owner, dict)):
                    inner.want["force"] = True
                inner.changes = inner.resource.plan(inner.want, inner.have)
                inner.resource.check(objects, inner.want, inner.have)
        else:
            inner.plan(objects)
        if pending:
            step.waiting_for = "project {0}".format(step.group)
        if step.removal and inner.have is not None and step.kind in OWNER_TYPES:
            self.removed.add((OWNER_TYPES[step.kind], step.group, inner.want["name"]))

    def _apply(self, step, reported=True):
        inner, objects = step.step, self.objects
        if step.waiting_for:
            # No dry run is possible in a namespace that does not exist yet: the manifest is the plan.
            inner.after = None if inner.resource.state == "absent" else (inner.changes[0].body if inner.changes else inner.have)
        else:
            with inner.about():
                inner.apply(objects, self.check_mode)
        inner.commands = [change.describe() + (" (waiting for {0})".format(step.waiting_for) if step.waiting_for else "")
                          for change in inner.changes]
        if reported:
            self.commands.extend(inner.commands)
        if self.check_mode:
            if inner.changes:
                objects.record(inner.resource, inner.want["namespace"], inner.want["name"], inner.after)
            if step.kind == "project network" and inner.have is None and inner.changes:
                objects.pending.add(step.group)

    def _record(self, step):
        inner = step.step
        before = inner.diff_side(inner.have)
        if step.waiting_for and inner.after:
            after = dict(inner.identity(), manifest=inner.after)
        else:
            after = inner.diff_side(inner.after)
        self.ledger.record(step.group, step.kind, step.name, before, after, waiting_for=step.waiting_for)
        if inner.changes and before == after:
            self.ledger.touched(step.group, step.kind, step.name)
        views = self.views.setdefault(step.kind, {})
        if inner.after and inner.resource.state == "present":
            views[(step.group, step.name)] = (inner.resource.view(self.objects, inner.want, inner.after)
                                              if not step.waiting_for else after)
        else:
            views.pop((step.group, step.name), None)

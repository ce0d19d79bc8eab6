# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""The base class every module of the collection is built on.

In the spirit of openstack.cloud's ``OpenStackModule``: a module declares its
``argument_spec`` and ``module_kwargs`` as class attributes and implements
``run()``, which returns the result dict. The base class merges the shared
argument spec, checks that the libraries are importable, and is the ONE place
where errors become ``fail_json``: a ``KubedcError`` with its message and
details, anything else as an unexpected error with its traceback.
"""

import copy
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

# First, so that the collection's imports below compile once each: see zipimport_once.py.
from ansible_collections.kubedc.network.plugins.module_utils.common.zipimport_once import INSTALLED  # noqa: F401 pylint: disable=unused-import
from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    InvalidInput,
    KubedcError,
    about,
)
from ansible_collections.kubedc.network.plugins.module_utils.common import collector, validation
from ansible_collections.kubedc.network.plugins.module_utils.kube import client as kube_client
from ansible_collections.kubedc.network.plugins.module_utils.kube import resource as kube_resource
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc import verify as kube_dc_verify
from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection, engine
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import project_names


def project_entry(list_key, list_spec):
    """The options of one entry of the projects form: its project and its list."""
    entry = dict(organization=dict(type="str", required=True), project=dict(type="str", required=True))
    entry[list_key] = copy.deepcopy(list_spec)
    return entry


def projects_form_rules(list_key, single_keys):
    """The rules between the projects form and the task-level options it replaces."""
    replaced = ("organization", "project", list_key) + tuple(k for k in single_keys if k not in ("organization", "project"))
    return dict(
        required_one_of=[("organization", "projects"), ("project", "projects")],
        mutually_exclusive=[("projects", key) for key in replaced],
    )


class KubedcModule(object):
    argument_spec = {}
    module_kwargs = {}
    # Argument spec fragments merged in front of the module's own.
    shared_argument_specs = ()

    def __init__(self):
        spec = {}
        for fragment in self.shared_argument_specs:
            spec.update(copy.deepcopy(fragment))
        spec.update(copy.deepcopy(self.argument_spec))
        self.ansible = AnsibleModule(
            argument_spec=spec, supports_check_mode=True, **self.module_kwargs
        )
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        self.diff_mode = self.ansible._diff
        self.check_libraries()

    def check_libraries(self):
        if not validation.HAS_NETADDR:
            self.ansible.fail_json(msg=missing_required_lib("netaddr"))

    def run(self):
        raise NotImplementedError

    def __call__(self):
        try:
            result = self.run()
        except KubedcError as exc:
            self.ansible.fail_json(msg=exc.msg, **exc.details)
        except Exception as exc:  # pylint: disable=broad-except
            self.ansible.fail_json(
                msg="unexpected error in kubedc.network: {0}: {1}".format(
                    type(exc).__name__, exc
                ),
                exception=traceback.format_exc(),
            )
        # exit_json copies the whole result (and its echo of the arguments) to take out no_log
        # values: a large result made that a full collection over everything the module holds,
        # none of it garbage (collector.py). It never returns; its SystemExit resumes.
        with collector.paused():
            self.ansible.exit_json(**result)


class OvnModule(KubedcModule):
    """A module that converges one resource type against the OVN Northbound DB.

    ``resource_class`` is an ``OvnResource``; ``result_key`` names the returned
    description of the declared object (``fip``, ...). A module with a list
    form names it in ``list_key`` (``fips``): when the task uses it, the
    result carries the list of objects under that key, and ``removed``, the
    names the task deleted (``state=absent``) or pruned (``exclusive``).
    """

    shared_argument_specs = (connection.NB_ARGUMENT_SPEC,)
    resource_class = None
    result_key = None
    list_key = None

    def check_libraries(self):
        super(OvnModule, self).check_libraries()
        if not connection.HAS_OVSDBAPP:
            self.ansible.fail_json(
                msg=missing_required_lib("ovsdbapp"),
                exception=str(connection.OVSDBAPP_IMPORT_ERROR),
            )

    def run(self):
        groups = self.project_groups()
        if groups is not None:
            return self.run_projects(groups)
        resource = self.resource_class(self.params)
        # Parameters are checked in full before the NB is even contacted.
        want = resource.validate()
        session = connection.connect(self.params, resource.scope(want))
        try:
            have = resource.read(session, want)
            plan = resource.plan(session, want, have)
            values = engine.execute(session, plan, self.check_mode)
        finally:
            session.close()
        before = resource.describe(have)
        after = resource.outcome(want, have, plan, values)
        result = dict(changed=plan.changed, commands=plan.describe())
        if self.list_key is not None and want.get("bulk"):
            result[self.list_key] = after
            result["removed"] = resource.removed(want, have)
            if self.diff_mode:
                result["diff"] = dict(before={self.list_key: before}, after={self.list_key: after})
            return result
        result[self.result_key] = after or {}
        if self.diff_mode:
            result["diff"] = dict(before=before or {}, after=after or {})
        return result

    # The projects form: ``projects`` lists projects, each with its own declarations
    # (for a module with a list form, that project's list), so that one task and one
    # transaction converge every project of a datacenter file.
    projects_key = None
    # The option of a projects entry that names the project (project_network: ``name``).
    project_field = "project"
    # Whether exclusive, with the projects form, removes the projects the list does not name.
    prunes_projects = False

    def pruning_projects(self):
        """Whether this task deletes the projects its list does not name."""
        return bool(self.prunes_projects and self.params.get("exclusive") and self.params.get("state", "present") == "present")

    def bulk_result(self, changed, commands, objects, before, after, removed, pruning):
        """The result of a list or projects form, the same on every platform."""
        key = self.list_key or self.projects_key
        result = dict(changed=changed, commands=commands)
        result[key] = objects
        if self.list_key is not None or pruning:
            result["removed"] = removed
        if self.diff_mode:
            result["diff"] = dict(before={key: before}, after={key: after})
        return result

    def project_groups(self):
        """``[(label, project, params)]``, one per entry of the projects form, or None.

        Each entry's params are the task's, with the entry's values in place of the
        single form's (and an empty list where an entry lists nothing: with
        ``exclusive`` that prunes the whole project).
        """
        entries = self.params.get(self.projects_key) if self.projects_key else None
        if entries is None:
            return None
        groups = []
        seen = {}
        for index, entry in enumerate(entries):
            label = "{0}[{1}]".format(self.projects_key, index)
            params = dict(self.params)
            params[self.projects_key] = None
            params.update(entry)
            if self.list_key is not None and params.get(self.list_key) is None:
                params[self.list_key] = []
            project = "{0}-{1}".format(entry["organization"], entry[self.project_field])
            if project in seen:
                raise InvalidInput(
                    "{0}.{1}".format(label, self.project_field), entry[self.project_field],
                    "names project {0} again (first in {1}); each project may appear once".format(project, seen[project]),
                )
            seen[project] = label
            groups.append((label, project, params))
        return groups

    def run_projects(self, groups):
        """Converge several projects in one connection and one transaction."""
        reservations = {}
        resources, wants = [], []
        for label, project, params in groups:
            resource = self.resource_class(params, reservations)
            with about(label, project):
                wants.append(resource.validate())
            resources.append(resource)
        scopes = [r.scope(w) for r, w in zip(resources, wants)]
        pruning = self.pruning_projects()
        if pruning:
            scopes.append(self.resource_class.managed_scope())
        session = connection.connect(self.params, connection.NbScope.union(scopes))
        try:
            if pruning:
                groups = list(groups)
                declared = set(project for _label, project, _params in groups)
                for names in self.resource_class.managed_projects_of(session):
                    if names.namespace in declared:
                        continue
                    params = dict(self.params, projects=None, state="absent", organization=names.organization, name=names.project)
                    resource = self.resource_class(params, reservations)
                    with about("exclusive", names.namespace):
                        wants.append(resource.validate())
                    resources.append(resource)
                    groups.append(("exclusive", names.namespace, params))
            haves, plans = [], []
            for (label, project, _params), resource, want in zip(groups, resources, wants):
                with about(label, project):
                    have = resource.read(session, want)
                    plans.append(resource.plan(session, want, have))
                haves.append(have)
            plan = engine.Plan(reservations)
            for part in plans:
                plan.extend(part.ops)
            values = engine.execute(session, plan, self.check_mode)
        finally:
            session.close()
        before, after, removed = [], [], []
        for (label, project, params), resource, want, have, part in zip(groups, resources, wants, haves, plans):
            for collected, found in ((before, resource.describe(have)), (after, resource.outcome(want, have, part, values))):
                if isinstance(found, list):
                    collected.extend(found)
                elif found:
                    collected.append(found)
            if self.list_key is not None:
                removed.extend("{0}/{1}".format(project, name) for name in resource.removed(want, have))
            elif label == "exclusive" and have.exists:
                removed.append(dict(organization=params["organization"], name=params["name"], namespace=project))
        return self.bulk_result(plan.changed, plan.describe(), after, before, after, removed, pruning)


class PlatformModule(OvnModule):
    """A module for several platforms, chosen by ``platform``.

    ``ovn`` writes the OVN NB directly (``resource_class``, as OvnModule);
    ``kube_dc`` declares Kube-DC objects through the Kubernetes API and waits
    for the Kube-DC controller to realize them (``kube_resource_class``). The
    ovsdbapp library is needed only for ``ovn``, the kubernetes library only
    for ``kube_dc`` (imported when used).
    """

    platforms = ("ovn", "kube_dc")
    kube_resource_class = None
    # Platforms where the address is a property of a workload's pod template (calico, ack):
    # platform -> a function taking the module and returning its result. They talk to the
    # Kubernetes API only, like kube_dc, and have no list or projects form.
    workload_platforms = {}
    # Whether the kube_dc resource can check its rows in the NB (the verify_ovn option).
    verifies_ovn = False

    @property
    def shared_argument_specs(self):
        platform = dict(platform=dict(type="str", choices=list(self.platforms), default="ovn"))
        specs = (platform, connection.NB_ARGUMENT_SPEC, kube_client.KUBE_ARGUMENT_SPEC, kube_resource.WAIT_ARGUMENT_SPEC)
        return specs + ((kube_dc_verify.VERIFY_ARGUMENT_SPEC,) if self.verifies_ovn else ())

    def check_libraries(self):
        if self.params.get("platform") == "ovn":
            super(PlatformModule, self).check_libraries()
        else:
            KubedcModule.check_libraries(self)

    def run(self):
        if self.params.get("platform") in self.workload_platforms:
            return self.workload_platforms[self.params["platform"]](self)
        if self.params.get("platform") != "kube_dc":
            return super(PlatformModule, self).run()
        groups = self.project_groups()
        if groups is None and self.list_key is not None and self.params.get(self.list_key) is not None:
            groups = [(None, None, self.params)]
        if groups is None:
            resource = self.kube_resource_class(self.params)
            return kube_resource.run_kube(resource, self.params, self.check_mode, self.diff_mode, self.result_key)
        return self.run_kube_groups(groups)

    # -- the list and projects forms on kube_dc ---------------------------------------

    def kube_item_params(self, params, entry):
        """The params of one object of a list: the task's, with the entry's values."""
        item = dict(params)
        item.update({self.list_key: None, self.projects_key: None, "exclusive": False})
        item.update(entry)
        return item

    def kube_steps(self, label, project, params):
        """The steps of one group (a projects entry, or the task's own list)."""
        where = [(label, project)] if label else []
        if self.list_key is None:
            return [kube_resource.KubeStep(self.kube_resource_class(params), where)]
        steps = []
        for index, entry in enumerate(params.get(self.list_key) or []):
            steps.append(self.kube_item_step(label, project, params, entry, "{0}[{1}]".format(self.list_key, index)))
        return steps

    def kube_item_step(self, label, project, params, entry, item_label):
        """The step of one entry of a list. Removed, it is named as on ovn: by its name in the
        list form, as ``<project>/<name>`` in the projects form."""
        where = ([(label, project)] if label else []) + [(item_label, entry["name"])]
        removal = "{0}/{1}".format(project, entry["name"]) if label else entry["name"]
        return kube_resource.KubeStep(self.kube_resource_class(self.kube_item_params(params, entry)), where, removal=removal)

    def run_kube_groups(self, groups):
        """Converge several kube_dc objects in one task: every one validated, read and
        checked before the first write (the Kubernetes API has no transaction across
        objects, so this is how a bad entry writes nothing), with ``exclusive`` removing
        the objects of each project the collection made and the list no longer names."""
        steps, prunable = [], []
        for label, project, params in groups:
            found = self.kube_steps(label, project, params)
            steps.extend(found)
            if self.list_key is not None and params.get("exclusive") and params.get("state", "present") == "present":
                prunable.append((label, project, params, found))

        project_pruning = self.pruning_projects()

        def prune(objects):
            pruned = []
            if project_pruning:
                declared = set((params["organization"], params["name"]) for _label, _project, params in groups)
                for organization, name in self.kube_resource_class.managed_projects(objects):
                    if (organization, name) not in declared:
                        namespace = "{0}-{1}".format(organization, name)
                        params = dict(self.params, projects=None, state="absent", organization=organization, name=name)
                        pruned.append(kube_resource.KubeStep(self.kube_resource_class(params), [("exclusive", namespace)],
                                                             removal=dict(organization=organization, name=name, namespace=namespace)))
            for label, project, params, found in prunable:
                namespace = project_names(params["organization"], params["project"], "project").namespace
                declared = set(step.want["name"] for step in found)
                for name in self.kube_resource_class.managed_names(objects, namespace):
                    if name not in declared:
                        pruned.append(self.kube_item_step(label, project, params, {"name": name, "state": "absent"}, self.list_key))
            return pruned

        steps = kube_resource.converge(steps, self.params, self.check_mode, prune=prune if prunable or project_pruning else None)
        commands, views, before, after, removed = [], [], [], [], []
        for step in steps:
            commands.extend(step.commands)
            for side, obj in ((before, step.have), (after, step.after)):
                entry = step.diff_side(obj)
                if entry is not None:
                    side.append(entry)
            if step.after is not None:
                views.append(step.resource.view(step.objects, step.want, step.after))
            elif step.have is not None and step.changes and step.removal is not None:
                removed.append(step.removal)
        return self.bulk_result(bool(commands), commands, views, before, after, removed, project_pruning)

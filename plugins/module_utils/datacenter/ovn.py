# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""A datacenter file on platform ovn: one plan over every kind, in one OVSDB transaction.

The per-kind resources (external_network, project_network, eip, fip, lb_binding)
keep their own validation, reads and row shapes; this composes them. The kinds
are planned in dependency order - external networks, project networks, EIPs,
FIPs, load balancer bindings, then the prunes (EIPs, whole projects) - and each
kind is planned against the rows the kinds before it will have made, not only
against what the NB holds now. That works because the whole plan is built
*inside* the transaction: each kind's operations are applied to the IDL's rows
as pending changes before the next kind reads them (``engine.settle`` makes
those rows read as they will be once committed). So a project on an external
network the same run creates, an EIP in a project it creates, a FIP on that EIP
all plan exactly, in check mode too, where the transaction is then aborted.

Everything else follows from the one transaction:

* all of the file or none of it is written; a refusal anywhere (a project that
  still has a workload, an address taken) aborts it, and every refusal of the
  kind where the first one came up is reported at once, by project;
* address allocations stay race-safe: each verifies its pool inside the
  transaction, and when another run changed a pool first the server answers
  TRY_AGAIN and ovsdbapp runs the whole plan again on fresh data;
* check mode shows the operations, addresses included, that the real run makes.
"""

import copy

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    KubedcError,
    about,
)
from ansible_collections.kubedc.network.plugins.module_utils.datacenter.report import NETWORKS, Ledger
from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection, engine, ipam
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import Eip
from ansible_collections.kubedc.network.plugins.module_utils.ovn.external_network import ExternalNetwork
from ansible_collections.kubedc.network.plugins.module_utils.ovn.fip import Fip
from ansible_collections.kubedc.network.plugins.module_utils.ovn.lb_binding import BINDING_KEY_PREFIX, LbBinding
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import (
    ProjectNetwork,
    managed_projects,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import ITEM_LABELS

# The report's kind -> (resource class, the list option of the projects form, or None).
RESOURCES = {
    "external network": (ExternalNetwork, None),
    "project network": (ProjectNetwork, None),
    "eip": (Eip, "eips"),
    "fip": (Fip, "fips"),
    "binding": (LbBinding, "bindings"),
}
FOUNDATIONS = ("external network", "project network", "eip")
# The kind an ownership mark (external_ids kubedc:kind, an allocation's owner) stands for.
OWNER_KINDS = {"fip": "fip", "eip": "eip"}


class DatacenterRefused(KubedcError):
    """The plan met refusals: nothing was written; ``blockers`` lists them by project."""


class Entry(object):
    """One resource of the plan: a kind's declarations of one project, or one external network."""

    def __init__(self, kind, group, where, params):
        self.kind = kind
        self.group = group
        self.where = where  # (path in the file, name) for errors
        self.resource = RESOURCES[kind][0](params)
        self.want = None

    def validate(self):
        with about(*self.where):
            self.want = self.resource.validate()
        return self.want

    def objects(self, views):
        """name -> view of what describe() or outcome() returned."""
        if isinstance(views, list):
            return dict((view["name"], view) for view in views)
        if not views:
            return {}
        return {views.get("name") if self.kind == "external network" else None: views}


class Stage(object):
    def __init__(self, name, entries, reported=True):
        self.name = name
        self.entries = entries
        self.reported = reported


class Datacenter(object):
    """The stages of one run of a checked datacenter file (see file.plan)."""

    def __init__(self, planned, base, state="present", part="all", remove_external_networks=True):
        self.planned = planned
        self.base = base
        self.state = state
        self.part = part
        self.exclusive = planned["exclusive"] and state == "present" and part != "foundations"
        declared = []
        for project in planned["projects"]:
            declared.append("{0}-{1}".format(project["organization"], project["name"]))
        self.declared = set(declared)
        self.stages = self._stages(remove_external_networks)
        for stage in self.stages:
            for entry in stage.entries:
                entry.validate()

    # -- building the stages -----------------------------------------------------

    def _params(self, **values):
        params = dict(self.base)
        params.update(values)
        return params

    def _network(self, network, state):
        path = self.planned["network_paths"].get(network["name"], "external_networks")
        return Entry("external network", NETWORKS, (path, network["name"]), self._params(state=state, **network))

    def _project(self, project, state):
        namespace = "{0}-{1}".format(project["organization"], project["name"])
        path = self.planned["project_paths"].get(namespace, "exclusive")
        return Entry("project network", namespace, (path, namespace), self._params(state=state, **project))

    def _listed(self, kind, entry, items=None, exclusive=False):
        option = RESOURCES[kind][1]
        namespace = "{0}-{1}".format(entry["organization"], entry["project"])
        path = self.planned["project_paths"].get(namespace, "exclusive")
        params = self._params(state="present", organization=entry["organization"], project=entry["project"],
                              exclusive=exclusive, force=False)
        params[option] = copy.deepcopy(entry[option] if items is None else items)
        if items is None:
            params[ITEM_LABELS] = self.planned["item_paths"][namespace][option]
        return Entry(kind, namespace, (path, namespace), params)

    def _stages(self, remove_external_networks):
        planned = self.planned
        if self.state == "absent":
            # Everything of the file's projects, last-made first; each project pruned whole, so
            # that objects an older version of the file made go too.
            stages = [
                Stage("bindings", [self._listed("binding", e, [], True) for e in planned["bindings"]]),
                Stage("fips", [self._listed("fip", e, [], True) for e in planned["fips"]]),
                Stage("eips", [self._listed("eip", e, [], True) for e in planned["eips"]]),
                Stage("project networks", [self._project(dict(organization=p["organization"], name=p["name"]), "absent")
                                           for p in planned["projects"]]),
            ]
            if remove_external_networks:
                stages.append(Stage("external networks", [self._network(dict(name=n["name"]), "absent")
                                                          for n in planned["external_networks"]]))
            return stages
        foundations = self.part != "exposures"
        stages = [
            Stage("external networks", [self._network(n, "present") for n in planned["external_networks"]], foundations),
            Stage("project networks", [self._project(p, "present") for p in planned["projects"]], foundations),
            # Never pruned here: a FIP or VIP may still use an EIP the file no longer names.
            Stage("eips", [self._listed("eip", e) for e in planned["eips"]], foundations),
        ]
        if self.part == "foundations":
            return stages
        stages += [
            Stage("fips", [self._listed("fip", e, exclusive=planned["exclusive"]) for e in planned["fips"]]),
            Stage("bindings", [self._listed("binding", e, exclusive=planned["exclusive"]) for e in planned["bindings"]]),
        ]
        if self.exclusive:
            stages += [
                # Now that the FIPs and VIPs the file dropped are gone, the EIPs it dropped can go.
                Stage("eip prune", [self._listed("eip", e, exclusive=True) for e in planned["eips"]]),
                Stage("project prune", []),
            ]
        return stages

    def dropped(self, routers):
        """The stages' entries for the projects the collection made that the file no longer
        names: everything of ours in them goes, then the project network."""
        extra = dict((name, []) for name in ("fips", "bindings", "eip prune", "project prune"))
        if not self.exclusive:
            return extra
        for names in managed_projects(routers):
            if names.namespace in self.declared:
                continue
            scope = dict(organization=names.organization, project=names.project, fips=[], bindings=[], eips=[])
            extra["fips"].append(self._listed("fip", scope, [], True))
            extra["bindings"].append(self._listed("binding", scope, [], True))
            extra["eip prune"].append(self._listed("eip", scope, [], True))
            extra["project prune"].append(self._project(dict(organization=names.organization, name=names.project), "absent"))
        for entries in extra.values():
            for entry in entries:
                entry.validate()
        return extra

    def scope(self):
        scopes = [entry.resource.scope(entry.want) for stage in self.stages for entry in stage.entries]
        if self.exclusive:
            scopes.append(ProjectNetwork.managed_scope())
        return connection.NbScope.union(scopes)


class DatacenterCommand(engine.PlanCommand):
    """The whole datacenter plan as one ovsdbapp command: planned and applied kind by kind
    inside the transaction, then committed (or, in check mode or on a refusal, aborted).

    ovsdbapp runs ``run_idl`` again on fresh data after TRY_AGAIN, so each attempt starts
    from nothing: new entries for the dropped projects, new address picks, a new ledger.
    """

    def __init__(self, api, session, datacenter, check_mode):
        super(DatacenterCommand, self).__init__(api, engine.Plan())
        self.session = session
        self.datacenter = datacenter
        self.check_mode = check_mode

    def run_idl(self, txn):
        self.ledger = Ledger()
        self.commands = []
        self.hidden = []  # operations of stages that are not reported (part=exposures)
        self.problems = []
        self.views = {}
        try:
            self._plan(txn)
        except KubedcError as exc:
            self.problems.append(("", exc.msg))
        # The transaction commits only what a real run without a refusal planned.
        if self.problems or self.check_mode or not (self.commands or self.hidden):
            txn.abort()
        self.result = None

    def _plan(self, txn):
        idl = self.api.idl
        extra = self.datacenter.dropped(list(idl.tables["Logical_Router"].rows.values()))
        for stage in self.datacenter.stages:
            entries = stage.entries + extra.get(stage.name, [])
            # Memos of derived reads (the external network catalog, ports by name) are of the
            # rows as they were before the kinds planned so far.
            self.session.derived.clear()
            context = engine.TxnContext(idl, txn)
            reservations = {}
            planned = []
            # Read and plan every entry of the kind, then apply them all: the entries of one
            # kind are of different projects, and share only the address picks.
            for entry in entries:
                entry.resource.reservations = reservations
                try:
                    with about(*entry.where):
                        have = entry.resource.read(self.session, entry.want)
                        before = entry.resource.describe(have)
                        plan = entry.resource.plan(self.session, entry.want, have)
                except KubedcError as exc:
                    self.problems.append((entry.group, exc.msg))
                    continue
                planned.append((entry, have, before, plan))
            applied = []
            for entry, have, before, plan in planned if not self.problems else []:
                owners = [_owners(op, idl) for op in plan.ops]
                try:
                    with about(*entry.where):
                        for op in plan.ops:
                            op.run(context)
                except KubedcError as exc:
                    self.problems.append((entry.group, exc.msg))
                    continue
                applied.append((entry, have, before, plan, owners))
            if self.problems:
                # Every refusal of this kind is listed; the kinds after it depend on it.
                return
            for entry, have, before, plan, owners in applied:
                # Nothing planned leaves the object as it was read (the idempotent re-run of a
                # large file plans nothing for most entries).
                after = entry.resource.outcome(entry.want, have, plan, context.values) if plan.ops else before
                if stage.reported:
                    self._record(entry, before, after, plan, owners)
                    self.commands.extend(plan.describe())
                else:
                    self.hidden.extend("{0}: {1}".format(entry.group, line) for line in plan.describe())
            engine.settle(txn)
        if self.hidden and not self.check_mode:
            self.problems.append(("", "the file's external networks, project networks and EIPs are not converged yet: "
                                      "run the project_bootstrap role (or playbooks/site.yml) first. It would: {0}".format(
                                          "; ".join(self.hidden))))
            return
        # The external networks as the whole plan leaves them: with the addresses the
        # projects, EIPs and FIPs planned after them allocate.
        self.session.derived.clear()
        for entry in self.datacenter.stages[0].entries if self.datacenter.state == "present" else []:
            view = entry.resource.describe(entry.resource.read(self.session, entry.want))
            self.views.setdefault(entry.kind, {})[(entry.group, entry.want["name"])] = view

    def _record(self, entry, before, after, plan, owners):
        before, after = entry.objects(before), entry.objects(after)
        views = self.views.setdefault(entry.kind, {})
        shown = False
        for name in sorted(set(before) | set(after), key=lambda n: n or ""):
            self.ledger.record(entry.group, entry.kind, name, before.get(name), after.get(name))
            if after.get(name):
                views[(entry.group, name)] = after[name]
            else:
                views.pop((entry.group, name), None)
            shown = shown or before.get(name) != after.get(name)
        if not plan.ops or shown:
            return
        # Rows change that no object's view shows (a row repaired in place): the objects whose
        # rows they are, as far as the rows say, or else the kind's rows of the project.
        seen = set(before) | set(after)
        if entry.kind in ("external network", "project network"):
            names = seen
        else:
            names = set().union(*owners) & seen
        for name in sorted(names, key=lambda n: n or ""):
            self.ledger.touched(entry.group, entry.kind, name)
        if not names:
            self.ledger.touched(entry.group, entry.kind + " rows", None)


def _owners(op, idl):
    """The names of the declared objects whose rows ``op`` writes, as far as they say."""
    ids = {}
    if isinstance(op, engine.Insert):
        ids = op.columns.get("external_ids") or {}
    elif isinstance(op, (ipam.Allocate, ipam.Release)):
        kind, _sep, obj = op.owner.partition("/")
        ids = {engine.KIND_KEY: kind, engine.OBJECT_KEY: obj}
    else:
        ref = getattr(op, "ref", None)
        row = idl.tables[ref.table].rows.get(ref.uuid) if isinstance(ref, engine.Existing) else None
        if row is not None:
            ids = row.external_ids
        if isinstance(op, (engine.SetKeys, engine.DelKeys)):
            keys = op.mapping if isinstance(op, engine.SetKeys) else op.keys
            return set(k[len(BINDING_KEY_PREFIX):] for k in keys if isinstance(k, str) and k.startswith(BINDING_KEY_PREFIX))
    if ids.get(engine.KIND_KEY) in OWNER_KINDS and "/" in (ids.get(engine.OBJECT_KEY) or ""):
        return set([ids[engine.OBJECT_KEY].split("/", 1)[1]])
    return set()


def converge(planned, base, check_mode, state="present", part="all", remove_external_networks=True):
    """Plan and (unless ``check_mode``) commit a checked datacenter file in one transaction.

    Returns the command that ran: its ``ledger``, ``commands`` and ``views``. Raises
    DatacenterRefused, with every refusal by project, when any part of the plan is refused.
    """
    datacenter = Datacenter(planned, base, state, part, remove_external_networks)
    session = connection.connect(base, datacenter.scope())
    try:
        command = DatacenterCommand(session.api, session, datacenter, check_mode)
        session.transact([command])
    finally:
        session.close()
    if command.problems:
        raise refused(command.problems, state)
    return command


def refused(problems, state, applied=None):
    """One error listing every refusal, grouped by project. ``applied``: what a run that is not
    one transaction (kube_dc) wrote before it met the refusal, which the message then owns up to."""
    blockers = {}
    for group, text in problems:
        blockers.setdefault(group or "datacenter", []).append(text)
    lines = []
    for group in sorted(blockers):
        lines.append("{0}:".format(group))
        lines.extend("  " + text for text in blockers[group])
    what = "teardown refused, nothing was removed" if state == "absent" else "the datacenter file was refused, nothing was changed"
    if applied:
        what = "the run stopped on a refusal after it had applied {0} change(s) ({1})".format(len(applied), "; ".join(applied))
    details = dict(blockers=blockers)
    if applied:
        details.update(changed=True, applied=list(applied))
    return DatacenterRefused("{0}; {1} problem(s):\n{2}".format(what, len(problems), "\n".join(lines)), **details)

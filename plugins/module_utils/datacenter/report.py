# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""What a datacenter run did, or in check mode would do, object by object.

Both engines (ovn and kube_dc) record every object they planned in a ``Ledger``:
its view before the run (as the first kind that looked at it saw it) and after
(as the last kind that planned it left it). From that one record come the
summary (per project, what is created, changed and removed, removals first, and
the totals), the per-object diffs that ``--diff`` prints, and the ``changes``
list the module returns, so the three can never disagree.
"""

NETWORKS = "external networks"
# The order objects are made in; removals go the other way.
KINDS = ("external network", "project network", "eip", "fip", "binding")
ACTIONS = ("remove", "create", "change")
PAST = dict(create="created", change="changed", remove="removed")


class Ledger(object):
    def __init__(self):
        self._objects = {}
        self._order = []

    def record(self, group, kind, name, before, after, waiting_for=None):
        """One kind's view of one object: ``before`` counts the first time, ``after`` the last."""
        key = (group, kind, name)
        entry = self._objects.get(key)
        if entry is None:
            entry = dict(group=group, kind=kind, name=name, before=before or None, after=after or None,
                         forced=False, waiting_for=None)
            self._objects[key] = entry
            self._order.append(key)
        else:
            entry["after"] = after or None
        if waiting_for:
            entry["waiting_for"] = waiting_for

    def touched(self, group, kind, name):
        """Rows of the object change although its view does not (a row repaired in place)."""
        key = (group, kind, name)
        if key not in self._objects:
            self.record(group, kind, name, None, None)
        self._objects[key]["forced"] = True

    def seen(self, group, kind, name):
        return (group, kind, name) in self._objects

    @staticmethod
    def _action(entry):
        before, after = entry["before"], entry["after"]
        if not before and after:
            return "create"
        if before and not after:
            return "remove"
        if before and (before != after or entry["forced"]):
            return "change"
        return None

    def changes(self):
        """Every object the run changes, in the summary's order."""
        found = []
        for key in sorted(self._order, key=self._sort_key):
            entry = self._objects[key]
            action = self._action(entry)
            if action is None:
                continue
            found.append(dict(project=None if entry["group"] == NETWORKS else entry["group"], kind=entry["kind"],
                              name=entry["name"], action=action, before=entry["before"] or {},
                              after=entry["after"] or {}, waiting_for=entry["waiting_for"]))
        return found

    def _sort_key(self, key):
        group, kind, name = key
        action = self._action(self._objects[key]) or "change"
        rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
        # Removals are made last-first: bindings before FIPs before EIPs before the project.
        rank = -rank if action == "remove" else rank
        return (group != NETWORKS, group, ACTIONS.index(action), rank, name or "")

    def summary(self, check_mode):
        """``lines`` to print, ``projects`` (group -> created/changed/removed -> "kind name") and ``totals``."""
        totals = dict(created=0, changed=0, removed=0)
        projects, lines, group = {}, [], None
        for change in self.changes():
            where = change["project"] or NETWORKS
            if where != group:
                lines.append("{0}:".format(where))
                group = where
            what = change["kind"] if change["name"] is None else "{0} {1}".format(change["kind"], change["name"])
            past = PAST[change["action"]]
            totals[past] += 1
            projects.setdefault(where, dict(created=[], changed=[], removed=[]))[past].append(what)
            line = "  {0} {1}".format(change["action"] if check_mode else past, what)
            if change["waiting_for"]:
                line += " (waiting for {0})".format(change["waiting_for"])
            lines.append(line)
        if check_mode:
            lines.append("{created} to create, {changed} to change, {removed} to remove.".format(**totals))
        else:
            lines.append("{created} created, {changed} changed, {removed} removed.".format(**totals))
        return dict(lines=lines, projects=projects, totals=totals)

    def diffs(self):
        """One diff per changed object, headed by what it is, as Ansible prints a list of diffs."""
        found = []
        for change in self.changes():
            header = "{0}: {1}{2}".format(change["project"] or NETWORKS, change["kind"],
                                          "" if change["name"] is None else " " + change["name"])
            found.append(dict(before_header=header, after_header=header, before=change["before"], after=change["after"]))
        return found

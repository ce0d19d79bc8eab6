# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""What verify.yml finds different between a datacenter file and the network.

The check-mode run of the datacenter module on the file (with ``exclusive``) lists
every object a run would create, change or remove: each is a difference. The
``network_trace`` results of the file's projects add every path that ovn-trace did
not see go where it is declared to.
"""

LABELS = {"external network": "external network", "project network": "project network", "eip": "EIP", "fip": "FIP",
          "binding": "binding"}
DIFFERENCES = dict(create="is declared and missing", remove="exists and the file does not name it", change="differs from the file")


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


def _fields(before, after):
    """What differs between two views of one object: ``field: old -> new``."""
    keys = sorted(set(before or {}) | set(after or {}))
    return ", ".join("{0}: {1} -> {2}".format(key, (before or {}).get(key), (after or {}).get(key))
                     for key in keys if (before or {}).get(key) != (after or {}).get(key))


def verify(check, traces=None):
    """One line per difference; see the datacenter_verify filter."""
    problems = []
    check = check or {}
    if check.get("failed"):
        problems.append("datacenter: the check run was refused: {0}".format(check.get("msg")))
    missing = set(change["project"] for change in check.get("changes") or []
                  if change["kind"] == "project network" and change["action"] == "create")
    for change in check.get("changes") or []:
        where, kind, action = change["project"] or "external networks", change["kind"], change["action"]
        if kind == "project network" and action == "create":
            problems.append("{0}: the project network does not exist".format(where))
            continue
        if change["project"] in missing:
            continue  # one difference per project that does not exist, not one per object in it
        label = LABELS.get(kind, kind) + ("" if change["name"] is None else " " + change["name"])
        if kind == "project network":
            label = "the project network"
        line = "{0}: {1} {2}".format(where, label, DIFFERENCES[action])
        if action == "change":
            line += ": " + (_fields(change["before"], change["after"]) or "rows differ")
        problems.append(line)
    for result in _flat(traces or []):
        if "network_trace" not in result and result.get("failed"):
            item = result.get("item") if isinstance(result.get("item"), dict) else {}
            problems.append("{0}-{1}: the ovn-trace proof failed: {2}".format(item.get("organization"), item.get("name"), result.get("msg")))
            continue
        report = result.get("network_trace") or {}
        for failure in report.get("failures") or []:
            problems.append("{0}: ovn-trace: {1}".format(report.get("namespace"), failure))
    return problems


def unproven(traces):
    """The paths ovn-trace could not prove yet because no workload holds their target."""
    return ["{0}: {1}".format((result.get("network_trace") or {}).get("namespace"), line)
            for result in _flat(traces or []) for line in (result.get("network_trace") or {}).get("unproven") or []]

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""The datacenter module's run: check the file, hand it to its platform's engine, report.

Each engine (``ovn``, ``kube_dc``) returns what it planned as a ``Ledger`` of
objects, the command lines of its writes and the views of the objects as the run
leaves them; the result is built from those the same way on both platforms.
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput, KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.datacenter import file
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import KUBE_OPTIONS
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NB_ARGUMENT_SPEC

VIEW_KEYS = (
    ("external network", "external_networks"),
    ("project network", "project_networks"),
    ("eip", "eips"),
    ("fip", "fips"),
    ("binding", "bindings"),
)


def connection_params(params, planned):
    """The connection options every resource gets: the file's ``connection``, else the
    module's own options (which fall back to OVN_NB_DB, K8S_AUTH_* and the others)."""
    base = dict((key, params.get(key)) for key in tuple(NB_ARGUMENT_SPEC) + KUBE_OPTIONS)
    base.update(planned["connection"])
    base.update(planned["kubernetes"])
    base.update(wait=True, wait_timeout=params.get("wait_timeout") or 300, wait_sleep=params.get("wait_sleep") or 2.0)
    return base


def converge(params, check_mode, diff_mode):
    state, part = params.get("state") or "present", params.get("part") or "all"
    if state == "absent" and part != "all":
        raise InvalidInput("part", part, "only goes with state=present; state=absent removes the whole file (part all)")
    planned = file.plan(params["datacenter"])
    base = connection_params(params, planned)
    if planned["platform"] == "kube_dc":
        from ansible_collections.kubedc.network.plugins.module_utils.datacenter import kube_dc

        done = kube_dc.converge(planned, base, check_mode, state=state, part=part)
    else:
        from ansible_collections.kubedc.network.plugins.module_utils.datacenter import ovn
        from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection

        if not connection.HAS_OVSDBAPP:
            raise KubedcError(missing_required_lib("ovsdbapp"), exception=str(connection.OVSDBAPP_IMPORT_ERROR))
        done = ovn.converge(planned, base, check_mode, state=state, part=part,
                            remove_external_networks=params.get("remove_external_networks", True))
    return result(done, check_mode, diff_mode, objects=params.get("return_objects", False))


def result(done, check_mode, diff_mode, objects=False):
    """The module result of an engine's run (``ledger``, ``commands``, ``views``); with
    ``objects``, the views of every object of the file as well."""
    out = dict(
        changed=bool(done.commands),
        commands=list(done.commands),
        summary=done.ledger.summary(check_mode),
        changes=done.ledger.changes(),
    )
    for kind, key in VIEW_KEYS if objects else ():
        views = done.views.get(kind, {})
        out[key] = [views[found] for found in sorted(views, key=lambda k: (k[0], k[1] or "")) if views[found]]
    if diff_mode:
        out["diff"] = done.ledger.diffs()
    return out

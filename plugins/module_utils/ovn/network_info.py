# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""network_info: a project's network as data, with the drift from what was declared.

Everything is read in one scoped session. Drift is not a second notion of
what should be there: the declarations that project_network and fip record
on their rows (``kubedc:declared``) are replayed through those modules' own
planning, read-only, and whatever a converge would change is reported.
"""

import json

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube import client as kube_client
from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import Eip, EipProject
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import (
    KIND_KEY,
    OBJECT_KEY,
    is_ours,
    row_label,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.fip import KIND as FIP_KIND
from ansible_collections.kubedc.network.plugins.module_utils.ovn.fip import Fip, FipProject
from ansible_collections.kubedc.network.plugins.module_utils.ovn.lb_binding import (
    BINDING_KEY_PREFIX,
    LbBinding,
    LbState,
    declared_key,
)
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import ProjectNetwork
from ansible_collections.kubedc.network.plugins.module_utils.ovn.resource import DECLARED_KEY


def _owner(row):
    return "{0} {1}".format(row.external_ids.get(KIND_KEY), row.external_ids.get(OBJECT_KEY)) if is_ours(row) else None


def _connection_params(params):
    """The NB and Kubernetes connection options, which replays of declarations reuse."""
    values = dict((k, params.get(k)) for k in connection.NB_ARGUMENT_SPEC)
    if kube_client.is_given(params):
        # Without them, a replay of a pod, VM or Service declaration says it was not checked.
        values.update(kube_client.connection_params(params))
    return values


def _replay(resource_class, declared, params, session, have=None):
    """The commands a converge of a recorded declaration would make now, or its error.

    ``have`` is what the resource reads, when it was read once for the whole
    project: a replay per FIP or binding must not re-read the project for each.
    """
    replay = dict(_connection_params(params))
    replay.update(json.loads(declared))
    replay["state"] = "present"
    resource = resource_class(replay)
    try:
        want = resource.validate()
        if have is None:
            have = resource.read(session, want)
        return resource.plan(session, want, have).describe(), None
    except KubedcError as exc:
        return [], exc.msg


def gather(params):
    organization = validation.dns_label("organization", params["organization"])
    project = validation.dns_label("project", params["project"])
    base = dict(_connection_params(params), organization=organization, state="present")
    project_resource = ProjectNetwork(dict(base, name=project, state="absent"))
    want = project_resource.validate()
    session = connection.connect(params, project_resource.scope(want))
    try:
        return _gather(params, base, project, want, project_resource, session)
    finally:
        session.close()


def _gather(params, base, project, want, project_resource, session):
    have = project_resource.read(session, want)
    names = want["names"]
    result = dict(exists=have.exists, namespace=names.namespace, project={}, eips=[], fips=[], lb_bindings=[],
                  nat=[], policies=[], unmanaged=[], drift=[])
    if not have.exists:
        return result
    result["project"] = project_resource.describe(have)
    router = have.router
    drift = []
    declared = router.external_ids.get(DECLARED_KEY)
    if declared:
        commands, error = _replay(ProjectNetwork, declared, params, session)
        if commands or error:
            drift.append(dict(declaration="project_network " + names.namespace, commands=commands, error=error))

    eips = EipProject(names, session)
    for network, (_row, pool) in sorted(have.catalog.items()):
        for address, owner in sorted(pool.allocations.items()):
            if owner.startswith(eips.prefix):
                name = owner[len(eips.prefix):]
                result["eips"].append(Eip(dict(base, project=project, name=name)).view_of(eips, name))

    fips = FipProject(names, session)
    for nat in sorted(router.nat, key=lambda n: (n.type, n.external_ip, n.logical_ip)):
        result["nat"].append(dict(type=nat.type, external_ip=nat.external_ip, logical_ip=nat.logical_ip, owner=_owner(nat)))
        if nat.external_ids.get(KIND_KEY) == FIP_KIND and is_ours(nat):
            obj = nat.external_ids.get(OBJECT_KEY, "/")
            name = obj.split("/", 1)[1]
            result["fips"].append(Fip(dict(base, project=project, name=name, state="absent")).view_of(fips, obj))
            if nat.external_ids.get(DECLARED_KEY):
                commands, error = _replay(Fip, nat.external_ids[DECLARED_KEY], params, session, have=fips)
                if commands or error:
                    drift.append(dict(declaration="fip {0}/{1}".format(names.namespace, name), commands=commands, error=error))

    bindings = LbState(names, session)
    for balancer in sorted(router.load_balancer, key=lambda lb: lb.name):
        for key in sorted(balancer.external_ids):
            if key.startswith(BINDING_KEY_PREFIX) and is_ours(balancer):
                name = key[len(BINDING_KEY_PREFIX):]
                result["lb_bindings"].append(LbBinding(dict(base, project=project, name=name, state="absent")).view_of(bindings, name))
                declared = balancer.external_ids.get(declared_key(name))
                if declared:
                    commands, error = _replay(LbBinding, declared, params, session, have=bindings)
                    if commands or error:
                        drift.append(dict(declaration="lb_binding {0}/{1}".format(names.namespace, name),
                                          commands=commands, error=error))

    for policy in sorted(router.policies, key=lambda p: (-p.priority, p.match)):
        result["policies"].append(dict(priority=policy.priority, match=policy.match, action=policy.action,
                                       nexthops=sorted(policy.nexthops), owner=_owner(policy)))

    rows = [("Logical_Router_Port", r) for r in router.ports] + [("Logical_Router_Static_Route", r) for r in router.static_routes]
    rows += [("NAT", r) for r in router.nat] + [("Logical_Router_Policy", r) for r in router.policies]
    rows += [("Load_Balancer", r) for r in router.load_balancer] + [("Logical_Switch_Port", r) for r in have.switch_ports()]
    result["unmanaged"] = sorted("{0} {1}".format(table, row_label(table, row)) for table, row in rows if not is_ours(row))
    result["drift"] = drift
    return result

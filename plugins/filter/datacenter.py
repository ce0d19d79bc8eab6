# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kubedc.network.plugins.plugin_utils import datacenter


def datacenter_plan(value):
    try:
        return datacenter.plan(value)
    except datacenter.DatacenterError as exc:
        raise AnsibleFilterError(str(exc))


def datacenter_summary(value, results):
    return datacenter.summary(value, results)


def datacenter_plannable(value, networks=None, projects=None, eips=None):
    return datacenter.plannable(value, networks=networks, projects=projects, eips=eips)


def datacenter_dropped(value, made):
    return datacenter.dropped(value, made)


def datacenter_verify(value, networks, traces=None, checks=None, made=None):
    return datacenter.verify(value, networks, traces=traces, checks=checks, made=made)


class FilterModule(object):
    def filters(self):
        return dict(datacenter_dropped=datacenter_dropped, datacenter_plan=datacenter_plan, datacenter_plannable=datacenter_plannable,
                    datacenter_summary=datacenter_summary, datacenter_verify=datacenter_verify)

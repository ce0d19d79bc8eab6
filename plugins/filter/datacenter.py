# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kubedc.network.plugins.module_utils.datacenter import file
from ansible_collections.kubedc.network.plugins.plugin_utils import datacenter


def datacenter_plan(value):
    try:
        return file.plan(value)
    except file.DatacenterError as exc:
        raise AnsibleFilterError(exc.msg)


def datacenter_verify(value, traces=None):
    return datacenter.verify(value, traces=traces)


def datacenter_unproven(value):
    return datacenter.unproven(value)


class FilterModule(object):
    def filters(self):
        return dict(datacenter_plan=datacenter_plan, datacenter_verify=datacenter_verify, datacenter_unproven=datacenter_unproven)

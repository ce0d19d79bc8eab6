# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""The datacenter module's action: Ansible's own (``normal``), with the garbage collector paused.

The task runs in a worker forked from the controller, which holds the whole play and the
datacenter file. There Ansible builds the module's zip, parsing each module_util into a syntax
tree, and then reads the module's result; both make objects fast enough that the collector
runs full collections over everything the worker holds, finding nothing to free. Paused for
this one task (module_utils/common/collector.py), the worker's time in collections on the
100-project file went from 0.45 s to 0.25 s (docs/performance.md). Nothing else differs from a
module without an action plugin.
"""

from ansible.plugins.action.normal import ActionModule as NormalActionModule

from ansible_collections.kubedc.network.plugins.module_utils.common import collector


class ActionModule(NormalActionModule):
    def run(self, tmp=None, task_vars=None):
        with collector.paused():
            return super(ActionModule, self).run(tmp, task_vars)

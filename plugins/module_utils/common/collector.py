# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Pause Python's cyclic garbage collector while a short burst of lasting objects is built.

The collector runs whenever allocations outnumber frees by a threshold, and a full collection
walks every object the process holds. Reading a large NB builds tens of thousands of rows and
datums that live until the process ends, and every few thousand of them set off a collection that
finds nothing to free: on the 100-project datacenter file about 0.13 s of the module's process
went to it. On the controller, Ansible builds the module's zip by parsing every module_util of
ours into a syntax tree, in a worker forked from a process that already holds the whole
playbook, so each full collection there walks all of that too: about 0.2 s more than for a
module with Ansible's utils alone (docs/performance.md).

Nothing of that is garbage with cycles: the rows live on, a syntax tree is freed by reference
counting, and what cyclic garbage a pause leaves is freed by the first collection after it ends,
or when the process exits. So the pause is scoped to bounded work: an NB session
(connection.py: from connect to close), a module's exit_json (base.py) and one task of the
datacenter action plugin. Pauses nest; the collector comes back as it was when the outermost
one ends.
"""

import gc
from contextlib import contextmanager

_depth = [0]
_was_enabled = [False]


def pause():
    if _depth[0] == 0:
        _was_enabled[0] = gc.isenabled()
        gc.disable()
    _depth[0] += 1


def resume():
    if _depth[0] == 0:
        return
    _depth[0] -= 1
    if _depth[0] == 0 and _was_enabled[0]:
        gc.enable()


@contextmanager
def paused():
    pause()
    try:
        yield
    finally:
        resume()

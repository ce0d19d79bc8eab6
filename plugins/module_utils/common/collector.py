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


def spare_until_exit():
    """Put every object alive now out of reach of later collections (``gc.freeze``), for a
    process that ends soon after.

    A pause defers the collections, it does not save them: everything made while paused is
    still young when the pause ends, so the first collection after it walks all of it (0.09 s
    in the controller's worker after the 100-project file's task), and the interpreter's last
    collection when a module exits walks everything the module made (0.03-0.04 s there, see
    docs/performance.md). Frozen objects are still freed when nothing refers to them; only
    cyclic garbage among them waits for the process to end. So this is for a module's exit
    and for a task's end in Ansible's worker, a process forked for one task; a long-lived
    process (a test run) undoes it with ``gc.unfreeze()``.
    """
    freeze = getattr(gc, "freeze", None)  # Python 3.7 and later
    if freeze is not None:
        freeze()


@contextmanager
def paused():
    pause()
    try:
        yield
    finally:
        resume()

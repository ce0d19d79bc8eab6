# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Compile each module of the module's zip once, not twice.

Ansible runs a module from a zip (AnsiballZ) that holds the collection's module_utils as
source, which ``zipimport`` compiles on import. Python 3.11's (Debian 12's, and this project's
machines') compiles every module twice: ``find_spec`` asks ``get_filename``, which compiles the source only to learn
where it came from, and ``exec_module`` then compiles it again for the code it runs. Our
module_utils are some 350 kB of source that a module imports, about 45 ms per compile on the
development machine (docs/performance.md).

``install`` keeps the first compile's result and hands it to the second request for the same
module of the same archive, which takes it out again: a later request (a reload, a
``get_code`` of its own) compiles afresh, as the library would. Where ``zipimport`` has no
``_get_module_code`` (other Python versions may not), nothing changes. Importing this module
installs it: base.py imports it before the rest of the collection.
"""

import zipimport


def install():
    compile_module = getattr(zipimport, "_get_module_code", None)
    if compile_module is None or getattr(compile_module, "kubedc_once", False):
        return
    pending = {}

    def once(importer, fullname):
        key = (importer.archive, importer.prefix, fullname)
        found = pending.pop(key, None)
        if found is None:
            found = compile_module(importer, fullname)
            pending[key] = found
        return found

    once.kubedc_once = True
    once.original = compile_module
    zipimport._get_module_code = once


def uninstall():
    """Put the library's own function back (for the tests)."""
    original = getattr(getattr(zipimport, "_get_module_code", None), "original", None)
    if original is not None:
        zipimport._get_module_code = original


install()
INSTALLED = True

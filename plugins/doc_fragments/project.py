# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The project an object belongs to, for every module that declares or reads objects of one.
    DOCUMENTATION = r"""
options:
  organization:
    description:
      - The organization of the project; a lower-case RFC 1123 label.
    type: str
    required: true
  project:
    description:
      - The project; a lower-case RFC 1123 label. Its namespace is V(<organization>-<project>),
        at most 63 characters.
      - Its project network (see M(kubedc.network.project_network)) must exist before objects
        are declared in it.
    type: str
    required: true
"""

    # The same for a module with the projects form (O(projects)), where each entry names its project.
    PROJECTS_FORM = r"""
options:
  organization:
    description:
      - The organization of the project; a lower-case RFC 1123 label.
      - Required unless O(projects) is set; mutually exclusive with it.
    type: str
  project:
    description:
      - The project; a lower-case RFC 1123 label. Its namespace is V(<organization>-<project>),
        at most 63 characters.
      - Its project network (see M(kubedc.network.project_network)) must exist before objects
        are declared in it.
      - Required unless O(projects) is set; mutually exclusive with it.
    type: str
"""

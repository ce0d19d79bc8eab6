# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Waiting for the Kube-DC controller, with kubernetes.core's option names.
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - With O(platform=kube_dc), wait until the Kube-DC controller reports the object ready
        (or, with O(state=absent), until it and what the controller made for it are gone).
      - In check mode nothing is written, so nothing is waited for.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait before the task fails, saying what the object's status lacks.
    type: int
    default: 300
  wait_sleep:
    description:
      - Seconds between two reads while waiting.
    type: float
    default: 2.0
"""

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
      - In a list or projects form, the task waits for all the objects it wrote at once, within one
        O(wait_timeout).
      - The custom resources the module creates carry the label
        C(kubedc.network/managed-by=kubedc.network), by which O(exclusive) knows them.
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

    # Modules whose kube_dc objects stand for rows that can be checked in the NB.
    VERIFY_OVN = r"""
options:
  verify_ovn:
    description:
      - With O(platform=kube_dc), once the object is ready, read the OVN Northbound DB (the
        O(ovn_nb_connection) options) and fail with a drift report if the rows Kube-OVN should
        have written for it are not there or differ from what Kube-DC reports.
      - It only reads the NB.
    type: bool
    default: false
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: network_info
short_description: Gather a project's network, and its drift from what was declared
version_added: 0.1.0
description:
  - Returns a project's network on OVN as data - its project network, EIPs, FIPs, load balancer
    bindings, NAT rows, router policies, and rows on its router or switch that the collection
    does not manage.
  - Reports drift. The declarations of M(kubedc.network.project_network), M(kubedc.network.fip)
    and M(kubedc.network.lb_binding) are recorded with their rows; they are replayed, without
    writing, and every change a converge would make now is listed, per declaration. A FIP whose
    NAT row was changed behind the collection's back, a SNAT row someone deleted, or a VIP whose
    backends were edited by hand shows up here.
  - Never fails because the project does not exist; RV(network.exists) is then false.
author:
  - kubedc.network contributors (@kubedc-network)
extends_documentation_fragment:
  - kubedc.network.project
  - kubedc.network.ovn_nb
  - kubedc.network.kube
  - kubedc.network.attributes.info_module
attributes:
  platform:
    description: The network system the module reads.
    support: full
    platforms: ovn
seealso:
  - module: kubedc.network.project_network
  - module: kubedc.network.fip
"""

EXAMPLES = r"""
- name: What does acme-prod's network look like, and has anything drifted?
  kubedc.network.network_info:
    organization: acme
    project: prod
  register: prod

- name: Fail a pipeline on drift
  ansible.builtin.assert:
    that: prod.network.drift | length == 0
    fail_msg: "{{ prod.network.drift }}"
"""

RETURN = r"""
network:
  description: The project's network.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the project network exists.
      type: bool
      sample: true
    namespace:
      description: The project namespace.
      type: str
      sample: acme-prod
    project:
      description: The project network, as M(kubedc.network.project_network) returns it; empty if it does not exist.
      type: dict
      sample: {"namespace": "acme-prod", "cidr": "10.0.0.0/24", "default_gateway_ip": "100.65.0.100"}
    eips:
      description: The project's EIPs, as M(kubedc.network.eip) returns them.
      type: list
      elements: dict
      sample: [{"name": "web", "address": "100.65.0.101", "users": []}]
    fips:
      description: The project's FIPs, as M(kubedc.network.fip) returns them.
      type: list
      elements: dict
      sample: [{"name": "bastion", "external_ip": "100.65.0.102", "ip_address": "10.0.0.11"}]
    lb_bindings:
      description: The project's load balancer bindings, as M(kubedc.network.lb_binding) returns them.
      type: list
      elements: dict
      sample: [{"name": "https", "address": "100.65.0.101", "port": 443, "backends": ["10.0.0.20:8443"]}]
    nat:
      description: Every NAT row of the project router, with the declaration it belongs to (null if not managed).
      type: list
      elements: dict
      sample: [{"type": "snat", "external_ip": "100.65.0.100", "logical_ip": "10.0.0.0/24", "owner": "project_network acme-prod"}]
    policies:
      description: Every policy of the project router, highest priority first.
      type: list
      elements: dict
      sample: [{"priority": 30000, "match": "ip4.src == 10.0.0.12", "action": "reroute", "nexthops": ["198.51.100.1"], "owner": "fip acme-prod/admin"}]
    unmanaged:
      description: Rows on the project router and switch that the collection does not manage.
      type: list
      elements: str
      sample: ["Logical_Switch_Port vm-10.acme-prod"]
    drift:
      description:
        - One item per declaration that differs from what it declared - the declaration, the
          changes a converge would make now, and an error if the declaration can no longer be
          converged.
      type: list
      elements: dict
      sample: [{"declaration": "fip acme-prod/bastion", "commands": ["update NAT dnat_and_snat 100.65.0.102 -> 10.0.0.9: logical_ip=10.0.0.11"], "error": null}]
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import OvnModule
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import KUBE_ARGUMENT_SPEC
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NB_ARGUMENT_SPEC
from ansible_collections.kubedc.network.plugins.module_utils.ovn.network_info import gather


class NetworkInfoModule(OvnModule):
    # The Kubernetes connection lets drift replays resolve FIPs on pods or VMs and
    # bindings on Services, as the modules that declared them did.
    shared_argument_specs = (NB_ARGUMENT_SPEC, KUBE_ARGUMENT_SPEC)
    argument_spec = dict(
        organization=dict(type="str", required=True),
        project=dict(type="str", required=True),
    )

    def run(self):
        return dict(changed=False, network=gather(self.params))


def main():
    module = NetworkInfoModule()
    module()


if __name__ == "__main__":
    main()

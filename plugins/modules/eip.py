#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eip
short_description: Manage an external IP (EIP) reserved for a project
version_added: 0.1.0
description:
  - Reserves a named external address for a project from an external network's pool, as a
    Kube-DC C(EIp) does. The reservation is recorded in the OVN Northbound DB next to the pool
    (see M(kubedc.network.external_network)), so every run sees it, and two runs that allocate at
    the same time never get the same address.
  - The address is then used by the project's floating IPs and load balancer bindings. Until
    then it is only reserved.
  - O(state=absent) releases the address. This is refused while NAT rows or load balancer VIPs
    on the project router still use it, unless O(force=true).
author:
  - kubedc.network contributors (@kubedc-network)
options:
  name:
    description:
      - Name of the EIP, unique within the project; a lower-case RFC 1123 label.
      - V(default-gw) is the project's default-gateway address, which
        M(kubedc.network.project_network) manages, and cannot be used.
    type: str
    required: true
  state:
    description:
      - V(present) reserves the address; V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  external_network_type:
    description:
      - The kind of external network to allocate from. Defaults to V(cloud) when
        O(external_network) is not set. Cannot be changed once the address is allocated.
    type: str
    choices: [cloud, public]
  external_network:
    description:
      - Name of the external network to allocate from, when there are several of the same type.
    type: str
  address:
    description:
      - The address to reserve. Defaults to the lowest free address of the external network.
        Cannot be changed once allocated.
    type: str
  force:
    description:
      - With O(state=absent), release the address even while NAT rows or load balancer VIPs
        still use it. Traffic to it keeps flowing to those rows, and the pool may hand the
        address to someone else.
    type: bool
    default: false
extends_documentation_fragment:
  - kubedc.network.project
  - kubedc.network.ovn_nb
  - kubedc.network.attributes
attributes:
  platform:
    description: The network system the module manages.
    support: full
    platforms: ovn
seealso:
  - module: kubedc.network.external_network
  - module: kubedc.network.project_network
"""

EXAMPLES = r"""
- name: Reserve an address on the public network for acme-prod's web front end
  kubedc.network.eip:
    organization: acme
    project: prod
    name: web
    external_network_type: public
  register: web_eip

- name: Reserve a given cloud address
  kubedc.network.eip:
    organization: acme
    project: prod
    name: bastion
    address: 100.65.0.200

- name: Release an address nothing uses any more
  kubedc.network.eip:
    organization: acme
    project: prod
    name: bastion
    state: absent
"""

RETURN = r"""
eip:
  description: The EIP after the task; empty when O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the EIP.
      type: str
      sample: web
    organization:
      description: Organization of the project.
      type: str
      sample: acme
    project:
      description: The project.
      type: str
      sample: prod
    namespace:
      description: The project namespace.
      type: str
      sample: acme-prod
    address:
      description:
        - The reserved address. In check mode, the address a real run would allocate unless
          another run takes it first.
      type: str
      sample: 198.51.100.2
    external_network:
      description: The external network the address belongs to.
      type: str
      sample: ext-public
    network_type:
      description: V(cloud) or V(public).
      type: str
      sample: public
    users:
      description: NAT rows and load balancer VIPs on the project router that use the address.
      type: list
      elements: str
      sample: ["NAT dnat_and_snat 198.51.100.2 -> 10.0.0.7"]
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction.
  returned: always
  type: list
  elements: str
  sample: ["allocate 198.51.100.2 in external network ext-public for eip/acme-prod/web"]
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import OvnModule
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import Eip


class EipModule(OvnModule):
    argument_spec = dict(
        name=dict(type="str", required=True),
        organization=dict(type="str", required=True),
        project=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        external_network_type=dict(type="str", choices=["cloud", "public"]),
        external_network=dict(type="str"),
        address=dict(type="str"),
        force=dict(type="bool", default=False),
    )
    resource_class = Eip
    result_key = "eip"


def main():
    module = EipModule()
    module()


if __name__ == "__main__":
    main()

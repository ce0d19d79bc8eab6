#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fip
short_description: Manage a floating IP (1:1 NAT) of a project
version_added: 0.1.0
description:
  - Declares a floating IP on a project's router in the OVN Northbound DB, as Kube-OVN realizes
    a Kube-DC C(FIp) - a C(dnat_and_snat) NAT row from an external address to O(ip_address) in
    the project subnet. Traffic from the internet to the external address reaches the target,
    and the target's own traffic to the internet leaves from that address.
  - The external address is a named EIP of the project (O(eip)), which stays when the FIP goes,
    or an address allocated for the FIP alone from O(external_network_type), which is released
    with it.
  - Changing O(ip_address) retargets the FIP in place. A NAT row of the FIP whose internal
    address was changed behind the collection's back is put right on the next run.
  - A FIP on another external network than the one the project egresses through (a public FIP
    in a cloud project, say) gets a way out on that network - a second distributed gateway port
    of the project there, shared by its FIPs on that network and removed with the last of them,
    and a reroute policy (priority 30000, C(ip4.src == <target>)) so that the target's replies
    leave through that network, from the FIP.
  - A FIP on a backend of a load balancer VIP on the other network type is refused, because the
    VIP's replies would then leave through the FIP's network and never reach the clients.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  name:
    description:
      - Name of the FIP, unique within the project; a lower-case RFC 1123 label.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the FIP; V(absent) deletes its NAT row and releases an
        address allocated for it alone.
    type: str
    choices: [present, absent]
    default: present
  eip:
    description:
      - Name of an EIP of the project (see M(kubedc.network.eip)) to use as the external address.
        The EIP must not be used by another FIP or by a load balancer VIP.
      - Mutually exclusive with O(external_network_type) and O(external_network).
    type: str
  external_network_type:
    description:
      - Allocate an address for this FIP alone from the external network of this type, and
        release it with the FIP. This is the default (V(cloud)) when O(eip) is not set.
    type: str
    choices: [cloud, public]
  external_network:
    description:
      - Name of the external network to allocate from, when there are several of the same type.
    type: str
  ip_address:
    description:
      - The internal address the FIP maps to, in the project subnet. Required when
        O(state=present). It must not have another FIP.
    type: str
  logical_port:
    description:
      - For a distributed FIP, the logical switch port of the target on the project switch; its
        traffic is then NATed on the target's own chassis rather than on the gateway chassis.
      - Requires O(external_mac).
    type: str
  external_mac:
    description:
      - For a distributed FIP, the MAC address the external address answers with. Requires
        O(logical_port).
    type: str
extends_documentation_fragment:
  - kubedc.network.project
  - kubedc.network.ovn_nb
  - kubedc.network.attributes
attributes:
  platform:
    description: The network system the module manages.
    support: full
    platforms: ovn
notes:
  - Targets by pod or virtual machine name are not supported yet.
seealso:
  - module: kubedc.network.eip
  - module: kubedc.network.project_network
"""

EXAMPLES = r"""
- name: SSH to a VM of acme-prod from the internet, on an address of its own
  kubedc.network.fip:
    organization: acme
    project: prod
    name: bastion
    ip_address: 10.0.0.10
  register: bastion

- name: Use a reserved EIP
  kubedc.network.fip:
    organization: acme
    project: prod
    name: db-admin
    eip: db
    ip_address: 10.0.0.20

- name: A distributed FIP, NATed on the VM's own chassis
  kubedc.network.fip:
    organization: acme
    project: prod
    name: worker
    ip_address: 10.0.0.30
    logical_port: worker-0.acme-prod
    external_mac: 0a:00:00:00:10:30

- name: Remove a FIP
  kubedc.network.fip:
    organization: acme
    project: prod
    name: bastion
    state: absent
"""

RETURN = r"""
fip:
  description: The FIP after the task; empty when O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the FIP.
      type: str
      sample: bastion
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
    external_ip:
      description:
        - The external address. In check mode, for a new allocation, the address a real run
          would allocate unless another run takes it first.
      type: str
      sample: 100.65.0.101
    ip_address:
      description: The internal address it maps to.
      type: str
      sample: 10.0.0.10
    eip:
      description: The EIP used, or null when the address was allocated for the FIP alone.
      type: str
      sample: null
    external_network:
      description: The external network of the address.
      type: str
      sample: ext-cloud
    network_type:
      description: V(cloud) or V(public).
      type: str
      sample: cloud
    logical_port:
      description: The target's port, for a distributed FIP; else null.
      type: str
      sample: null
    external_mac:
      description: The external MAC, for a distributed FIP; else null.
      type: str
      sample: null
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction.
  returned: always
  type: list
  elements: str
  sample:
    - allocate 100.65.0.101 in external network ext-cloud for fip/acme-prod/bastion
    - create NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10 in Logical_Router acme-prod
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import OvnModule
from ansible_collections.kubedc.network.plugins.module_utils.ovn.fip import Fip


class FipModule(OvnModule):
    argument_spec = dict(
        name=dict(type="str", required=True),
        organization=dict(type="str", required=True),
        project=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        eip=dict(type="str"),
        external_network_type=dict(type="str", choices=["cloud", "public"]),
        external_network=dict(type="str"),
        ip_address=dict(type="str"),
        logical_port=dict(type="str"),
        external_mac=dict(type="str"),
    )
    module_kwargs = dict(
        required_if=[("state", "present", ("ip_address",))],
        mutually_exclusive=[("eip", "external_network_type"), ("eip", "external_network")],
        required_together=[("logical_port", "external_mac")],
    )
    resource_class = Fip
    result_key = "fip"


def main():
    module = FipModule()
    module()


if __name__ == "__main__":
    main()

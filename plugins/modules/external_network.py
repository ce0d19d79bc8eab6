#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: external_network
short_description: Manage a provider network that project routers reach the outside through
version_added: 0.1.0
description:
  - Declares an external (provider) network in the OVN Northbound DB the way Kube-OVN shapes
    C(ext-cloud) and C(ext-public) - a logical switch named O(name) with a localnet port
    C(localnet.<name>) bound to a physical network and optional VLAN.
  - The network's address pool (O(cidr), O(gateway), O(reserved)) is recorded on the switch
    itself. Project networks, external IPs and floating IPs allocate their addresses from it,
    and every allocation is recorded there too, so all runs see the same allocations.
  - One network of type V(cloud) and one of type V(public) is the usual setup.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  name:
    description:
      - Name of the external network and of its logical switch, for example V(ext-cloud).
      - A lower-case RFC 1123 label.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the network.
      - V(absent) deletes it. This is refused while any address is still allocated from it or
        while ports that the collection does not manage are attached to it.
    type: str
    choices: [present, absent]
    default: present
  network_type:
    description:
      - Which kind of egress the network provides. Project networks choose their network by
        this type (see O(kubedc.network.project_network#module:egress_network_type)).
      - Required when O(state=present). Cannot be changed afterwards.
    type: str
    choices: [cloud, public]
  cidr:
    description:
      - The IPv4 network of the provider segment, for example V(100.65.0.0/16).
      - Required when O(state=present). Cannot be changed afterwards.
    type: str
  gateway:
    description:
      - The upstream router address on the provider segment; project routers use it as the
        next hop of their default route.
      - Defaults to the first address of O(cidr).
      - Cannot be changed while addresses are allocated from the network.
    type: str
  reserved:
    description:
      - Addresses never handed out, as single addresses, ranges V(first-last) or CIDRs inside
        O(cidr). The network, broadcast and gateway addresses are never handed out anyway.
      - Reserving an address that is already allocated is refused.
    type: list
    elements: str
    default: []
  network_name:
    description:
      - The physical network the localnet port is bound to (the name used in
        C(ovn-bridge-mappings) on the gateway chassis). Defaults to O(name).
    type: str
  vlan:
    description:
      - VLAN ID of the provider segment (1-4094). Omit for an untagged segment.
    type: int
  gateway_chassis:
    description:
      - The chassis that project gateway ports on this network are scheduled on, highest
        priority first, unless a project names its own.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - kubedc.network.ovn_nb
  - kubedc.network.attributes
attributes:
  platform:
    description: The network system the module manages.
    support: full
    platforms: ovn
seealso:
  - module: kubedc.network.project_network
"""

EXAMPLES = r"""
- name: Declare the cloud provider network
  kubedc.network.external_network:
    name: ext-cloud
    network_type: cloud
    cidr: 100.65.0.0/16
    gateway: 100.65.0.1
    reserved:
      - 100.65.0.2-100.65.0.99
    network_name: physnet-cloud
    vlan: 100
    gateway_chassis:
      - gw-node-1
      - gw-node-2
    ovn_nb_connection: tcp:10.0.0.10:6641

- name: Declare the public provider network over TLS
  kubedc.network.external_network:
    name: ext-public
    network_type: public
    cidr: 198.51.100.0/24
    gateway_chassis:
      - gw-node-1
    ovn_nb_connection: ssl:10.0.0.10:6641,ssl:10.0.0.11:6641,ssl:10.0.0.12:6641
    ovn_nb_private_key: /etc/ovn/client-privkey.pem
    ovn_nb_certificate: /etc/ovn/client-cert.pem
    ovn_nb_ca_cert: /etc/ovn/cacert.pem

- name: Remove a provider network that nothing uses any more
  kubedc.network.external_network:
    name: ext-public
    state: absent
"""

RETURN = r"""
external_network:
  description: The external network after the task; empty when O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the network and of its logical switch.
      type: str
      sample: ext-cloud
    network_type:
      description: V(cloud) or V(public).
      type: str
      sample: cloud
    cidr:
      description: The provider network.
      type: str
      sample: 100.65.0.0/16
    gateway:
      description: The upstream gateway address.
      type: str
      sample: 100.65.0.1
    reserved:
      description: Reserved addresses as compact ranges.
      type: list
      elements: str
      sample: ["100.65.0.2-100.65.0.99"]
    network_name:
      description: Physical network of the localnet port.
      type: str
      sample: physnet-cloud
    vlan:
      description: VLAN ID, or null when untagged.
      type: int
      sample: 100
    gateway_chassis:
      description: Default gateway chassis for project gateway ports.
      type: list
      elements: str
      sample: ["gw-node-1", "gw-node-2"]
    allocated:
      description: Addresses allocated from the network and who holds them.
      type: list
      elements: dict
      sample: [{"address": "100.65.0.100", "owner": "project_network/acme-prod"}]
    free:
      description: How many addresses are still free.
      type: int
      sample: 65433
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction.
  returned: always
  type: list
  elements: str
  sample: ["create Logical_Switch ext-cloud", "create Logical_Switch_Port localnet.ext-cloud in Logical_Switch ext-cloud"]
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import OvnModule
from ansible_collections.kubedc.network.plugins.module_utils.ovn.external_network import (
    ExternalNetwork,
)


class ExternalNetworkModule(OvnModule):
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        network_type=dict(type="str", choices=["cloud", "public"]),
        cidr=dict(type="str"),
        gateway=dict(type="str"),
        reserved=dict(type="list", elements="str", default=[]),
        network_name=dict(type="str"),
        vlan=dict(type="int"),
        gateway_chassis=dict(type="list", elements="str", default=[]),
    )
    module_kwargs = dict(
        required_if=[("state", "present", ("network_type", "cidr"))],
    )
    resource_class = ExternalNetwork
    result_key = "external_network"


def main():
    module = ExternalNetworkModule()
    module()


if __name__ == "__main__":
    main()

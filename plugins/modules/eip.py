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
  - The list form (O(eips)) converges many EIPs of one project in one task and one OVSDB
    transaction; with O(exclusive=true) it also releases the project's EIPs that the list does
    not name. Either every EIP in the list is valid and converged, or nothing is written.
  - With O(platform=kube_dc) the module declares the EIP as Kube-DC does - an C(EIp)
    (C(kube-dc.com/v1)) in the project namespace V(<organization>-<project>), through the
    Kubernetes API - and waits until the Kube-DC controller reports it ready with an address.
    Check mode is a server-side dry run. The list form is not supported there yet.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  platform:
    description:
      - V(ovn) reserves the address in the OVN Northbound DB directly (the O(ovn_nb_connection)
        options). V(kube_dc) declares a Kube-DC C(EIp) through the Kubernetes API (the
        O(kubeconfig) options); the project namespace must exist.
    type: str
    choices: [ovn, kube_dc]
    default: ovn
  name:
    description:
      - Name of the EIP, unique within the project; a lower-case RFC 1123 label.
      - V(default-gw) is the project's default-gateway address, which
        M(kubedc.network.project_network) manages, and cannot be used.
      - Required unless O(eips) is set; mutually exclusive with it.
    type: str
  state:
    description:
      - V(present) reserves the address (or the address of every EIP of O(eips)); V(absent)
        releases it.
      - With O(platform=kube_dc), V(absent) deletes the C(EIp) and waits until it and its Kube-OVN
        C(OvnEip) are gone.
    type: str
    choices: [present, absent]
    default: present
  eips:
    description:
      - The list form. Each element declares one EIP of the project with the options of the
        single form, and all of them are converged in one transaction, so that no two of them
        get the same address. Errors name the element (V(eips[3]\)) and its field.
      - With O(state=absent), only O(eips[].name) is needed.
      - Mutually exclusive with O(name) and the other options of a single EIP.
      - With O(platform=kube_dc), each element is a C(EIp) of the project; every element is
        validated, read and checked against the server before the first write (the Kubernetes API
        has no transaction across objects), then the task waits for all of them at once.
    type: list
    elements: dict
    suboptions: &eip_items
      name:
        description:
          - Name of the EIP, unique within the project and the list. V(default-gw) cannot be
            used, as for O(name).
        type: str
        required: true
      external_network_type:
        description: As O(external_network_type).
        type: str
        choices: [cloud, public]
      external_network:
        description: As O(external_network).
        type: str
      address:
        description: As O(address); no two elements of the list may request the same address.
        type: str
  projects:
    description:
      - The projects form, for a datacenter file - several projects in one task and one OVSDB
        transaction. Each element names a project and lists its EIPs as O(eips) does; O(exclusive)
        prunes each listed project to its list (an element with no O(projects[].eips) then
        removes all the EIPs of its project). Projects the task does not list are not touched.
      - Errors name the element and the item (V(projects[2].eips[0]\)).
      - RV(eips) then lists the EIPs of every project, and RV(removed) names them as
        V(<organization>-<project>/<name>).
      - Mutually exclusive with O(organization), O(project), O(eips) and the single form.
      - With O(platform=kube_dc), as for O(eips), every element of every project is validated and
        checked before the first write.
    type: list
    elements: dict
    suboptions:
      organization:
        description: The organization of the project.
        type: str
        required: true
      project:
        description: The project; its project network must exist.
        type: str
        required: true
      eips:
        description: The EIPs of the project, as O(eips).
        type: list
        elements: dict
        suboptions: *eip_items
  exclusive:
    description:
      - With O(eips) and O(state=present), also release every EIP of the project that the list
        does not name (GitOps-style pruning); V(eips=[]) then releases them all. Releases come
        first in RV(commands).
      - An EIP to release that NAT rows or load balancer VIPs still use is refused, naming them,
        unless O(force=true).
      - With O(platform=kube_dc), prunes only the C(EIp)s the collection created, which carry the
        label C(kubedc.network/managed-by=kubedc.network). Objects made by hand or by other tools,
        and the controller's own (the V(default-gw) C(EIp), a FIP's automatic C(EIp)), are never
        touched.
    type: bool
    default: false
  external_network_type:
    description:
      - The kind of external network to allocate from. Defaults to V(cloud) when
        O(external_network) is not set. Cannot be changed once the address is allocated.
      - With O(platform=kube_dc), the C(EIp)'s C(spec.externalNetworkType); V(cloud) when not set.
    type: str
    choices: [cloud, public]
  external_network:
    description:
      - Name of the external network to allocate from, when there are several of the same type.
      - Not with O(platform=kube_dc), where the Kube-DC controller chooses it.
    type: str
  address:
    description:
      - The address to reserve. Defaults to the lowest free address of the external network.
        Cannot be changed once allocated.
      - Not with O(platform=kube_dc), where the Kube-DC controller allocates it.
    type: str
  ovn_eip:
    description:
      - With O(platform=kube_dc), adopt this existing Kube-OVN C(OvnEip) (C(kubeovn.io/v1)) and its
        address instead of allocating one (the C(EIp)'s C(spec.childRef)). It cannot change once
        set. Mutually exclusive with O(external_network_type).
      - Not with O(platform=ovn).
    type: str
  force:
    description:
      - With O(state=absent), or for the EIPs O(exclusive) releases, release the address even
        while NAT rows or load balancer VIPs still use it. Traffic to it keeps flowing to those
        rows, and the pool may hand the address to someone else.
      - With O(platform=kube_dc), delete the C(EIp) even while C(status.owners) lists owners
        (SNAT, load balancer Services, FIPs).
    type: bool
    default: false
extends_documentation_fragment:
  - kubedc.network.project.projects_form
  - kubedc.network.ovn_nb
  - kubedc.network.kube
  - kubedc.network.kube_dc
  - kubedc.network.attributes
attributes:
  platform:
    description: The network system the module manages.
    support: full
    platforms: [ovn, kube_dc]
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

- name: Every EIP of acme-prod, in one task and one transaction; any other EIP there is released
  kubedc.network.eip:
    organization: acme
    project: prod
    exclusive: true
    eips:
      - name: web
        external_network_type: public
      - name: bastion
        address: 100.65.0.200
      - name: db
  register: project_eips

- name: The same EIP on Kube-DC, through the Kubernetes API (AWX's Kubernetes credential works)
  kubedc.network.eip:
    platform: kube_dc
    kubeconfig: ~/.kube/config
    organization: acme
    project: prod
    name: web
    external_network_type: public
    wait_timeout: 120
  register: web_eip

- name: On Kube-DC, the EIPs of two projects in one task, pruning those the collection made and no longer lists
  kubedc.network.eip:
    platform: kube_dc
    exclusive: true
    projects:
      - organization: acme
        project: prod
        eips:
          - name: web
            external_network_type: public
          - name: db
      - organization: acme
        project: staging
        eips: []

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
  returned: unless the list form O(eips) is used
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
      description: The external network the address belongs to. Not with O(platform=kube_dc).
      type: str
      sample: ext-public
    network_type:
      description: V(cloud) or V(public).
      type: str
      sample: public
    users:
      description:
        - NAT rows and load balancer VIPs on the project router that use the address. Not with
          O(platform=kube_dc), see RV(eip.owners).
      type: list
      elements: str
      sample: ["NAT dnat_and_snat 198.51.100.2 -> 10.0.0.7"]
    ownership:
      description:
        - With O(platform=kube_dc), the C(EIp)'s C(status.ownershipType) - V(Released), V(Shared)
          or V(Exclusive).
      type: str
      sample: Released
    owners:
      description:
        - With O(platform=kube_dc), the C(EIp)'s C(status.owners), each with C(type) (C(Snat),
          C(ServiceLb), C(FIp)) and C(ownerRef).
      type: list
      elements: dict
      sample: [{"type": "FIp", "ownerRef": "bastion"}]
    ovn_eip:
      description: With O(platform=kube_dc), the backing Kube-OVN C(OvnEip) (C(status.ovnEIpRef)).
      type: str
      sample: eip-acme-prod-web
    ready:
      description:
        - With O(platform=kube_dc), whether the Kube-DC controller reports the C(EIp) ready. With
          O(wait=false) or in check mode it may not be yet, and RV(eip.address) may be null.
      type: bool
      sample: true
eips:
  description:
    - With the list form, the EIPs of the list after the task, in the order of the list, each as
      RV(eip) describes; empty when O(state=absent).
  returned: when O(eips) or O(projects) is used
  type: list
  elements: dict
  sample:
    - name: web
      organization: acme
      project: prod
      namespace: acme-prod
      address: 198.51.100.2
      external_network: ext-public
      network_type: public
      users: []
    - name: bastion
      organization: acme
      project: prod
      namespace: acme-prod
      address: 100.65.0.200
      external_network: ext-cloud
      network_type: cloud
      users: []
removed:
  description:
    - With the list form, the names of the EIPs whose addresses the task released (or would
      release in check mode) - those listed with O(state=absent), or those O(exclusive) pruned.
  returned: when O(eips) or O(projects) is used
  type: list
  elements: str
  sample: [old-web]
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction. With O(platform=kube_dc), one line per write of
      a Kubernetes object.
  returned: always
  type: list
  elements: str
  sample: ["allocate 198.51.100.2 in external network ext-public for eip/acme-prod/web"]
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import PlatformModule, project_entry, projects_form_rules
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.eip import KubeEip
from ansible_collections.kubedc.network.plugins.module_utils.ovn.eip import ITEM_KEYS, LIST_KEY, Eip


EIPS = dict(
    type="list",
    elements="dict",
    options=dict(
        name=dict(type="str", required=True),
        external_network_type=dict(type="str", choices=["cloud", "public"]),
        external_network=dict(type="str"),
        address=dict(type="str"),
    ),
)
PROJECTS_RULES = projects_form_rules(LIST_KEY, ITEM_KEYS)


class EipModule(PlatformModule):
    argument_spec = dict(
        name=dict(type="str"),
        organization=dict(type="str"),
        project=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        external_network_type=dict(type="str", choices=["cloud", "public"]),
        external_network=dict(type="str"),
        address=dict(type="str"),
        force=dict(type="bool", default=False),
        ovn_eip=dict(type="str"),
        eips=EIPS,
        projects=dict(type="list", elements="dict", options=project_entry(LIST_KEY, EIPS)),
        exclusive=dict(type="bool", default=False),
    )
    module_kwargs = dict(
        required_one_of=[("name", "eips", "projects")] + PROJECTS_RULES["required_one_of"],
        mutually_exclusive=[("eips", single) for single in ITEM_KEYS + ("ovn_eip",)] + [("ovn_eip", "external_network_type")]
        + PROJECTS_RULES["mutually_exclusive"] + [("projects", "ovn_eip")],
    )
    resource_class = Eip
    kube_resource_class = KubeEip
    result_key = "eip"
    list_key = LIST_KEY
    projects_key = "projects"


def main():
    module = EipModule()
    module()


if __name__ == "__main__":
    main()

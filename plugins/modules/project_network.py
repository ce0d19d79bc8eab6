#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: project_network
short_description: Manage a project's network (VPC router, subnet, default gateway and SNAT)
version_added: 0.1.0
description:
  - Declares a tenant project's isolated network in the OVN Northbound DB, with the names
    Kube-OVN gives a Kube-DC project. For organization V(acme) and project V(prod) the project
    namespace is V(acme-prod), and the module manages
  - the logical router V(acme-prod) and the logical switch V(acme-prod-default) holding the
    project subnet O(cidr);
  - the subnet's router port V(acme-prod-acme-prod-default) on the gateway address O(gateway)
    and its router-type switch port;
  - a distributed gateway port V(acme-prod-<external network>) on the external network chosen
    by O(egress_network_type) (or O(external_network)), with one Gateway_Chassis row per
    O(gateway_chassis), on the project's default-gateway address, which is allocated from the
    external network's pool (or is O(default_gateway_ip));
  - a default route to the external network's gateway, and SNAT of O(cidr) to the
    default-gateway address, so that workloads reach the outside from that address.
  - Projects are isolated VPCs, so two projects may use the same O(cidr).
  - With O(platform=kube_dc) the module declares the project as Kube-DC does - a C(Project)
    (C(kube-dc.com/v1)) in the organization's namespace, through the Kubernetes API - and waits
    until the Kube-DC controller reports it ready; the controller then makes the namespace
    V(<organization>-<name>), the VPC, the default-gateway EIP V(default-gw) and the SNAT. Check
    mode is a server-side dry run. O(cidr) and O(egress_network_type) cannot change once the
    project exists.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  platform:
    description:
      - V(ovn) writes the project's rows into the OVN Northbound DB directly (the O(ovn_nb_connection)
        options). V(kube_dc) declares a Kube-DC C(Project) through the Kubernetes API (the
        O(kubeconfig) options).
    type: str
    choices: [ovn, kube_dc]
    default: ovn
  organization:
    description:
      - The organization the project belongs to; a lower-case RFC 1123 label. With
        O(platform=kube_dc), also the namespace the C(Project) object lives in, which must exist.
      - Required unless O(projects) is set; mutually exclusive with it.
    type: str
  name:
    description:
      - The project name; a lower-case RFC 1123 label. V(<organization>-<name>) must not be
        longer than 63 characters.
      - Required unless O(projects) is set; mutually exclusive with it.
    type: str
  projects:
    description:
      - The list form, for a datacenter file - many project networks in one task and one OVSDB
        transaction. Each element declares one project with the options of the single form;
        O(state) applies to all of them. Errors name the element (V(projects[3]\)) and its field.
      - RV(projects) then lists the project networks after the task.
      - Mutually exclusive with the single form's options.
      - With O(platform=kube_dc), each element is a C(Project); every element is validated, read
        and checked against the server before the first write (the Kubernetes API has no
        transaction across objects), then the task waits for all of them at once.
    type: list
    elements: dict
    suboptions:
      organization:
        description: As O(organization).
        type: str
        required: true
      name:
        description: As O(name).
        type: str
        required: true
      cidr:
        description: As O(cidr); required when O(state=present).
        type: str
      gateway:
        description: As O(gateway).
        type: str
      egress_network_type:
        description: As O(egress_network_type).
        type: str
        choices: [cloud, public]
      external_network:
        description: As O(external_network).
        type: str
      default_gateway_ip:
        description: As O(default_gateway_ip).
        type: str
      gateway_chassis:
        description: As O(gateway_chassis).
        type: list
        elements: str
        default: []
  state:
    description:
      - V(present) creates or updates the project network.
      - V(absent) removes every row the module made for it and releases its default-gateway
        address. This is refused while rows the collection does not manage (workload ports on
        the project switch, NAT rows or routes added by hand) are still attached, because
        deleting the router and switch would delete them too.
      - With O(platform=kube_dc), V(absent) deletes the C(Project) and waits until the Kube-DC
        controller has deleted its namespace and everything in it. This is refused, naming them,
        while the namespace still has Pods, PersistentVolumeClaims or KubeVirt VirtualMachines
        and VirtualMachineInstances; remove those first.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(projects) and O(state=present), also delete every project network the collection
        made that the list does not name, in any organization - the list is then the whole
        datacenter. RV(removed) names them.
      - A project to delete that FIPs, load balancer bindings or rows the collection does not
        manage still use is refused, naming them, and nothing is written; remove those first
        (the datacenter roles prune a project's FIPs, bindings and EIPs before the project).
      - With O(platform=kube_dc), deletes the C(Project)s the collection created (they carry the
        label C(kubedc.network/managed-by=kubedc.network)) in any organization namespace; it
        needs the right to list C(Project)s cluster-wide. The Kube-DC controller tears down each
        project's namespace and everything in it, so a project whose namespace still has
        workloads is refused as with O(state=absent).
      - Only with O(projects).
    type: bool
    default: false
  cidr:
    description:
      - The project subnet, for example V(10.0.0.0/24). Required when O(state=present).
      - It must not overlap any external network, nor another subnet attached to the project
        router. It cannot be changed once the project exists.
    type: str
  gateway:
    description:
      - The project subnet's gateway address, inside O(cidr). Defaults to the first address
        of O(cidr), as on Kube-OVN.
      - With O(platform=kube_dc), the C(Project)'s C(gwLanIp); normally left unset.
    type: str
  egress_network_type:
    description:
      - Which kind of external network the project's default gateway and SNAT use. The project
        attaches to the one external network of this type (see
        M(kubedc.network.external_network)).
      - Defaults to V(cloud) when O(external_network) is not set. Cannot be changed once the
        project exists.
    type: str
    choices: [cloud, public]
  external_network:
    description:
      - Name of the external network to attach to, when there are several of the same type.
        Must agree with O(egress_network_type) when both are set. Not with O(platform=kube_dc).
    type: str
  default_gateway_ip:
    description:
      - The project's default-gateway (SNAT) address. Defaults to the lowest free address of
        the external network; once allocated it stays with the project until O(state=absent).
      - Setting it to another address moves the gateway port and SNAT there and releases the
        old address. Not with O(platform=kube_dc), where the controller allocates it.
    type: str
  gateway_chassis:
    description:
      - The chassis the gateway port is scheduled on, highest priority first. Defaults to the
        external network's O(kubedc.network.external_network#module:gateway_chassis). Not with
        O(platform=kube_dc).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - kubedc.network.ovn_nb
  - kubedc.network.kube
  - kubedc.network.kube_dc
  - kubedc.network.kube_dc.verify_ovn
  - kubedc.network.attributes
attributes:
  platform:
    description: The network system the module manages.
    support: full
    platforms: [ovn, kube_dc]
seealso:
  - module: kubedc.network.external_network
"""

EXAMPLES = r"""
- name: Create the production network of organization acme
  kubedc.network.project_network:
    organization: acme
    name: prod
    cidr: 10.0.0.0/24
    egress_network_type: cloud
  register: prod

- name: Every project network of a datacenter file, in one task and one transaction
  kubedc.network.project_network:
    projects:
      - organization: acme
        name: prod
        cidr: 10.0.0.0/24
      - organization: acme
        name: web
        cidr: 10.0.0.0/24
        egress_network_type: public

- name: Show where the project reaches the internet from
  ansible.builtin.debug:
    msg: "{{ prod.project_network.namespace }} egresses from {{ prod.project_network.default_gateway_ip }}"

- name: A second project may reuse the same CIDR; pin its gateway address and chassis
  kubedc.network.project_network:
    organization: acme
    name: staging
    cidr: 10.0.0.0/24
    default_gateway_ip: 100.65.0.150
    gateway_chassis:
      - gw-node-2
      - gw-node-1

- name: The same project on Kube-DC, through the Kubernetes API (AWX's Kubernetes credential works)
  kubedc.network.project_network:
    platform: kube_dc
    kubeconfig: ~/.kube/config
    organization: acme
    name: prod
    cidr: 10.0.0.0/24
    egress_network_type: cloud
    wait_timeout: 300

- name: Remove a project network and release its address
  kubedc.network.project_network:
    organization: acme
    name: staging
    state: absent
"""

RETURN = r"""
project_network:
  description: The project network after the task; empty when O(state=absent).
  returned: unless O(projects) is used
  type: dict
  contains:
    organization:
      description: Organization of the project.
      type: str
      sample: acme
    name:
      description: Project name.
      type: str
      sample: prod
    namespace:
      description: The project namespace, V(<organization>-<name>).
      type: str
      sample: acme-prod
    router:
      description: Name of the project's logical router. Not with O(platform=kube_dc).
      type: str
      sample: acme-prod
    switch:
      description: Name of the project's logical switch. Not with O(platform=kube_dc).
      type: str
      sample: acme-prod-default
    cidr:
      description: The project subnet.
      type: str
      sample: 10.0.0.0/24
    gateway:
      description: The subnet gateway address (the router port's address).
      type: str
      sample: 10.0.0.1
    egress_network_type:
      description: V(cloud) or V(public).
      type: str
      sample: cloud
    external_network:
      description: The external network the project egresses through. Not with O(platform=kube_dc).
      type: str
      sample: ext-cloud
    gateway_router_port:
      description: Name of the distributed gateway port on the external network. Not with O(platform=kube_dc).
      type: str
      sample: acme-prod-ext-cloud
    default_gateway_ip:
      description:
        - The project's default-gateway address on the external network, which its traffic
          to the outside is SNATed to. In check mode, the address a real run would allocate
          unless another run takes it first.
      type: str
      sample: 100.65.0.100
    gateway_chassis:
      description: Chassis of the gateway port, highest priority first. Not with O(platform=kube_dc).
      type: list
      elements: str
      sample: ["gw-node-1"]
    ready:
      description:
        - With O(platform=kube_dc), whether the Kube-DC controller reports the project ready
          (always true after a task that waited).
      type: bool
      sample: true
projects:
  description:
    - With O(projects), the project networks after the task, in the order of the list, each as
      RV(project_network) describes; empty when O(state=absent).
  returned: when O(projects) is used
  type: list
  elements: dict
  sample:
    - organization: acme
      name: prod
      namespace: acme-prod
      cidr: 10.0.0.0/24
      default_gateway_ip: 100.65.0.100
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction; with O(platform=kube_dc), one line per object
      written (V(create kube-dc.com/v1 Project acme/prod)).
  returned: always
  type: list
  elements: str
  sample: ["create Logical_Router acme-prod", "create NAT snat 100.65.0.100 -> 10.0.0.0/24 in Logical_Router acme-prod"]
removed:
  description:
    - With O(exclusive), the project networks the task deleted (or would delete in check mode)
      because the list does not name them, each with its organization, name and namespace.
  returned: when O(projects) and O(exclusive) are used
  type: list
  elements: dict
  sample:
    - organization: acme
      name: staging
      namespace: acme-staging
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import PlatformModule
from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.project_network import KubeProject
from ansible_collections.kubedc.network.plugins.module_utils.ovn.project_network import (
    ProjectNetwork,
)


# The options of one project network: the single form's and each element's of projects.
ONE_PROJECT = dict(
    cidr=dict(type="str"),
    gateway=dict(type="str"),
    egress_network_type=dict(type="str", choices=["cloud", "public"]),
    external_network=dict(type="str"),
    default_gateway_ip=dict(type="str"),
    gateway_chassis=dict(type="list", elements="str", default=[]),
)


class ProjectNetworkModule(PlatformModule):
    argument_spec = dict(
        organization=dict(type="str"),
        name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        projects=dict(type="list", elements="dict", options=dict(
            ONE_PROJECT, organization=dict(type="str", required=True), name=dict(type="str", required=True),
        )),
        exclusive=dict(type="bool", default=False),
        **ONE_PROJECT
    )
    module_kwargs = dict(
        required_one_of=[("organization", "projects"), ("name", "projects")],
        required_if=[("state", "present", ("cidr", "projects"), True)],
        mutually_exclusive=[("projects", key) for key in ("organization", "name") + tuple(ONE_PROJECT)],
    )
    resource_class = ProjectNetwork
    kube_resource_class = KubeProject
    verifies_ovn = True
    result_key = "project_network"
    projects_key = "projects"
    project_field = "name"
    prunes_projects = True

    def run(self):
        if self.params.get("exclusive") and self.params.get("projects") is None:
            raise InvalidInput("exclusive", True, "applies to the projects form (projects), which names every project to keep")
        return super(ProjectNetworkModule, self).run()


def main():
    module = ProjectNetworkModule()
    module()


if __name__ == "__main__":
    main()

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
  - The target may also be named as a Kubernetes workload of the project namespace - a pod
    (O(pod_name)) or a KubeVirt virtual machine and its interface (O(vm_name),
    O(interface_name)) - whose address is read from the Kubernetes API server (see O(kubeconfig))
    before anything is written, and checked like O(ip_address). Kubernetes is only read; the FIP
    is still written to the OVN Northbound DB. The FIP follows the workload - a later run after
    the VM was recreated with another address retargets it.
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
  - The list form (O(fips)) converges many FIPs of one project in one task and one OVSDB
    transaction; with O(exclusive=true) it also removes the project's FIPs that the list does
    not name. Either every FIP in the list is valid and converged, or nothing is written.
  - With O(platform=kube_dc) the module declares the FIP as Kube-DC does - a C(FIp)
    (C(kube-dc.com/v1)) in the project namespace V(<organization>-<project>), through the
    Kubernetes API - and waits until the Kube-DC controller reports it ready with its external
    and target addresses. Check mode is a server-side dry run. Switching the target between
    O(ip_address) and O(vm_name) removes the other one. A FIP on an address that backs a
    LoadBalancer Service bound to an EIP of the other network type is refused before anything is
    written. The list form is not supported there yet.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  platform:
    description:
      - V(ovn) writes the FIP into the OVN Northbound DB directly (the O(ovn_nb_connection)
        options). V(kube_dc) declares a Kube-DC C(FIp) through the Kubernetes API (the
        O(kubeconfig) options); the project namespace must exist.
    type: str
    choices: [ovn, kube_dc]
    default: ovn
  name:
    description:
      - Name of the FIP, unique within the project; a lower-case RFC 1123 label.
      - Required unless O(fips) is set; mutually exclusive with it.
    type: str
  state:
    description:
      - V(present) creates or updates the FIP (or every FIP of O(fips)); V(absent) deletes its
        NAT row and releases an address allocated for it alone.
      - With O(platform=kube_dc), V(absent) deletes the C(FIp) and waits until it is gone.
    type: str
    choices: [present, absent]
    default: present
  fips:
    description:
      - The list form. Each element declares one FIP of the project with the options of the
        single form, and all of them are converged in one transaction. Errors name the element
        (V(fips[3]\)) and its field.
      - With O(state=absent), only O(fips[].name) is needed.
      - Mutually exclusive with O(name) and the other options of a single FIP.
      - With O(platform=kube_dc), each element is a C(FIp) of the project; every element is
        validated, read and checked against the server before the first write (the Kubernetes API
        has no transaction across objects), then the task waits for all of them at once.
    type: list
    elements: dict
    suboptions: &fip_items
      name:
        description: Name of the FIP, unique within the project and the list.
        type: str
        required: true
      eip:
        description: As O(eip).
        type: str
      external_network_type:
        description: As O(external_network_type).
        type: str
        choices: [cloud, public]
      external_network:
        description: As O(external_network).
        type: str
      ip_address:
        description: As O(ip_address). When O(state=present), exactly one of O(fips[].ip_address),
          O(fips[].pod_name) and O(fips[].vm_name) is required.
        type: str
      pod_name:
        description: As O(pod_name).
        type: str
      vm_name:
        description: As O(vm_name).
        type: str
      interface_name:
        description: As O(interface_name); only with O(fips[].vm_name).
        type: str
      logical_port:
        description: As O(logical_port).
        type: str
      external_mac:
        description: As O(external_mac).
        type: str
  projects:
    description:
      - The projects form, for a datacenter file - several projects in one task and one OVSDB
        transaction. Each element names a project and lists its FIPs as O(fips) does; O(exclusive)
        prunes each listed project to its list (an element with no O(projects[].fips) then
        removes all the FIPs of its project). Projects the task does not list are not touched.
      - Errors name the element and the FIP (V(projects[2].fips[0]\)).
      - RV(fips) then lists the FIPs of every project, and RV(removed) names them as
        V(<organization>-<project>/<name>).
      - Mutually exclusive with O(organization), O(project), O(fips) and the single form.
      - With O(platform=kube_dc), as for O(fips), every element of every project is validated and
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
      fips:
        description: The FIPs of the project, as O(fips).
        type: list
        elements: dict
        suboptions: *fip_items
  repair_stale_nat:
    description:
      - With O(platform=kube_dc), once the FIp is ready, look up its NAT row in the OVN Northbound
        DB (the O(ovn_nb_connection) options); when it still points at an old address (a VM
        recreated with a new one, a known Kube-OVN bug where the FIp's status follows the VM and the
        NAT row does not), delete the FIp's C(OvnFip) so that Kube-DC recreates it with the current
        address, and wait until the row is right. This is the supported repair; the row itself is
        never edited.
      - In check mode the repair is reported in RV(commands) and not done.
    type: bool
    default: false
  exclusive:
    description:
      - With O(fips) and O(state=present), also remove every FIP of the project that the list
        does not name (GitOps-style pruning); V(fips=[]) then removes them all. Removals come
        first in RV(commands).
      - With O(platform=kube_dc), prunes only the C(FIp)s the collection created, which carry the
        label C(kubedc.network/managed-by=kubedc.network). Objects made by hand or by other tools,
        and the controller's own (the V(default-gw) C(EIp), a FIP's automatic C(EIp)), are never
        touched.
    type: bool
    default: false
  eip:
    description:
      - Name of an EIP of the project (see M(kubedc.network.eip)) to use as the external address.
        The EIP must not be used by another FIP or by a load balancer VIP.
      - Mutually exclusive with O(external_network_type) and O(external_network).
      - With O(platform=kube_dc), the C(FIp)'s C(spec.eip); the C(EIp) becomes C(Exclusive).
    type: str
  external_network_type:
    description:
      - Allocate an address for this FIP alone from the external network of this type, and
        release it with the FIP. This is the default (V(cloud)) when O(eip) is not set.
      - With O(platform=kube_dc), the C(FIp)'s C(spec.externalNetworkType); the Kube-DC
        controller makes an C(EIp) for the FIP alone. It cannot be changed once set.
    type: str
    choices: [cloud, public]
  external_network:
    description:
      - Name of the external network to allocate from, when there are several of the same type.
      - Not with O(platform=kube_dc), where the Kube-DC controller chooses it.
    type: str
  ip_address:
    description:
      - The internal address the FIP maps to, in the project subnet. It must not have another FIP.
      - When O(state=present), exactly one of O(ip_address), O(pod_name) and O(vm_name) is required.
      - With O(platform=kube_dc), the C(FIp)'s C(spec.ipAddress).
    type: str
  pod_name:
    description:
      - Name of a pod in the project namespace V(<organization>-<project>); the FIP maps to its
        address (C(status.podIP)), read from the Kubernetes API server when the task runs.
      - The pod must have an address (a pod still C(Pending) without one is refused) and must not
        have finished. The address is checked like O(ip_address).
      - The FIP records the pod, not its address; run the task again when the pod is recreated
        with another address, and it is retargeted.
      - Needs a connection to the Kubernetes API server (see O(kubeconfig)). Mutually exclusive
        with O(ip_address) and O(vm_name).
      - Not with O(platform=kube_dc), where a C(FIp) targets an address or a VM.
    type: str
  vm_name:
    description:
      - Name of a KubeVirt virtual machine in the project namespace; the FIP maps to the address
        of one of its interfaces as its C(VirtualMachineInstance) reports it
        (C(status.interfaces[].ipAddress)), read from the Kubernetes API server when the task
        runs, the way Kube-DC resolves a C(FIp) C(vmTarget).
      - The VM must be running and the interface must report an IPv4 address (through the guest
        agent, for a bridge-bound interface). The address is checked like O(ip_address).
      - The FIP records the VM, not its address; run the task again when the VM is recreated with
        another address, and it is retargeted.
      - Needs a connection to the Kubernetes API server (see O(kubeconfig)). Mutually exclusive
        with O(ip_address) and O(pod_name).
      - With O(platform=kube_dc), the C(FIp)'s C(spec.vmTarget.vmName); the Kube-DC controller
        resolves the address.
    type: str
  interface_name:
    description:
      - With O(vm_name), the name of the VM's interface (C(vpc_net_0) in a Kube-DC VM), as in
        C(spec.domain.devices.interfaces) of the VM; the first interface the VM reports if not set.
      - Only with O(vm_name).
      - With O(platform=kube_dc), the C(FIp)'s C(spec.vmTarget.interfaceName).
    type: str
  logical_port:
    description:
      - For a distributed FIP, the logical switch port of the target on the project switch; its
        traffic is then NATed on the target's own chassis rather than on the gateway chassis.
      - Requires O(external_mac).
      - Not with O(platform=kube_dc).
    type: str
  external_mac:
    description:
      - For a distributed FIP, the MAC address the external address answers with. Requires
        O(logical_port).
      - Not with O(platform=kube_dc).
    type: str
extends_documentation_fragment:
  - kubedc.network.project.projects_form
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
notes:
  - With O(platform=ovn), the Kubernetes options are needed only with O(pod_name) or O(vm_name),
    and are shared by every FIP of O(fips).
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

- name: A FIP to a KubeVirt VM, following it when it is recreated with another address
  kubedc.network.fip:
    organization: acme
    project: prod
    name: bastion
    vm_name: bastion
    interface_name: vpc_net_0
    kubeconfig: ~/.kube/acme.yaml

- name: A FIP to a pod, with the Kubernetes credential of AWX (K8S_AUTH_* variables)
  kubedc.network.fip:
    organization: acme
    project: prod
    name: game-server
    pod_name: game-server-0

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

- name: Every FIP of acme-prod, in one task and one transaction; any other FIP there is removed
  kubedc.network.fip:
    organization: acme
    project: prod
    exclusive: true
    fips:
      - name: bastion
        ip_address: 10.0.0.10
      - name: db-admin
        eip: db
        ip_address: 10.0.0.20
      - name: web-public
        external_network_type: public
        ip_address: 10.0.0.40
      - name: builder
        vm_name: builder
      - name: game-server
        pod_name: game-server-0
    kubeconfig: ~/.kube/acme.yaml

- name: The FIPs of a whole datacenter file in one task; a listed project with no FIPs loses its own
  kubedc.network.fip:
    exclusive: true
    projects:
      - organization: acme
        project: prod
        fips:
          - name: bastion
            ip_address: 10.0.0.10
      - organization: acme
        project: web
        fips: []

- name: A FIP to a KubeVirt VM on Kube-DC, through the Kubernetes API; Kube-DC resolves the VM
  kubedc.network.fip:
    platform: kube_dc
    kubeconfig: ~/.kube/config
    organization: acme
    project: prod
    name: bastion
    external_network_type: public
    vm_name: bastion
    interface_name: vpc_net_0
    wait_timeout: 180
  register: bastion

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
  returned: unless the list form O(fips) is used
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
      description:
        - The internal address it maps to; for a pod or VM target, the address it was resolved to.
        - With O(platform=kube_dc), C(status.resolvedTargetIP), or C(spec.ipAddress) until the
          controller reports it.
      type: str
      sample: 10.0.0.10
    pod_name:
      description:
        - The pod the FIP targets, or null when it does not target a pod. Not with
          O(platform=kube_dc).
      type: str
      sample: null
    vm_name:
      description: The virtual machine the FIP targets, or null when it does not target one.
      type: str
      sample: bastion
    interface_name:
      description:
        - The VM's interface, as the task named it; null when it did not (the first interface).
      type: str
      sample: vpc_net_0
    eip:
      description:
        - The EIP used, or null when the address was allocated for the FIP alone.
        - With O(platform=kube_dc), C(status.eip), the C(EIp) the FIP uses - also the one the
          controller made for it alone - or O(eip) until the controller reports it.
      type: str
      sample: null
    external_network:
      description: The external network of the address. Not with O(platform=kube_dc).
      type: str
      sample: ext-cloud
    network_type:
      description: V(cloud) or V(public).
      type: str
      sample: cloud
    logical_port:
      description: The target's port, for a distributed FIP; else null. Not with O(platform=kube_dc).
      type: str
      sample: null
    external_mac:
      description: The external MAC, for a distributed FIP; else null. Not with O(platform=kube_dc).
      type: str
      sample: null
    ovn_fip:
      description: With O(platform=kube_dc), the backing Kube-OVN C(OvnFip) (C(status.ovnFip)).
      type: str
      sample: fip-acme-prod-bastion
    ready:
      description:
        - With O(platform=kube_dc), whether the Kube-DC controller reports the C(FIp) ready. With
          O(wait=false) or in check mode it may not be yet, and RV(fip.external_ip) may be null.
      type: bool
      sample: true
fips:
  description:
    - With the list form, the FIPs of the list after the task, in the order of the list, each as
      RV(fip) describes; empty when O(state=absent).
  returned: when O(fips) or O(projects) is used
  type: list
  elements: dict
  sample:
    - name: bastion
      organization: acme
      project: prod
      namespace: acme-prod
      external_ip: 100.65.0.101
      ip_address: 10.0.0.10
      pod_name: null
      vm_name: null
      interface_name: null
      eip: null
      external_network: ext-cloud
      network_type: cloud
      logical_port: null
      external_mac: null
removed:
  description:
    - With the list form, the names of the FIPs the task removed (or would remove in check
      mode) - those listed with O(state=absent), or those O(exclusive) pruned.
  returned: when O(fips) or O(projects) is used
  type: list
  elements: str
  sample: [old-bastion]
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction. With O(platform=kube_dc), one line per write of
      a Kubernetes object.
  returned: always
  type: list
  elements: str
  sample:
    - allocate 100.65.0.101 in external network ext-cloud for fip/acme-prod/bastion
    - create NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10 in Logical_Router acme-prod
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import PlatformModule, project_entry, projects_form_rules
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.fip import KubeFip
from ansible_collections.kubedc.network.plugins.module_utils.ovn.fip import ITEM_KEYS, LIST_KEY, TARGET_KEYS, Fip


# The options of one FIP, and the rules between them: the single form's and each list element's.
ONE_FIP = dict(
    eip=dict(type="str"),
    external_network_type=dict(type="str", choices=["cloud", "public"]),
    external_network=dict(type="str"),
    ip_address=dict(type="str"),
    pod_name=dict(type="str"),
    vm_name=dict(type="str"),
    interface_name=dict(type="str"),
    logical_port=dict(type="str"),
    external_mac=dict(type="str"),
)
ONE_FIP_RULES = dict(
    mutually_exclusive=[("eip", "external_network_type"), ("eip", "external_network"), TARGET_KEYS],
    required_together=[("logical_port", "external_mac")],
    required_by=dict(interface_name="vm_name"),
)


FIPS = dict(type="list", elements="dict", options=dict(ONE_FIP, name=dict(type="str", required=True)), **ONE_FIP_RULES)
PROJECTS_RULES = projects_form_rules(LIST_KEY, ITEM_KEYS)


class FipModule(PlatformModule):
    argument_spec = dict(
        name=dict(type="str"),
        organization=dict(type="str"),
        project=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        fips=FIPS,
        projects=dict(type="list", elements="dict", options=project_entry(LIST_KEY, FIPS)),
        exclusive=dict(type="bool", default=False),
        repair_stale_nat=dict(type="bool", default=False),
        **ONE_FIP
    )
    module_kwargs = dict(
        required_one_of=[("name", "fips", "projects")] + PROJECTS_RULES["required_one_of"],
        required_if=[("state", "present", TARGET_KEYS + ("fips", "projects"), True)],
        mutually_exclusive=ONE_FIP_RULES["mutually_exclusive"] + [("fips", single) for single in ITEM_KEYS] + PROJECTS_RULES["mutually_exclusive"],
        required_together=ONE_FIP_RULES["required_together"],
        required_by=ONE_FIP_RULES["required_by"],
    )
    resource_class = Fip
    kube_resource_class = KubeFip
    verifies_ovn = True
    result_key = "fip"
    list_key = LIST_KEY
    projects_key = "projects"


def main():
    module = FipModule()
    module()


if __name__ == "__main__":
    main()

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
  - With O(platform=calico) there is no floating IP object - Calico reads the pod annotation
    C(cni.projectcalico.org/floatingIPs) when it sets up a pod's network and maps each address 1:1
    (inbound DNAT) to the pod's own address of the same family. The module sets that annotation, as
    canonical JSON (sorted, de-duplicated), on the pod template of an existing Deployment or
    StatefulSet (O(target)) through the Kubernetes API, and the pods its controller creates next
    carry it (a rollout, reported in RV(fip.rollout)). It never creates or deletes the workload. A
    bare Pod is accepted only when it already carries the same addresses, as the annotation is read
    at the pod's creation only.
  - Before writing, and in check mode too, O(platform=calico) checks what Calico itself does not
    (where a floating IP would silently not work) and refuses, naming the check - the CNI plugin's
    C(feature_control.floating_ips) in ConfigMap C(kube-system/calico-config), Felix's
    C(floatingIPs) (the C(calico-node) DaemonSet's E(FELIX_FLOATINGIPS), then FelixConfiguration
    C(node.<node>), then C(default)), no eBPF dataplane, no operator-managed Calico, BGP routing, an
    IP pool with BGP export holding every address (O(require_ip_pool)), no VXLAN pool, the pods'
    address families, one replica, and no other pod or pod template of the cluster using the
    address (O(allow_shared)). What cannot be read is a warning that it cannot be verified.
    RV(fip.preflight) has every check's outcome. Calico's own configuration is never changed.
  - With O(platform=calico), O(wait) waits until every pod of the target carries the declared
    addresses and has an IP (a rollout the controller does not carry out by itself - a paused
    Deployment, a StatefulSet with C(OnDelete) - is reported and not waited for).
author:
  - kubedc.network contributors (@kubedc-network)
options:
  platform:
    description:
      - V(ovn) writes the FIP into the OVN Northbound DB directly (the O(ovn_nb_connection)
        options). V(kube_dc) declares a Kube-DC C(FIp) through the Kubernetes API (the
        O(kubeconfig) options); the project namespace must exist.
      - V(calico) sets the Calico floating IP annotation on a workload's pod template through the
        Kubernetes API (O(namespace), O(target), O(floating_ips)); the options of a FIP object
        (O(organization), O(project), O(name), O(fips), O(projects), O(eip), O(ip_address) and the
        others of V(ovn) and V(kube_dc)) are refused there, and the options of V(calico) elsewhere.
    type: str
    choices: [ovn, kube_dc, calico]
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
      - With O(platform=calico), V(absent) removes the annotation from the pod template (the
        workload stays); a target that does not exist is no change.
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
  namespace:
    description:
      - With O(platform=calico), the namespace of O(target).
    type: str
  target:
    description:
      - With O(platform=calico), the workload whose pod template gets the floating IPs; it must exist.
      - Required with O(platform=calico).
    type: dict
    suboptions:
      kind:
        description:
          - V(Deployment) or V(StatefulSet) (C(apps/v1)), or V(Pod) (C(v1)) for a bare pod that already
            carries the addresses (a Pod takes them at creation only; the task fails if it would have
            to change one).
          - Another kind with O(target.api_version) is a custom workload found by API discovery, with
            C(spec.replicas), C(spec.selector) and C(spec.template) as C(apps/v1) has them; whether its
            controller rolls it out by itself is then reported as unknown.
        type: str
        required: true
      name:
        description: The workload's name.
        type: str
        required: true
      api_version:
        description: The workload's API version; by default the one of O(target.kind).
        type: str
  floating_ips:
    description:
      - With O(platform=calico), the floating IPs of the target's pods - plain IPv4 or IPv6
        addresses, no CIDRs. They are stored sorted and de-duplicated, IPv6 compressed; the same
        addresses in another order are no change.
      - Each must be of an address family the target's pods have.
      - Required with O(platform=calico) and O(state=present).
    type: list
    elements: str
  require_ip_pool:
    description:
      - With O(platform=calico), refuse an address that is in no Calico C(IPPool), or whose pool has
        C(disableBGPExport) - BGP advertises a floating IP only inside a pool. A pool with
        C(disabled=true) keeps Calico IPAM from giving the address to a pod; an enabled pool is
        a warning.
      - V(true) when not set. Only with O(platform=calico).
    type: bool
  check_cluster:
    description:
      - With O(platform=calico), check Calico's gates before writing - the operator C(Installation),
        the CNI C(feature_control.floating_ips), Felix's C(floatingIPs), C(bpfEnabled) and (for an
        IPv6 address) C(ipv6Support), the routing backend and the pools' VXLAN mode. V(false) skips
        them (the address, replica and in-use checks still run).
      - V(true) when not set. Only with O(platform=calico).
    type: bool
  allow_shared:
    description:
      - With O(platform=calico), permit a target with more than one replica (each gets the same
        addresses) and addresses that another pod or pod template of the cluster already carries;
        they are warnings then. An address that is a pod's own IP is always refused.
      - V(false) when not set. Only with O(platform=calico).
    type: bool
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
    platforms: [ovn, kube_dc, calico]
notes:
  - With O(platform=ovn), the Kubernetes options are needed only with O(pod_name) or O(vm_name),
    and are shared by every FIP of O(fips).
  - With O(platform=calico), the module reads ConfigMap C(kube-system/calico-config), DaemonSet
    C(kube-system/calico-node), FelixConfigurations and IPPools (C(crd.projectcalico.org/v1), else
    C(projectcalico.org/v3)), C(operator.tigera.io/v1) Installations, and the pods, Deployments and
    StatefulSets of all namespaces; its credentials need to read those, and to patch the target.
  - With O(platform=calico), a floating IP is inbound 1:1 NAT only - the pod's own traffic does not
    leave from it - and it fronts one pod at a time.
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

- name: Calico - a floating IP for the one pod of a StatefulSet, from a disabled IP pool BGP advertises
  kubedc.network.fip:
    platform: calico
    kubeconfig: ~/.kube/config
    namespace: games
    target:
      kind: StatefulSet
      name: game-server
    floating_ips: [203.0.113.10]
  register: game_fip   # game_fip.fip.rollout says whether the pod is being replaced

- name: Calico - the plan and the preflight only
  kubedc.network.fip:
    platform: calico
    namespace: games
    target: {kind: Deployment, name: lobby}
    floating_ips: [203.0.113.11, "2001:db8:100::11"]
  check_mode: true
  register: plan   # plan.fip.preflight has every check

- name: Calico - remove the floating IPs of a Deployment (its pods lose them as they are replaced)
  kubedc.network.fip:
    platform: calico
    namespace: games
    target: {kind: Deployment, name: lobby}
    state: absent
    wait: false
"""

RETURN = r"""
fip:
  description:
    - The FIP after the task; empty when O(state=absent).
    - With O(platform=calico), the target's floating IPs after the task (in check mode, as they
      would be), with O(state=absent) too; only the keys of O(platform=calico) below.
  returned: unless the list form O(fips) is used
  type: dict
  contains:
    platform:
      description: With O(platform=calico), V(calico).
      type: str
      sample: calico
    target:
      description: With O(platform=calico), the target workload.
      type: dict
      sample: {kind: StatefulSet, name: game-server, api_version: apps/v1, namespace: games}
    floating_ips:
      description:
        - With O(platform=calico), the addresses the pod template's annotation holds after the
          task, as Calico reads them (sorted); empty once removed.
      type: list
      elements: str
      sample: [203.0.113.10]
    annotation:
      description:
        - With O(platform=calico), the value of C(cni.projectcalico.org/floatingIPs) in the pod
          template after the task, or null.
      type: str
      sample: '["203.0.113.10"]'
    replicas:
      description: With O(platform=calico), the target's replicas (a Pod has 1); null when it does not exist.
      type: int
      sample: 1
    rollout:
      description: With O(platform=calico), what it takes for the pods to carry the pod template's addresses.
      type: dict
      contains:
        needed:
          description: Whether live pods lack the declared addresses, or the task changed the template of a workload with replicas.
          type: bool
        started:
          description:
            - Whether the workload's controller replaces the pods by itself (a Deployment that is
              not paused, a StatefulSet rolling update without a partition); null for a custom kind.
          type: bool
        reason:
          description: Why the pods are not replaced by themselves (paused, C(OnDelete), a partition, a bare Pod); else null.
          type: str
        outdated_pods:
          description: The live pods whose annotation differs from the declared one.
          type: list
          elements: str
      sample: {needed: true, started: true, reason: null, outdated_pods: [game-server-0]}
    preflight:
      description:
        - With O(platform=calico), the outcome of each check - C(installation), C(cni_gate),
          C(felix_gate), C(dataplane), C(ipv6_support), C(routing), C(ip_pools), C(encapsulation),
          C(ip_family), C(replicas), C(in_use) - each with C(result) (V(ok), V(refused),
          V(warning), V(unverified) or V(skipped)), C(detail), and what the check found
          (C(value) and C(source) of a Felix setting, C(pools) by address, C(conflicts)).
        - A refusal fails the task, whose result then has this matrix as C(preflight).
        - With O(state=absent) nothing is checked.
      type: dict
      sample:
        felix_gate: {result: ok, detail: "floatingIPs is 'Enabled' (FelixConfiguration default spec.floatingIPs)",
                     value: Enabled, source: FelixConfiguration default spec.floatingIPs}
        ip_pools: {result: ok, detail: every address is in an IP pool whose BGP export is on, pools: {203.0.113.10: fip-pool}}
    addresses:
      description:
        - With O(platform=calico), each live pod of the target with the NAT Calico derives from it as
          it is - its own annotation and C(status.podIPs) - each floating IP to the pod's address of
          the same family (C(ip_nats), C(spec.ipNATs) of its Calico WorkloadEndpoint).
      type: list
      elements: dict
      sample:
        - pod: game-server-0
          node: node-1
          phase: Running
          pod_ips: [10.244.1.5]
          floating_ips: [203.0.113.10]
          ip_nats: [{internal_ip: 10.244.1.5, external_ip: 203.0.113.10}]
          up_to_date: true
    warnings:
      description:
        - With O(platform=calico), what could not be verified and what may not work as declared;
          also shown as the task's warnings.
      type: list
      elements: str
      sample: ["ip_pools: 203.0.113.10 (IPPool fip-pool) is enabled for automatic assignment, ..."]
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
    - With O(platform=calico), the patch of the target's pod template, if any.
  returned: always
  type: list
  elements: str
  sample:
    - allocate 100.65.0.101 in external network ext-cloud for fip/acme-prod/bastion
    - create NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10 in Logical_Router acme-prod
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import PlatformModule, project_entry, projects_form_rules
from ansible_collections.kubedc.network.plugins.module_utils.calico import fip as calico_fip
from ansible_collections.kubedc.network.plugins.module_utils.kube.workload import TARGET_ARGUMENT_SPEC
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
        # platform calico: the floating IPs of a workload's pod template. The flags have no
        # default here so that another platform can refuse them when set (see DOCUMENTATION).
        floating_ips=dict(type="list", elements="str"),
        require_ip_pool=dict(type="bool"),
        check_cluster=dict(type="bool"),
        allow_shared=dict(type="bool"),
        **dict(ONE_FIP, **TARGET_ARGUMENT_SPEC)
    )
    module_kwargs = dict(
        # A calico task names its target instead of a FIP and its project.
        required_one_of=[("name", "fips", "projects", "target")] + [rule + ("target",) for rule in PROJECTS_RULES["required_one_of"]],
        required_if=[("state", "present", TARGET_KEYS + ("fips", "projects", "target"), True)],
        mutually_exclusive=ONE_FIP_RULES["mutually_exclusive"] + [("fips", single) for single in ITEM_KEYS] + PROJECTS_RULES["mutually_exclusive"],
        required_together=ONE_FIP_RULES["required_together"],
        required_by=ONE_FIP_RULES["required_by"],
    )
    platforms = ("ovn", "kube_dc", "calico")
    workload_platforms = dict(calico=calico_fip.run)
    resource_class = Fip
    kube_resource_class = KubeFip
    verifies_ovn = True
    result_key = "fip"
    list_key = LIST_KEY
    projects_key = "projects"

    def run(self):
        calico_fip.refuse_other_platform(self.params)
        return super(FipModule, self).run()


def main():
    module = FipModule()
    module()


if __name__ == "__main__":
    main()

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
  - With O(platform=ack) (Alibaba Cloud ACK), an EIP belongs to a pod, not to a project -
    ack-extend-network-controller allocates one for every pod whose annotations ask for it and
    records it in a C(PodEIP) (C(alibabacloud.com/v1beta1)) of the pod's name. The module then
    declares those annotations (and optionally the readiness gate C(k8s.aliyun.com/eip)) on the pod
    template of an existing workload, O(target) in O(namespace), and returns the address of each
    of its pods. The pods get their EIPs when the change rolls out - a changed template starts a
    rollout, an unchanged one is not written. Check mode is a server-side dry run.
  - On O(platform=ack), the task refuses before writing anything what the controller would not
    do - an O(eip_instance_id) for more than one replica, a O(release_strategy) other than
    V(Follow) for a kind that does not keep its pods' names - and checks, reading only, that the
    C(PodEIP) CRD is installed and that Terway's own EIP feature is not on along with the
    controller (a documented conflict); what it may not read is a warning.
  - On O(platform=ack), O(wait) waits until every pod of the workload carries the declared
    annotations and has its EIP - its C(PodEIP) C(InUse) with the pod's IP, or (legacy Terway) the
    pod annotation C(allocated-eipAddress) - and, with O(readiness_gate), the condition
    C(k8s.aliyun.com/eip). A rollout that the workload's controller does not carry out by itself (a
    paused Deployment, a StatefulSet with C(OnDelete)) is reported in RV(eip.rollout) and not waited
    for. With O(state=absent) it waits until the pods no longer carry the annotations, and for the
    C(PodEIP)s O(release_orphans) deletes to be gone.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  platform:
    description:
      - V(ovn) reserves the address in the OVN Northbound DB directly (the O(ovn_nb_connection)
        options). V(kube_dc) declares a Kube-DC C(EIp) through the Kubernetes API (the
        O(kubeconfig) options); the project namespace must exist.
      - V(ack) declares pod EIPs of Alibaba Cloud ACK on a workload's pod template through the
        Kubernetes API (the O(kubeconfig) options); see O(target). The options of the other
        platforms (O(name), O(organization), O(project), the list forms...) are refused there, and
        the options of V(ack) are refused on the others.
    type: str
    choices: [ovn, kube_dc, ack]
    default: ovn
  name:
    description:
      - Name of the EIP, unique within the project; a lower-case RFC 1123 label.
      - V(default-gw) is the project's default-gateway address, which
        M(kubedc.network.project_network) manages, and cannot be used.
      - Required unless O(eips) is set; mutually exclusive with it. Not with O(platform=ack).
    type: str
  state:
    description:
      - V(present) reserves the address (or the address of every EIP of O(eips)); V(absent)
        releases it.
      - With O(platform=kube_dc), V(absent) deletes the C(EIp) and waits until it and its Kube-OVN
        C(OvnEip) are gone.
      - With O(platform=ack), V(absent) removes the EIP annotations (both prefixes) and the readiness
        gate from the template, so that the next pods have no EIP. It deletes no C(PodEIP) of a pod
        that exists; what each one's release strategy keeps is returned in
        RV(eip.retained_podeips). See O(release_orphans).
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
  namespace:
    description:
      - With O(platform=ack), the namespace of O(target). Required there.
    type: str
  target:
    description:
      - With O(platform=ack), the existing workload whose pods get an EIP each. Required there.
      - The annotations go on its pod template (C(spec.template.metadata.annotations)), so its pods
        get their EIPs as the change rolls out; for a bare V(Pod), on the pod itself, which must
        already carry them (an existing pod's EIP and readiness gates cannot change - declare the
        EIP on its workload, or create the pod with them), so the task then only checks, waits and
        reports.
      - The task never creates, deletes or scales the workload.
    type: dict
    suboptions:
      kind:
        description:
          - V(Deployment), V(StatefulSet) or V(Pod); another kind with a pod template (an OpenKruise
            C(StatefulSet), a C(GameServerSet)...) with O(target.api_version).
        type: str
        required: true
      name:
        description: Name of the workload.
        type: str
        required: true
      api_version:
        description:
          - The apiVersion of O(target.kind), such as V(apps.kruise.io/v1beta1). Defaults to
            V(apps/v1) for V(Deployment) and V(StatefulSet) and V(v1) for V(Pod).
        type: str
  annotation_prefix:
    description:
      - With O(platform=ack), the prefix of the annotations - V(k8s.aliyun.com) when not set, or
        V(network.alibabacloud.com) (ack-extend-network-controller v0.9.2 or later; legacy Terway
        ignores it, so it is refused there).
      - Which prefix wins when a template has both is not documented, so the task removes the
        same annotations under the other prefix, and the older keys C(k8s.aliyun.com/eci-with-eip),
        C(k8s.aliyun.com/eip-charge-type) and C(k8s.aliyun.com/eci-eip-instanceid).
    type: str
    choices: [k8s.aliyun.com, network.alibabacloud.com]
  eip_instance_id:
    description:
      - With O(platform=ack), an existing EIP (V(eip-...)) to attach instead of one the
        controller allocates (C(pod-eip-instanceid)); the controller never releases it.
      - An EIP binds to one pod, so the target must run one replica (a StatefulSet is best; a
        Deployment with C(RollingUpdate) is warned about, as the new pod waits for the old one to
        let the EIP go), and no other workload or pod of the namespace may declare it.
      - The creation options (O(bandwidth), O(internet_charge_type), O(isp)...) do not apply to it.
    type: str
  bandwidth:
    description:
      - With O(platform=ack), the EIP's peak bandwidth in Mbit/s (C(eip-bandwidth)); the controller
        takes 5 when not set. Applies when the controller creates the EIP.
    type: int
  internet_charge_type:
    description:
      - With O(platform=ack), how the EIP's traffic is billed (C(eip-internet-charge-type)); the
        controller takes V(PayByTraffic) when not set.
    type: str
    choices: [PayByTraffic, PayByBandwidth]
  instance_charge_type:
    description:
      - With O(platform=ack), how the EIP instance is billed (C(eip-instance-charge-type)). Pod
        EIPs are pay-as-you-go only.
    type: str
    choices: [PostPaid]
  bandwidth_package_id:
    description:
      - With O(platform=ack), a shared bandwidth package (V(cbwp-...)) to add the EIP to
        (C(eip-common-bandwidth-package-id)).
    type: str
  isp:
    description:
      - With O(platform=ack), the EIP's line type (C(eip-isp)); V(BGP) when not set. The
        single-line types are available to allow-listed accounts only.
    type: str
    choices: [BGP, BGP_PRO, ChinaTelecom, ChinaUnicom, ChinaMobile, ChinaTelecom_L2, ChinaUnicom_L2, ChinaMobile_L2, BGP_FinanceCloud]
  public_ip_address_pool_id:
    description:
      - With O(platform=ack), the IP address pool (V(pippool-...)) to allocate the EIP from
        (C(eip-public-ip-address-pool-id)).
    type: str
  resource_group_id:
    description:
      - With O(platform=ack), the resource group (V(rg-...)) of the EIP (C(eip-resource-group-id)).
    type: str
  eip_name:
    description:
      - With O(platform=ack), the name of the EIP instance (C(eip-name)).
    type: str
  eip_description:
    description:
      - With O(platform=ack), the description of the EIP instance (C(eip-description)).
    type: str
  security_protection_types:
    description:
      - With O(platform=ack), the Anti-DDoS editions of the EIP (C(eip-security-protection-types),
        written sorted and joined with commas).
    type: list
    elements: str
  tags:
    description:
      - With O(platform=ack), tags of the EIP instance (C(eip-tags), written as JSON with sorted
        keys). Values are strings.
    type: dict
  release_strategy:
    description:
      - With O(platform=ack), what happens to a pod's EIP once the pod is gone
        (C(pod-eip-release-strategy)) - V(Follow) (the controller's default) releases it with the
        pod; V(Never) keeps it until its C(PodEIP) is deleted; a Go duration such as V(10m) or
        V(1h30m) keeps it that long, so that a pod of the same name takes it back.
      - Anything but V(Follow) needs a kind that keeps its pods' names - a V(StatefulSet), or a kind
        of O(stateful_kinds) - and ack-extend-network-controller.
    type: str
  readiness_gate:
    description:
      - With O(platform=ack), whether the pods have the readiness gate C(k8s.aliyun.com/eip), so
        that a pod is Ready only once its EIP is bound. V(false) when not set, which removes the
        gate (other gates are kept).
      - The gate list is written whole, over the version the task read (a concurrent change makes
        the task read and plan again).
    type: bool
  stateful_kinds:
    description:
      - With O(platform=ack), kinds besides V(StatefulSet) that keep their pods' names, as in the
        controller's C(customStatefulWorkloadKinds).
    type: list
    elements: str
  release_orphans:
    description:
      - With O(platform=ack) and O(state=absent), delete the C(PodEIP)s of the workload's pods that
        no longer exist (the pods of a V(StatefulSet) or a kind of O(stateful_kinds), named
        C(<name>-<ordinal>), or the V(Pod) itself), which releases controller-allocated EIPs and
        detaches an O(eip_instance_id). The C(PodEIP) of a pod that exists is never deleted.
      - V(false) when not set; the C(PodEIP)s are then left to their release strategy and listed in
        RV(eip.retained_podeips).
    type: bool
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
    platforms: [ovn, kube_dc, ack]
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

- name: On ACK, an EIP for every pod of a StatefulSet, kept 10 minutes for a pod recreated under its name
  kubedc.network.eip:
    platform: ack
    namespace: game
    target:
      kind: StatefulSet
      name: lobby
    bandwidth: 10
    internet_charge_type: PayByTraffic
    release_strategy: 10m
    readiness_gate: true
    tags:
      team: game
    wait_timeout: 600
  register: lobby_eips   # lobby_eips.eip.addresses lists each pod's address

- name: On ACK, attach an existing EIP to the one pod of a StatefulSet
  kubedc.network.eip:
    platform: ack
    namespace: game
    target:
      kind: StatefulSet
      name: gateway
    eip_instance_id: eip-2ze8example0001
    release_strategy: Never

- name: On ACK, no EIPs for the lobby's next pods, and release those of pods that are gone
  kubedc.network.eip:
    platform: ack
    namespace: game
    target:
      kind: StatefulSet
      name: lobby
    state: absent
    release_orphans: true
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
      description: The project namespace; with O(platform=ack), the namespace of O(target).
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
    platform:
      description: With O(platform=ack), V(ack).
      type: str
      sample: ack
    target:
      description: With O(platform=ack), the target workload - C(kind), C(name), C(api_version), C(namespace).
      type: dict
      sample: {"kind": "StatefulSet", "name": "lobby", "api_version": "apps/v1", "namespace": "game"}
    backend:
      description:
        - With O(platform=ack), what allocates the EIPs on the cluster - V(ack-extend-network-controller),
          or V(terway-legacy) (Terway's own EIP feature).
      type: str
      sample: ack-extend-network-controller
    preflight:
      description:
        - With O(platform=ack), what the task found - C(podeip_crd) and C(controller) (its Deployment
          C(kube-system/ack-extend-network-controller)), each V(present), V(missing) or V(unknown)
          (not readable), and C(terway_eip) (V(enabled), V(disabled) or V(unknown)).
      type: dict
      sample: {"podeip_crd": "present", "controller": "present", "terway_eip": "disabled"}
    annotation_prefix:
      description: With O(platform=ack), the prefix of the declared annotations.
      type: str
      sample: k8s.aliyun.com
    annotations:
      description:
        - With O(platform=ack), the EIP annotations of the pod template after the task (in check mode,
          as the server's dry run returned them).
      type: dict
      sample: {"k8s.aliyun.com/pod-with-eip": "true", "k8s.aliyun.com/eip-bandwidth": "10"}
    readiness_gates:
      description: With O(platform=ack), the condition types of the template's readiness gates.
      type: list
      elements: str
      sample: ["k8s.aliyun.com/eip"]
    replicas:
      description: With O(platform=ack), the replicas of the target (1 for a V(Pod)); null when it does not exist.
      type: int
      sample: 2
    rollout:
      description:
        - With O(platform=ack), whether pods must be replaced to carry the declared annotations
          (C(needed)), whether the workload's controller does so by itself (C(started); false for a
          paused Deployment or C(OnDelete), null for a custom kind), why not (C(reason)), and which
          live pods lack them (C(outdated_pods)). In check mode, as a real run would leave it.
      type: dict
      sample: {"needed": true, "started": true, "reason": null, "outdated_pods": ["lobby-0", "lobby-1"]}
    addresses:
      description:
        - With O(platform=ack), one entry per live pod of the target - C(pod), C(pod_ip),
          C(eip_address), C(allocation_id), C(allocation_type) (V(Auto) or V(Static)),
          C(release_strategy) (V(Follow), V(TTL) or V(Never)), C(release_after), C(status) (the
          C(PodEIP)'s, such as V(InUse)), C(source) (V(podeip), V(annotation) for the pod annotation
          C(allocated-eipAddress), or null), C(ready) (the EIP is bound to the pod's IP),
          C(ready_condition) (the pod's condition C(k8s.aliyun.com/eip) - true, false, or null
          without one) and C(up_to_date) (the pod carries the declared annotations).
      type: list
      elements: dict
      sample:
        - pod: lobby-0
          pod_ip: 192.168.3.17
          eip_address: 47.100.20.31
          allocation_id: eip-2ze8example0002
          allocation_type: Auto
          release_strategy: TTL
          release_after: 10m
          status: InUse
          source: podeip
          ready: true
          ready_condition: true
          up_to_date: true
    warnings:
      description:
        - With O(platform=ack), what the task could not verify or what the change means for the pods
          (also shown as Ansible warnings).
      type: list
      elements: str
      sample: ["rollout: the pods get the declared EIP annotations only once they are replaced: Deployment gateway is paused"]
    retained_podeips:
      description:
        - With O(platform=ack) and O(state=absent), the C(PodEIP)s of the workload's pods that their
          release strategy (V(TTL), V(Never)) keeps once the pod is gone - EIPs still allocated and
          billed - each with C(name), C(eip_address), C(allocation_id), C(allocation_type),
          C(release_strategy), C(release_after), C(status), C(pod_last_seen), C(pod_exists) and
          C(fate).
      type: list
      elements: dict
      sample:
        - name: lobby-1
          eip_address: 47.100.20.32
          allocation_id: eip-2ze8example0003
          allocation_type: Auto
          release_strategy: Never
          release_after: null
          status: Available
          pod_last_seen: "2026-05-04T10:11:12Z"
          pod_exists: false
          fate: kept (and billed) until the PodEIP is deleted
    released_podeips:
      description:
        - With O(platform=ack) and O(state=absent), the C(PodEIP)s O(release_orphans) deleted (in check
          mode, would delete).
      type: list
      elements: str
      sample: [lobby-2]
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
      operation of the single OVSDB transaction. With O(platform=kube_dc) or O(platform=ack), one
      line per write of a Kubernetes object.
  returned: always
  type: list
  elements: str
  sample: ["allocate 198.51.100.2 in external network ext-public for eip/acme-prod/web"]
"""

from ansible_collections.kubedc.network.plugins.module_utils.ack import eip as ack_eip
from ansible_collections.kubedc.network.plugins.module_utils.base import PlatformModule, project_entry, projects_form_rules
from ansible_collections.kubedc.network.plugins.module_utils.kube.workload import TARGET_ARGUMENT_SPEC
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
        # platform ack: the EIP annotations of a workload's pod template
        namespace=TARGET_ARGUMENT_SPEC["namespace"],
        target=TARGET_ARGUMENT_SPEC["target"],
        annotation_prefix=dict(type="str", choices=list(ack_eip.PREFIXES)),
        eip_instance_id=dict(type="str"),
        bandwidth=dict(type="int"),
        internet_charge_type=dict(type="str", choices=list(ack_eip.INTERNET_CHARGE_TYPES)),
        instance_charge_type=dict(type="str", choices=list(ack_eip.INSTANCE_CHARGE_TYPES)),
        bandwidth_package_id=dict(type="str"),
        isp=dict(type="str", choices=list(ack_eip.ISPS)),
        public_ip_address_pool_id=dict(type="str"),
        resource_group_id=dict(type="str"),
        eip_name=dict(type="str"),
        eip_description=dict(type="str"),
        security_protection_types=dict(type="list", elements="str"),
        tags=dict(type="dict"),
        release_strategy=dict(type="str"),
        readiness_gate=dict(type="bool"),
        stateful_kinds=dict(type="list", elements="str"),
        release_orphans=dict(type="bool"),
    )
    module_kwargs = dict(
        # An ack task names its target instead of a project's EIP.
        required_one_of=[("name", "eips", "projects", "target")] + [rule + ("target",) for rule in PROJECTS_RULES["required_one_of"]],
        mutually_exclusive=[("eips", single) for single in ITEM_KEYS + ("ovn_eip",)] + [("ovn_eip", "external_network_type")]
        + PROJECTS_RULES["mutually_exclusive"] + [("projects", "ovn_eip")],
    )
    resource_class = Eip
    kube_resource_class = KubeEip
    result_key = "eip"
    list_key = LIST_KEY
    projects_key = "projects"
    platforms = ("ovn", "kube_dc", "ack")
    workload_platforms = dict(ack=ack_eip.run)

    def run(self):
        ack_eip.refuse_other_platform(self.params)
        return super(EipModule, self).run()


def main():
    module = EipModule()
    module()


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: datacenter
short_description: Converge a whole datacenter file in one plan (on OVN, one transaction)
version_added: 0.1.0
description:
  - Takes a datacenter file - external networks, organizations, their projects, and each project's EIPs,
    FIPs and exposed services - and makes the network what it declares, as one unit.
  - The file is checked in full first (its shape, then unique names, CIDRs, references and what the
    platform can expose, each bad key named by its path); nothing changes if any of it is wrong.
  - Every kind is planned in dependency order - external networks, project networks, EIPs, FIPs, load
    balancer bindings, then what O(datacenter.exclusive) prunes, last-made first - and each kind against
    what the kinds before it will have made in the same plan. So check mode on an empty network lists every
    object the run would create, with its diff, and the counts it prints are the ones the real run reports.
  - On platform V(ovn) the plan is built and committed inside ONE OVSDB transaction - all of the file or
    none of it. Address allocations verify their pool inside it; when another run allocated first, the
    server refuses the commit and the whole plan is made again on fresh data. Check mode aborts the
    transaction instead of committing it.
  - On platform V(kube_dc) the objects (C(Project), C(EIp), C(FIp), the C(service.nlb.kube-dc.com/)
    annotations of existing LoadBalancer Services) are checked, then applied in dependency order, each kind
    waited for until Kube-DC reports it ready before the next. Check mode is a server-side dry run where the
    project's namespace exists, and otherwise still lists the object, as a create of its full manifest,
    waiting for its project.
  - With O(state=absent) (a teardown) every precondition of the whole file - workloads still attached,
    rows the collection does not own - is checked before the first write. Refused means nothing removed, and
    the error lists every blocker by project.
  - The roles C(project_bootstrap), C(service_exposure) and C(project_teardown) and the playbooks
    C(site.yml), C(verify.yml) and C(teardown.yml) run on this module.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  datacenter:
    description: The datacenter file (see C(examples/datacenter.yml), and C(examples/datacenter-kube-dc.yml) for platform kube_dc).
    type: dict
    required: true
    suboptions:
      platform:
        description:
          - V(ovn) writes the OVN Northbound DB; V(kube_dc) declares Kube-DC objects (C(Project),
            C(EIp), C(FIp) and the C(service.nlb.kube-dc.com/) annotations of existing
            LoadBalancer Services) through the Kubernetes API and waits until Kube-DC reports
            them ready.
          - On V(kube_dc) the organizations' namespaces must exist, and the keys marked
            (platform ovn) are refused, by path, before anything changes.
        type: str
        choices: [ovn, kube_dc]
        default: ovn
      exclusive:
        description:
          - Prune what the file no longer names - in every project of the file, the EIPs, FIPs
            and load balancer bindings; and every project network the collection made that the
            file no longer names, once everything of the collection's in it is removed (refused,
            naming them, while workloads are still there).
        type: bool
        default: false
      connection:
        description:
          - Connection options passed to every module (the OVN NB options, and on kube_dc the
            Kubernetes ones). Left out, the modules read their environment (V(OVN_NB_DB),
            V(K8S_AUTH_*)), as an AWX credential sets it.
        type: dict
        suboptions:
          ovn_nb_connection: {type: str, description: "The OVN NB remote(s)."}
          ovn_nb_private_key: {type: path, description: "TLS private key."}
          ovn_nb_certificate: {type: path, description: "TLS certificate."}
          ovn_nb_ca_cert: {type: path, description: "TLS CA certificate."}
          ovn_nb_timeout: {type: int, description: "Seconds to wait for the NB."}
          ovn_sb_connection: {type: str, description: "The OVN Southbound remote(s), for the ovn-trace proof of verify.yml."}
          ovn_sb_private_key: {type: path, description: "Southbound TLS private key."}
          ovn_sb_certificate: {type: path, description: "Southbound TLS certificate."}
          ovn_sb_ca_cert: {type: path, description: "Southbound TLS CA certificate."}
          kubeconfig: {type: raw, description: "Kubeconfig path or content."}
          context: {type: str, description: "Kubeconfig context."}
          host: {type: str, description: "API server URL."}
          api_key: {type: str, description: "Bearer token."}
          ca_cert: {type: path, description: "API server CA certificate."}
          client_cert: {type: path, description: "Client certificate."}
          client_key: {type: path, description: "Client key."}
          validate_certs: {type: bool, description: "Whether to verify the API server certificate."}
      external_networks:
        description:
          - The provider networks (platform ovn), as kubedc.network.external_network takes them.
          - Empty on platform kube_dc, whose external networks are Kube-OVN's, set up by the platform's admin.
        type: list
        elements: dict
        default: []
        suboptions:
          name: {type: str, required: true, description: "Network name."}
          network_type: {type: str, required: true, choices: [cloud, public], description: "Network type."}
          cidr: {type: str, required: true, description: "Its subnet."}
          gateway: {type: str, description: "Upstream gateway address."}
          reserved: {type: list, elements: str, description: "Addresses or ranges never allocated."}
          network_name: {type: str, description: "Physical network name of the localnet port."}
          vlan: {type: int, description: "VLAN tag."}
          gateway_chassis: {type: list, elements: str, description: "Gateway chassis, highest priority first."}
      organizations:
        description: The organizations and their projects.
        type: list
        elements: dict
        required: true
        suboptions:
          name: {type: str, required: true, description: "Organization name."}
          projects:
            description: The organization's projects.
            type: list
            elements: dict
            default: []
            suboptions:
              name: {type: str, required: true, description: "Project name."}
              cidr: {type: str, required: true, description: "Project subnet."}
              egress_network_type: {type: str, choices: [cloud, public], description: "Egress network type (default cloud)."}
              gateway: {type: str, description: "Subnet gateway address (on kube_dc, the Project's gwLanIp)."}
              default_gateway_ip: {type: str, description: "Default-gateway (SNAT) address (platform ovn)."}
              external_network: {type: str, description: "External network to attach to (platform ovn)."}
              eips:
                description: Reserved external addresses.
                type: list
                elements: dict
                default: []
                suboptions:
                  name: {type: str, required: true, description: "EIP name."}
                  external_network_type: {type: str, choices: [cloud, public], description: "Network type."}
                  address: {type: str, description: "A requested address (platform ovn)."}
              fips:
                description: Floating IPs to VMs, pods or addresses.
                type: list
                elements: dict
                default: []
                suboptions:
                  name: {type: str, required: true, description: "FIP name."}
                  ip_address: {type: str, description: "Target address in the project."}
                  vm_name: {type: str, description: "Target KubeVirt VM."}
                  interface_name: {type: str, description: "Interface of the VM (on kube_dc, by default its first)."}
                  pod_name: {type: str, description: "Target pod (platform ovn)."}
                  eip: {type: str, description: "A named EIP of the project."}
                  external_network_type: {type: str, choices: [cloud, public], description: "Network type of an address of its own."}
              services:
                description:
                  - Exposed services. V(app) picks the way by the Kube-DC decision tree (V(web) -
                    gateway route, V(ssh)/V(rdp) - FIP, V(tcp)/V(udp) - EIP and load balancer);
                    V(expose) says it outright.
                  - On platform kube_dc a route or a load balancer is the annotations of the existing
                    LoadBalancer Service V(service) (by default named as the service); the Service's own
                    ports and endpoints are exposed, and one Service is exposed by one service. A gateway
                    route needs platform kube_dc.
                type: list
                elements: dict
                default: []
                suboptions:
                  name: {type: str, required: true, description: "Service name in the file."}
                  app: {type: str, choices: [web, ssh, rdp, tcp, udp], description: "What the service is."}
                  expose: {type: str, choices: [route, fip, load_balancer], description: "How it is exposed."}
                  service:
                    type: str
                    description:
                      - On kube_dc, the LoadBalancer Service a route or a load balancer annotates (default the service's name).
                      - On ovn, a Service whose ready endpoints are a load balancer's backends (instead of V(backends)).
                  service_port: {type: raw, description: "The Service port whose endpoints back the VIP (platform ovn)."}
                  route: {type: str, choices: [http, https, tls-passthrough], description: "Gateway route type (default https)."}
                  hostname: {type: str, description: "Gateway route hostname (Kube-DC's default is <service>-<namespace>.<base domain>)."}
                  route_port: {type: int, description: "The Service port a gateway route sends to (Kube-DC's default is the first)."}
                  issuer: {type: str, description: "cert-manager issuer of a https route's certificate."}
                  tls_secret: {type: str, description: "Secret with a https route's own certificate (instead of an issuer's)."}
                  eip:
                    type: str
                    description: >-
                      EIP of a load-balanced service, by default one named after it; declared with the service if
                      the project's C(eips) do not list it, V(default-gw) to share the project's address.
                  protocol: {type: str, choices: [tcp, udp, sctp], description: "Load balancer protocol (platform ovn)."}
                  port: {type: int, description: "Exposed port (platform ovn)."}
                  backends: {type: list, elements: str, description: "Load balancer backends, ip:port (platform ovn)."}
                  ip_address: {type: str, description: "FIP target address."}
                  vm_name: {type: str, description: "FIP target VM."}
                  interface_name: {type: str, description: "Interface of the VM."}
                  pod_name: {type: str, description: "FIP target pod (platform ovn)."}
                  external_network_type: {type: str, choices: [cloud, public], description: "Network type of the FIP's address."}
  state:
    description:
      - V(present) converges the file; with O(datacenter.exclusive) it also removes what the file no longer
        names - in every project, the FIPs, bindings and EIPs of the collection's that it does not list, and
        every project network of the collection's that it does not name.
      - V(absent) removes everything the collection made for the file's projects (those an older version of
        the file made too), last-made first, then the file's external networks (see
        O(remove_external_networks)).
    type: str
    choices: [present, absent]
    default: present
  part:
    description:
      - Which part of the file a run converges. V(all), the whole file.
      - V(foundations), the external networks, project networks and EIPs, never pruned (role C(project_bootstrap)).
      - V(exposures), the FIPs and load balancer bindings, and with O(datacenter.exclusive) the prunes of
        everything the file no longer names (role C(service_exposure)). Its foundations must be converged;
        they are planned first, and a real run is refused, listing what they lack, if they are not. In check
        mode they are planned in the same transaction, so the exposures of a file never converged are still
        planned whole; only the exposures are reported.
      - Only V(all) goes with O(state=absent).
    type: str
    choices: [all, foundations, exposures]
    default: all
  remove_external_networks:
    description:
      - With O(state=absent), also remove the file's external networks (platform V(ovn)); refused while
        something the file does not name still holds an address in one.
    type: bool
    default: true
  return_objects:
    description:
      - Also return every object of the file as the run leaves it, changed or not, in RV(external_networks),
        RV(project_networks), RV(eips), RV(fips) and RV(bindings).
      - Left out, the result holds what the run changed (RV(summary), and RV(changes) with each object before
        and after). On a file of many projects the full views are most of the result's size, which
        Ansible carries back on every run and AWX stores with the job's events; the C(*_info) modules
        read them on demand.
    type: bool
    default: false
  wait_timeout:
    description:
      - On platform V(kube_dc), how many seconds to wait for each kind's objects to be ready (or gone)
        before the run fails, saying what their status lacks.
    type: int
    default: 300
  wait_sleep:
    description:
      - On platform V(kube_dc), seconds between two reads while waiting.
    type: float
    default: 2.0
extends_documentation_fragment:
  - kubedc.network.ovn_nb
  - kubedc.network.kube
  - kubedc.network.attributes
notes:
  - The connection options come from O(datacenter.connection), or else from this module's own connection
    options, or else from the environment (E(OVN_NB_DB), E(K8S_AUTH_KUBECONFIG) and the others), as an AWX
    credential sets them.
  - The ovn-trace proof and the drift report are the C(verify.yml) playbook's
    (M(kubedc.network.network_trace), M(kubedc.network.network_info)).
seealso:
  - module: kubedc.network.project_network
  - module: kubedc.network.eip
  - module: kubedc.network.fip
  - module: kubedc.network.lb_binding
  - module: kubedc.network.external_network
"""

EXAMPLES = r"""
- name: Preview the datacenter file (run with --check --diff), then converge it
  kubedc.network.datacenter:
    datacenter: "{{ kubedc_datacenter }}"
  register: converged

- name: Print what changed, per project
  ansible.builtin.debug:
    msg: "{{ converged.summary.lines }}"

- name: Converge an inline file against a given NB
  kubedc.network.datacenter:
    ovn_nb_connection: ssl:10.0.0.10:6641
    ovn_nb_private_key: /etc/ovn/key.pem
    ovn_nb_certificate: /etc/ovn/cert.pem
    ovn_nb_ca_cert: /etc/ovn/cacert.pem
    datacenter:
      exclusive: true
      external_networks:
        - name: ext-cloud
          network_type: cloud
          cidr: 100.65.0.0/16
          gateway_chassis: [gw-1]
      organizations:
        - name: acme
          projects:
            - name: prod
              cidr: 10.0.0.0/24
              eips: [{name: web}]
              services:
                - name: https
                  app: tcp
                  eip: web
                  port: 443
                  backends: [10.0.0.20:8443]
                - name: bastion
                  app: ssh
                  ip_address: 10.0.0.11

- name: Tear everything of the file down (refused, naming every blocker, while workloads are attached)
  kubedc.network.datacenter:
    datacenter: "{{ kubedc_datacenter }}"
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the run wrote (in check mode, would write) anything.
  returned: always
  type: bool
commands:
  description:
    - What the run wrote, or in check mode would write, in order - on V(ovn) one line per row operation of
      the transaction; on V(kube_dc) one line per write.
  returned: always
  type: list
  elements: str
  sample: ["create Logical_Router acme-prod", "allocate 100.65.0.100 in external network ext-cloud for project_network/acme-prod"]
summary:
  description: What the run created, changed and removed (in check mode, would), object by object.
  returned: always
  type: dict
  contains:
    lines:
      description:
        - Per project (and V(external networks)), removals first, then the totals. In check mode
          C(create), C(change), C(remove) and C(N to create, N to change, N to remove.); otherwise
          C(created), C(changed), C(removed) and C(N created, N changed, N removed.).
        - On V(kube_dc), an object check mode cannot dry-run yet because its project's namespace does
          not exist ends with C((waiting for project <namespace>)).
      type: list
      elements: str
      sample: ["acme-prod:", "  create project network", "  create eip db", "  create fip bastion", "3 to create, 0 to change, 0 to remove."]
    projects:
      description: Project namespace (or V(external networks)) to C(created), C(changed) and C(removed), each a list of V(<kind> <name>).
      type: dict
      sample: {"acme-prod": {"created": ["project network", "eip db"], "changed": [], "removed": []}}
    totals:
      description: The numbers of objects C(created), C(changed) and C(removed).
      type: dict
      sample: {"created": 3, "changed": 0, "removed": 0}
changes:
  description: Every object the run changes, in the order of the summary.
  returned: always
  type: list
  elements: dict
  contains:
    project:
      description: The project namespace; null for an external network.
      type: str
    kind:
      description: V(external network), V(project network), V(eip), V(fip) or V(binding).
      type: str
    name:
      description: The object's name; null for a project network.
      type: str
    action:
      description: V(create), V(change) or V(remove).
      type: str
    before:
      description: The object as it was, as its module describes it; empty when created.
      type: dict
    after:
      description: The object as the run leaves it; empty when removed. On V(kube_dc) an object waiting for its project is its full manifest.
      type: dict
    waiting_for:
      description: On V(kube_dc) in check mode, the project whose namespace the object waits for; otherwise null.
      type: str
external_networks:
  description: The external networks as the run leaves them (platform V(ovn)), as M(kubedc.network.external_network) returns one.
  returned: success, when O(return_objects=true)
  type: list
  elements: dict
project_networks:
  description: The project networks as the run leaves them, as M(kubedc.network.project_network) returns one.
  returned: success, when O(return_objects=true)
  type: list
  elements: dict
eips:
  description: Every project's EIPs as the run leaves them, as M(kubedc.network.eip) returns them.
  returned: success, when O(return_objects=true)
  type: list
  elements: dict
fips:
  description: Every project's FIPs as the run leaves them, as M(kubedc.network.fip) returns them.
  returned: success, when O(return_objects=true)
  type: list
  elements: dict
bindings:
  description: Every project's load balancer bindings as the run leaves them, as M(kubedc.network.lb_binding) returns them.
  returned: success, when O(return_objects=true)
  type: list
  elements: dict
blockers:
  description: When the run is refused, the refusals by project namespace (or V(external networks), or V(datacenter)); nothing was written.
  returned: failure
  type: dict
  sample:
    acme-web:
      - "project network acme-web still has rows that kubedc.network does not manage: Logical_Switch_Port web-1.
        Remove them first (deleting the project would delete them with it)."
problems:
  description: When the file itself is wrong, one line per bad key, named by its path; nothing was written.
  returned: failure
  type: list
  elements: str
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import KubedcModule
from ansible_collections.kubedc.network.plugins.module_utils.datacenter import run, spec
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import KUBE_ARGUMENT_SPEC
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NB_ARGUMENT_SPEC


class DatacenterModule(KubedcModule):
    shared_argument_specs = (NB_ARGUMENT_SPEC, KUBE_ARGUMENT_SPEC)
    argument_spec = dict(
        datacenter=dict(type="dict", required=True, options=spec.DATACENTER),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        part=dict(type="str", choices=["all", "foundations", "exposures"], default="all"),
        remove_external_networks=dict(type="bool", default=True),
        return_objects=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        wait_sleep=dict(type="float", default=2.0),
    )

    def run(self):
        return run.converge(self.params, self.check_mode, self.diff_mode)


def main():
    module = DatacenterModule()
    module()


if __name__ == "__main__":
    main()

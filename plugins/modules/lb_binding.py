#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lb_binding
short_description: Bind a load balancer VIP on a project's external address to backends
version_added: 0.1.0
description:
  - Declares a load balancer VIP C(<address>:<port>) on a project's router in the OVN Northbound
    DB that sends clients to O(backends), the way Kube-DC exposes a LoadBalancer Service on an
    EIP - in Kube-OVN's per-project load balancer C(vpc-<namespace>-<protocol>-load), attached to
    the project router.
  - The address is a named EIP of the project (see M(kubedc.network.eip)) or, with
    O(eip=default-gw), the project's default-gateway address. Several bindings may share an
    address on different ports; a port already bound is refused before anything is written.
  - The backends may also be the ready endpoints of a port of a Kubernetes Service in the project
    namespace (O(service), O(service_port)), read from the Service's EndpointSlices on the
    Kubernetes API server (see O(kubeconfig)) before anything is written. Kubernetes is only
    read; the VIP is still written to the OVN Northbound DB. Run the task again when the
    endpoints change, and the VIP follows them.
  - Changing the port, protocol or address moves the VIP in the same transaction.
  - A backend that has a floating IP on the other network type is refused, because the VIP's
    replies would then leave through the FIP's network and never reach the clients.
  - The list form (O(bindings)) converges many bindings of one project in one task and one OVSDB
    transaction, with one load balancer row per protocol holding all their VIPs; with
    O(exclusive=true) it also removes the project's bindings that the list does not name. Either
    every binding in the list is valid and converged, or nothing is written.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  name:
    description:
      - Name of the binding, unique within the project (a Service name, say); a lower-case
        RFC 1123 label.
      - Required unless O(bindings) is set; mutually exclusive with it.
    type: str
  state:
    description:
      - V(present) creates or updates the VIP (or every VIP of O(bindings)); V(absent) removes
        it, and the load balancer row with its last VIP.
    type: str
    choices: [present, absent]
    default: present
  bindings:
    description:
      - The list form. Each element declares one binding of the project with the options of the
        single form, and all of them are converged in one transaction. Errors name the element
        (V(bindings[2]\)) and its field.
      - Two elements may not use the same address, port and protocol; nor may an element use
        one that a binding outside the list, or a VIP that kubedc.network does not manage, keeps
        using. A port that the task frees (a binding moved or removed in the same task) may be
        taken.
      - With O(state=absent), only O(bindings[].name) is needed.
      - Mutually exclusive with O(name) and the other options of a single binding.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the binding, unique within the project and the list.
        type: str
        required: true
      eip:
        description: As O(eip).
        type: str
        default: default-gw
      protocol:
        description: As O(protocol).
        type: str
        choices: [tcp, udp, sctp]
        default: tcp
      port:
        description: As O(port); required when O(state=present).
        type: int
      backends:
        description: As O(backends). When O(state=present), exactly one of O(bindings[].backends)
          and O(bindings[].service) is required.
        type: list
        elements: str
      service:
        description: As O(service).
        type: str
      service_port:
        description: As O(service_port); only with O(bindings[].service).
        type: raw
  exclusive:
    description:
      - With O(bindings) and O(state=present), also remove every binding of the project that the
        list does not name (GitOps-style pruning), with the load balancer rows left without a
        binding; V(bindings=[]) then removes them all. Removals come first in RV(commands).
    type: bool
    default: false
  eip:
    description:
      - The EIP of the project whose address carries the VIP, or V(default-gw) for the project's
        default-gateway address. An EIP held by a floating IP cannot be used.
    type: str
    default: default-gw
  protocol:
    description:
      - Transport protocol of the VIP.
    type: str
    choices: [tcp, udp, sctp]
    default: tcp
  port:
    description:
      - The port clients connect to on the address. Required when O(state=present).
    type: int
  backends:
    description:
      - Where connections go, as C(address:port) items in the project subnet.
      - When O(state=present), exactly one of O(backends) and O(service) is required.
    type: list
    elements: str
  service:
    description:
      - Name of a Service in the project namespace V(<organization>-<project>) whose ready
        endpoints are the backends - those of its EndpointSlices (label
        C(kubernetes.io/service-name)) whose condition C(ready) is true or unset, on the target
        port of O(service_port).
      - A Service without a ready endpoint is refused. The binding records the Service, not its
        endpoints; run the task again when they change, and the VIP follows them.
      - The protocol of the Service port must be O(protocol).
      - Needs a connection to the Kubernetes API server (see O(kubeconfig)). Mutually exclusive
        with O(backends).
    type: str
  service_port:
    description:
      - With O(service), the port of the Service to send connections to, by its number
        (C(spec.ports[].port)) or its name; the Service's only port if not set. Its endpoints'
        port is the one its C(targetPort) resolves to.
    type: raw
extends_documentation_fragment:
  - kubedc.network.project
  - kubedc.network.ovn_nb
  - kubedc.network.kube
  - kubedc.network.attributes
attributes:
  platform:
    description: The network system the module manages.
    support: full
    platforms: ovn
notes:
  - The Kubernetes options are needed only with O(service), and are shared by every binding of
    O(bindings).
seealso:
  - module: kubedc.network.eip
  - module: kubedc.network.project_network
"""

EXAMPLES = r"""
- name: HTTPS of acme-prod's web servers on the project's default-gateway address
  kubedc.network.lb_binding:
    organization: acme
    project: prod
    name: web
    port: 443
    backends:
      - 10.0.0.10:8443
      - 10.0.0.11:8443

- name: HTTPS to the ready endpoints of the Service web of acme-prod
  kubedc.network.lb_binding:
    organization: acme
    project: prod
    name: web
    port: 443
    service: web
    service_port: https
    kubeconfig: ~/.kube/acme.yaml

- name: DNS over UDP on an EIP of its own
  kubedc.network.lb_binding:
    organization: acme
    project: prod
    name: dns
    eip: dns
    protocol: udp
    port: 53
    backends:
      - 10.0.0.20:53

- name: Every binding of acme-prod, in one task and one transaction; any other binding there is removed
  kubedc.network.lb_binding:
    organization: acme
    project: prod
    exclusive: true
    bindings:
      - name: https
        port: 443
        backends:
          - 10.0.0.10:8443
          - 10.0.0.11:8443
      - name: http
        port: 80
        backends:
          - 10.0.0.10:8080
      - name: dns
        eip: dns
        protocol: udp
        port: 53
        backends:
          - 10.0.0.20:53
      - name: grpc
        port: 8443
        service: api
        service_port: grpc
    kubeconfig: ~/.kube/acme.yaml

- name: Remove a binding
  kubedc.network.lb_binding:
    organization: acme
    project: prod
    name: dns
    state: absent
"""

RETURN = r"""
lb_binding:
  description: The binding after the task; empty when O(state=absent).
  returned: unless the list form O(bindings) is used
  type: dict
  contains:
    name:
      description: Name of the binding.
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
    eip:
      description: The EIP whose address carries the VIP, or V(default-gw).
      type: str
      sample: default-gw
    address:
      description: The VIP's address.
      type: str
      sample: 100.65.0.100
    protocol:
      description: V(tcp), V(udp) or V(sctp).
      type: str
      sample: tcp
    port:
      description: The VIP's port.
      type: int
      sample: 443
    backends:
      description: The backends, sorted; with O(service), the endpoints it was resolved to.
      type: list
      elements: str
      sample: ["10.0.0.10:8443", "10.0.0.11:8443"]
    load_balancer:
      description: The load balancer row holding the VIP.
      type: str
      sample: vpc-acme-prod-tcp-load
bindings:
  description:
    - With the list form, the bindings of the list after the task, in the order of the list,
      each as RV(lb_binding) describes; empty when O(state=absent).
  returned: when O(bindings) is used
  type: list
  elements: dict
  sample:
    - name: https
      organization: acme
      project: prod
      namespace: acme-prod
      eip: default-gw
      address: 100.65.0.100
      protocol: tcp
      port: 443
      backends: ["10.0.0.10:8443", "10.0.0.11:8443"]
      load_balancer: vpc-acme-prod-tcp-load
removed:
  description:
    - With the list form, the names of the bindings the task removed (or would remove in check
      mode) - those listed with O(state=absent), or those O(exclusive) pruned.
  returned: when O(bindings) is used
  type: list
  elements: str
  sample: [old-http]
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction.
  returned: always
  type: list
  elements: str
  sample: ["create Load_Balancer vpc-acme-prod-tcp-load in Logical_Router acme-prod"]
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import OvnModule
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import KUBE_ARGUMENT_SPEC
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NB_ARGUMENT_SPEC
from ansible_collections.kubedc.network.plugins.module_utils.ovn.lb_binding import ITEM_KEYS, LIST_KEY, LbBinding


class LbBindingModule(OvnModule):
    shared_argument_specs = (NB_ARGUMENT_SPEC, KUBE_ARGUMENT_SPEC)
    argument_spec = dict(
        name=dict(type="str"),
        organization=dict(type="str", required=True),
        project=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        eip=dict(type="str", default="default-gw"),
        protocol=dict(type="str", choices=["tcp", "udp", "sctp"], default="tcp"),
        port=dict(type="int"),
        backends=dict(type="list", elements="str"),
        service=dict(type="str"),
        service_port=dict(type="raw"),
        bindings=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str", required=True),
                eip=dict(type="str", default="default-gw"),
                protocol=dict(type="str", choices=["tcp", "udp", "sctp"], default="tcp"),
                port=dict(type="int"),
                backends=dict(type="list", elements="str"),
                service=dict(type="str"),
                service_port=dict(type="raw"),
            ),
            mutually_exclusive=[("backends", "service")],
            required_by=dict(service_port="service"),
        ),
        exclusive=dict(type="bool", default=False),
    )
    module_kwargs = dict(
        required_one_of=[("name", "bindings")],
        required_if=[("state", "present", ("port", "bindings"), True), ("state", "present", ("backends", "service", "bindings"), True)],
        mutually_exclusive=[("backends", "service")] + [("bindings", single) for single in ITEM_KEYS],
        required_by=dict(service_port="service"),
    )
    resource_class = LbBinding
    result_key = "lb_binding"
    list_key = LIST_KEY


def main():
    module = LbBindingModule()
    module()


if __name__ == "__main__":
    main()

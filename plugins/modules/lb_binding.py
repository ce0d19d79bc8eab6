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
  - With O(platform=kube_dc) the module binds as Kube-DC users do, through the Kubernetes API -
    with the C(service.nlb.kube-dc.com/) annotations of an existing Service O(service) of
    C(type=LoadBalancer) in the project namespace - and the Kube-DC controller makes the VIP from
    the Service's own ports and endpoints. The Service is bound to the EIP O(eip) (annotation
    C(bind-on-eip)), to the project's default-gateway EIP (O(eip=default-gw), annotation
    C(bind-on-default-gw-eip="true")), or exposed as a route of the shared Envoy Gateway
    (O(expose_route), annotations C(expose-route), C(route-hostname), C(route-port),
    C(tls-issuer), C(tls-secret)). Only these annotations are written, with a JSON merge patch;
    the declared ones are set and the others of the family removed, so switching from one way
    to another removes the old annotation. The module never creates nor deletes the Service.
  - Before anything is written, with O(platform=kube_dc), a missing Service, a Service that is
    not of C(type=LoadBalancer), a missing EIP, an EIP held by a floating IP (C(ownershipType=Exclusive)),
    and a port and protocol that another LoadBalancer Service bound to the same EIP already
    uses (on which Kube-DC would leave the Service C(<pending>)) are refused. Check mode is a
    server-side dry run.
  - With O(platform=kube_dc) and O(wait=true), a binding to an EIP is ready when the Service's
    C(status.loadBalancer.ingress[0].ip) is the EIP's C(status.ipAddress) (for V(default-gw),
    that of the EIP V(default-gw) of the namespace). A gateway route is ready when the server
    has the declared annotations and the controller has assigned the route its hostname
    (read-only annotation C(route-hostname-status), equal to O(hostname) when that is set),
    which is returned as RV(lb_binding.route_hostname).
  - With O(platform=kube_dc) and O(verify_ovn=true), once a binding to an EIP is ready (in check
    mode too, when the Service already is), the task reads the OVN Northbound DB and fails with a
    drift report (a failure with the list C(drift)) unless, for each port of the Service,
    Kube-OVN's load balancer C(vpc-<namespace>-<protocol>-load) (C(vpc-<namespace>-<protocol>-sess-load)
    with C(sessionAffinity=ClientIP)) is attached to the project router and has the VIP
    C(<ingress IP>:<port>) whose backends are the Service's ready endpoints (those of its
    EndpointSlices whose condition C(ready) is true or unset, on the port of the same name). It
    only reads. With O(expose_route) there is no row of the project to check, and O(verify_ovn)
    checks nothing.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  platform:
    description:
      - V(ovn) writes the VIP into the OVN Northbound DB directly (the O(ovn_nb_connection)
        options). V(kube_dc) annotates a Service through the Kubernetes API (the O(kubeconfig)
        options) for the Kube-DC controller to bind.
    type: str
    choices: [ovn, kube_dc]
    default: ovn
  name:
    description:
      - Name of the binding, unique within the project (a Service name, say); a lower-case
        RFC 1123 label.
      - Required unless O(bindings) is set; mutually exclusive with it.
      - With O(platform=kube_dc) the binding is the Service O(service) itself; O(name) may be left
        out, and if set must be the Service's name.
    type: str
  state:
    description:
      - V(present) creates or updates the VIP (or every VIP of O(bindings)); V(absent) removes
        it, and the load balancer row with its last VIP.
      - With O(platform=kube_dc), V(absent) removes the module's annotations from the Service
        (and waits until they are gone) and keeps the Service. Kube-DC then gives a
        LoadBalancer Service an automatically allocated EIP of its own; delete the Service, or
        make it another type, to stop exposing it.
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
      - With O(platform=kube_dc), each element binds the Service named O(bindings[].name) with the
        kube_dc options of the single form (O(bindings[].eip) or O(bindings[].expose_route) and its
        route options); every element is validated and checked against the server before the first
        Service is annotated.
      - Mutually exclusive with O(name) and the other options of a single binding.
    type: list
    elements: dict
    suboptions: &binding_items
      name:
        description:
          - Name of the binding, unique within the project and the list.
          - With O(platform=kube_dc), the name of the Service.
        type: str
        required: true
      eip:
        description: As O(eip); V(default-gw) when unset, unless O(bindings[].expose_route) is set.
        type: str
      protocol:
        description: As O(protocol); V(tcp) when unset.
        type: str
        choices: [tcp, udp, sctp]
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
      expose_route:
        description: As O(expose_route); O(platform=kube_dc) only.
        type: str
        choices: [http, https, tls-passthrough]
      hostname:
        description: As O(hostname); O(platform=kube_dc) only.
        type: str
      route_port:
        description: As O(route_port); O(platform=kube_dc) only.
        type: int
      issuer:
        description: As O(issuer); O(platform=kube_dc) only.
        type: str
      tls_secret:
        description: As O(tls_secret); O(platform=kube_dc) only.
        type: str
  projects:
    description:
      - The projects form, for a datacenter file - several projects in one task and one OVSDB
        transaction. Each element names a project and lists its bindings as O(bindings) does; O(exclusive)
        prunes each listed project to its list (an element with no O(projects[].bindings) then
        removes all the bindings of its project). Projects the task does not list are not touched.
      - Errors name the element and the item (V(projects[2].bindings[0]\)).
      - RV(bindings) then lists the bindings of every project, and RV(removed) names them as
        V(<organization>-<project>/<name>).
      - Mutually exclusive with O(organization), O(project), O(bindings) and the single form.
      - With O(platform=kube_dc), the projects' Services are annotated one by one (the Kubernetes
        API has no transaction across objects), after every element has been validated and checked.
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
      bindings:
        description: The bindings of the project, as O(bindings).
        type: list
        elements: dict
        suboptions: *binding_items
  exclusive:
    description:
      - With O(bindings) and O(state=present), also remove every binding of the project that the
        list does not name (GitOps-style pruning), with the load balancer rows left without a
        binding; V(bindings=[]) then removes them all. Removals come first in RV(commands).
      - With O(platform=kube_dc), removes the binding annotations from every Service of the
        project that the module bound (it marks them with the annotation
        C(kubedc.network/managed-by=kubedc.network)) and the list does not name. Services bound
        by hand or by other tools are never touched.
    type: bool
    default: false
  eip:
    description:
      - The EIP of the project whose address carries the VIP, or V(default-gw) for the project's
        default-gateway address. An EIP held by a floating IP cannot be used.
      - Defaults to V(default-gw), unless O(expose_route) is set.
      - With O(platform=kube_dc), the name of an C(EIp) (C(kube-dc.com/v1)) of the project
        namespace, written as the Service annotation C(service.nlb.kube-dc.com/bind-on-eip); or
        V(default-gw), written as C(service.nlb.kube-dc.com/bind-on-default-gw-eip="true"). The
        default-gateway EIP is shared with the project's SNAT and other Services, so their ports
        must differ. Mutually exclusive with O(expose_route).
    type: str
  protocol:
    description:
      - Transport protocol of the VIP. Defaults to V(tcp).
      - Applies to O(platform=ovn) only; on kube_dc the Service's ports say it.
    type: str
    choices: [tcp, udp, sctp]
  port:
    description:
      - The port clients connect to on the address. Required when O(state=present).
      - Applies to O(platform=ovn) only; on kube_dc the Service's ports say it.
    type: int
  backends:
    description:
      - Where connections go, as C(address:port) items in the project subnet.
      - When O(state=present), exactly one of O(backends) and O(service) is required.
      - Applies to O(platform=ovn) only; on kube_dc the Service's endpoints are the backends.
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
      - With O(platform=kube_dc), the Service the module annotates (required in the single form); it
        must exist and be of C(type=LoadBalancer). In O(bindings), it defaults to
        O(bindings[].name) and, if set, must be the same.
    type: str
  service_port:
    description:
      - With O(service), the port of the Service to send connections to, by its number
        (C(spec.ports[].port)) or its name; the Service's only port if not set. Its endpoints'
        port is the one its C(targetPort) resolves to.
      - Applies to O(platform=ovn) only.
    type: raw
  expose_route:
    description:
      - With O(platform=kube_dc), expose the Service as a Gateway API route on the shared Envoy
        Gateway instead of binding it to an EIP (annotation C(service.nlb.kube-dc.com/expose-route)).
        V(http) and V(https) make an C(HTTPRoute) (V(https) with a certificate the gateway
        terminates TLS with), V(tls-passthrough) a C(TLSRoute) to a Service that terminates TLS
        itself.
      - Setting it removes the EIP binding annotations, and leaving it out removes the route
        annotations. Applies to O(platform=kube_dc) only.
    type: str
    choices: [http, https, tls-passthrough]
  hostname:
    description:
      - With O(expose_route), the route's hostname (annotation C(route-hostname)). Kube-DC's
        default is V(<service>-<namespace>.<base domain>).
    type: str
  route_port:
    description:
      - With O(expose_route), the port of the Service (C(spec.ports[].port)) the route sends to
        (annotation C(route-port)); it must be one of the Service's ports. Kube-DC's default is
        the first port.
    type: int
  issuer:
    description:
      - With O(expose_route=https), the cert-manager issuer of the route's certificate
        (annotation C(tls-issuer)). Kube-DC's default is its configured issuer. Mutually
        exclusive with O(tls_secret).
    type: str
  tls_secret:
    description:
      - With O(expose_route=https), the Secret in the project namespace holding the route's own
        certificate (annotation C(tls-secret)), instead of one from an issuer.
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
  - With O(platform=ovn), the Kubernetes options are needed only with O(service), and are shared
    by every binding of O(bindings).
  - With O(platform=kube_dc), an option of the ovn platform (O(port), O(protocol), O(backends),
    O(service_port), O(bindings), O(exclusive)) is refused, as are the route options with
    O(platform=ovn).
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

- name: On Kube-DC, bind the LoadBalancer Service web of acme-prod to its EIP web-ip and wait for the address
  kubedc.network.lb_binding:
    platform: kube_dc
    kubeconfig: ~/.kube/acme.yaml
    organization: acme
    project: prod
    service: web
    eip: web-ip
    wait_timeout: 120
  register: web

- name: Show where web is reached
  ansible.builtin.debug:
    msg: "web answers on {{ web.lb_binding.address }}"

- name: On Kube-DC, move the Service to the project's default-gateway EIP (removes bind-on-eip)
  kubedc.network.lb_binding:
    platform: kube_dc
    organization: acme
    project: prod
    service: web
    eip: default-gw

- name: On Kube-DC, expose the Service as an HTTPS route of the shared gateway instead
  kubedc.network.lb_binding:
    platform: kube_dc
    organization: acme
    project: prod
    service: web
    expose_route: https
    hostname: web.acme.example.com
    route_port: 8080
    issuer: letsencrypt

- name: On Kube-DC, remove the module's annotations from the Service (the Service stays)
  kubedc.network.lb_binding:
    platform: kube_dc
    organization: acme
    project: prod
    service: web
    state: absent

- name: On Kube-DC, every binding of a project in one task; unlisted Services this module bound are unbound
  kubedc.network.lb_binding:
    platform: kube_dc
    organization: acme
    project: prod
    exclusive: true
    bindings:
      - name: web
        expose_route: https
        hostname: web.acme.example.com
      - name: shop
        eip: shop-ip
      - name: metrics
"""

RETURN = r"""
lb_binding:
  description: The binding after the task; empty when O(state=absent).
  returned: unless the list form O(bindings) is used
  type: dict
  contains:
    name:
      description: Name of the binding; with O(platform=kube_dc), of the Service.
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
      description:
        - The EIP whose address carries the VIP, or V(default-gw).
        - With O(platform=kube_dc), the EIP the Service's annotations bind it to; null when it
          is exposed as a route.
      type: str
      sample: default-gw
    address:
      description:
        - The VIP's address.
        - With O(platform=kube_dc), the Service's C(status.loadBalancer.ingress[0].ip); null until
          the controller sets it (with O(wait=false), or in check mode).
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
      description: The load balancer row holding the VIP. Not with O(platform=kube_dc).
      type: str
      sample: vpc-acme-prod-tcp-load
    ports:
      description: With O(platform=kube_dc), the Service's ports, each with C(name), C(port) and C(protocol).
      type: list
      elements: dict
      sample: [{"name": "https", "port": 443, "protocol": "TCP"}]
    expose_route:
      description: With O(platform=kube_dc), the route type (V(http), V(https), V(tls-passthrough)), or null.
      type: str
      sample: https
    hostname:
      description: With O(platform=kube_dc), the route hostname the Service's annotations declare, or null.
      type: str
      sample: web.acme.example.com
    route_port:
      description: With O(platform=kube_dc), the Service port the route sends to, or null.
      type: int
      sample: 8080
    issuer:
      description: With O(platform=kube_dc), the cert-manager issuer of the route's certificate, or null.
      type: str
      sample: letsencrypt
    tls_secret:
      description: With O(platform=kube_dc), the Secret with the route's certificate, or null.
      type: str
      sample: web-tls
    route_hostname:
      description:
        - With O(platform=kube_dc), the hostname the controller assigned to the route (annotation
          C(service.nlb.kube-dc.com/route-hostname-status)), or null until it does (with O(wait=false)).
      type: str
      sample: web-acme-prod.kube-dc.example.com
bindings:
  description:
    - With the list form, the bindings of the list after the task, in the order of the list,
      each as RV(lb_binding) describes; empty when O(state=absent).
  returned: when O(bindings) or O(projects) is used
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
      mode) - those listed with O(state=absent), or those O(exclusive) pruned. With
      O(platform=kube_dc), the Services whose binding annotations the task removed.
  returned: when O(bindings) or O(projects) is used
  type: list
  elements: str
  sample: [old-http]
commands:
  description:
    - The changes made, or in check mode the changes that would be made, one line per row
      operation of the single OVSDB transaction.
    - "With O(platform=kube_dc), one line per Service, the merge patch of its annotations
      (V(patch v1 Service acme-prod/web: kubedc.network/managed-by=kubedc.network,
      service.nlb.kube-dc.com/bind-on-default-gw-eip=true, service.nlb.kube-dc.com/bind-on-eip=(removed\\))),
      where V((removed\\)) is a null in the patch."
  returned: always
  type: list
  elements: str
  sample: ["create Load_Balancer vpc-acme-prod-tcp-load in Logical_Router acme-prod"]
"""

from ansible_collections.kubedc.network.plugins.module_utils.base import PlatformModule, project_entry, projects_form_rules
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.lb_binding import KUBE_DC_ONLY, KubeLbBinding, refuse_other_platform
from ansible_collections.kubedc.network.plugins.module_utils.ovn.lb_binding import ITEM_KEYS, LIST_KEY, LbBinding


BINDINGS = dict(
    type="list",
    elements="dict",
    options=dict(
        name=dict(type="str", required=True),
        # No defaults, as in the single form: on kube_dc an entry with expose_route has no eip.
        eip=dict(type="str"),
        protocol=dict(type="str", choices=["tcp", "udp", "sctp"]),
        port=dict(type="int"),
        backends=dict(type="list", elements="str"),
        service=dict(type="str"),
        service_port=dict(type="raw"),
        expose_route=dict(type="str", choices=["http", "https", "tls-passthrough"]),
        hostname=dict(type="str"),
        route_port=dict(type="int"),
        issuer=dict(type="str"),
        tls_secret=dict(type="str", no_log=False),
    ),
    mutually_exclusive=[("backends", "service")],
    required_by=dict(service_port="service"),
)
PROJECTS_RULES = projects_form_rules(LIST_KEY, ITEM_KEYS)


class LbBindingModule(PlatformModule):
    argument_spec = dict(
        name=dict(type="str"),
        organization=dict(type="str"),
        project=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        # No defaults for eip and protocol: kube_dc must tell an option set from one left out.
        # The ovn platform reads them as default-gw and tcp when unset.
        eip=dict(type="str"),
        protocol=dict(type="str", choices=["tcp", "udp", "sctp"]),
        port=dict(type="int"),
        backends=dict(type="list", elements="str"),
        service=dict(type="str"),
        service_port=dict(type="raw"),
        bindings=BINDINGS,
        projects=dict(type="list", elements="dict", options=project_entry(LIST_KEY, BINDINGS)),
        exclusive=dict(type="bool", default=False),
        expose_route=dict(type="str", choices=["http", "https", "tls-passthrough"]),
        hostname=dict(type="str"),
        route_port=dict(type="int"),
        issuer=dict(type="str"),
        tls_secret=dict(type="str", no_log=False),
    )
    # Which options a task needs depends on the platform: the ovn resource asks for port and
    # backends (or service) with state=present itself, and kube_dc needs service.
    module_kwargs = dict(
        required_one_of=[("name", "bindings", "service", "projects")] + PROJECTS_RULES["required_one_of"],
        required_if=[("platform", "kube_dc", ("service", "bindings", "projects"), True)],
        mutually_exclusive=[("backends", "service")] + [(form, single) for form in ("bindings", "projects") for single in KUBE_DC_ONLY]
        + [("bindings", single) for single in ITEM_KEYS] + PROJECTS_RULES["mutually_exclusive"],
        required_by=dict(service_port="service"),
    )
    resource_class = LbBinding
    kube_resource_class = KubeLbBinding
    verifies_ovn = True
    result_key = "lb_binding"
    list_key = LIST_KEY
    projects_key = "projects"

    def run(self):
        refuse_other_platform(self.params)
        return super(LbBindingModule, self).run()

    def kube_item_params(self, params, entry):
        # On kube_dc a binding is its Service's annotations: an entry names the Service.
        item = super(LbBindingModule, self).kube_item_params(params, entry)
        if item.get("service") is None:
            item["service"] = item["name"]
        return item


def main():
    module = LbBindingModule()
    module()


if __name__ == "__main__":
    main()

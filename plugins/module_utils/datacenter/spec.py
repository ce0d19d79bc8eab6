# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""The shape of a datacenter file, as the datacenter module's argument spec.

The roles' ``meta/argument_specs.yml`` declare the same shape for
``kubedc_datacenter`` (tests/unit/test_datacenter_plan.py keeps them equal), so a
file is refused with the same words whether a role or the module checks it.
"""

NETWORK_TYPES = ["cloud", "public"]


def _str(**extra):
    return dict(type="str", **extra)


CONNECTION = dict(
    ovn_nb_connection=_str(),
    ovn_nb_private_key=dict(type="path", no_log=False),
    ovn_nb_certificate=dict(type="path"),
    ovn_nb_ca_cert=dict(type="path"),
    ovn_nb_timeout=dict(type="int"),
    ovn_sb_connection=_str(),
    ovn_sb_private_key=dict(type="path", no_log=False),
    ovn_sb_certificate=dict(type="path"),
    ovn_sb_ca_cert=dict(type="path"),
    kubeconfig=dict(type="raw"),
    context=_str(),
    host=_str(),
    api_key=_str(no_log=True),
    ca_cert=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path", no_log=False),
    validate_certs=dict(type="bool"),
)

EXTERNAL_NETWORK = dict(
    name=_str(required=True),
    network_type=_str(required=True, choices=NETWORK_TYPES),
    cidr=_str(required=True),
    gateway=_str(),
    reserved=dict(type="list", elements="str"),
    network_name=_str(),
    vlan=dict(type="int"),
    gateway_chassis=dict(type="list", elements="str"),
)

EIP = dict(name=_str(required=True), external_network_type=_str(choices=NETWORK_TYPES), address=_str())

FIP = dict(
    name=_str(required=True),
    ip_address=_str(),
    vm_name=_str(),
    interface_name=_str(),
    pod_name=_str(),
    eip=_str(),
    external_network_type=_str(choices=NETWORK_TYPES),
)

SERVICE = dict(
    name=_str(required=True),
    app=_str(choices=["web", "ssh", "rdp", "tcp", "udp"]),
    expose=_str(choices=["route", "fip", "load_balancer"]),
    service=_str(),
    service_port=dict(type="raw"),
    route=_str(choices=["http", "https", "tls-passthrough"]),
    hostname=_str(),
    route_port=dict(type="int"),
    issuer=_str(),
    tls_secret=_str(no_log=False),
    eip=_str(),
    protocol=_str(choices=["tcp", "udp", "sctp"]),
    port=dict(type="int"),
    backends=dict(type="list", elements="str"),
    ip_address=_str(),
    vm_name=_str(),
    interface_name=_str(),
    pod_name=_str(),
    external_network_type=_str(choices=NETWORK_TYPES),
)

PROJECT = dict(
    name=_str(required=True),
    cidr=_str(required=True),
    egress_network_type=_str(choices=NETWORK_TYPES),
    gateway=_str(),
    default_gateway_ip=_str(),
    external_network=_str(),
    eips=dict(type="list", elements="dict", default=[], options=EIP),
    fips=dict(type="list", elements="dict", default=[], options=FIP),
    services=dict(type="list", elements="dict", default=[], options=SERVICE),
)

DATACENTER = dict(
    platform=_str(choices=["ovn", "kube_dc"], default="ovn"),
    exclusive=dict(type="bool", default=False),
    connection=dict(type="dict", options=CONNECTION),
    external_networks=dict(type="list", elements="dict", default=[], options=EXTERNAL_NETWORK),
    organizations=dict(type="list", elements="dict", required=True, options=dict(
        name=_str(required=True),
        projects=dict(type="list", elements="dict", default=[], options=PROJECT),
    )),
)

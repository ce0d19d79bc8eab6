#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: project_network_info
short_description: List the project networks kubedc.network made
version_added: 0.1.0
description:
  - Lists every project network the collection made, in every organization or in one, as
    M(kubedc.network.project_network) describes them.
  - With O(platform=ovn), those are the project routers in the OVN Northbound DB whose
    C(external_ids) carry C(kubedc:managed-by=kubedc.network). With O(platform=kube_dc), the
    Kube-DC C(Project)s labelled C(kubedc.network/managed-by=kubedc.network), in any organization
    namespace (listing them needs the right to list C(Project)s cluster-wide).
  - A play compares this list with a datacenter file to find the projects the file no longer
    names, and removes what is in them before M(kubedc.network.project_network) with
    O(kubedc.network.project_network#module:exclusive=true) deletes them.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  platform:
    description:
      - V(ovn) reads the OVN Northbound DB (the O(ovn_nb_connection) options); V(kube_dc) reads the
        Kubernetes API (the O(kubeconfig) options).
    type: str
    choices: [ovn, kube_dc]
    default: ovn
  organization:
    description: Only the projects of this organization. All of them when left out.
    type: str
extends_documentation_fragment:
  - kubedc.network.ovn_nb
  - kubedc.network.kube
  - kubedc.network.attributes.info_module
attributes:
  platform:
    description: The network system the module reads.
    support: full
    platforms: [ovn, kube_dc]
seealso:
  - module: kubedc.network.project_network
  - module: kubedc.network.network_info
"""

EXAMPLES = r"""
- name: Which projects did kubedc.network make?
  kubedc.network.project_network_info:
  register: made

- name: The Kube-DC Projects of organization acme that the collection created
  kubedc.network.project_network_info:
    platform: kube_dc
    organization: acme
  register: acme
"""

RETURN = r"""
project_networks:
  description:
    - The project networks, sorted by namespace, each as RV(kubedc.network.project_network#module:project_network)
      describes it.
  returned: always
  type: list
  elements: dict
  sample:
    - organization: acme
      name: prod
      namespace: acme-prod
      cidr: 10.0.0.0/24
      egress_network_type: cloud
      default_gateway_ip: 100.65.0.100
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.kubedc.network.plugins.module_utils.base import KubedcModule
from ansible_collections.kubedc.network.plugins.module_utils.common import validation
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import KUBE_ARGUMENT_SPEC
from ansible_collections.kubedc.network.plugins.module_utils.kube_dc import project_network as kube_dc_projects
from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection
from ansible_collections.kubedc.network.plugins.module_utils.ovn import project_network as ovn_projects


class ProjectNetworkInfoModule(KubedcModule):
    shared_argument_specs = (connection.NB_ARGUMENT_SPEC, KUBE_ARGUMENT_SPEC)
    argument_spec = dict(
        platform=dict(type="str", choices=["ovn", "kube_dc"], default="ovn"),
        organization=dict(type="str"),
    )

    def run(self):
        organization = self.params.get("organization")
        if organization is not None:
            validation.dns_label("organization", organization)
        if self.params["platform"] == "kube_dc":
            return dict(changed=False, project_networks=kube_dc_projects.gather_projects(self.params, organization))
        if not connection.HAS_OVSDBAPP:
            self.ansible.fail_json(msg=missing_required_lib("ovsdbapp"), exception=str(connection.OVSDBAPP_IMPORT_ERROR))
        return dict(changed=False, project_networks=ovn_projects.gather_projects(self.params, organization))


def main():
    module = ProjectNetworkInfoModule()
    module()


if __name__ == "__main__":
    main()

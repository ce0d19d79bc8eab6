#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: network_trace
short_description: Prove with ovn-trace that a project's published addresses reach their targets
version_added: 0.1.0
description:
  - Traces, with the real C(ovn-trace) binary and the logical flows that C(ovn-northd) computed into
    the OVN Southbound DB, the packet an internet client sends to each address a project publishes,
    and checks that it leaves through the logical switch port it is meant to, with the destination
    address rewritten to the target's.
  - For every floating IP of the project (every C(dnat_and_snat) NAT row of its router) - a TCP
    packet to port 22 of the external address, from C(203.0.113.9), entering the external network's
    logical switch at its localnet port, to the MAC of the project router's gateway port on that
    network. It must leave through the port of the project switch that holds the FIP's internal
    address, with C(ip4.dst) that address. For a FIP declared by M(kubedc.network.fip) with
    O(kubedc.network.fip#module:ip_address), the internal address is the declared one, so that a
    NAT row changed behind the collection's back (the stale NAT row known from Kube-OVN) is found
    out; for other FIPs (unmanaged rows, or FIPs declared on a pod or VM) it is the NAT row's
    C(logical_ip).
  - For every backend of every load balancer VIP of the project router on an external address
    (the bindings of M(kubedc.network.lb_binding), or any other VIP there) - the same packet to the
    VIP's address and port (and protocol), traced as a new connection (C(--ct=new)) that the load
    balancer sends to that backend (C(--lb-dst)). It must leave through the port holding the
    backend's address, with C(ip4.dst) that address. The backends are those the load balancer has
    in the Northbound DB.
  - A path whose target address no port of the project switch holds yet - no workload is attached
    there - cannot be proven, nor is it wrong; it is not traced, and it is reported by name as not
    proven (RV(network_trace.unproven)), with a warning, unless O(require_workloads=true) makes it a
    failed path. A FIP whose NAT row no longer sends to its declared address is a failed path all
    the same.
  - A path that cannot be traced at all (no gateway port, no localnet port, an address outside every
    external network) is a failed path that says why.
  - The task fails, listing every failed path, when any path does not go where it should, unless
    O(fail_on_mismatch=false). It never writes to the Northbound or the Southbound DB; it always
    returns C(changed=false), and check mode does the same as a normal run.
author:
  - kubedc.network contributors (@kubedc-network)
options:
  ovn_sb_connection:
    description:
      - The OVN Southbound database C(ovn-trace) reads the logical flows from, as ovsdb remotes
        C(unix:PATH), C(tcp:HOST:PORT) or C(ssl:HOST:PORT) (a clustered DB as a comma-separated
        list). It must be the Southbound DB of the Northbound DB of O(ovn_nb_connection).
      - If not set, the E(OVN_SB_DB) environment variable is used,
        as by C(ovn-trace) itself.
    type: str
    default: unix:/var/run/ovn/ovnsb_db.sock
  ovn_sb_private_key:
    description:
      - Private key file of the client certificate for C(ssl:) Southbound remotes.
      - If not set, the E(OVN_SB_PRIVATE_KEY) environment variable is used.
    type: path
  ovn_sb_certificate:
    description:
      - Client certificate file for C(ssl:) Southbound remotes.
      - If not set, the E(OVN_SB_CERTIFICATE) environment variable is used.
    type: path
  ovn_sb_ca_cert:
    description:
      - CA certificate file used to verify the Southbound server for C(ssl:) remotes.
      - If not set, the E(OVN_SB_CA_CERT) environment variable is used.
    type: path
  ovn_trace_path:
    description:
      - The C(ovn-trace) executable - a name looked up on E(PATH), or a path.
    type: str
    default: ovn-trace
  ovn_trace_timeout:
    description:
      - Seconds one run of C(ovn-trace) (one traced packet) may take before the task fails.
    type: int
    default: 60
  fail_on_mismatch:
    description:
      - Whether the task fails when a path does not go where it should. With V(false) the failed
        paths are only returned (RV(network_trace.failures)).
    type: bool
    default: true
  require_workloads:
    description:
      - Whether a path whose target no workload holds yet (no port of the project switch has the
        address) is a failed path. With V(false) it is reported as not proven, with a warning.
    type: bool
    default: false
extends_documentation_fragment:
  - kubedc.network.project
  - kubedc.network.ovn_nb
  - kubedc.network.attributes
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details: This module never changes anything.
  platform:
    description: The network system the module reads.
    support: full
    platforms: ovn
requirements:
  - C(ovn-trace) (Debian and Ubuntu - package C(ovn-central) or C(ovn-host)) on the host the module runs on
notes:
  - C(ovn-trace) reads the whole Southbound DB for every traced packet - one per FIP and one per
    VIP backend - so a task on a project with many of them, against a large Southbound DB, takes
    a while.
  - What is traced is what C(ovn-northd) has computed so far; a change of the Northbound DB that it
    has not processed yet (it usually takes well under a second) is not seen.
  - No MAC bindings are needed; the packet enters from the outside, and the targets' MACs are
    known from their ports.
seealso:
  - module: kubedc.network.network_info
  - module: kubedc.network.fip
  - module: kubedc.network.lb_binding
"""

EXAMPLES = r"""
- name: Prove that every FIP and VIP of acme-prod reaches its target
  kubedc.network.network_trace:
    organization: acme
    project: prod
    ovn_sb_connection: tcp:192.0.2.10:6642

- name: Only report, for a dashboard
  kubedc.network.network_trace:
    organization: acme
    project: prod
    fail_on_mismatch: false
  register: proof

- name: Show what does not work
  ansible.builtin.debug:
    msg: "{{ proof.network_trace.failures }}"
  when: proof.network_trace.totals.failed > 0
"""

RETURN = r"""
commands:
  description: Always empty - the module writes nothing (the other modules list their row operations here).
  returned: always
  type: list
  elements: str
  sample: []
network_trace:
  description: Every path traced, and the totals; also returned when the task fails because of failed paths.
  returned: success, or failure because of failed paths
  type: dict
  contains:
    organization:
      description: The organization of the project.
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
    ovn_sb_connection:
      description: The Southbound DB that was traced against.
      type: str
      sample: unix:/var/run/ovn/ovnsb_db.sock
    paths:
      description: One item per FIP and per backend of each VIP, FIPs first.
      type: list
      elements: dict
      contains:
        kind:
          description: V(fip) or V(vip).
          type: str
          sample: fip
        name:
          description:
            - The name of the FIP, or of the load balancer binding(s) holding the VIP, when the
              collection manages it; null otherwise.
          type: str
          sample: bastion
        address:
          description: The external address the packet is sent to.
          type: str
          sample: 100.65.0.101
        port:
          description: The destination port of the packet - 22 for a FIP, the VIP's port for a VIP.
          type: int
          sample: 22
        protocol:
          description: The protocol of the packet - C(tcp) for a FIP, the load balancer's for a VIP.
          type: str
          sample: tcp
        external_network:
          description: The external network of the address; null if it is in none.
          type: str
          sample: ext-cloud
        backend:
          description: For a VIP, the backend (C(address:port)) the load balancer is made to choose; null for a FIP.
          type: str
          sample: 10.0.0.20:8443
        load_balancer:
          description: For a VIP, the load balancer holding it; null for a FIP.
          type: str
          sample: vpc-acme-prod-tcp-load
        logical_ip:
          description: For a FIP, the internal address of its NAT row; null for a VIP.
          type: str
          sample: 10.0.0.10
        expected_port:
          description: The logical switch port of the project switch the packet must leave through; null if no port holds the target address.
          type: str
          sample: vm1
        expected_ip4_dst:
          description: The destination address the packet must have there.
          type: str
          sample: 10.0.0.10
        expected_from:
          description:
            - Where the expected address comes from - V(declaration) (the FIP's recorded
              declaration), V(nat) (the FIP's NAT row) or V(load_balancer) (the VIP's backend).
          type: str
          sample: declaration
        datapath:
          description: The logical switch the packet enters, given to ovn-trace; null if nothing could be traced.
          type: str
          sample: ext-cloud
        microflow:
          description: The packet, as the ovn-trace microflow; null if nothing could be traced.
          type: str
          sample: >-
            inport == "localnet.ext-cloud" && eth.src == 02:00:cb:00:71:09 && eth.dst == 0a:19:66:02:79:7c &&
            ip4.src == 203.0.113.9 && ip4.dst == 100.65.0.101 && ip.ttl == 64 && tcp && tcp.src == 40000 && tcp.dst == 22
        command:
          description: The ovn-trace command that was run, as a shell command line; null if nothing could be traced.
          type: str
          sample: >-
            /usr/bin/ovn-trace --db=unix:/var/run/ovn/ovnsb_db.sock --summary --minimal -- ext-cloud
            'inport == "localnet.ext-cloud" && ...'
        outputs:
          description: The logical ports the traced packet left through.
          type: list
          elements: str
          sample: [vm1]
        final_fields:
          description: Per port the packet left through, the header fields that were changed on its way there.
          type: dict
          sample: {"vm1": {"ip4.dst": "10.0.0.10", "ip.ttl": "63", "eth.dst": "0a:00:00:00:10:0a"}}
        ip4_dst:
          description: The packet's destination address where it left (at the expected port, or the only one); null if it did not leave.
          type: str
          sample: 10.0.0.10
        verdict:
          description: What ovn-trace says happened to the packet, in one line.
          type: str
          sample: forwarded to vm1; DNAT 10.0.0.10
        trace:
          description: The C(--minimal) trace of ovn-trace.
          type: str
          sample: "ct_snatin_czone {\n    ct_dnatin_czone(ip4.dst=10.0.0.10) {\n        output(\"vm1\");\n    };\n};\n"
        ok:
          description: Whether the packet left through the expected port only, with the expected destination address.
          type: bool
          sample: true
        status:
          description:
            - V(proven) (the packet went where it should), V(failed) (it did not, or could not be traced), or
              V(not proven) (no workload holds the target address yet, so it was not traced).
          type: str
          sample: proven
        reason:
          description: Why the path failed; null if it is ok.
          type: str
          sample: "no logical switch port of acme-prod-default has address 10.0.0.5"
    unproven:
      description: One line per path not proven because no workload holds its target yet, naming it.
      type: list
      elements: str
      sample: ["fip bastion 100.65.0.101:22: no workload holds 10.0.0.11 yet (no logical switch port of acme-prod-default has address 10.0.0.11)"]
    failures:
      description: One line per failed path, naming it and saying why; the task's message lists the same.
      type: list
      elements: str
      sample: ["fip bastion 100.65.0.101:22: expected output to vm1 with ip4.dst 10.0.0.10, but it went to vm2 with ip4.dst 10.0.0.11"]
    totals:
      description:
        - How many paths there were (V(paths)), went where they should (V(ok)) or not (V(failed)), could not be
          proven yet (V(unproven)), and how many were FIPs (V(fips)) and VIP backends (V(vips)).
      type: dict
      sample: {"paths": 4, "ok": 3, "failed": 0, "unproven": 1, "fips": 2, "vips": 2}
"""

from ansible.module_utils.basic import env_fallback

from ansible_collections.kubedc.network.plugins.module_utils.base import OvnModule
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import NB_ARGUMENT_SPEC
from ansible_collections.kubedc.network.plugins.module_utils.ovn.trace import DEFAULT_SB_REMOTE, prove


class NetworkTraceModule(OvnModule):
    shared_argument_specs = (NB_ARGUMENT_SPEC,)
    argument_spec = dict(
        organization=dict(type="str", required=True),
        project=dict(type="str", required=True),
        ovn_sb_connection=dict(type="str", default=DEFAULT_SB_REMOTE, fallback=(env_fallback, ["OVN_SB_DB"])),
        ovn_sb_private_key=dict(type="path", no_log=False, fallback=(env_fallback, ["OVN_SB_PRIVATE_KEY"])),
        ovn_sb_certificate=dict(type="path", fallback=(env_fallback, ["OVN_SB_CERTIFICATE"])),
        ovn_sb_ca_cert=dict(type="path", fallback=(env_fallback, ["OVN_SB_CA_CERT"])),
        ovn_trace_path=dict(type="str", default="ovn-trace"),
        ovn_trace_timeout=dict(type="int", default=60),
        fail_on_mismatch=dict(type="bool", default=True),
        require_workloads=dict(type="bool", default=False),
    )

    def run(self):
        # Only reads, so check mode does the same.
        report = prove(self.params)
        if not self.params["require_workloads"]:
            for line in report["unproven"]:
                self.ansible.warn("not proven: " + line)
        return dict(changed=False, commands=[], network_trace=report)


def main():
    module = NetworkTraceModule()
    module()


if __name__ == "__main__":
    main()

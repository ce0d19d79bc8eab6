# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection to the OVN Northbound DB, shared by every module of platform ovn.
    DOCUMENTATION = r"""
options:
  ovn_nb_connection:
    description:
      - The OVN Northbound database to manage, as ovsdb remotes C(unix:PATH), C(tcp:HOST:PORT)
        or C(ssl:HOST:PORT).
      - For a clustered Northbound DB give every member, comma-separated; the module writes to
        whichever member is the cluster leader.
      - If not set, the E(OVN_NB_DB) environment variable is used, as by C(ovn-nbctl).
    type: str
    default: unix:/var/run/ovn/ovnnb_db.sock
  ovn_nb_private_key:
    description:
      - Private key file of the client certificate for C(ssl:) remotes.
      - If not set, the E(OVN_NB_PRIVATE_KEY) environment variable is used.
    type: path
  ovn_nb_certificate:
    description:
      - Client certificate file for C(ssl:) remotes.
      - If not set, the E(OVN_NB_CERTIFICATE) environment variable is used.
    type: path
  ovn_nb_ca_cert:
    description:
      - CA certificate file used to verify the server for C(ssl:) remotes.
      - If not set, the E(OVN_NB_CA_CERT) environment variable is used.
    type: path
  ovn_nb_timeout:
    description:
      - Seconds to wait for the connection, the initial read and the transaction together.
      - If not set, the E(OVN_NB_TIMEOUT) environment variable is used.
    type: int
    default: 60
requirements:
  - ovsdbapp (and the C(ovs) Python library it uses)
  - netaddr
notes:
  - The module reads only the rows it needs (its own router and switch, the external networks,
    and their child rows) and does not monitor the large Logical_Switch_Port table, so its
    start-up barely grows with unrelated rows in a large Northbound DB.
  - All changes of one task are committed in one OVSDB transaction; a task that fails writes
    nothing.
  - Rows the collection creates carry C(external_ids) C(kubedc:managed-by=kubedc.network),
    C(kubedc:kind) and C(kubedc:object); rows without them are never changed or deleted.
"""

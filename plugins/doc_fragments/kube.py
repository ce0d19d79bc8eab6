# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection to a Kubernetes API server, with kubernetes.core's option names and
    # K8S_AUTH_* environment variables (which AWX's Kubernetes credential sets).
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - The kubeconfig to connect to the Kubernetes API server with - the path of a kubeconfig
        file, or its content as a dict.
      - If not set, the E(K8S_AUTH_KUBECONFIG) environment variable is used.
      - When no Kubernetes option is set at all and the module runs in a pod, the pod's service
        account is used; otherwise a task that needs Kubernetes fails and says so.
    type: raw
  context:
    description:
      - The context of the kubeconfig to use; its current context if not set. Without
        O(kubeconfig), the default kubeconfig file (E(KUBECONFIG), or C(~/.kube/config)) is read.
      - If not set, the E(K8S_AUTH_CONTEXT) environment variable is used.
    type: str
  host:
    description:
      - URL of the Kubernetes API server, such as V(https://k8s.example.com:6443). Without
        O(kubeconfig), give O(api_key) or O(client_cert) and O(client_key) with it.
      - If not set, the E(K8S_AUTH_HOST) environment variable is used.
    type: str
  api_key:
    description:
      - A bearer token to authenticate with (a service account token, say).
      - If not set, the E(K8S_AUTH_API_KEY) environment variable is used.
    type: str
  ca_cert:
    description:
      - CA certificate file to verify the API server with.
      - If not set, the E(K8S_AUTH_SSL_CA_CERT) environment variable is used.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Client certificate file to authenticate with.
      - If not set, the E(K8S_AUTH_CERT_FILE) environment variable is used.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Private key file of O(client_cert).
      - If not set, the E(K8S_AUTH_KEY_FILE) environment variable is used.
    type: path
    aliases: [key_file]
  validate_certs:
    description:
      - Whether to verify the API server's certificate; the kubeconfig decides (usually V(true))
        if not set.
      - If not set, the E(K8S_AUTH_VERIFY_SSL) environment variable is used.
    type: bool
    aliases: [verify_ssl]
requirements:
  - kubernetes (the Python client), only for tasks that use the Kubernetes API server
notes:
  - The Kubernetes options have the names and environment variables of the C(kubernetes.core)
    collection, so the Kubernetes credential of AWX works as it is.
  - The API server is only read, and only by tasks that need it. Requests the server throttles
    (429) or fails (5xx) are retried a few times with backoff.
"""

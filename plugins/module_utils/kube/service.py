# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Reading what the OVN modules need from Kubernetes: the addresses of workloads.

``KubeReader`` answers three questions, each with an error that names the
option, the value and what is wrong, before anything is written:

* the IP of a pod (``status.podIP``);
* the IP of an interface of a KubeVirt VM, as its VirtualMachineInstance
  reports it (``status.interfaces[].ipAddress``; the first interface unless
  one is named), the way Kube-DC resolves a FIp's ``vmTarget``;
* the ready endpoints of a Service port, from the Service's EndpointSlices.

Objects are read as plain JSON (``_preload_content=False``) rather than
through the library's models, which reject some valid answers (an
EndpointSlice with ``endpoints: null``) and cost time to build.
Throttling (429) and server errors (5xx) are retried with backoff.
"""

import json

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.kube import client
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import (
    KubeError,
    KubeNotFound,
    KubeUnreachable,
)
from ansible_collections.kubedc.network.plugins.module_utils.kube.waiter import Retry, retrying

# (connect, read) seconds for one request.
REQUEST_TIMEOUT = (10, 30)
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
ENDPOINT_SLICES_API = "discovery.k8s.io/v1"
# A 404 for the EndpointSlice collection: the server is older than that version (an empty
# answer would read as a Service without endpoints).
ENDPOINT_SLICES_UNSERVED = "the API server does not serve {0} EndpointSlices (Kubernetes 1.21 or later is needed)".format(
    ENDPOINT_SLICES_API)
KUBEVIRT = ("kubevirt.io", "v1", "virtualmachineinstances")


def server_message(exc):
    try:
        body = json.loads(exc.body)
        if isinstance(body, dict) and body.get("message"):
            return body["message"]
    except (TypeError, ValueError):
        pass
    return exc.reason or "no message"


def retry_after(exc):
    try:
        return float((exc.headers or {}).get("Retry-After"))
    except (TypeError, ValueError):
        return None


def _first_ipv4(candidates):
    """The first IPv4 address among ``candidates`` (which may carry a /prefix), or None."""
    for value in candidates:
        if not value:
            continue
        address = str(value).split("/", 1)[0]
        parts = address.split(".")
        if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
            return address
    return None


def api_error(host, exc, purpose, not_found=None):
    """The KubedcError for an ApiException: the server's message, and what was being done."""
    status = exc.status or 0
    message = server_message(exc)
    if status == 404 and not_found is not None:
        field, value, reason = not_found
        failure = KubeNotFound(field, value, reason)
        failure.details["server_message"] = message
        return failure
    if status == 401:
        text = "the Kubernetes API server at {0} refused the credentials (401 Unauthorized; {1}): {2}"
    elif status == 403:
        text = "the Kubernetes API server at {0} refused the request (403 Forbidden; {1}): {2}"
    elif status == 429 or status >= 500:
        return KubeUnreachable("the Kubernetes API server at {0} kept failing ({1}; {2} {3}): {4}".format(
            host, purpose, status, exc.reason, message), host=host, status=status)
    else:
        text = "the Kubernetes API server at {0} refused the request (" + str(status) + "; {1}): {2}"
    return KubeError(text.format(host, purpose, message), host=host, status=status)


def _port_label(port):
    text = "{0}/{1}".format(port.get("port"), port.get("protocol") or "TCP")
    return "{0} ({1})".format(port["name"], text) if port.get("name") else text


class KubeReader(object):
    """Reads from the API server of a task's Kubernetes options; connects on first use."""

    def __init__(self, params):
        self.params = client.connection_params(params)
        self._api = None

    def api(self, purpose):
        if self._api is None:
            self._api = client.api_client(self.params, purpose)
        return self._api

    # -- requests -----------------------------------------------------------

    def _get(self, purpose, not_found, call, *args, **kwargs):
        """JSON of one GET with retries; ``not_found`` is (field, value, reason) for a 404."""
        kube_client = client.load()[0]
        api = self.api(purpose)
        host = api.configuration.host

        def attempt():
            try:
                response = call(*args, _preload_content=False, _request_timeout=REQUEST_TIMEOUT, **kwargs)
            except kube_client.exceptions.ApiException as exc:
                status = exc.status or 0
                if status == 429 or status >= 500:
                    raise Retry(api_error(host, exc, purpose), retry_after(exc))
                raise api_error(host, exc, purpose, not_found)
            except Exception as exc:  # pylint: disable=broad-except
                # urllib3 and socket errors: refused, reset, timed out, TLS.
                if type(exc).__module__.startswith("kubernetes"):
                    raise
                reason = getattr(exc, "reason", None) or exc
                raise Retry(KubeUnreachable("cannot reach the Kubernetes API server at {0} ({1}): {2}".format(
                    host, purpose, reason), host=host))
            try:
                return json.loads(response.data)
            except ValueError:
                raise KubeError("the Kubernetes API server at {0} answered with something other than JSON ({1})".format(
                    host, purpose), host=host)

        return retrying(attempt)

    # -- questions ----------------------------------------------------------

    def pod_ip(self, namespace, name, field="pod_name"):
        """The IPv4 address of pod ``name``."""
        purpose = "{0}: {1!r}".format(field, name)
        kube_client = client.load()[0]
        core = kube_client.CoreV1Api(self.api(purpose))
        pod = self._get(purpose, (field, name, "is not a pod in namespace {0}".format(namespace)),
                        core.read_namespaced_pod, name, namespace)
        status = pod.get("status") or {}
        phase = status.get("phase") or "Unknown"
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            raise InvalidInput(field, name, "is being deleted")
        if phase in ("Succeeded", "Failed"):
            raise InvalidInput(field, name, "is not running (phase {0}); its IP may belong to another pod by now".format(phase))
        candidates = [status.get("podIP")] + [entry.get("ip") for entry in status.get("podIPs") or []]
        address = _first_ipv4(candidates)
        if address is None:
            if any(candidates):
                raise InvalidInput(field, name, "has no IPv4 address (only {0})".format(", ".join(c for c in candidates if c)))
            raise InvalidInput(field, name, "has no IP yet (phase {0})".format(phase))
        return address

    def vm_interface(self, namespace, name, interface=None, field="vm_name", interface_field="interface_name"):
        """``dict(ip, interface, mac)`` of an interface of KubeVirt VM ``name``: the named one, or the first."""
        purpose = "{0}: {1!r}".format(field, name)
        kube_client = client.load()[0]
        custom = kube_client.CustomObjectsApi(self.api(purpose))
        group, version, plural = KUBEVIRT
        vmi = self._get(
            purpose,
            (field, name, "is not a running virtual machine in namespace {0}: it has no VirtualMachineInstance".format(namespace)),
            custom.get_namespaced_custom_object, group, version, namespace, plural, name,
        )
        status = vmi.get("status") or {}
        phase = status.get("phase")
        if phase is not None and phase != "Running":
            raise InvalidInput(field, name, "is not running (phase {0})".format(phase))
        interfaces = [entry for entry in status.get("interfaces") or [] if isinstance(entry, dict)]
        if not interfaces:
            raise InvalidInput(field, name, "reports no network interfaces yet (phase {0})".format(phase or "unknown"))
        if interface is None:
            chosen = interfaces[0]
        else:
            chosen = next((entry for entry in interfaces if entry.get("name") == interface), None)
            if chosen is None:
                known = [entry.get("name") or entry.get("interfaceName") or "?" for entry in interfaces]
                raise InvalidInput(
                    interface_field, interface,
                    "is not an interface of virtual machine {0}; it has: {1}".format(name, ", ".join(known)),
                )
        label = chosen.get("name") or chosen.get("interfaceName")
        address = _first_ipv4([chosen.get("ipAddress")] + list(chosen.get("ipAddresses") or []))
        if address is None:
            hint = "; a bridge-bound interface reports its address through the guest agent"
            if interface is not None:
                raise InvalidInput(interface_field, interface, "of virtual machine {0} has no IPv4 address yet{1}".format(name, hint))
            raise InvalidInput(field, name, "has no IPv4 address on its first interface {0} yet{1}".format(label, hint))
        return dict(ip=address, interface=label, mac=chosen.get("mac"))

    def service_backends(self, namespace, name, service_port=None, protocol=None, field="service",
                         port_field="service_port", protocol_field="protocol"):
        """``(sorted ['ip:port', ...], the Service port)`` of the ready endpoints of a port of Service ``name``.

        The port is ``service_port`` (a number or a name), or the Service's only
        port. Its endpoints are those of the EndpointSlice port of the same name
        (an EndpointSlice port carries the resolved target port), whose
        condition ``ready`` is true or unset.
        """
        purpose = "{0}: {1!r}".format(field, name)
        kube_client = client.load()[0]
        api = self.api(purpose)
        service = self._get(purpose, (field, name, "is not a Service in namespace {0}".format(namespace)),
                            kube_client.CoreV1Api(api).read_namespaced_service, name, namespace)
        port = self._service_port(service, name, service_port, field, port_field)
        port_protocol = (port.get("protocol") or "TCP").lower()
        if protocol is not None and protocol != port_protocol:
            raise InvalidInput(
                protocol_field, protocol,
                "does not match port {0} of Service {1}, which is {2}".format(_port_label(port), name, port_protocol.upper()),
            )
        unserved = (field, name, "cannot be resolved to endpoints: " + ENDPOINT_SLICES_UNSERVED)
        slices = self._get(
            purpose, unserved, kube_client.DiscoveryV1Api(api).list_namespaced_endpoint_slice, namespace,
            label_selector="{0}={1}".format(SERVICE_NAME_LABEL, name),
        )
        backends = set()
        for endpoint_slice in slices.get("items") or []:
            if endpoint_slice.get("addressType", "IPv4") != "IPv4":
                continue
            numbers = [
                p.get("port") for p in endpoint_slice.get("ports") or []
                if (p.get("name") or "") == (port.get("name") or "")
                and (p.get("protocol") or "TCP").lower() == port_protocol and p.get("port")
            ]
            if not numbers:
                continue
            for endpoint in endpoint_slice.get("endpoints") or []:
                if (endpoint.get("conditions") or {}).get("ready") is False:
                    continue
                for address in endpoint.get("addresses") or []:
                    if _first_ipv4([address]) == address:
                        backends.add("{0}:{1}".format(address, numbers[0]))
        if not backends:
            several = len((service.get("spec") or {}).get("ports") or []) > 1
            raise InvalidInput(field, name, "has no ready endpoints{0}".format(
                " for port {0}".format(_port_label(port)) if several else ""))
        return sorted(backends, key=_backend_order), port

    @staticmethod
    def _service_port(service, name, wanted, field, port_field):
        ports = [p for p in (service.get("spec") or {}).get("ports") or [] if isinstance(p, dict)]
        if not ports:
            raise InvalidInput(field, name, "has no ports")
        if wanted is None:
            if len(ports) > 1:
                raise InvalidInput(port_field, None, "is required: Service {0} has several ports: {1}".format(
                    name, ", ".join(_port_label(p) for p in ports)))
            return ports[0]
        text = str(wanted)
        for port in ports:
            if (text.isdigit() and port.get("port") == int(text)) or (port.get("name") and port["name"] == text):
                return port
        raise InvalidInput(port_field, wanted, "is not a port of Service {0}; it has: {1}".format(
            name, ", ".join(_port_label(p) for p in ports)))


def _backend_order(backend):
    address, port = backend.rsplit(":", 1)
    return (tuple(int(part) for part in address.split(".")), int(port))

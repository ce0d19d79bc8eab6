# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lb_binding backends from a Kubernetes Service: the ready endpoints of its EndpointSlices.

The Services have no selector, so that on a real cluster (KUBEDC_TEST_KUBECONFIG)
no EndpointSlice controller manages the slices the test writes.
"""

import json

import pytest

from support import rhythm

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
SCOPE = dict(organization="acme", project="prod")
NAMESPACE = "acme-prod"
PORTS = {"10.0.0.10": "vm1", "10.0.0.11": "vm2", "10.0.0.12": "vm3"}
KUBE_ENV = ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT",
            "K8S_AUTH_CERT_FILE", "K8S_AUTH_KEY_FILE", "K8S_AUTH_VERIFY_SSL", "KUBERNETES_SERVICE_HOST",
            "KUBERNETES_SERVICE_PORT")


class Services(object):
    """Services of the project namespace and the EndpointSlices that say where they go."""

    def __init__(self, kube, namespace):
        from kubernetes import client

        self.namespace = namespace
        self.core = client.CoreV1Api(kube.api_client())
        self.discovery = client.DiscoveryV1Api(kube.api_client())

    def service(self, name, *ports):
        """ports: (name, port, target port, protocol)."""
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name},
            "spec": {"ports": [dict(name=n, port=p, targetPort=t, protocol=proto) for n, p, t, proto in ports]},
        }
        self.core.create_namespaced_service(self.namespace, body)

    def endpoints(self, service, slice_name, ports, endpoints):
        """An EndpointSlice of ``service``: ports (name, port, protocol), endpoints (address, ready)."""
        body = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": slice_name,
                "labels": {"kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "kubedc-tests"},
            },
            "addressType": "IPv4",
            "ports": [dict(name=n, port=p, protocol=proto) for n, p, proto in ports],
            "endpoints": [
                dict(addresses=[address], conditions={} if ready is None else dict(ready=ready))
                for address, ready in endpoints
            ],
        }
        try:
            self.discovery.read_namespaced_endpoint_slice(slice_name, self.namespace)
        except Exception:  # noqa: BLE001 - not there yet
            self.discovery.create_namespaced_endpoint_slice(self.namespace, body)
        else:
            self.discovery.replace_namespaced_endpoint_slice(slice_name, self.namespace, body)


@pytest.fixture
def project(lab, ext_cloud):
    project = lab.run("project_network", PROJECT)["project_network"]
    for index, (address, port) in enumerate(sorted(PORTS.items())):
        lab.workload_port(project["switch"], port, "0a:00:00:00:10:%02x" % (10 + index), address)
    return project


@pytest.fixture
def services(kube, project):
    kube.require("endpointslice/v1")
    svc = Services(kube, kube.namespace(NAMESPACE))
    svc.service("web", ("https", 443, "web-tls", "TCP"), ("http", 80, 8080, "TCP"))
    svc.endpoints("web", "web-a", [("https", 8443, "TCP"), ("http", 8080, "TCP")],
                  [("10.0.0.10", True), ("10.0.0.11", None), ("10.0.0.12", False)])
    svc.service("dns", ("", 53, 5353, "UDP"))
    svc.endpoints("dns", "dns-a", [("", 5353, "UDP")], [("10.0.0.12", True)])
    return svc


@pytest.fixture
def connect(kube):
    return dict(kubeconfig=kube.kubeconfig)


def web(connect, **extra):
    return dict(SCOPE, name="web", port=443, service="web", service_port="https", **dict(connect, **extra))


def test_rhythm_with_the_ready_endpoints_of_a_service(lab, services, connect):
    applied = rhythm(lab, "lb_binding", web(connect), dict(SCOPE, name="web", state="absent"))
    # 10.0.0.12 is not ready; 10.0.0.11 says nothing about readiness, which counts as ready.
    assert applied["lb_binding"] == dict(
        name="web", organization="acme", project="prod", namespace="acme-prod", eip="default-gw", address="100.65.0.100",
        protocol="tcp", port=443, backends=["10.0.0.10:8443", "10.0.0.11:8443"], load_balancer="vpc-acme-prod-tcp-load",
    )
    assert applied["commands"] == ["create Load_Balancer vpc-acme-prod-tcp-load in Logical_Router acme-prod"]


def test_the_declaration_records_the_service(lab, services, connect):
    lab.run("lb_binding", web(connect))
    declared = lab.ovn.nbctl("get", "Load_Balancer", "vpc-acme-prod-tcp-load", 'external_ids:"kubedc:declared:web"').strip()
    assert json.loads(json.loads(declared)) == dict(organization="acme", project="prod", name="web", eip="default-gw",
                                                    protocol="tcp", port=443, service="web", service_port="https")


def test_clients_reach_each_ready_endpoint(lab, project, services, connect):
    binding = lab.run("lb_binding", web(connect))["lb_binding"]
    for backend in binding["backends"]:
        trace = lab.trace_client(project, binding["address"], 443, backend)
        assert trace.outputs == [PORTS[backend.split(":")[0]]], trace.summary
        assert trace.lb_backends == [["10.0.0.10:8443", "10.0.0.11:8443"]]
        assert trace.final_fields[PORTS[backend.split(":")[0]]]["ip4.dst"] == backend.split(":")[0]


def test_an_endpoint_change_updates_the_vip(lab, project, services, connect):
    lab.run("lb_binding", web(connect))
    # A rollout: 10.0.0.10 goes, 10.0.0.12 becomes ready.
    services.endpoints("web", "web-a", [("https", 8443, "TCP"), ("http", 8080, "TCP")],
                       [("10.0.0.11", True), ("10.0.0.12", True)])
    planned = lab.run("lb_binding", web(connect), check=True)
    assert planned["commands"] == ["update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.100:443=10.0.0.11:8443,10.0.0.12:8443"]
    changed = lab.run("lb_binding", web(connect))
    assert changed["commands"] == planned["commands"]
    assert changed["diff"]["before"]["backends"] == ["10.0.0.10:8443", "10.0.0.11:8443"]
    assert changed["lb_binding"]["backends"] == ["10.0.0.11:8443", "10.0.0.12:8443"]
    trace = lab.trace_client(project, "100.65.0.100", 443, "10.0.0.12:8443")
    assert trace.outputs == ["vm3"] and trace.lb_backends == [["10.0.0.11:8443", "10.0.0.12:8443"]]
    assert lab.run("lb_binding", web(connect))["changed"] is False


def test_port_by_number_the_only_port_and_a_list(lab, services, connect):
    bindings = dict(SCOPE, bindings=[
        dict(name="http", port=80, service="web", service_port=80),
        dict(name="dns", port=53, protocol="udp", service="dns"),
        dict(name="static", port=8000, backends=["10.0.0.10:8000"]),
    ], **connect)
    absent = dict(SCOPE, state="absent", bindings=[dict(name=b["name"]) for b in bindings["bindings"]])
    applied = rhythm(lab, "lb_binding", bindings, absent, key="bindings")
    assert [(b["name"], b["protocol"], b["backends"]) for b in applied["bindings"]] == [
        ("http", "tcp", ["10.0.0.10:8080", "10.0.0.11:8080"]),
        ("dns", "udp", ["10.0.0.12:5353"]),
        ("static", "tcp", ["10.0.0.10:8000"]),
    ]


def test_network_info_says_it_cannot_check_a_service_binding(lab, services, connect, monkeypatch):
    for name in KUBE_ENV:
        monkeypatch.delenv(name, raising=False)
    lab.run("lb_binding", web(connect))
    drift = lab.run("network_info", SCOPE)["network"]["drift"]
    assert drift == [dict(
        declaration="lb_binding acme-prod/web", commands=[],
        error="service: 'web' is a Kubernetes Service whose endpoints only the Kubernetes API can tell, and no "
              "Kubernetes connection was given here; this binding's backends were not checked",
    )]


@pytest.mark.parametrize(
    "override,message",
    [
        (dict(service="nope"), "service: 'nope' is not a Service in namespace acme-prod"),
        (dict(service="idle", service_port=None), "service: 'idle' has no ready endpoints"),
        (dict(service_port="grpc"), "service_port: 'grpc' is not a port of Service web; it has: https (443/TCP), http (80/TCP)"),
        (dict(service_port=None), "service_port: None is required: Service web has several ports"),
        (dict(service="dns", service_port=None), "protocol: 'tcp' does not match port 53/UDP of Service dns, which is UDP"),
        (dict(service="stray", service_port=None), "service: 'stray' has the endpoint 10.0.1.10:80, which is outside 10.0.0.0/24"),
        (dict(backends=["10.0.0.10:8443"]), "parameters are mutually exclusive: backends|service"),
        (dict(service=None, backends=["10.0.0.10:8443"]), "missing parameter(s) required by 'service_port': service"),
    ],
)
def test_bad_services_are_named_and_write_nothing(lab, services, connect, override, message):
    services.service("idle", ("http", 80, 8080, "TCP"))
    services.endpoints("idle", "idle-a", [("http", 8080, "TCP")], [("10.0.0.10", False)])
    services.service("stray", ("http", 80, 80, "TCP"))
    services.endpoints("stray", "stray-a", [("http", 80, "TCP")], [("10.0.1.10", True)])
    lab.run("lb_binding", dict(SCOPE, name="z", port=9999, backends=["10.0.0.10:9999"]))
    args = dict((key, value) for key, value in dict(web(connect), **override).items() if value is not None)
    for check in (False, True):
        result = lab.fails("lb_binding", args, check=check)
        assert result["msg"].startswith(message), result["msg"]


def test_a_bad_service_in_a_list_is_named(lab, services, connect):
    result = lab.fails("lb_binding", dict(SCOPE, bindings=[
        dict(name="ok", port=80, backends=["10.0.0.10:80"]),
        dict(name="bad", port=443, service="nope"),
    ], **connect))
    assert result["msg"] == "bindings[1] (bad): service: 'nope' is not a Service in namespace acme-prod"
    assert result["field"] == "bindings[1].service"


def test_without_a_reachable_kubernetes_nothing_is_written(lab, services, monkeypatch):
    for name in KUBE_ENV:
        monkeypatch.delenv(name, raising=False)
    result = lab.fails("lb_binding", dict(SCOPE, name="web", port=443, service="web", service_port="https"))
    assert result["msg"].startswith("service: 'web' needs a connection to a Kubernetes API server: set kubeconfig")


def test_network_info_with_kubernetes_replays_a_service_binding(lab, services, connect):
    lab.run("lb_binding", web(connect))
    assert lab.run("network_info", dict(SCOPE, **connect))["network"]["drift"] == []

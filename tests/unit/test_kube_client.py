# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes connection layer without a server: options, configuration, retries, answers."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput, KubedcError
from ansible_collections.kubedc.network.plugins.module_utils.kube import client, service, waiter

ENV = ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT",
       "K8S_AUTH_CERT_FILE", "K8S_AUTH_KEY_FILE", "K8S_AUTH_VERIFY_SSL", "KUBERNETES_SERVICE_HOST",
       "KUBERNETES_SERVICE_PORT", "KUBECONFIG")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(client, "_CLIENTS", {})


def kubeconfig_dict(server="https://one.example:6443", token="t-one"):
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "one", "cluster": {"server": server, "insecure-skip-tls-verify": True}},
            {"name": "two", "cluster": {"server": "https://two.example:6443"}},
        ],
        "users": [{"name": "u1", "user": {"token": token}}, {"name": "u2", "user": {"token": "t-two"}}],
        "contexts": [
            {"name": "ctx-one", "context": {"cluster": "one", "user": "u1"}},
            {"name": "ctx-two", "context": {"cluster": "two", "user": "u2", "namespace": "x"}},
        ],
        "current-context": "ctx-one",
    }


@pytest.fixture
def kubeconfig_file(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig_dict()))
    return str(path)


def bearer(conf):
    """The Authorization header the client sends."""
    return conf.auth_settings()["BearerToken"]["value"]


def params(**given):
    full = dict((key, None) for key in client.KUBE_OPTIONS)
    full.update(given)
    return full


def module_params(monkeypatch, args, env=None):
    """The parameters AnsibleModule makes of ``args`` with KUBE_ARGUMENT_SPEC (env fallbacks applied)."""
    from ansible.module_utils.basic import AnsibleModule
    from ansible.module_utils.testing import patch_module_args

    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    with patch_module_args(args):
        return AnsibleModule(argument_spec=client.KUBE_ARGUMENT_SPEC).params


# -- options ---------------------------------------------------------------


def test_env_fallbacks_are_the_kubernetes_core_ones(monkeypatch):
    env = {
        "K8S_AUTH_KUBECONFIG": "/k/config", "K8S_AUTH_CONTEXT": "c", "K8S_AUTH_HOST": "https://h:6443",
        "K8S_AUTH_API_KEY": "tok", "K8S_AUTH_SSL_CA_CERT": "/k/ca.crt", "K8S_AUTH_CERT_FILE": "/k/c.crt",
        "K8S_AUTH_KEY_FILE": "/k/c.key", "K8S_AUTH_VERIFY_SSL": "no",
    }
    got = module_params(monkeypatch, {}, env)
    assert got == dict(kubeconfig="/k/config", context="c", host="https://h:6443", api_key="tok", ca_cert="/k/ca.crt",
                       client_cert="/k/c.crt", client_key="/k/c.key", validate_certs=False)


def test_options_beat_the_environment_and_aliases_work(monkeypatch):
    got = module_params(monkeypatch, dict(host="https://mine:6443", verify_ssl=True, ssl_ca_cert="/my/ca"),
                        {"K8S_AUTH_HOST": "https://env:6443", "K8S_AUTH_VERIFY_SSL": "false"})
    assert got["host"] == "https://mine:6443" and got["validate_certs"] is True and got["ca_cert"] == "/my/ca"


def test_nothing_given_is_all_none(monkeypatch):
    got = module_params(monkeypatch, {})
    assert got == dict((key, None) for key in client.KUBE_OPTIONS)
    assert client.is_given(got) is False
    assert client.is_given(dict(got, context="c")) is True


def test_api_key_is_kept_out_of_logs():
    assert client.KUBE_ARGUMENT_SPEC["api_key"]["no_log"] is True


# -- configuration ---------------------------------------------------------


def test_kubeconfig_file_with_its_current_context(kubeconfig_file):
    conf = client.configuration(params(kubeconfig=kubeconfig_file))
    assert conf.host == "https://one.example:6443"
    assert bearer(conf) == "Bearer t-one" and conf.verify_ssl is False


def test_kubeconfig_file_with_another_context(kubeconfig_file):
    conf = client.configuration(params(kubeconfig=kubeconfig_file, context="ctx-two"))
    assert conf.host == "https://two.example:6443" and bearer(conf) == "Bearer t-two"


def test_kubeconfig_dict_and_json_text():
    conf = client.configuration(params(kubeconfig=kubeconfig_dict(server="https://d.example:443")))
    assert conf.host == "https://d.example:443"
    conf = client.configuration(params(kubeconfig=json.dumps(kubeconfig_dict(server="https://j.example:443"))))
    assert conf.host == "https://j.example:443"


def test_context_alone_reads_the_default_kubeconfig(monkeypatch, kubeconfig_file):
    monkeypatch.setenv("KUBECONFIG", kubeconfig_file)
    assert client.configuration(params(context="ctx-two")).host == "https://two.example:6443"


def test_options_next_to_a_kubeconfig_override_it(kubeconfig_file):
    conf = client.configuration(params(kubeconfig=kubeconfig_file, host="https://other:6443/", api_key="Bearer abc",
                                       validate_certs=True, ca_cert="/ca.crt"))
    assert conf.host == "https://other:6443" and bearer(conf) == "Bearer abc"
    assert conf.verify_ssl is True and conf.ssl_ca_cert == "/ca.crt"


def test_host_with_token_or_client_certificate():
    conf = client.configuration(params(host="https://h:6443", api_key="tok", validate_certs=False))
    assert conf.host == "https://h:6443" and bearer(conf) == "Bearer tok"
    assert conf.verify_ssl is False
    conf = client.configuration(params(host="https://h:6443", client_cert="/c.crt", client_key="/c.key", ca_cert="/ca"))
    assert (conf.cert_file, conf.key_file, conf.ssl_ca_cert) == ("/c.crt", "/c.key", "/ca")


def test_nothing_given_outside_a_cluster_is_an_error_naming_what_needs_it():
    with pytest.raises(KubedcError) as err:
        client.configuration(params(), purpose="pod_name: 'web-0'")
    assert err.value.msg.startswith("pod_name: 'web-0' needs a connection to a Kubernetes API server: set kubeconfig")
    assert "K8S_AUTH_*" in err.value.msg


def test_nothing_given_in_a_pod_uses_its_service_account(monkeypatch):
    kube_config = client.load()[1]
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    calls = []

    def fake_incluster(client_configuration=None, try_refresh_token=True):
        calls.append(True)
        client_configuration.host = "https://10.96.0.1:443"

    monkeypatch.setattr(kube_config, "load_incluster_config", fake_incluster)
    assert client.configuration(params()).host == "https://10.96.0.1:443" and calls == [True]
    # Any option given means the options, not the service account.
    assert client.configuration(params(host="https://h:6443", api_key="x")).host == "https://h:6443" and calls == [True]


@pytest.mark.parametrize(
    "given,message",
    [
        (dict(kubeconfig="/nowhere/config"), "kubeconfig: '/nowhere/config' is not a file"),
        (dict(kubeconfig=""), "kubeconfig: '' is neither the path of a kubeconfig file nor a kubeconfig dict"),
        (dict(kubeconfig=kubeconfig_dict(), context="nope"), "gives no usable Kubernetes connection"),
    ],
)
def test_bad_kubeconfig_is_named(given, message):
    with pytest.raises(InvalidInput) as err:
        client.configuration(params(**given))
    assert message in err.value.msg


def test_one_api_client_per_set_of_options(kubeconfig_file):
    first = client.api_client(params(kubeconfig=kubeconfig_file))
    assert client.api_client(params(kubeconfig=kubeconfig_file)) is first
    assert client.api_client(params(kubeconfig=kubeconfig_file, context="ctx-two")) is not first


def test_missing_library_is_reported_as_ansible_does(monkeypatch):
    monkeypatch.setattr(client, "_LIB", dict(client=None, config=None, error="Traceback: no kubernetes"))
    assert client.has_kubernetes() is False
    with pytest.raises(client.MissingLibrary) as err:
        client.api_client(params(host="https://h:6443"))
    assert "Failed to import the required Python library (kubernetes)" in err.value.msg
    assert err.value.details["exception"] == "Traceback: no kubernetes"


def test_importing_the_layer_does_not_import_kubernetes():
    code = (
        "import sys\n"
        "from ansible_collections.kubedc.network.plugins.module_utils.kube import client, service, waiter\n"
        "from ansible_collections.kubedc.network.plugins.modules import fip, lb_binding\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'kubernetes'], 'kubernetes was imported'\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# -- retries ---------------------------------------------------------------


def test_retrying_backs_off_with_jitter_and_gives_up_with_the_cause():
    slept, calls = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise waiter.Retry(KubedcError("busy"))
        return "ok"

    assert waiter.retrying(flaky, sleep=slept.append, rand=lambda: 1.0) == "ok"
    assert slept == [0.25, 0.5]

    def always():
        raise waiter.Retry(KubedcError("still busy"), delay=1.5)

    slept[:] = []
    with pytest.raises(KubedcError) as err:
        waiter.retrying(always, attempts=3, sleep=slept.append, rand=lambda: 0.0)
    assert err.value.msg == "still busy" and slept == [1.5, 1.5]
    assert waiter.backoff(10, rand=lambda: 1.0) == waiter.MAX_DELAY


class _Response(object):
    def __init__(self, data):
        self.data = json.dumps(data).encode()


class _Api(object):
    class configuration(object):  # noqa: N801 - stands in for ApiClient.configuration
        host = "https://k8s.test:6443"


def reader():
    one = service.KubeReader(params(host="https://k8s.test:6443"))
    one._api = _Api()
    return one


def api_exception(status, message, headers=None):
    exc = client.load()[0].exceptions.ApiException(status=status, reason="Reason")
    exc.body = json.dumps(dict(kind="Status", message=message, code=status))
    exc.headers = headers or {}
    return exc


def test_get_retries_throttling_and_server_errors(monkeypatch):
    slept = []
    monkeypatch.setattr(waiter, "_sleep", slept.append)
    answers = [api_exception(429, "slow down", {"Retry-After": "1"}), api_exception(503, "restarting"), {"ok": 1}]

    def call(*args, **kwargs):
        assert kwargs["_preload_content"] is False
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return _Response(answer)

    assert reader()._get("pod_name: 'x'", None, call) == {"ok": 1}
    assert len(slept) == 2 and slept[0] >= 1


def test_get_gives_up_after_a_few_attempts_with_the_server_message(monkeypatch):
    monkeypatch.setattr(waiter, "_sleep", lambda seconds: None)
    calls = []

    def call(*args, **kwargs):
        calls.append(1)
        raise api_exception(500, "etcdserver: request timed out")

    with pytest.raises(client.KubeUnreachable) as err:
        reader()._get("pod_name: 'x'", None, call)
    assert len(calls) == waiter.ATTEMPTS
    assert err.value.msg == ("the Kubernetes API server at https://k8s.test:6443 kept failing (pod_name: 'x'; 500 Reason): "
                             "etcdserver: request timed out")


def test_get_maps_not_found_and_forbidden(monkeypatch):
    def not_found(*args, **kwargs):
        raise api_exception(404, 'pods "x" not found')

    with pytest.raises(client.KubeNotFound) as err:
        reader()._get("pod_name: 'x'", ("pod_name", "x", "is not a pod in namespace acme-prod"), not_found)
    assert err.value.msg == "pod_name: 'x' is not a pod in namespace acme-prod"
    assert err.value.details == dict(field="pod_name", value="x", server_message='pods "x" not found')

    def forbidden(*args, **kwargs):
        raise api_exception(403, 'pods "x" is forbidden: User "bob" cannot get resource "pods"')

    with pytest.raises(client.KubeError) as err:
        reader()._get("pod_name: 'x'", None, forbidden)
    assert err.value.msg == ("the Kubernetes API server at https://k8s.test:6443 refused the request (403 Forbidden; "
                             "pod_name: 'x'): pods \"x\" is forbidden: User \"bob\" cannot get resource \"pods\"")


def test_get_reports_an_unreachable_server(monkeypatch):
    monkeypatch.setattr(waiter, "_sleep", lambda seconds: None)

    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(client.KubeUnreachable) as err:
        reader()._get("vm_name: 'vm1'", None, refused)
    assert err.value.msg.startswith("cannot reach the Kubernetes API server at https://k8s.test:6443 (vm_name: 'vm1'): ")


# -- answers ---------------------------------------------------------------


class _Canned(service.KubeReader):
    """A reader whose GETs return canned objects, in order."""

    def __init__(self, *answers):
        super().__init__(params(host="https://k8s.test:6443"))
        self._api = _Api()
        self.answers = list(answers)

    def _get(self, purpose, not_found, call, *args, **kwargs):
        return self.answers.pop(0)


def pod(phase="Running", ip="10.0.0.5", **extra):
    status = dict(phase=phase, **extra)
    if ip:
        status["podIP"] = ip
    return dict(metadata=dict(name="web-0"), status=status)


def test_pod_ip():
    assert _Canned(pod()).pod_ip("acme-prod", "web-0") == "10.0.0.5"
    assert _Canned(pod(ip="fd00::5", podIPs=[dict(ip="fd00::5"), dict(ip="10.0.0.6")])).pod_ip("acme-prod", "web-0") == "10.0.0.6"


@pytest.mark.parametrize(
    "answer,message",
    [
        (pod(phase="Pending", ip=None), "pod_name: 'web-0' has no IP yet (phase Pending)"),
        (pod(phase="Failed"), "pod_name: 'web-0' is not running (phase Failed)"),
        (pod(ip="fd00::5"), "pod_name: 'web-0' has no IPv4 address (only fd00::5)"),
        (dict(pod(), metadata=dict(deletionTimestamp="2026-01-01T00:00:00Z")), "pod_name: 'web-0' is being deleted"),
    ],
)
def test_pod_ip_refuses(answer, message):
    with pytest.raises(InvalidInput) as err:
        _Canned(answer).pod_ip("acme-prod", "web-0")
    assert err.value.msg.startswith(message)


def vmi(*interfaces, phase="Running"):
    return dict(status=dict(phase=phase, interfaces=list(interfaces)))


NIC0 = dict(name="vpc_net_0", ipAddress="10.0.0.20", mac="0a:00:00:00:00:20", ipAddresses=["10.0.0.20"])
NIC1 = dict(name="storage", ipAddress="10.0.0.21/24", mac="0a:00:00:00:00:21")


def test_vm_interface_first_or_named():
    first = _Canned(vmi(NIC0, NIC1)).vm_interface("acme-prod", "vm1")
    assert first == dict(ip="10.0.0.20", interface="vpc_net_0", mac="0a:00:00:00:00:20")
    assert _Canned(vmi(NIC0, NIC1)).vm_interface("acme-prod", "vm1", "storage")["ip"] == "10.0.0.21"


@pytest.mark.parametrize(
    "answer,interface,message",
    [
        (vmi(NIC0, NIC1), "eth9", "interface_name: 'eth9' is not an interface of virtual machine vm1; it has: vpc_net_0, storage"),
        (vmi(phase="Scheduling"), None, "vm_name: 'vm1' is not running (phase Scheduling)"),
        (vmi(), None, "vm_name: 'vm1' reports no network interfaces yet (phase Running)"),
        (vmi(dict(name="vpc_net_0")), None, "vm_name: 'vm1' has no IPv4 address on its first interface vpc_net_0 yet"),
        (vmi(dict(name="vpc_net_0")), "vpc_net_0", "interface_name: 'vpc_net_0' of virtual machine vm1 has no IPv4 address yet"),
    ],
)
def test_vm_interface_refuses(answer, interface, message):
    with pytest.raises(InvalidInput) as err:
        _Canned(answer).vm_interface("acme-prod", "vm1", interface)
    assert err.value.msg.startswith(message), err.value.msg


def svc(*ports):
    return dict(spec=dict(ports=list(ports)))


HTTPS = dict(name="https", port=443, targetPort="web-tls", protocol="TCP")
HTTP = dict(name="http", port=80, targetPort=8080, protocol="TCP")


def endpoint_slice(ports, *endpoints, address_type="IPv4"):
    return dict(addressType=address_type, ports=ports, endpoints=list(endpoints))


def ep(address, ready=True):
    conditions = {} if ready is None else dict(ready=ready)
    return dict(addresses=[address], conditions=conditions)


SLICES = dict(items=[
    endpoint_slice([dict(name="https", port=8443, protocol="TCP"), dict(name="http", port=8080, protocol="TCP")],
                   ep("10.0.0.11"), ep("10.0.0.10", ready=None), ep("10.0.0.12", ready=False)),
    endpoint_slice([dict(name="https", port=9443, protocol="TCP")], ep("10.0.0.13")),
    endpoint_slice([dict(name="https", port=8443, protocol="TCP")], ep("fd00::1"), address_type="IPv6"),
    endpoint_slice(None),
    dict(addressType="IPv4", ports=[dict(name="https", port=8443)], endpoints=None),
])


def test_service_backends_by_name_number_or_only_port():
    backends, port = _Canned(svc(HTTPS, HTTP), SLICES).service_backends("acme-prod", "web", "https")
    # Ready and unknown-readiness endpoints; a slice may map the port elsewhere (a rollout).
    assert backends == ["10.0.0.10:8443", "10.0.0.11:8443", "10.0.0.13:9443"] and port == HTTPS
    assert _Canned(svc(HTTPS, HTTP), SLICES).service_backends("acme-prod", "web", "80")[0] == ["10.0.0.10:8080", "10.0.0.11:8080"]
    only = dict(port=53, targetPort=5353, protocol="UDP")
    slices = dict(items=[endpoint_slice([dict(port=5353, protocol="UDP")], ep("10.0.0.9"))])
    assert _Canned(svc(only), slices).service_backends("acme-prod", "dns", protocol="udp")[0] == ["10.0.0.9:5353"]


@pytest.mark.parametrize(
    "answers,service_port,protocol,message",
    [
        ((svc(HTTPS, HTTP),), None, None, "service_port: None is required: Service web has several ports: https (443/TCP), http (80/TCP)"),
        ((svc(HTTPS, HTTP),), "grpc", None, "service_port: 'grpc' is not a port of Service web; it has: https (443/TCP), http (80/TCP)"),
        ((svc(HTTPS),), None, "udp", "protocol: 'udp' does not match port https (443/TCP) of Service web, which is TCP"),
        ((svc(),), None, None, "service: 'web' has no ports"),
        ((svc(HTTPS), dict(items=[])), None, None, "service: 'web' has no ready endpoints"),
        ((svc(HTTPS, HTTP), dict(items=[endpoint_slice([dict(name="https", port=8443)], ep("10.0.0.12", ready=False))])),
         "https", None, "service: 'web' has no ready endpoints for port https (443/TCP)"),
    ],
)
def test_service_backends_refuse(answers, service_port, protocol, message):
    with pytest.raises(InvalidInput) as err:
        _Canned(*answers).service_backends("acme-prod", "web", service_port, protocol)
    assert err.value.msg == message


def kube_objects(monkeypatch, answers):
    """KubeObjects whose requests answer from ``answers`` (an exception is raised), without a server."""
    from ansible_collections.kubedc.network.plugins.module_utils.kube import objects

    monkeypatch.setattr(waiter, "_sleep", lambda seconds: None)
    sent = []

    def send(kube_client, api, method, path, body, query, content_type):
        sent.append((method, path, query, content_type))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return json.dumps(answer)

    monkeypatch.setattr(objects, "_send", send)
    found = objects.KubeObjects(params(host="https://k8s.test:6443"), "Project prod")
    found._api = _Api()
    return found, sent


def test_object_writes_retry_throttling_and_server_errors(monkeypatch):
    found, sent = kube_objects(monkeypatch, [api_exception(429, "slow down"), api_exception(503, "restarting"), {"kind": "Project"}])
    assert found.merge_patch("kube-dc.com/v1", "projects", "acme", "prod", {"spec": {}}, dry_run=True) == {"kind": "Project"}
    assert len(sent) == 3
    assert sent[0] == ("PATCH", "/apis/kube-dc.com/v1/namespaces/acme/projects/prod", {"dryRun": "All"}, "application/merge-patch+json")


def test_object_refusals_carry_the_servers_message_and_status(monkeypatch):
    from ansible_collections.kubedc.network.plugins.module_utils.kube import objects

    message = 'Project.kube-dc.com "prod" is invalid: spec.egressNetworkType: Invalid value: "string": egressNetworkType is immutable'
    found, sent = kube_objects(monkeypatch, [api_exception(422, message)])
    with pytest.raises(objects.ApiRefused) as err:
        found.create("kube-dc.com/v1", "projects", "acme", {"metadata": {"name": "prod"}})
    assert err.value.details["status"] == 422 and len(sent) == 1
    assert err.value.msg == "the Kubernetes API server refused to Project prod (422 Reason): " + message
    # A 404 on a read is "not there", not an error.
    found, sent = kube_objects(monkeypatch, [api_exception(404, 'projects.kube-dc.com "prod" not found')])
    assert found.get("kube-dc.com/v1", "projects", "acme", "prod") is None
    assert sent == [("GET", "/apis/kube-dc.com/v1/namespaces/acme/projects/prod", None, "application/json")]


def test_a_conflict_reads_again_and_plans_again(monkeypatch):
    """409: someone wrote the object between the task's read and its write."""
    from ansible_collections.kubedc.network.plugins.module_utils.kube import objects, resource
    from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.project_network import KubeProject

    theirs = {"apiVersion": "kube-dc.com/v1", "kind": "Project", "metadata": {"name": "prod", "namespace": "acme"},
              "spec": {"cidrBlock": "10.0.0.0/24", "egressNetworkType": "cloud"}}
    calls = []

    class RacingObjects(object):
        """The first read finds nothing; the create then meets the other writer's object."""

        def __init__(self, params, purpose):
            self.stored = None

        def get(self, api_version, plural, namespace, name):
            calls.append(("get", plural, name))
            return self.stored if plural == "projects" else {"kind": "Namespace"}

        def create(self, api_version, plural, namespace, body, dry_run=False):
            calls.append(("create", plural, body["metadata"]["name"]))
            self.stored = theirs
            raise objects.ApiRefused('projects.kube-dc.com "prod" already exists', status=409)

    monkeypatch.setattr(resource, "KubeObjects", RacingObjects)
    args = dict(platform="kube_dc", organization="acme", name="prod", cidr="10.0.0.0/24", state="present", wait=False)
    result = resource.run_kube(KubeProject(args), args, False, True, "project_network")
    # The second plan finds the object as declared: nothing to do, and no second create.
    assert result["changed"] is False and result["commands"] == []
    assert [c for c in calls if c[0] == "create"] == [("create", "projects", "prod")]
    assert result["diff"]["after"] == {"spec.cidrBlock": "10.0.0.0/24", "spec.egressNetworkType": "cloud"}

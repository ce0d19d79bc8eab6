# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes API server the tests talk to, behind the ``kube`` fixture of tests/conftest.py.

With ``KUBEDC_TEST_KUBECONFIG`` set, that kubeconfig's cluster is used (a real kube-apiserver with
the Kube-DC CRDs, or one where ``apply_crds`` may install ours) and no double is started.
Otherwise one ``tools/kube_apiserver.py`` double serves the whole session.

    kube.kubeconfig      path of a kubeconfig for the server in use
    kube.is_real         True when KUBEDC_TEST_KUBECONFIG is set
    kube.api_client()    a new kubernetes.client.ApiClient
    kube.dynamic()       a new kubernetes.dynamic.DynamicClient (with its own discovery cache)
    kube.namespace(name, labels=None)
                         creates namespace ``name`` for this test; deleted, and waited for, afterwards
    kube.apply_crds()    installs crds/*.yaml and tests/crds/*.yaml where absent, waits until Established
                         (done once per session automatically)
    kube.require(capability)
                         skips the test when the server lacks "cel" (CRD x-kubernetes-validations) or
                         "endpointslice/v1" (discovery.k8s.io/v1): an older real server, never the double
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import secrets
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CRD_FILES = sorted(glob.glob(str(REPO / "crds" / "*.yaml"))) + sorted(glob.glob(str(REPO / "tests" / "crds" / "*.yaml")))
KUBECONFIG_ENV = "KUBEDC_TEST_KUBECONFIG"
# How long teardown waits for a namespace to disappear from a real server.
NAMESPACE_TIMEOUT = float(os.environ.get("KUBEDC_TEST_NAMESPACE_TIMEOUT", "300"))
CRD_TIMEOUT = 120.0


def _api_exception():
    from kubernetes.client.exceptions import ApiException
    return ApiException


class KubeTarget:
    """The session's server: a real one from KUBEDC_TEST_KUBECONFIG, or the double."""

    def __init__(self, kubeconfig, is_real, workdir, server=None):
        self.kubeconfig = str(kubeconfig)
        self.is_real = is_real
        self.server = server
        self._workdir = Path(workdir)
        self._caches = itertools.count()
        self._crds_applied = False
        self._lacks = {}

    def api_client(self):
        from kubernetes import config
        return config.new_client_from_config(config_file=self.kubeconfig)

    def dynamic(self, api_client=None):
        from kubernetes.dynamic import DynamicClient
        cache = self._workdir / ("discovery-%d.json" % next(self._caches))
        return DynamicClient(api_client or self.api_client(), cache_file=str(cache))

    def apply_crds(self):
        """Creates the CRDs of crds/ and tests/crds/ that the server lacks and waits until all are Established."""
        from kubernetes import client
        api_client = self.api_client()
        try:
            api = client.ApiextensionsV1Api(api_client)
            names = []
            for path in CRD_FILES:
                with open(path, encoding="utf-8") as handle:
                    for doc in yaml.safe_load_all(handle):
                        if not doc:
                            continue
                        names.append(doc["metadata"]["name"])
                        try:
                            api.read_custom_resource_definition(doc["metadata"]["name"])
                        except _api_exception() as exc:
                            if exc.status != 404:
                                raise
                            try:
                                api.create_custom_resource_definition(doc)
                            except _api_exception() as create_exc:
                                if create_exc.status != 409:
                                    raise
            for name in names:
                wait_until(lambda name=name: _established(api, name), CRD_TIMEOUT, "CRD %s to be Established" % name)
            self._crds_applied = True
        finally:
            api_client.close()

    def lacks(self, capability):
        """Why the server cannot do ``capability`` ("cel", "endpointslice/v1"), or None when it can."""
        if capability not in self._lacks:
            self._lacks[capability] = self._probe(capability)
        return self._lacks[capability]

    def _probe(self, capability):
        from kubernetes import client
        api_client = self.api_client()
        try:
            if capability == "cel":
                # A server without CRD validation rules drops x-kubernetes-validations from the schema it stores.
                crd = api_client.sanitize_for_serialization(
                    client.ApiextensionsV1Api(api_client).read_custom_resource_definition("projects.kube-dc.com"))
                if "x-kubernetes-validations" not in yaml.safe_dump(crd):
                    return "this API server drops the CRDs' x-kubernetes-validations (CEL rules need Kubernetes >= 1.25)"
                return None
            if capability == "endpointslice/v1":
                try:
                    resources = client.DiscoveryV1Api(api_client).get_api_resources()
                except _api_exception() as exc:
                    if exc.status != 404:
                        raise
                    resources = None
                if resources is None or not any(r.name == "endpointslices" for r in resources.resources):
                    return "this API server does not serve discovery.k8s.io/v1 EndpointSlices (Kubernetes >= 1.21)"
                return None
            raise ValueError("unknown capability %r" % capability)
        finally:
            api_client.close()


def _established(api, name):
    crd = api.read_custom_resource_definition(name)
    return any(c.type == "Established" and c.status == "True" for c in (crd.status.conditions or []))


def wait_until(predicate, timeout, what, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


@contextlib.contextmanager
def kube_target(workdir):
    """The session's KubeTarget; starts and stops the double unless KUBEDC_TEST_KUBECONFIG is set."""
    real = os.environ.get(KUBECONFIG_ENV)
    if real:
        target = KubeTarget(real, True, workdir)
        target.apply_crds()
        yield target
        return
    from kube_apiserver import KubeApiServer  # tools/ is on sys.path (tests/conftest.py)
    server = KubeApiServer(token=secrets.token_hex(16))
    server.start()
    try:
        kubeconfig = server.write_kubeconfig(str(Path(workdir) / "kubeconfig"))
        target = KubeTarget(kubeconfig, False, workdir, server=server)
        target.apply_crds()
        yield target
    finally:
        server.stop()


class KubeView:
    """What one test sees of the session's server; ``cleanup()`` deletes the namespaces it created."""

    def __init__(self, target):
        self._target = target
        self._namespaces = []
        self._clients = []

    @property
    def kubeconfig(self):
        return self._target.kubeconfig

    @property
    def is_real(self):
        return self._target.is_real

    def api_client(self):
        api_client = self._target.api_client()
        self._clients.append(api_client)
        return api_client

    def dynamic(self):
        return self._target.dynamic(self.api_client())

    def apply_crds(self):
        self._target.apply_crds()

    def require(self, capability):
        """Skips the test on a real server that lacks ``capability`` (see KubeTarget.lacks)."""
        import pytest

        why = self._target.lacks(capability)
        if why:
            if not self.is_real:
                raise AssertionError("the test double lacks %s: %s" % (capability, why))
            pytest.skip(why)

    def kube_dc_specs(self, plural, namespace):
        """(name, spec) of every ``kube-dc.com/v1`` object of ``plural`` in ``namespace``."""
        from kubernetes import client

        found = client.CustomObjectsApi(self.api_client()).list_namespaced_custom_object("kube-dc.com", "v1", namespace, plural)
        return [(item["metadata"]["name"], item.get("spec")) for item in found["items"]]

    def set_kube_dc_status(self, plural, namespace, name, status):
        """Write a ``kube-dc.com/v1`` object's status, as the Kube-DC controller would."""
        from kubernetes import client

        return client.CustomObjectsApi(self.api_client()).patch_namespaced_custom_object_status(
            "kube-dc.com", "v1", namespace, plural, name, {"status": status})

    def namespace(self, name, labels=None):
        """Creates namespace ``name`` (waiting first for a terminating one of that name to go) for this test."""
        from kubernetes import client
        api_client = self.api_client()
        core = client.CoreV1Api(api_client)
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        if labels:
            body["metadata"]["labels"] = dict(labels)
        try:
            existing = core.read_namespace(name)
        except _api_exception() as exc:
            if exc.status != 404:
                raise
        else:
            if existing.status.phase != "Terminating":
                raise RuntimeError("namespace %s already exists: a test namespace must be new" % name)
            wait_until(lambda: _namespace_gone(core, name), NAMESPACE_TIMEOUT, "namespace %s to go" % name, interval=1)
        core.create_namespace(body)
        self._namespaces.append(name)
        if self.is_real:
            # A real server admits a pod only once the namespace's default ServiceAccount exists
            # (and, before Kubernetes 1.24, its token Secret): kube-controller-manager makes them
            # a moment after the namespace.
            wait_until(lambda: _default_service_account_ready(core, name), NAMESPACE_TIMEOUT,
                       "the default ServiceAccount of namespace %s" % name, interval=0.5)
        return name

    def cleanup(self):
        from kubernetes import client
        errors = []
        try:
            if self._namespaces:
                api_client = self._target.api_client()
                self._clients.append(api_client)
                core = client.CoreV1Api(api_client)
                for name in self._namespaces:
                    try:
                        core.delete_namespace(name)
                    except _api_exception() as exc:
                        if exc.status != 404:
                            errors.append(exc)
                for name in self._namespaces:
                    try:
                        wait_until(lambda name=name: _namespace_gone(core, name), NAMESPACE_TIMEOUT,
                                   "namespace %s to be deleted" % name, interval=1 if self.is_real else 0.05)
                    except TimeoutError as exc:
                        errors.append(exc)
        finally:
            for api_client in self._clients:
                api_client.close()
            self._clients = []
            self._namespaces = []
        if errors:
            raise errors[0]


def _default_service_account_ready(core, namespace):
    try:
        account = core.read_namespaced_service_account("default", namespace)
    except _api_exception() as exc:
        if exc.status == 404:
            return False
        raise
    # Servers before 1.24 mount a token Secret that the token controller adds to the account.
    return bool(account.secrets) or _server_minor(core) >= 24


def _server_minor(core):
    from kubernetes import client
    version = client.VersionApi(core.api_client).get_code()
    return int("".join(ch for ch in version.minor if ch.isdigit()) or 0)


def _namespace_gone(core, name):
    try:
        core.read_namespace(name)
    except _api_exception() as exc:
        if exc.status == 404:
            return True
        raise
    return False

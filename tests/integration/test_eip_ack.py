# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""eip with platform ack: EIP annotations on a workload's pod template, PodEIPs read back.

The ``kube`` fixture's API server (the double, or a real one) holds the workloads, the PodEIP CRD
(tests/crds/ack-podeip.yaml) and, where a test needs them, what the preflight reads in kube-system
(Terway's ConfigMap eni-config, the controller's Deployment). ack-extend-network-controller's part
is played by tests/ack_controller.py, driven by hand (``settle()``) so that every step sees a
known state; only the tests that wait run it in its thread.

The pods are made by the tests, never by a workload controller, so that the double (which runs no
controllers) and a real kube-apiserver with its kube-controller-manager see the same pods:

* Deployments are created paused: a paused Deployment gets no ReplicaSet, so nothing adopts or
  deletes the pods of its selector that the test makes;
* a StatefulSet is created after its pods (``<set>-<ordinal>``, with the pod-name label), which
  its controller then adopts as they are; as no pod is ever Ready (no kubelet), it never deletes
  one to update it, and a scale-down is done by the test (replicas, then the pod);
* a rollout is played by writing the template's EIP annotations on the pods (a pod's annotations
  may change); readiness gates, which may not, are given to the pods when they are created.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ack_controller import GATE, AckEipController, real_ack_reason, wait_for
from support import ModuleFailed, run_module

NAMESPACE = "ack-shop"
SYSTEM = "kube-system"
PREFIX = "k8s.aliyun.com/"
NEW_PREFIX = "network.alibabacloud.com/"
WITH_EIP = PREFIX + "pod-with-eip"
PODEIP = ("alibabacloud.com", "v1beta1", "podeips")
OTHER_GATE = "example.com/warm-cache"
INSTANCE = "eip-2zeexample0001"
STATIC_ADDRESS = "198.51.100.77"
POOL = "203.0.113."


def managed_keys():
    from ansible_collections.kubedc.network.plugins.module_utils.ack.eip import MANAGED_KEYS
    return MANAGED_KEYS


def field(key, kind="StatefulSet"):
    return "{0}metadata.annotations[{1}]".format("" if kind == "Pod" else "spec.template.", key)


def gates_field(gates, kind="StatefulSet"):
    value = "(removed)" if gates is None else json.dumps([{"conditionType": g} for g in gates], separators=(",", ":"))
    return "{0}spec.readinessGates={1}".format("" if kind == "Pod" else "spec.template.", value)


def patch(kind, name, *fields):
    return "patch apps/v1 {0} {1}/{2}: {3}".format(kind, NAMESPACE, name, ", ".join(fields))


class Shop(object):
    """The test namespace's workloads and pods, kube-system's objects, and the controller."""

    def __init__(self, kube, controller):
        from kubernetes import client

        api_client = kube.api_client()
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.api = api_client
        self.kubeconfig = kube.kubeconfig
        self.controller = controller
        self.system = []

    def args(self, kind="StatefulSet", name="lobby", **override):
        args = dict(platform="ack", kubeconfig=self.kubeconfig, namespace=NAMESPACE, target=dict(kind=kind, name=name),
                    wait=False)
        args.update(override)
        return args

    # -- workloads and pods --------------------------------------------------------------

    def pod(self, name, app, ip, annotations=None, gates=(), extra_labels=None):
        """A pod of ``app``'s selector with its IP, as a kubelet would report it."""
        labels = dict({"app": app}, **(extra_labels or {}))
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "labels": labels, "annotations": dict(annotations or {})},
                "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9"}]}}
        if gates:
            body["spec"]["readinessGates"] = [{"conditionType": g} for g in gates]
        self.core.create_namespaced_pod(NAMESPACE, body)
        if ip:
            self.core.patch_namespaced_pod_status(name, NAMESPACE, {"status": {"phase": "Running", "podIP": ip,
                                                                               "podIPs": [{"ip": ip}]}})

    @staticmethod
    def _template(name, annotations, gates):
        spec = {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9"}]}
        if gates:
            spec["readinessGates"] = [{"conditionType": g} for g in gates]
        return {"metadata": {"labels": {"app": name}, "annotations": dict(annotations or {})}, "spec": spec}

    def statefulset(self, name="lobby", replicas=2, pod_gates=(), pod_annotations=None, annotations=None, gates=(),
                    update="RollingUpdate"):
        """Its pods first (``<name>-<ordinal>``, IPs 10.1.<n>.<ordinal+10>), then the StatefulSet."""
        subnet = sum(map(ord, name)) % 200
        for ordinal in range(replicas):
            pod = "{0}-{1}".format(name, ordinal)
            self.pod(pod, name, "10.1.{0}.{1}".format(subnet, ordinal + 10), annotations=pod_annotations, gates=pod_gates,
                     extra_labels={"statefulset.kubernetes.io/pod-name": pod})
        spec = {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                "updateStrategy": {"type": update}, "template": self._template(name, annotations, gates)}
        self.apps.create_namespaced_stateful_set(NAMESPACE, {"apiVersion": "apps/v1", "kind": "StatefulSet",
                                                             "metadata": {"name": name}, "spec": spec})

    def deployment(self, name="web", replicas=1, pods=1, annotations=None, gates=(), strategy="RollingUpdate", namespace=None):
        """A paused Deployment (no ReplicaSet, so no pods but the test's: ``<name>-pod-<n>``)."""
        spec = {"replicas": replicas, "paused": True, "selector": {"matchLabels": {"app": name}},
                "strategy": {"type": strategy}, "template": self._template(name, annotations, gates)}
        self.apps.create_namespaced_deployment(namespace or NAMESPACE, {"apiVersion": "apps/v1", "kind": "Deployment",
                                                                        "metadata": {"name": name}, "spec": spec})
        for index in range(pods):
            self.pod("{0}-pod-{1}".format(name, index), name, "10.2.0.{0}".format(index + 10), gates=gates)

    def workload(self, kind, name):
        read = self.apps.read_namespaced_stateful_set if kind == "StatefulSet" else self.apps.read_namespaced_deployment
        return self.api.sanitize_for_serialization(read(name, NAMESPACE))

    def template(self, kind, name):
        """(EIP annotations, readiness gate types) of a workload's pod template."""
        template = self.workload(kind, name)["spec"]["template"]
        annotations = template["metadata"].get("annotations") or {}
        gates = [g["conditionType"] for g in template["spec"].get("readinessGates") or []]
        return dict((k, v) for k, v in annotations.items() if k in managed_keys()), gates

    def roll_out(self, kind, name):
        """The pods of the workload take its template's EIP annotations, as the pods of a rollout would."""
        template = self.workload(kind, name)["spec"]["template"]["metadata"].get("annotations") or {}
        for pod in self.core.list_namespaced_pod(NAMESPACE, label_selector="app=" + name).items:
            annotations = dict((k, v) for k, v in (pod.metadata.annotations or {}).items() if k not in managed_keys())
            annotations.update((k, v) for k, v in template.items() if k in managed_keys())
            # A JSON patch (the client sends one for a list): the annotations as a whole.
            self.core.patch_namespaced_pod(pod.metadata.name, NAMESPACE,
                                           [{"op": "add", "path": "/metadata/annotations", "value": annotations}])

    def scale_down(self, name, replicas):
        """A StatefulSet scaled down: its replicas, then its pods of the ordinals beyond (as its controller would)."""
        current = self.workload("StatefulSet", name)["spec"]["replicas"]
        self.apps.patch_namespaced_stateful_set(name, NAMESPACE, {"spec": {"replicas": replicas}})
        for ordinal in range(replicas, current):
            self.core.delete_namespaced_pod("{0}-{1}".format(name, ordinal), NAMESPACE, grace_period_seconds=0)
        wait_for(lambda: not any(int(p.metadata.name.rsplit("-", 1)[1]) >= replicas
                                 for p in self.core.list_namespaced_pod(NAMESPACE, label_selector="app=" + name).items),
                 what="the pods beyond the scale to go")

    def podeip(self, name):
        from kubernetes.client.exceptions import ApiException

        try:
            return self.custom.get_namespaced_custom_object(PODEIP[0], PODEIP[1], NAMESPACE, PODEIP[2], name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def snapshot(self):
        """Everything the module could write: workloads, pods and PodEIPs, less what servers and the
        controller's part change by themselves (status, ownerReferences, resourceVersion...)."""
        found = {}
        for kind, items in (("StatefulSet", self.apps.list_namespaced_stateful_set(NAMESPACE).items),
                            ("Deployment", self.apps.list_namespaced_deployment(NAMESPACE).items),
                            ("Pod", self.core.list_namespaced_pod(NAMESPACE).items)):
            for item in items:
                obj = self.api.sanitize_for_serialization(item)
                meta = obj["metadata"]
                found[(kind, meta["name"])] = (meta.get("annotations"), meta.get("labels"), obj.get("spec"))
        for obj in self.custom.list_namespaced_custom_object(PODEIP[0], PODEIP[1], NAMESPACE, PODEIP[2])["items"]:
            found[("PodEIP", obj["metadata"]["name"])] = (obj["metadata"].get("finalizers"), obj.get("spec"))
        return found

    # -- kube-system -----------------------------------------------------------------------

    def terway_eip(self, enabled=True):
        """Terway's ConfigMap eni-config, with its own EIP feature on or off."""
        conf = '{"version": "1", "max_pool_size": 5, "enable_eip_pool": "%s"}' % ("true" if enabled else "false")
        self._delete_system("configmaps", "eni-config")
        self.core.create_namespaced_config_map(SYSTEM, {"apiVersion": "v1", "kind": "ConfigMap",
                                                        "metadata": {"name": "eni-config"}, "data": {"eni_conf": conf}})
        self.system.append(("configmaps", "eni-config"))

    def controller_deployment(self):
        """The controller's Deployment as its Helm chart names it (paused, and no pods: only its presence counts)."""
        self._delete_system("deployments", "ack-extend-network-controller")
        self.apps.create_namespaced_deployment(SYSTEM, {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ack-extend-network-controller"},
            "spec": {"replicas": 0, "paused": True, "selector": {"matchLabels": {"app": "kubedc-test-ack-controller"}},
                     "template": self._template("kubedc-test-ack-controller", None, ())}})
        self.system.append(("deployments", "ack-extend-network-controller"))

    def _delete_system(self, plural, name):
        from kubernetes.client.exceptions import ApiException

        call = self.core.delete_namespaced_config_map if plural == "configmaps" else self.apps.delete_namespaced_deployment
        try:
            call(name, SYSTEM)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def cleanup(self):
        for plural, name in reversed(self.system):
            self._delete_system(plural, name)
        self.system = []


@pytest.fixture
def shop(kube):
    reason = real_ack_reason(kube)
    if reason:
        pytest.skip(reason)
    kube.namespace(NAMESPACE)
    controller = AckEipController(kube.api_client, [NAMESPACE], static_addresses={INSTANCE: STATIC_ADDRESS})
    shop = Shop(kube, controller)
    try:
        yield shop
    finally:
        controller.shutdown()
        shop.cleanup()
    assert not controller.errors, "the ACK EIP test controller failed:\n" + controller.errors[0]


def fails(shop, args, check=False):
    """Run a task that must fail; prove that it wrote nothing; return its result."""
    before = shop.snapshot()
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", args, check=check)
    assert shop.snapshot() == before, "a failed eip task changed something"
    return failed.value.result


# -- the rhythm -----------------------------------------------------------------------------------


LOBBY = {PREFIX + "pod-with-eip": "true", PREFIX + "eip-bandwidth": "10", PREFIX + "pod-eip-release-strategy": "10m",
         PREFIX + "eip-tags": '{"team":"game","tier":"1"}'}


def test_statefulset_check_apply_no_change_wait_and_absent(shop):
    shop.statefulset("lobby", replicas=2, pod_gates=[GATE])
    args = shop.args(bandwidth=10, release_strategy="10m", readiness_gate=True, tags={"tier": 1, "team": "game"})
    start = shop.snapshot()

    planned = run_module("eip", args, check=True)
    expected = patch("StatefulSet", "lobby", *([field(k) + "=" + LOBBY[k] for k in sorted(LOBBY)] + [gates_field([GATE])]))
    assert planned["changed"] is True and planned["commands"] == [expected]
    assert shop.snapshot() == start, "check mode wrote something"
    view = planned["eip"]
    assert view["annotations"] == LOBBY and view["readiness_gates"] == [GATE], "the server's dry run is what is shown"
    assert (view["platform"], view["backend"], view["annotation_prefix"], view["replicas"]) == (
        "ack", "ack-extend-network-controller", "k8s.aliyun.com", 2)
    assert view["target"] == dict(kind="StatefulSet", name="lobby", api_version="apps/v1", namespace=NAMESPACE)
    assert view["preflight"] == dict(podeip_crd="present", controller="missing", terway_eip="disabled")
    assert any("ack-extend-network-controller" in w and "not found" in w for w in view["warnings"])
    assert view["rollout"] == dict(needed=True, started=True, reason=None, outdated_pods=["lobby-0", "lobby-1"])
    assert [a["pod"] for a in view["addresses"]] == ["lobby-0", "lobby-1"]
    assert not any(a["ready"] or a["up_to_date"] for a in view["addresses"])
    declared = {"metadata": {"annotations": LOBBY}, "spec": {"readinessGates": [{"conditionType": GATE}]}}
    assert planned["diff"] == dict(before={}, after=declared)

    applied = run_module("eip", args)
    assert applied["commands"] == planned["commands"] and applied["diff"] == planned["diff"]
    assert applied["eip"] == planned["eip"], "check mode previewed another result than the run gave"
    assert shop.template("StatefulSet", "lobby") == (LOBBY, [GATE])
    written = shop.snapshot()
    assert written != start

    for check in (True, False):
        again = run_module("eip", args, check=check)
        assert again["changed"] is False and again["commands"] == []
        assert again["diff"]["before"] == again["diff"]["after"] == declared
    assert shop.snapshot() == written

    # The rollout, then the controller: a PodEIP per pod, bound to its IP, and the gate's condition.
    shop.roll_out("StatefulSet", "lobby")
    shop.controller.settle()
    waited = run_module("eip", dict(args, wait=True, wait_timeout=30, wait_sleep=0.1))
    assert waited["changed"] is False
    addresses = waited["eip"]["addresses"]
    assert [(a["pod"], a["source"], a["ready"], a["ready_condition"], a["up_to_date"]) for a in addresses] == [
        ("lobby-0", "podeip", True, True, True), ("lobby-1", "podeip", True, True, True)]
    for entry in addresses:
        podeip = shop.podeip(entry["pod"])
        assert entry["eip_address"] == podeip["status"]["eipAddress"] and entry["eip_address"].startswith(POOL)
        assert (entry["allocation_id"], entry["allocation_type"], entry["release_strategy"], entry["release_after"],
                entry["status"]) == (podeip["spec"]["allocationID"], "Auto", "TTL", "10m", "InUse")
    assert len(set(a["eip_address"] for a in addresses)) == 2
    assert waited["eip"]["rollout"] == dict(needed=False, started=False, reason=None, outdated_pods=[])

    absent = shop.args(state="absent")
    removed = [field(k) + "=(removed)" for k in sorted(LOBBY)] + [gates_field(None)]
    planned_delete = run_module("eip", absent, check=True)
    assert planned_delete["changed"] is True and planned_delete["commands"] == [patch("StatefulSet", "lobby", *removed)]
    assert planned_delete["diff"] == dict(before=declared, after={})
    assert shop.template("StatefulSet", "lobby") == (LOBBY, [GATE]), "check mode wrote something"
    retained = planned_delete["eip"]["retained_podeips"]
    assert [(r["name"], r["release_strategy"], r["release_after"], r["pod_exists"]) for r in retained] == [
        ("lobby-0", "TTL", "10m", True), ("lobby-1", "TTL", "10m", True)]
    assert retained[0]["fate"].startswith("released 10m after the pod is gone")
    assert planned_delete["eip"]["released_podeips"] == []

    deleted = run_module("eip", absent)
    assert deleted["changed"] is True and deleted["commands"] == planned_delete["commands"]
    assert shop.template("StatefulSet", "lobby") == ({}, [])
    assert shop.podeip("lobby-0") is not None, "absent never deletes the PodEIP of a pod that exists"
    again = run_module("eip", absent)
    assert again["changed"] is False and again["commands"] == []


def test_absent_releases_the_podeips_of_pods_that_are_gone(shop):
    shop.statefulset("vault", replicas=2)
    args = shop.args(name="vault", release_strategy="Never")
    run_module("eip", args)
    shop.roll_out("StatefulSet", "vault")
    shop.controller.settle()
    assert shop.podeip("vault-0") and shop.podeip("vault-1")

    # vault-1 goes with a scale-down; Never keeps its PodEIP, unbound.
    shop.scale_down("vault", 1)
    shop.controller.settle()
    assert shop.podeip("vault-1")["status"]["status"] == "Available"

    absent = shop.args(name="vault", state="absent")
    stripped = run_module("eip", absent)
    assert stripped["commands"] == [patch("StatefulSet", "vault", field(PREFIX + "pod-eip-release-strategy") + "=(removed)",
                                          field(WITH_EIP) + "=(removed)")]
    retained = stripped["eip"]["retained_podeips"]
    assert [(r["name"], r["pod_exists"], r["status"]) for r in retained] == [("vault-0", True, "InUse"), ("vault-1", False, "Available")]
    assert retained[1]["fate"] == "kept (and billed) until the PodEIP is deleted"
    assert shop.podeip("vault-1") is not None, "without release_orphans no PodEIP is deleted"
    shop.roll_out("StatefulSet", "vault")
    shop.controller.settle()

    orphans = dict(absent, release_orphans=True)
    before = shop.snapshot()
    planned = run_module("eip", orphans, check=True)
    assert planned["commands"] == ["delete alibabacloud.com/v1beta1 PodEIP {0}/vault-1".format(NAMESPACE)]
    assert planned["eip"]["released_podeips"] == ["vault-1"]
    assert [r["name"] for r in planned["eip"]["retained_podeips"]] == ["vault-0"]
    assert shop.snapshot() == before, "check mode deleted a PodEIP"

    shop.controller.start()  # releases the EIP and drops the finalizer of the PodEIP the task deletes
    released = run_module("eip", dict(orphans, wait=True, wait_timeout=30, wait_sleep=0.1))
    assert released["changed"] is True and released["commands"] == planned["commands"]
    assert shop.podeip("vault-1") is None
    assert shop.podeip("vault-0") is not None, "the PodEIP of a pod that exists is never deleted"
    again = run_module("eip", orphans)
    assert again["changed"] is False and again["commands"] == [] and again["eip"]["released_podeips"] == []


# -- an existing EIP, on a Deployment ------------------------------------------------------------


def test_an_instance_id_binds_to_one_pod(shop):
    shop.deployment("gateway", replicas=1, pods=1)
    args = shop.args(kind="Deployment", name="gateway", eip_instance_id=INSTANCE, bandwidth=5)
    applied = run_module("eip", args)
    assert applied["commands"] == [patch("Deployment", "gateway", field(PREFIX + "eip-bandwidth", "Deployment") + "=5",
                                         field(PREFIX + "pod-eip-instanceid", "Deployment") + "=" + INSTANCE,
                                         field(WITH_EIP, "Deployment") + "=true")]
    warnings = applied["eip"]["warnings"]
    assert any(w.startswith("bandwidth: these apply only when the controller allocates an EIP") for w in warnings), warnings
    assert any("RollingUpdate" in w and INSTANCE in w for w in warnings), warnings
    rollout = applied["eip"]["rollout"]
    assert (rollout["needed"], rollout["started"], rollout["outdated_pods"]) == (True, False, ["gateway-pod-0"])
    assert "paused" in rollout["reason"] and any(w.startswith("rollout: ") and "paused" in w for w in warnings)

    shop.roll_out("Deployment", "gateway")
    shop.controller.settle()
    entry = run_module("eip", args)["eip"]["addresses"][0]
    assert (entry["pod"], entry["eip_address"], entry["allocation_id"], entry["allocation_type"], entry["ready"]) == (
        "gateway-pod-0", STATIC_ADDRESS, INSTANCE, "Static", True)

    # The same EIP declared by another workload of the namespace, or two replicas: refused.
    shop.deployment("backup", replicas=1, pods=0, annotations={WITH_EIP: "true", PREFIX + "pod-eip-instanceid": INSTANCE})
    refused = fails(shop, dict(args, bandwidth=None))
    assert refused["msg"].startswith("eip_instance_id: EIP {0} is already declared by Deployment backup".format(INSTANCE))
    shop.apps.delete_namespaced_deployment("backup", NAMESPACE)
    shop.apps.patch_namespaced_deployment("gateway", NAMESPACE, {"spec": {"replicas": 2}})
    refused = fails(shop, args)
    assert refused["msg"].startswith("eip_instance_id: {0!r} is one EIP, which binds to one pod, and Deployment gateway has "
                                     "2 replicas".format(INSTANCE)), refused["msg"]


def test_one_prefix_and_the_gates_of_others_are_kept(shop):
    legacy = {NEW_PREFIX + "pod-with-eip": "true", PREFIX + "eci-with-eip": "true", PREFIX + "eip-charge-type": "PayByBandwidth",
              "team": "web"}
    shop.deployment("web", annotations=legacy, gates=[OTHER_GATE])
    args = shop.args(kind="Deployment", name="web", internet_charge_type="PayByBandwidth", readiness_gate=True)
    moved = run_module("eip", args)
    kind = "Deployment"
    assert moved["commands"] == [patch(kind, "web", field(PREFIX + "eci-with-eip", kind) + "=(removed)",
                                       field(PREFIX + "eip-charge-type", kind) + "=(removed)",
                                       field(PREFIX + "eip-internet-charge-type", kind) + "=PayByBandwidth",
                                       field(WITH_EIP, kind) + "=true", field(NEW_PREFIX + "pod-with-eip", kind) + "=(removed)",
                                       gates_field([OTHER_GATE, GATE], kind))]
    annotations = shop.workload(kind, "web")["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"team": "web", WITH_EIP: "true", PREFIX + "eip-internet-charge-type": "PayByBandwidth"}
    assert shop.template(kind, "web")[1] == [OTHER_GATE, GATE]
    assert any("every new pod gets a new EIP address" in w for w in moved["eip"]["warnings"])

    other = run_module("eip", dict(args, annotation_prefix="network.alibabacloud.com", readiness_gate=False))
    assert other["commands"] == [patch(kind, "web", field(PREFIX + "eip-internet-charge-type", kind) + "=(removed)",
                                       field(WITH_EIP, kind) + "=(removed)",
                                       field(NEW_PREFIX + "eip-internet-charge-type", kind) + "=PayByBandwidth",
                                       field(NEW_PREFIX + "pod-with-eip", kind) + "=true", gates_field([OTHER_GATE], kind))]
    assert shop.template(kind, "web") == ({NEW_PREFIX + "pod-with-eip": "true",
                                           NEW_PREFIX + "eip-internet-charge-type": "PayByBandwidth"}, [OTHER_GATE])
    assert any(w.startswith("annotation_prefix: network.alibabacloud.com needs") for w in other["eip"]["warnings"])
    assert run_module("eip", dict(args, annotation_prefix="network.alibabacloud.com", readiness_gate=False))["changed"] is False

    absent = run_module("eip", shop.args(kind="Deployment", name="web", state="absent"))
    assert shop.template(kind, "web") == ({}, [OTHER_GATE]), "absent keeps the gates of others"
    assert shop.workload(kind, "web")["spec"]["template"]["metadata"]["annotations"] == {"team": "web"}
    assert absent["eip"]["retained_podeips"] == [] and absent["eip"]["released_podeips"] == []


# -- waiting ------------------------------------------------------------------------------------


def test_wait_names_the_pods_without_an_eip(shop):
    asked = {WITH_EIP: "true"}
    shop.statefulset("arena", replicas=2, pod_annotations=asked, pod_gates=[GATE])
    shop.controller.hold.add("arena-1")
    shop.controller.settle()  # arena-0 has its EIP before the task starts waiting: only arena-1 can be named
    shop.controller.start()
    args = shop.args(name="arena", readiness_gate=True, wait=True, wait_timeout=2, wait_sleep=0.1)
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", args)
    assert "pod arena-1 has no PodEIP yet" in failed.value.result["msg"], failed.value.result["msg"]
    assert shop.template("StatefulSet", "arena") == (asked, [GATE]), "the template was written before the wait"

    shop.controller.hold.clear()
    done = run_module("eip", dict(args, wait_timeout=30))
    assert done["changed"] is False
    assert [(a["pod"], a["ready"], a["ready_condition"]) for a in done["eip"]["addresses"]] == [
        ("arena-0", True, True), ("arena-1", True, True)]


# -- a bare Pod ---------------------------------------------------------------------------------


def test_a_pod_is_only_checked_and_its_podeip_released_once_gone(shop):
    shop.pod("solo", "solo", "10.3.0.10", annotations={WITH_EIP: "true"})
    shop.controller.settle()
    args = shop.args(kind="Pod", name="solo")
    seen = run_module("eip", args)
    assert seen["changed"] is False and seen["commands"] == []
    assert seen["eip"]["addresses"][0]["ready"] is True and seen["eip"]["rollout"]["needed"] is False

    refused = fails(shop, dict(args, bandwidth=10))
    assert refused["msg"].startswith("target.name: 'solo' is a Pod that exists, and a pod's EIP annotations are read when "
                                     "it is created"), refused["msg"]
    assert field(PREFIX + "eip-bandwidth", "Pod") + "=10" in refused["msg"]
    assert "target.name" in fails(shop, dict(args, state="absent"))["msg"], "absent cannot take an existing pod's EIP away"
    refused = fails(shop, dict(args, release_strategy="Never", stateful_kinds=["Pod"]))
    assert refused["msg"].startswith("release_strategy: 'Never' keeps a pod's EIP"), refused["msg"]

    # The pod is gone, and the controller has not caught up: its PodEIP is an orphan to release.
    shop.core.delete_namespaced_pod("solo", NAMESPACE, grace_period_seconds=0)
    wait_for(lambda: not shop.core.list_namespaced_pod(NAMESPACE, field_selector="metadata.name=solo").items,
             what="pod solo to go")
    absent = dict(args, state="absent", release_orphans=True)
    released = run_module("eip", absent)
    assert released["commands"] == ["delete alibabacloud.com/v1beta1 PodEIP {0}/solo".format(NAMESPACE)]
    assert released["eip"]["released_podeips"] == ["solo"]
    assert any(w.startswith("target: v1 Pod {0}/solo does not exist".format(NAMESPACE)) for w in released["eip"]["warnings"])
    shop.controller.settle()
    assert shop.podeip("solo") is None
    assert run_module("eip", absent)["changed"] is False


# -- the preflight --------------------------------------------------------------------------------


def test_legacy_terway_and_the_documented_conflict(shop):
    shop.terway_eip(True)
    shop.statefulset("lobby", replicas=1)
    for option, value in (("release_strategy", "10m"), ("readiness_gate", True), ("annotation_prefix", "network.alibabacloud.com")):
        refused = fails(shop, shop.args(**{option: value}))
        assert refused["msg"].startswith("{0}: {1!r} is not supported by Terway's own EIP feature".format(option, value)), refused["msg"]

    legacy = run_module("eip", shop.args())
    assert legacy["eip"]["backend"] == "terway-legacy"
    assert legacy["eip"]["preflight"] == dict(podeip_crd="present", controller="missing", terway_eip="enabled")
    assert any("Terway removed in v1.7.0" in w for w in legacy["eip"]["warnings"])
    # Legacy Terway writes no PodEIP: the pod annotation is the address.
    shop.controller.podeips = False
    shop.roll_out("StatefulSet", "lobby")
    shop.controller.settle()
    entry = run_module("eip", shop.args())["eip"]["addresses"][0]
    assert (entry["source"], entry["ready"], entry["allocation_id"]) == ("annotation", True, None)
    assert entry["eip_address"].startswith(POOL)

    shop.controller_deployment()
    refused = fails(shop, shop.args(bandwidth=20))
    assert "Terway's own EIP feature is enabled" in refused["msg"] and "allocated twice" in refused["msg"], refused["msg"]
    assert refused["preflight"] == dict(podeip_crd="present", controller="present", terway_eip="enabled")
    # absent still strips the annotations, and says why a present would not work
    stripped = run_module("eip", shop.args(state="absent"))
    assert stripped["changed"] is True and any("allocated twice" in w for w in stripped["eip"]["warnings"])

    shop.terway_eip(False)
    clean = run_module("eip", shop.args())
    assert clean["eip"]["backend"] == "ack-extend-network-controller"
    assert clean["eip"]["preflight"] == dict(podeip_crd="present", controller="present", terway_eip="disabled")
    assert not any("ack-extend-network-controller" in w for w in clean["eip"]["warnings"]), clean["eip"]["warnings"]


# -- through ansible-playbook ----------------------------------------------------------------------

PLAYBOOK = """
- name: EIPs for the lobby
  hosts: localhost
  gather_facts: false
  tasks:
    - name: An EIP for every pod of the lobby
      kubedc.network.eip:
        platform: ack
        kubeconfig: "{kubeconfig}"
        namespace: {namespace}
        target: {{kind: StatefulSet, name: lobby}}
        bandwidth: 10
        wait: false
      register: lobby
    - name: The annotations are the ones declared
      ansible.builtin.assert:
        that:
          - lobby.eip.annotations["k8s.aliyun.com/eip-bandwidth"] == "10"
          - lobby.eip.rollout.needed
"""
INVENTORY = Path(__file__).parent / "files" / "inventory.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def _play(tmp_path, kubeconfig, *options):
    (tmp_path / "site.yml").write_text(PLAYBOOK.format(kubeconfig=kubeconfig, namespace=NAMESPACE))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    proc = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(INVENTORY), str(tmp_path / "site.yml"), *options],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    match = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout)
    assert match, proc.stdout + proc.stderr
    return proc, dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


@pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="ansible-playbook not in this venv")
def test_through_ansible_playbook_check_diff_apply_nothing(shop, tmp_path):
    shop.statefulset("lobby", replicas=1)
    plan, recap = _play(tmp_path, shop.kubeconfig, "--check", "--diff")
    assert recap == dict(ok=2, changed=1, unreachable=0, failed=0), plan.stdout
    assert '+            "k8s.aliyun.com/eip-bandwidth": "10",' in plan.stdout, plan.stdout
    assert "[WARNING]: Deployment kube-system/ack-extend-network-controller" in plan.stdout + plan.stderr
    assert shop.template("StatefulSet", "lobby") == ({}, []), "--check wrote the template"
    applied, recap = _play(tmp_path, shop.kubeconfig)
    assert recap == dict(ok=2, changed=1, unreachable=0, failed=0), applied.stdout
    assert shop.template("StatefulSet", "lobby")[0] == {WITH_EIP: "true", PREFIX + "eip-bandwidth": "10"}
    again, recap = _play(tmp_path, shop.kubeconfig, "--diff")
    assert recap == dict(ok=2, changed=0, unreachable=0, failed=0), again.stdout


# -- bad input ----------------------------------------------------------------------------------


BAD_INPUT = [
    (dict(eip_instance_id="eip_2ze"), "eip_instance_id", "eip_2ze", "is not an Alibaba Cloud ID of the form eip-"),
    (dict(eip_instance_id="eip-2zeok"), "eip_instance_id", "eip-2zeok", "StatefulSet lobby has 2 replicas"),
    (dict(release_strategy="10"), "release_strategy", "10", "is not Follow, Never or a Go duration"),
    (dict(release_strategy="-5m"), "release_strategy", "-5m", "is not Follow, Never or a Go duration"),
    (dict(release_strategy="follow"), "release_strategy", "follow", "is not Follow, Never or a Go duration"),
    (dict(release_strategy="0s"), "release_strategy", "0s", "is a zero duration"),
    (dict(release_strategy="10m", target=dict(kind="Deployment", name="web")), "release_strategy", "10m",
     "a Deployment does not keep its pods' names"),
    (dict(bandwidth=0), "bandwidth", 0, "must be a whole number of Mbit/s, 1 or more"),
    (dict(internet_charge_type="PayByHour"), "internet_charge_type", "PayByHour", "must be one of"),
    (dict(instance_charge_type="PrePaid"), "instance_charge_type", "PrePaid", "must be one of"),
    (dict(isp="Cogent"), "isp", "Cogent", "must be one of"),
    (dict(tags={"team": {"name": "game"}}), "tags.team", {"name": "game"}, "must be a string"),
    (dict(tags={"billing": True}), "tags.billing", True, "must be a string"),
    (dict(security_protection_types=["AntiDDoS_Enhanced,Basic"]), "security_protection_types", "AntiDDoS_Enhanced,Basic",
     "is not a protection type"),
    (dict(eip_name=""), "eip_name", "", "must be a non-empty string"),
    (dict(bandwidth_package_id="bwp-1"), "bandwidth_package_id", "bwp-1", "of the form cbwp-"),
    (dict(resource_group_id="rg_1"), "resource_group_id", "rg_1", "of the form rg-"),
    (dict(stateful_kinds=["game set"]), "stateful_kinds[0]", "game set", "is not a kind name"),
    (dict(release_orphans=True), "release_orphans", True, "applies to state=absent only"),
    (dict(name="lobby"), "name", "lobby", "applies to platforms ovn and kube_dc only"),
    (dict(organization="acme"), "organization", "acme", "applies to platforms ovn and kube_dc only"),
    (dict(force=True), "force", True, "applies to platforms ovn and kube_dc only"),
    (dict(namespace=None), "namespace", None, "is required"),
    (dict(target=dict(kind="Job", name="lobby")), "target.kind", "Job", "needs target.api_version"),
    (dict(target=dict(kind="StatefulSet", name="Lobby_1")), "target.name", "Lobby_1", "is not a valid object name"),
    (dict(target=dict(kind="StatefulSet", name="nowhere")), "target.name", "nowhere", "is not a StatefulSet in namespace"),
    (dict(platform="ovn", namespace=None), "target", None, "applies to platform ack only"),
    (dict(platform="kube_dc", name="web", organization="acme", project="prod", namespace=None, target=None, bandwidth=5),
     "bandwidth", 5, "applies to platform ack only"),
]


def test_bad_input_names_the_field_and_writes_nothing(shop):
    # One set-up for the whole table: a namespace on a real server takes seconds to go.
    shop.statefulset("lobby", replicas=2)
    shop.deployment("web")
    for override, name, value, reason in BAD_INPUT:
        args = dict(shop.args(), **override)
        for check in (True, False):
            msg = fails(shop, args, check=check)["msg"]
            assert name in msg and reason in msg, (override, msg)
            if value is not None:
                assert repr(value) in msg or str(value) in msg, (override, msg)
    assert shop.template("StatefulSet", "lobby") == ({}, []) and shop.template("Deployment", "web") == ({}, [])


def test_a_task_without_a_target_or_a_name_is_refused(shop):
    args = dict(platform="ack", kubeconfig=shop.kubeconfig, namespace=NAMESPACE)
    msg = fails(shop, args)["msg"]
    assert "one of the following is required" in msg and "target" in msg, msg


# -- the pieces, without a server --------------------------------------------------------------


def _ack():
    from ansible_collections.kubedc.network.plugins.module_utils.ack import eip
    return eip


def test_canonical_annotations():
    eip = _ack()
    values = eip.declared_values(dict(bandwidth=5, tags={"b": "2", "a": 1}, security_protection_types=["b", "a", "b"],
                                      release_strategy="1h30m", isp="BGP_PRO", eip_name="lobby"))
    assert values == {"pod-with-eip": "true", "eip-bandwidth": "5", "eip-tags": '{"a":"1","b":"2"}',
                      "eip-security-protection-types": "a,b", "pod-eip-release-strategy": "1h30m", "eip-isp": "BGP_PRO",
                      "eip-name": "lobby"}
    wanted = eip.wanted_annotations(values, "network.alibabacloud.com")
    assert wanted["network.alibabacloud.com/eip-bandwidth"] == "5"
    assert wanted["k8s.aliyun.com/eip-bandwidth"] is None and wanted["k8s.aliyun.com/eci-with-eip"] is None
    assert set(wanted) == set(eip.MANAGED_KEYS)
    assert eip.wanted_gates([{"conditionType": "a"}, {"conditionType": eip.READINESS_GATE}], False) == [{"conditionType": "a"}]
    assert eip.wanted_gates(None, True) == [{"conditionType": eip.READINESS_GATE}]
    assert [eip.go_duration_seconds(d) for d in ("10m", "1h30m", "5m0s", "1.5s", "300ms")] == pytest.approx([600, 5400, 300, 1.5, 0.3])


def test_podeip_readiness_and_fates():
    eip = _ack()
    pod = {"metadata": {"name": "p-0", "annotations": {}}, "status": {"podIP": "10.0.0.5"}}

    def podeip(status, kind="Auto", strategy="Follow", after=None):
        allocation = dict(type=kind, releaseStrategy=strategy)
        if after:
            allocation["releaseAfter"] = after
        return {"metadata": {"name": "p-0"}, "spec": {"allocationID": "eip-1", "allocationType": allocation}, "status": status}

    assert eip.podeip_ready(None, pod) == (False, "has no PodEIP yet")
    assert eip.podeip_ready(podeip({"eipAddress": "", "status": "InUse"}), pod)[0] is False
    assert "Available, not InUse" in eip.podeip_ready(podeip({"eipAddress": "1.2.3.4", "status": "Available"}), pod)[1]
    assert "not to the pod IP 10.0.0.5" in eip.podeip_ready(
        podeip({"eipAddress": "1.2.3.4", "status": "InUse", "privateIPAddress": "10.0.0.9"}), pod)[1]
    assert eip.podeip_ready(podeip({"eipAddress": "1.2.3.4", "status": "InUse", "privateIPAddress": "10.0.0.5"}), pod) == (True, None)
    legacy = dict(pod, metadata={"name": "p-0", "annotations": {"network.alibabacloud.com/allocated-eipAddress": "5.6.7.8"}})
    assert eip.address_view(legacy, None)["eip_address"] == "5.6.7.8"
    assert eip.fate(podeip({}), True) == "released with the pod"
    assert eip.fate(podeip({}, kind="Static"), False) == "detached (the instance is kept) as its pod is gone"
    assert eip.fate(podeip({}, strategy="TTL", after="5m"), False).startswith("released 5m after the pod is gone")
    assert eip.fate(podeip({}, kind="Static", strategy="Never"), False) == "kept until the PodEIP is deleted"


class _Objects(object):
    """Just enough of KubeObjects for the preflight: named objects, or a 403 for some."""

    def __init__(self, found, forbidden=()):
        self.found, self.forbidden = found, forbidden

    def get(self, api_version, plural, namespace, name):
        from ansible_collections.kubedc.network.plugins.module_utils.kube.objects import ApiRefused

        if plural in self.forbidden:
            raise ApiRefused("forbidden", status=403)
        return self.found.get((plural, name))


def test_preflight_without_a_controller_or_the_rights_to_look():
    eip = _ack()
    matrix, warnings, refusal = eip.preflight(_Objects({}))
    assert matrix == dict(podeip_crd="missing", controller="missing", terway_eip="disabled", backend="ack-extend-network-controller")
    assert "CRD podeips.alibabacloud.com is not installed" in refusal.msg
    matrix, warnings, refusal = eip.preflight(_Objects({}, forbidden=("customresourcedefinitions", "deployments", "configmaps")))
    assert refusal is None and (matrix["podeip_crd"], matrix["controller"], matrix["terway_eip"]) == ("unknown",) * 3
    assert len(warnings) == 3 and all(w.startswith("cannot") for w in warnings)
    broken = {("configmaps", "eni-config"): {"data": {"eni_conf": "{not json"}},
              ("customresourcedefinitions", "podeips.alibabacloud.com"): {}}
    matrix, warnings, refusal = eip.preflight(_Objects(broken))
    assert refusal is None and matrix["terway_eip"] == "unknown"

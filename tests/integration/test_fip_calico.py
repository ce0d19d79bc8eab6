# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fip with platform calico: cni.projectcalico.org/floatingIPs on a workload's pod template.

The ``kube`` fixture's API server (the double, or a real one) holds what the preflight reads -
Calico's configuration as a cluster admin would have written it (ConfigMap calico-config and
DaemonSet calico-node in kube-system, FelixConfigurations, IPPools, from the tests' CRDs) - and the
workloads. No Calico runs: the test plays the kubelet's part and writes the pods' IPs through the
status subresource, and the NAT the module reports is what Calico derives from those pods.

Every workload is made so that no controller of a real server touches its pods, which keeps the
tests the same on the double (which runs no controllers) and on a real kube-apiserver with its
kube-controller-manager:

* Deployment ``web`` is created paused: a paused Deployment gets no ReplicaSet, so nothing adopts
  or deletes the hand-made pods of its selector, which play its pods;
* Deployment ``api`` and StatefulSet ``db`` name a ServiceAccount that does not exist, so the
  server refuses every pod their controllers try to create: they have no pods anywhere.

On a cluster where Calico is installed the tests are skipped: they rewrite its configuration.
"""

import json

import pytest

from support import ModuleFailed, run_module

NAMESPACE = "calico-shop"
OTHER_NAMESPACE = "calico-other"
ANNOTATION = "cni.projectcalico.org/floatingIPs"
FIP = "203.0.113.10"
FIP2 = "203.0.113.9"
FIP6 = "2001:db8:100::10"
POD_IP = "10.244.1.5"
POD_IP6 = "fd00:10:244::5"
SYSTEM = "kube-system"
TEST_CRD = "kubedc.network/test-crd"
NO_ACCOUNT = "kubedc-no-such-account"
CALICO_API = ("crd.projectcalico.org", "v1")


def cni_config(floating_ips=True):
    """calico-config's cni_network_config as the Calico manifest has it, placeholders included."""
    calico = {"type": "calico", "datastore_type": "kubernetes", "mtu": "__CNI_MTU__", "ipam": {"type": "calico-ipam"},
              "kubernetes": {"kubeconfig": "__KUBECONFIG_FILEPATH__"}}
    if floating_ips is not None:
        calico["feature_control"] = {"floating_ips": floating_ips}
    text = json.dumps({"name": "k8s-pod-network", "cniVersion": "0.3.1",
                       "plugins": [calico, {"type": "portmap", "snat": True, "capabilities": {"portMappings": True}}]}, indent=2)
    return text.replace('"__CNI_MTU__"', "__CNI_MTU__")


class Cluster(object):
    """Calico's configuration, written as an admin would, and removed after the test."""

    def __init__(self, kube):
        from kubernetes import client

        api_client = kube.api_client()
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.kubeconfig = kube.kubeconfig
        self.made = []

    def _custom(self, group_version, plural, name, spec):
        group, version = group_version
        kind = {"felixconfigurations": "FelixConfiguration", "ippools": "IPPool", "installations": "Installation"}[plural]
        body = {"apiVersion": "%s/%s" % group_version, "kind": kind, "metadata": {"name": name}, "spec": spec}
        self.delete_custom(group_version, plural, name)
        self.custom.create_cluster_custom_object(group, version, plural, body)
        self.made.append(("custom", group_version, plural, name))

    def felix(self, name="default", **spec):
        self._custom(CALICO_API, "felixconfigurations", name, spec)

    def pool(self, name, cidr, **spec):
        self._custom(CALICO_API, "ippools", name, dict(spec, cidr=cidr))

    def installation(self):
        self._custom(("operator.tigera.io", "v1"), "installations", "default", {"variant": "Calico"})

    def delete_custom(self, group_version, plural, name):
        from kubernetes.client.exceptions import ApiException

        try:
            self.custom.delete_cluster_custom_object(group_version[0], group_version[1], plural, name)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def cni(self, text):
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "calico-config"}}
        if text is not None:
            body["data"] = {"cni_network_config": text, "typha_service_name": "none"}
        self.delete_system("configmaps", "calico-config")
        self.core.create_namespaced_config_map(SYSTEM, body)
        self.made.append(("system", "configmaps", "calico-config"))

    def calico_node(self, **env):
        """DaemonSet calico-node with the environment the preflight reads (a dict value: a valueFrom)."""
        variables = [dict(name=key, valueFrom=value) if isinstance(value, dict) else dict(name=key, value=value)
                     for key, value in sorted(env.items())]
        body = {
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "calico-node"},
            "spec": {
                "selector": {"matchLabels": {"k8s-app": "calico-node-kubedc-test"}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "calico-node-kubedc-test"}},
                    "spec": {"serviceAccountName": NO_ACCOUNT,
                             "containers": [{"name": "calico-node", "image": "calico/node:v3.28.0", "env": variables}]},
                },
            },
        }
        self.delete_system("daemonsets", "calico-node")
        self.apps.create_namespaced_daemon_set(SYSTEM, body)
        self.made.append(("system", "daemonsets", "calico-node"))

    def delete_system(self, plural, name):
        from kubernetes.client.exceptions import ApiException

        call = self.core.delete_namespaced_config_map if plural == "configmaps" else self.apps.delete_namespaced_daemon_set
        try:
            call(name, SYSTEM)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def healthy(self):
        """What a manifest install with floating IPs on has: both gates, BGP, disabled pools for the addresses."""
        self.cni(cni_config())
        self.felix(floatingIPs="Enabled")
        self.pool("fip-v4", "203.0.113.0/24", disabled=True)
        self.pool("fip-v6", "2001:db8:100::/120", disabled=True)
        self.pool("default-ipv4-ippool", "10.244.0.0/16", vxlanMode="Never")
        self.calico_node(CALICO_NETWORKING_BACKEND="bird", FELIX_IPV6SUPPORT="true")

    def node(self, name):
        """A Node for pods bound to it, where the server serves Nodes (a real one's pod garbage collector deletes the
        pods of a node that does not exist); the double serves none and deletes nothing."""
        from kubernetes.client.exceptions import ApiException

        try:
            self.core.create_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        except ApiException as exc:
            if exc.status != 404:
                raise
            return
        self.made.append(("node", name))

    def cleanup(self):
        from kubernetes.client.exceptions import ApiException

        for entry in reversed(self.made):
            if entry[0] == "custom":
                self.delete_custom(entry[1], entry[2], entry[3])
            elif entry[0] in ("node", "pod"):
                # A pod bound to a node goes at once only without a grace period: no kubelet confirms it.
                try:
                    if entry[0] == "pod":
                        self.core.delete_namespaced_pod(entry[2], entry[1], grace_period_seconds=0)
                    else:
                        self.core.delete_node(entry[1])
                except ApiException as exc:
                    if exc.status != 404:
                        raise
            else:
                self.delete_system(entry[1], entry[2])
        self.made = []


class Shop(object):
    """The workloads of the test namespace, and the pod status a kubelet would write."""

    def __init__(self, kube, cluster, namespace=NAMESPACE):
        from kubernetes import client

        api_client = kube.api_client()
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.kubeconfig = kube.kubeconfig
        self.cluster = cluster
        self.namespace = namespace

    def args(self, kind="Deployment", name="web", **override):
        args = dict(platform="calico", kubeconfig=self.kubeconfig, namespace=self.namespace,
                    target=dict(kind=kind, name=name), floating_ips=[FIP])
        args.update(override)
        return dict((key, value) for key, value in args.items() if value is not None)

    @staticmethod
    def _template(name, annotation, account):
        metadata = {"labels": {"app": name}}
        if annotation is not None:
            metadata["annotations"] = {ANNOTATION: annotation}
        spec = {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9"}]}
        if account:
            spec["serviceAccountName"] = account
        return {"metadata": metadata, "spec": spec}

    def deployment(self, name="web", replicas=1, paused=True, annotation=None, strategy="Recreate", account=None, namespace=None):
        spec = {"replicas": replicas, "paused": paused, "selector": {"matchLabels": {"app": name}},
                "strategy": {"type": strategy}, "template": self._template(name, annotation, account)}
        body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}
        self.apps.create_namespaced_deployment(namespace or self.namespace, body)

    def statefulset(self, name="db", replicas=1, update="OnDelete", partition=None):
        strategy = {"type": update}
        if partition is not None:
            strategy["rollingUpdate"] = {"partition": partition}
        spec = {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                "updateStrategy": strategy, "template": self._template(name, None, NO_ACCOUNT)}
        body = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}
        self.apps.create_namespaced_stateful_set(self.namespace, body)

    def pod(self, name, app="web", ips=(POD_IP,), annotation=None, namespace=None, node=None):
        """A pod of ``app``'s selector, as the workload's controller would have made it, with its IPs (on ``node``)."""
        namespace = namespace or self.namespace
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": app}},
                "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9"}]}}
        if node:
            self.cluster.node(node)
            body["spec"]["nodeName"] = node
        if annotation is not None:
            body["metadata"]["annotations"] = {ANNOTATION: annotation}
        self.core.create_namespaced_pod(namespace, body)
        if node:
            self.cluster.made.append(("pod", namespace, name))
        self.pod_ips(name, ips, namespace)

    def pod_ips(self, name, ips, namespace=None):
        """The status a kubelet writes: Running with its IPs, or Pending without."""
        status = {"phase": "Running", "podIP": ips[0], "podIPs": [{"ip": ip} for ip in ips]} if ips else {"phase": "Pending"}
        self.core.patch_namespaced_pod_status(name, namespace or self.namespace, {"status": status},
                                              _content_type="application/merge-patch+json")

    def annotate_template(self, name, value):
        patch = {"spec": {"template": {"metadata": {"annotations": {ANNOTATION: value}}}}}
        self.apps.patch_namespaced_deployment(name, self.namespace, patch)

    def state(self):
        """What a task could write in the namespace: each workload's generation (which any change of its spec bumps;
        a real server's controllers write the status, which changes the resourceVersion) and annotations, and each
        pod's annotations and labels."""
        found = {}
        for kind, items in (("Deployment", self.apps.list_namespaced_deployment(self.namespace).items),
                            ("StatefulSet", self.apps.list_namespaced_stateful_set(self.namespace).items)):
            for item in items:
                found[(kind, item.metadata.name)] = (item.metadata.generation, item.metadata.annotations,
                                                     item.spec.template.metadata.annotations)
        for item in self.core.list_namespaced_pod(self.namespace).items:
            found[("Pod", item.metadata.name)] = (item.metadata.annotations, item.metadata.labels)
        return found

    def template_annotation(self, name="web"):
        annotations = self.apps.read_namespaced_deployment(name, self.namespace).spec.template.metadata.annotations or {}
        return annotations.get(ANNOTATION)


def real_calico(kube):
    """Skip where Calico's own CRDs are installed: these tests rewrite its configuration."""
    from kubernetes import client

    crd = client.ApiextensionsV1Api(kube.api_client()).read_custom_resource_definition("felixconfigurations.crd.projectcalico.org")
    if (crd.metadata.annotations or {}).get(TEST_CRD) != "true":
        pytest.skip("Calico is installed on this cluster; these tests would rewrite its configuration")


@pytest.fixture
def cluster(kube):
    real_calico(kube)
    made = Cluster(kube)
    try:
        made.healthy()
        yield made
    finally:
        made.cleanup()


@pytest.fixture
def shop(kube, cluster):
    kube.namespace(NAMESPACE)
    workloads = Shop(kube, cluster)
    workloads.deployment("web")
    workloads.pod("web-manual")
    return workloads


def fails(args, check=False):
    with pytest.raises(ModuleFailed) as failed:
        run_module("fip", args, check=check)
    return failed.value.result


def patch_of(value, name="web", kind="Deployment"):
    prefix = "spec.template.metadata" if kind != "Pod" else "metadata"
    return ["patch apps/v1 {0} {1}/{2}: {3}.annotations[{4}]={5}".format(kind, NAMESPACE, name, prefix, ANNOTATION, value)]


def declared(value):
    return {"metadata": {"annotations": {ANNOTATION: value}}}


# -- the rhythm and the result -------------------------------------------------------------------


def test_deployment_rhythm(shop):
    present = shop.args(floating_ips=[FIP, FIP2, FIP])
    value = json.dumps(sorted([FIP, FIP2]), separators=(",", ":"))  # '["203.0.113.10","203.0.113.9"]'
    start = shop.state()

    planned = run_module("fip", present, check=True)
    assert planned["changed"] is True and planned["commands"] == patch_of(value)
    assert shop.state() == start, "check mode wrote"

    applied = run_module("fip", present)  # wait defaults to true: a paused Deployment is not waited for
    assert applied["commands"] == planned["commands"]
    assert applied["diff"] == dict(before={}, after=declared(value))
    assert applied["fip"] == planned["fip"], "check mode previewed another result than the real run gave"
    assert shop.template_annotation() == value
    view = applied["fip"]
    assert view["target"] == dict(kind="Deployment", name="web", api_version="apps/v1", namespace=NAMESPACE)
    assert (view["platform"], view["floating_ips"], view["annotation"], view["replicas"]) == ("calico", [FIP, FIP2], value, 1)
    assert view["rollout"] == dict(needed=True, started=False, outdated_pods=["web-manual"],
                                   reason="Deployment web is paused (spec.paused): its pods are replaced once it is resumed")
    assert view["addresses"] == [dict(pod="web-manual", node=None, phase="Running", pod_ips=[POD_IP], floating_ips=[],
                                      ip_nats=[], up_to_date=False)]
    results = dict((name, check["result"]) for name, check in view["preflight"].items())
    assert results == dict(installation="ok", cni_gate="ok", felix_gate="ok", dataplane="ok", ipv6_support="skipped",
                           routing="ok", ip_pools="ok", encapsulation="ok", ip_family="ok", replicas="ok", in_use="ok")
    assert view["preflight"]["ip_pools"]["pools"] == {FIP: "fip-v4", FIP2: "fip-v4"}
    assert view["preflight"]["felix_gate"]["source"] == "FelixConfiguration default spec.floatingIPs"
    assert any("paused" in warning for warning in view["warnings"])

    after_apply = shop.state()
    for check in (True, False):
        again = run_module("fip", present, check=check)
        assert again["changed"] is False and again["commands"] == []
        assert again["diff"]["before"] == again["diff"]["after"] == declared(value)
        assert again["fip"] == applied["fip"]
    assert shop.state() == after_apply

    absent = shop.args(state="absent", floating_ips=None)
    planned_delete = run_module("fip", absent, check=True)
    assert planned_delete["changed"] is True and planned_delete["commands"] == patch_of("(removed)")
    assert planned_delete["diff"] == dict(before=declared(value), after={})
    assert shop.state() == after_apply, "check mode wrote"
    deleted = run_module("fip", absent)
    assert deleted["commands"] == planned_delete["commands"] and deleted["fip"] == planned_delete["fip"]
    assert shop.template_annotation() is None
    gone = deleted["fip"]
    assert (gone["floating_ips"], gone["annotation"]) == ([], None)
    # The template changed, so the pods are due to be replaced (when the Deployment is resumed), though the one
    # there has no floating IP already.
    assert gone["rollout"] == dict(needed=True, started=False, outdated_pods=[],
                                   reason="Deployment web is paused (spec.paused): its pods are replaced once it is resumed")
    assert set(check["result"] for check in gone["preflight"].values()) == {"skipped"}
    again = run_module("fip", absent)
    assert again["changed"] is False and again["commands"] == []


def test_other_annotations_and_orders_are_kept(shop):
    shop.annotate_template("web", '["%s", "%s"]' % (FIP2, FIP))  # the same addresses, written otherwise
    unchanged = run_module("fip", shop.args(floating_ips=[FIP, FIP2], wait=False))
    assert unchanged["changed"] is False and unchanged["fip"]["floating_ips"] == [FIP, FIP2]
    assert shop.template_annotation() == '["%s", "%s"]' % (FIP2, FIP)
    shop.apps.patch_namespaced_deployment("web", NAMESPACE, {"spec": {"template": {"metadata": {"annotations": {"team": "shop"}}}}})
    run_module("fip", shop.args(state="absent", floating_ips=None, wait=False))
    annotations = shop.apps.read_namespaced_deployment("web", NAMESPACE).spec.template.metadata.annotations
    assert annotations == {"team": "shop"}


def test_nat_mapping_per_pod(shop):
    """Pods made from the template carry the addresses; the NAT is Calico's: each address to the pod's IP of its family."""
    value = json.dumps(sorted([FIP, FIP6]), separators=(",", ":"))
    shop.annotate_template("web", value)
    shop.core.delete_namespaced_pod("web-manual", NAMESPACE, grace_period_seconds=0)
    shop.pod("web-a", ips=(POD_IP, POD_IP6), annotation=value)
    shop.pod("web-b", ips=("10.244.1.6",), annotation=value)
    shop.pod("web-c", ips=(), annotation=value)
    result = run_module("fip", shop.args(floating_ips=[FIP6, FIP], wait=False))
    view = result["fip"]
    assert result["changed"] is False and view["rollout"] == dict(needed=False, started=False, reason=None, outdated_pods=[])
    assert view["addresses"] == [
        dict(pod="web-a", node=None, phase="Running", pod_ips=[POD_IP, POD_IP6], floating_ips=[FIP6, FIP], up_to_date=True,
             ip_nats=[dict(internal_ip=POD_IP6, external_ip=FIP6), dict(internal_ip=POD_IP, external_ip=FIP)]),
        # An address without a pod IP of its family has no NAT: Calico skips it.
        dict(pod="web-b", node=None, phase="Running", pod_ips=["10.244.1.6"], floating_ips=[FIP6, FIP], up_to_date=True,
             ip_nats=[dict(internal_ip="10.244.1.6", external_ip=FIP)]),
        dict(pod="web-c", node=None, phase="Pending", pod_ips=[], floating_ips=[FIP6, FIP], up_to_date=True, ip_nats=[]),
    ]
    assert view["preflight"]["ipv6_support"]["result"] == "ok"
    assert view["preflight"]["ip_pools"]["pools"] == {FIP: "fip-v4", FIP6: "fip-v6"}
    assert view["preflight"]["ip_family"]["families"] == ["IPv4", "IPv6"]
    # Three pods of a Deployment that wants one: the pods of the selector are its pods, all with the addresses.
    assert view["preflight"]["in_use"]["result"] == "ok"


# -- rollouts -----------------------------------------------------------------------------------


def test_rollout_started_and_waited_for(kube, cluster):
    kube.namespace(NAMESPACE)
    shop = Shop(kube, cluster)
    shop.deployment("api", paused=False, account=NO_ACCOUNT)  # no pod can be created: none ever exists
    planned = run_module("fip", shop.args(name="api", wait=False), check=True)
    assert planned["fip"]["rollout"] == dict(needed=True, started=True, reason=None, outdated_pods=[])
    assert planned["fip"]["preflight"]["ip_family"]["result"] == "unverified"
    assert any(w.startswith("ip_family: no pod of the target has an IP yet") for w in planned["fip"]["warnings"])
    failed = fails(shop.args(name="api", wait=True, wait_timeout=1, wait_sleep=0.2))
    assert failed["msg"].startswith("gave up waiting 1 seconds for the pods of apps/v1 Deployment calico-shop/api to carry "
                                    "the declared pod template: "), failed["msg"]
    assert shop.template_annotation("api") == '["%s"]' % FIP, "the write happens before the wait"


@pytest.mark.parametrize("update,partition,started,reason", [
    ("OnDelete", None, False, "StatefulSet db has updateStrategy OnDelete: each pod gets the new template only when it is deleted"),
    ("RollingUpdate", 1, False, "StatefulSet db has a rolling update partition of 1: only pods with an ordinal of 1 or more "
                                "are replaced"),
    ("RollingUpdate", None, True, None),
])
def test_statefulset_rollout(kube, cluster, update, partition, started, reason):
    kube.namespace(NAMESPACE)
    shop = Shop(kube, cluster)
    shop.statefulset("db", update=update, partition=partition)
    result = run_module("fip", shop.args(kind="StatefulSet", name="db", wait=False))
    assert result["commands"] == ["patch apps/v1 StatefulSet {0}/db: spec.template.metadata.annotations[{1}]=[\"{2}\"]".format(
        NAMESPACE, ANNOTATION, FIP)]
    assert result["fip"]["rollout"] == dict(needed=True, started=started, reason=reason, outdated_pods=[])


def test_bare_pod_is_taken_at_creation_only(kube, cluster):
    kube.namespace(NAMESPACE)
    shop = Shop(kube, cluster)
    shop.pod("solo", app="solo", ips=(), annotation='["%s", "%s"]' % (FIP2, FIP))
    shop.pod("plain", app="plain")
    before = shop.state()
    same = shop.args(kind="Pod", name="solo", floating_ips=[FIP, FIP2], wait=False)
    result = run_module("fip", same)
    assert result["changed"] is False and result["commands"] == []
    assert result["fip"]["rollout"] == dict(needed=False, started=False, reason=None, outdated_pods=[])
    assert result["fip"]["addresses"][0]["floating_ips"] == [FIP, FIP2]

    for args, message in (
        (shop.args(kind="Pod", name="solo", floating_ips=[FIP]),
         "target.name: 'solo' is a Pod that exists, and Calico reads cni.projectcalico.org/floatingIPs only when it sets up "
         "a pod's network (a running pod does not change officially, calico#5198); it would need "
         "metadata.annotations[cni.projectcalico.org/floatingIPs]=[\"203.0.113.10\"]. Delete the Pod and create it again"),
        (shop.args(kind="Pod", name="solo", state="absent", floating_ips=None),
         "target.name: 'solo' is a Pod that exists, and Calico reads"),
        (shop.args(kind="Pod", name="plain", floating_ips=[FIP]), "target.name: 'plain' is a Pod that exists"),
        (shop.args(kind="Pod", name="later", floating_ips=[FIP]),
         "target.name: 'later' is not a Pod in namespace calico-shop: Calico reads cni.projectcalico.org/floatingIPs only "
         "when it sets up a pod's network (a running pod does not change officially, calico#5198): create it with "
         "metadata.annotations[cni.projectcalico.org/floatingIPs]=[\"203.0.113.10\"]"),
    ):
        for check in (True, False):
            assert fails(args, check=check)["msg"].startswith(message)
    assert run_module("fip", shop.args(kind="Pod", name="plain", state="absent", floating_ips=None))["changed"] is False
    assert shop.state() == before

    # Waiting for a bare Pod is waiting for its IP, which the kubelet writes.
    waiting = dict(same, wait=True, wait_timeout=1, wait_sleep=0.2)
    assert fails(waiting)["msg"].endswith("pod solo has no IP yet (phase Pending)")
    shop.pod_ips("solo", (POD_IP,))
    waited = run_module("fip", waiting)
    assert waited["fip"]["addresses"][0]["ip_nats"] == [dict(internal_ip=POD_IP, external_ip=FIP),
                                                        dict(internal_ip=POD_IP, external_ip=FIP2)]


def test_missing_workload(kube, cluster):
    kube.namespace(NAMESPACE)
    shop = Shop(kube, cluster)
    failed = fails(shop.args(name="nothing"), check=True)
    assert failed["msg"] == ("target.name: 'nothing' is not a Deployment in namespace calico-shop: this module changes the "
                             "pod template of an existing workload and never creates one")
    assert failed["field"] == "target.name"
    gone = run_module("fip", shop.args(name="nothing", state="absent", floating_ips=None))
    assert gone["changed"] is False and gone["fip"]["replicas"] is None
    assert "target: apps/v1 Deployment calico-shop/nothing does not exist; nothing to remove" in gone["fip"]["warnings"]


# -- the preflight ---------------------------------------------------------------------------------


def _other_deployment(cluster, shop):
    shop.deployment("shop-front", namespace=OTHER_NAMESPACE, annotation='["%s"]' % FIP)


def _other_pod(cluster, shop):
    shop.pod("front-0", app="front", ips=("10.244.9.9",), annotation='["198.51.100.1","%s"]' % FIP, namespace=OTHER_NAMESPACE)


def _no_ipv6(cluster, shop):
    cluster.calico_node(CALICO_NETWORKING_BACKEND="bird")  # no FELIX_IPV6SUPPORT: FelixConfiguration decides
    cluster.felix(floatingIPs="Enabled", ipv6Support=False)
    shop.pod_ips("web-manual", (POD_IP, POD_IP6))


def _pod_with_the_address(cluster, shop):
    shop.pod("squatter", app="squatter", ips=(FIP,), namespace=OTHER_NAMESPACE)


REFUSALS = [
    ("installation", lambda c, s: c.installation(), {},
     "installation: Calico is managed by the Tigera operator (Installation default), and operator-managed Calico does not "
     "support floating IPs for pods"),
    ("cni_gate", lambda c, s: c.cni(cni_config(floating_ips=None)), {},
     "cni_gate: feature_control.floating_ips is not true in the calico plugin of ConfigMap kube-system/calico-config key "
     "cni_network_config: the CNI plugin would fail the pod's sandbox (requested feature is not enabled: floating_ips)"),
    ("cni_gate", lambda c, s: c.cni(cni_config(floating_ips=False)), {}, "cni_gate: feature_control.floating_ips is not true"),
    ("felix_gate", lambda c, s: c.felix(floatingIPs="Disabled"), {},
     "felix_gate: floatingIPs is Disabled (FelixConfiguration default spec.floatingIPs): Felix programs no floating-IP NAT; "
     "set spec.floatingIPs: Enabled in FelixConfiguration default (Calico 3.23 and later)"),
    ("felix_gate", lambda c, s: c.felix(), {},
     "felix_gate: floatingIPs is Disabled (Felix's built-in default, as it is set nowhere)"),
    ("felix_gate", lambda c, s: c.calico_node(CALICO_NETWORKING_BACKEND="bird", FELIX_FLOATINGIPS="Disabled"), {},
     "felix_gate: floatingIPs is Disabled (the FELIX_FLOATINGIPS environment variable of DaemonSet kube-system/calico-node)"),
    ("dataplane", lambda c, s: c.felix(floatingIPs="Enabled", bpfEnabled=True), {},
     "dataplane: bpfEnabled is true (FelixConfiguration default spec.bpfEnabled): the eBPF dataplane does not implement "
     "floating IPs (calico#5251)"),
    ("ipv6_support", _no_ipv6, dict(floating_ips=[FIP6]),
     "ipv6_support: ipv6Support is false (FelixConfiguration default spec.ipv6Support): Felix programs no IPv6 NAT, so an "
     "IPv6 floating IP does nothing"),
    ("routing", lambda c, s: c.calico_node(CALICO_NETWORKING_BACKEND="vxlan"), {},
     "routing: calico-node runs with CALICO_NETWORKING_BACKEND=vxlan: no BGP"),
    ("ip_pools", lambda c, s: None, dict(floating_ips=["198.51.100.7"]),
     "ip_pools: 198.51.100.7 is in no IPPool: Calico advertises a floating IP only inside an IP pool whose BGP export is on"),
    ("ip_pools", lambda c, s: c.pool("fip-v4", "203.0.113.0/24", disabled=True, disableBGPExport=True), {},
     "ip_pools: 203.0.113.10 (IPPool fip-v4) has disableBGPExport: true"),
    ("ip_pools", lambda c, s: c.pool("fip-narrow", "203.0.113.8/29", disableBGPExport=True), {},
     "ip_pools: 203.0.113.10 (IPPool fip-narrow) has disableBGPExport: true"),  # the most specific pool decides
    ("encapsulation", lambda c, s: c.pool("fip-v4", "203.0.113.0/24", disabled=True, vxlanMode="Always"), {},
     "encapsulation: 203.0.113.10 (IPPool fip-v4) has vxlanMode Always: Calico does not distribute floating-IP routes over VXLAN"),
    ("ip_family", lambda c, s: None, dict(floating_ips=[FIP6]),
     "ip_family: 2001:db8:100::10 is IPv6, and pod web-manual has only 10.244.1.5: Calico maps a floating IP to the pod's "
     "address of the same family"),
    ("replicas", lambda c, s: s.apps.patch_namespaced_deployment("web", NAMESPACE, {"spec": {"replicas": 2}}), {},
     "replicas: apps/v1 Deployment calico-shop/web has 2 replicas, and one pod template gives every replica the same floating "
     "IP; use one workload per address, or allow_shared=true"),
    ("in_use", _other_deployment, {},
     "in_use: 203.0.113.10 is the floating IP of Deployment calico-other/shop-front; Calico does not check this"),
    ("in_use", _other_pod, {}, "in_use: 203.0.113.10 is the floating IP of Pod calico-other/front-0"),
    ("in_use", _pod_with_the_address, dict(allow_shared=True), "in_use: 203.0.113.10 is the pod IP of Pod calico-other/squatter"),
]


@pytest.mark.parametrize("check_name,setup,override,message", REFUSALS, ids=["%s-%d" % (r[0], i) for i, r in enumerate(REFUSALS)])
def test_preflight_refusals_write_nothing(kube, shop, check_name, setup, override, message):
    kube.namespace(OTHER_NAMESPACE)
    setup(shop.cluster, shop)
    before = shop.state()
    for check in (True, False):
        failed = fails(shop.args(**override), check=check)
        assert failed["msg"].startswith("the floating IPs of apps/v1 Deployment calico-shop/web would not work, so nothing was "
                                        "written; "), failed["msg"]
        assert message in failed["msg"], failed["msg"]
        assert check_name in failed["refused"] and failed["preflight"][check_name]["result"] == "refused"
    assert shop.state() == before


WARNINGS = [
    ("cni_gate", lambda c, s: c.delete_system("configmaps", "calico-config"), {},
     "cni_gate: ConfigMap kube-system/calico-config does not exist, so the CNI plugin's feature_control.floating_ips cannot be "
     "verified"),
    ("cni_gate", lambda c, s: c.cni(None), {}, "cni_gate: ConfigMap kube-system/calico-config has no key cni_network_config"),
    ("routing", lambda c, s: c.delete_system("daemonsets", "calico-node"), {},
     "routing: DaemonSet kube-system/calico-node does not exist, so whether calico-node runs BGP"),
    ("routing", lambda c, s: c.calico_node(CALICO_NETWORKING_BACKEND="none"), {},
     "routing: calico-node runs with CALICO_NETWORKING_BACKEND=none"),
    ("felix_gate", lambda c, s: c.calico_node(FELIX_FLOATINGIPS={"configMapKeyRef": {"name": "x", "key": "y"}}), {},
     "felix_gate: the FELIX_FLOATINGIPS environment variable of DaemonSet kube-system/calico-node is set from a reference"),
    ("felix_gate", lambda c, s: c.felix("node.worker-7", floatingIPs="Disabled"), {},
     "felix_gate: floatingIPs is Enabled (FelixConfiguration default spec.floatingIPs), but FelixConfiguration overrides it "
     "on node(s) worker-7: pods there get no floating-IP NAT"),
    ("ip_pools", lambda c, s: c.pool("fip-v4", "203.0.113.0/24"), {},
     "ip_pools: 203.0.113.10 (IPPool fip-v4) is enabled for automatic assignment, so Calico IPAM may give the same address"),
    ("encapsulation", lambda c, s: c.pool("fip-v4", "203.0.113.0/24", disabled=True, vxlanMode="CrossSubnet"), {},
     "encapsulation: 203.0.113.10 (IPPool fip-v4) has vxlanMode CrossSubnet"),
    ("replicas", lambda c, s: s.apps.patch_namespaced_deployment("web", NAMESPACE, {"spec": {"replicas": 2}}),
     dict(allow_shared=True), "replicas: apps/v1 Deployment calico-shop/web has 2 replicas"),
    ("replicas", lambda c, s: s.apps.patch_namespaced_deployment(
        "web", NAMESPACE, {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}), {},
     "replicas: Deployment web rolls out with maxSurge 1: during a rollout the old and the new pod carry the floating IP"),
    ("in_use", _other_deployment, dict(allow_shared=True),
     "in_use: 203.0.113.10 is the floating IP of Deployment calico-other/shop-front (allow_shared)"),
    ("ip_pools", lambda c, s: None, dict(floating_ips=["198.51.100.7"], require_ip_pool=False), None),
    ("felix_gate", lambda c, s: c.felix(floatingIPs="Disabled", bpfEnabled=True), dict(check_cluster=False), None),
]


@pytest.mark.parametrize("check_name,setup,override,message", WARNINGS, ids=["%s-%d" % (w[0], i) for i, w in enumerate(WARNINGS)])
def test_preflight_warnings_let_it_through(kube, shop, check_name, setup, override, message):
    kube.namespace(OTHER_NAMESPACE)
    setup(shop.cluster, shop)
    result = run_module("fip", shop.args(wait=False, **override))
    assert result["changed"] is True and shop.template_annotation() is not None
    entry = result["fip"]["preflight"][check_name]
    if message is None:  # the check is switched off
        assert entry["result"] == "skipped", entry
        if override.get("check_cluster") is False:
            assert all(result["fip"]["preflight"][name]["result"] == "skipped"
                       for name in ("installation", "cni_gate", "felix_gate", "dataplane", "routing", "encapsulation"))
        return
    assert entry["result"] in ("warning", "unverified"), entry
    assert any(warning.startswith(message) for warning in result["fip"]["warnings"]), result["fip"]["warnings"]


@pytest.mark.parametrize("default,on_node,result,message", [
    ("Enabled", "Disabled", "refused",
     "felix_gate: floatingIPs is Disabled on node worker-7 of the target's pods (FelixConfiguration node.worker-7 "
     "spec.floatingIPs): Felix programs no floating-IP NAT"),
    ("Disabled", "Enabled", "warning",
     "felix_gate: floatingIPs is Disabled (FelixConfiguration default spec.floatingIPs) and only the nodes of the target's "
     "current pods (worker-7) override it: pods the rollout places elsewhere get no floating-IP NAT"),
])
def test_felix_gate_on_the_nodes_of_the_pods(kube, cluster, default, on_node, result, message):
    """Felix's precedence: a FelixConfiguration node.<node> overrides default on that node."""
    kube.namespace(NAMESPACE)
    shop = Shop(kube, cluster)
    shop.deployment("web")
    shop.pod("web-on-7", node="worker-7")
    cluster.felix(floatingIPs=default)
    cluster.felix("node.worker-7", floatingIPs=on_node)
    if result == "refused":
        failed = fails(shop.args(wait=False), check=True)
        assert message in failed["msg"] and failed["preflight"]["felix_gate"]["source"] == \
            "FelixConfiguration node.worker-7 spec.floatingIPs", failed["msg"]
        return
    view = run_module("fip", shop.args(wait=False), check=True)["fip"]
    assert view["preflight"]["felix_gate"]["result"] == "warning" and message in view["warnings"], view["warnings"]
    assert view["addresses"][0]["node"] == "worker-7"


def test_felix_gate_without_daemonset_says_what_was_not_read(shop):
    shop.cluster.delete_system("daemonsets", "calico-node")
    view = run_module("fip", shop.args(wait=False), check=True)["fip"]
    assert view["preflight"]["felix_gate"]["detail"] == (
        "floatingIPs is Enabled (FelixConfiguration default spec.floatingIPs); DaemonSet kube-system/calico-node does not "
        "exist, and its FELIX_FLOATINGIPS would take precedence")


# -- bad input -----------------------------------------------------------------------------------


BAD_INPUT = [
    (dict(floating_ips=["203.0.113.0/24"]), "floating_ips[0]",
     "floating_ips[0]: '203.0.113.0/24' is a CIDR; Calico takes plain addresses and silently drops anything else"),
    (dict(floating_ips=[FIP, "fip"]), "floating_ips[1]", "floating_ips[1]: 'fip' is not an IP address"),
    (dict(floating_ips=["127.0.0.1"]), "floating_ips[0]", "floating_ips[0]: '127.0.0.1' cannot be a floating IP"),
    (dict(floating_ips=["fe80::1%eth0"]), "floating_ips[0]", "floating_ips[0]: 'fe80::1%eth0' has a zone index"),
    (dict(floating_ips=["::ffff:203.0.113.10"]), "floating_ips[0]",
     "floating_ips[0]: '::ffff:203.0.113.10' is an IPv4-mapped IPv6 address; give the IPv4 address 203.0.113.10"),
    (dict(floating_ips=[]), "floating_ips", "floating_ips: [] needs at least one address (state=absent removes them)"),
    (dict(floating_ips=None), "floating_ips", "floating_ips: None needs at least one address"),
    (dict(state="absent"), "floating_ips", "floating_ips: ['203.0.113.10'] is not needed with state=absent"),
    (dict(namespace="Shop"), "namespace", "namespace: 'Shop' is not a valid name"),
    (dict(namespace=None), "namespace", "namespace: None is required: the namespace of the target workload"),
    (dict(target=dict(kind="deployment", name="web")), "target.kind", "target.kind: 'deployment' is not a kind"),
    (dict(target=dict(kind="CloneSet", name="web")), "target.kind",
     "target.kind: 'CloneSet' needs target.api_version: only Deployment, Pod, StatefulSet are known without it"),
    (dict(target=dict(kind="CloneSet", name="web", api_version="apps.kruise.io/v1alpha1")), "target.kind",
     "target.kind: 'CloneSet' is not a kind the API server serves in apps.kruise.io/v1alpha1 (target.api_version)"),
    (dict(target=dict(kind="Pod", name="web", api_version="apps/v1")), "target.api_version",
     "target.api_version: 'apps/v1' is not the API version of a Pod (v1)"),
    (dict(target=dict(kind="Deployment", name="web", api_version="apps v1")), "target.api_version",
     "target.api_version: 'apps v1' is not an API version like apps/v1"),
    (dict(target=dict(kind="Deployment", name="Web_1")), "target.name", "target.name: 'Web_1' is not a valid object name"),
    (dict(organization="acme"), "organization", "organization: 'acme' applies to platforms ovn and kube_dc; on calico"),
    (dict(ip_address="10.0.0.10"), "ip_address", "ip_address: '10.0.0.10' applies to platforms ovn and kube_dc"),
    (dict(eip="web"), "eip", "eip: 'web' applies to platforms ovn and kube_dc"),
    (dict(repair_stale_nat=True), "repair_stale_nat", "repair_stale_nat: True applies to platforms ovn and kube_dc"),
    (dict(verify_ovn=True), "verify_ovn", "verify_ovn: True applies to platforms ovn and kube_dc"),
]


@pytest.mark.parametrize("override,field,message", BAD_INPUT, ids=[b[1] + "-%d" % i for i, b in enumerate(BAD_INPUT)])
def test_bad_input_names_the_field_and_writes_nothing(shop, override, field, message):
    before = shop.state()
    for check in (True, False):
        failed = fails(shop.args(**override), check=check)
        assert failed["msg"].startswith(message), failed["msg"]
        assert failed["field"] == field
    assert shop.state() == before


@pytest.mark.parametrize("platform,option,value", [
    ("ovn", "floating_ips", [FIP]),
    ("ovn", "target", dict(kind="Deployment", name="web")),
    ("kube_dc", "namespace", NAMESPACE),
    ("kube_dc", "require_ip_pool", False),
    ("kube_dc", "check_cluster", True),
    ("ovn", "allow_shared", False),
])
def test_calico_options_refused_on_other_platforms(platform, option, value):
    args = dict(platform=platform, organization="acme", project="prod", name="bastion", ip_address="10.0.0.10")
    args[option] = value
    with pytest.raises(ModuleFailed) as failed:
        run_module("fip", args)
    assert failed.value.result["msg"].startswith("{0}: ".format(option))
    assert failed.value.result["msg"].endswith(" applies to platform calico only")
    assert failed.value.result["field"] == option

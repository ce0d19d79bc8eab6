# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for Alibaba Cloud's ack-extend-network-controller (its EIP part), for tests.

The real controller is closed source and needs Alibaba Cloud; this plays the part the eip module
can observe (docs/calico-ack.md, ACK section; /work/shared/reference/platform-calico-ack.md §2),
through the official ``kubernetes`` client, so it runs against the API-server double and a real
kube-apiserver alike.  It polls (the double has no watch) the Pods of the namespaces it is given:

* A Pod that asks for an EIP -- ``pod-with-eip: "true"`` or ``pod-eip-instanceid`` under either
  prefix (``k8s.aliyun.com/``, ``network.alibabacloud.com/``) -- and has a pod IP gets a
  ``PodEIP`` (``alibabacloud.com/v1beta1``) of its own name: ``spec.allocationID`` (the instance
  ID for Static, else a new ``eip-...``), ``spec.allocationType`` (``Static``/``Auto``; the
  release strategy ``Follow``, ``Never``, or ``TTL`` with ``releaseAfter``), finalizer
  ``podeip-controller.alibabacloud.com/finalizer``, and a status: ``eipAddress`` (the lowest free
  address of ``pool``, or ``static_addresses[id]``), ``status: InUse``, ``privateIPAddress`` = the
  pod IP, an ENI, ``podLastSeen`` and the creation parameters (ISP, charge type, ...).  A PodEIP
  that is already there (a StatefulSet pod recreated under its name within its TTL) is re-bound
  to the new pod IP with the same address.
* ``pod_annotation=True`` also writes the pod annotation ``k8s.aliyun.com/allocated-eipAddress``;
  ``podeips=False`` writes ONLY that annotation and no PodEIP (legacy Terway's only signal).
* A Pod with the readiness gate ``k8s.aliyun.com/eip`` gets the condition ``k8s.aliyun.com/eip``
  ``True`` (reason ``Associate eip succeed``) once its EIP is bound.
* When the Pod is gone: ``Follow`` deletes the PodEIP, ``TTL`` unbinds it (``status: Available``)
  and deletes it ``releaseAfter`` after ``podLastSeen``, ``Never`` unbinds and keeps it.  A PodEIP
  someone deletes loses its finalizer (the EIP is released or, Static, detached).

``hold`` (a set of pod names) makes it leave those pods alone: the EIP is "still being attached".

    controller = AckEipController(kube.api_client, ["ns1"]).start()   # or reconcile_once() / settle()
    ...
    controller.shutdown()   # drops its finalizers, stops; controller.errors lists what went wrong

What it does not model: the Alibaba Cloud API (quotas, RAM, bandwidth packages, billing), events,
ECI/virtual nodes, ``customStatefulWorkloadKinds`` (the strategy is taken from the pod as given),
the legacy Terway CNI path (sandbox failures).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import logging
import re
import threading
import time
import traceback

from polling_controller import PollingController, api_client_of

LOG = logging.getLogger("ack_controller")

GROUP = "alibabacloud.com"
VERSION = "v1beta1"
PLURAL = "podeips"
FINALIZER = "podeip-controller.alibabacloud.com/finalizer"
CONTROLLER_MARK = "k8s.aliyun.com/eip-controller"
CONTROLLER_NAME = "ack-extend-network-controller"
PREFIXES = ("k8s.aliyun.com/", "network.alibabacloud.com/")
ALLOCATED = "k8s.aliyun.com/allocated-eipAddress"
GATE = "k8s.aliyun.com/eip"
# The marker of the tests' own CRD (tests/crds/ack-podeip.yaml).
TEST_CRD_ANNOTATION = "kubedc.network/test-crd"
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(text):
    """A Go duration (``10m``, ``1h30m``, ``5m0s``) in seconds."""
    return sum(float(number) * _UNIT[unit] for number, unit in _DURATION.findall(text))


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def _api_exception():
    from kubernetes.client.exceptions import ApiException
    return ApiException


def eip_request(annotations):
    """The EIP a pod's annotations ask for, as a dict of annotation suffix -> value, or None.

    The first prefix that says anything wins (the real controller's precedence is not published;
    the module never writes both)."""
    for prefix in PREFIXES:
        found = {key[len(prefix):]: value for key, value in (annotations or {}).items() if key.startswith(prefix)}
        if found.get("pod-with-eip") == "true" or found.get("pod-eip-instanceid"):
            return found
    return None


def allocation_type(request):
    """``spec.allocationType`` of the PodEIP for a request."""
    strategy = request.get("pod-eip-release-strategy") or "Follow"
    kind = "Static" if request.get("pod-eip-instanceid") else "Auto"
    if strategy in ("Follow", "Never"):
        return {"type": kind, "releaseStrategy": strategy}
    return {"type": kind, "releaseStrategy": "TTL", "releaseAfter": strategy}


class AckEipController(PollingController):
    """See the module docstring."""

    thread_name = "ack-eip-controller"
    settle_passes = 20

    def __init__(self, api_client, namespaces, *, pool="203.0.113.0/24", static_addresses=None, interval=0.1,
                 pod_annotation=False, podeips=True):
        from kubernetes import client

        super().__init__(interval)
        api_client = api_client_of(api_client)
        self.api = api_client
        self.core = client.CoreV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.namespaces = list(namespaces)
        self.pool = ipaddress.ip_network(pool)
        self.static_addresses = dict(static_addresses or {})
        self.pod_annotation = pod_annotation
        self.podeips = podeips
        self.hold = set()
        self.errors = []
        self.writes = 0
        self._lock = threading.RLock()

    # ------------------------------------------------------------------------------------------- lifecycle

    def shutdown(self):
        """Stop, and drop its finalizers so that the test's namespaces can go."""
        self.stop()
        with self._lock:
            for ns in self.namespaces:
                for podeip in self._podeips(ns):
                    if FINALIZER in (podeip["metadata"].get("finalizers") or []):
                        self._ignore_missing(self.custom.patch_namespaced_custom_object, GROUP, VERSION, ns, PLURAL,
                                             podeip["metadata"]["name"], {"metadata": {"finalizers": None}})

    # ---------------------------------------------------------------------------------------------- a pass

    def reconcile_once(self):
        """One pass over every namespace; returns the number of writes it made."""
        with self._lock:
            before = self.writes
            for ns in self.namespaces:
                try:
                    self._namespace(ns)
                except Exception as exc:  # pylint: disable=broad-except
                    if isinstance(exc, _api_exception()) and exc.status in (404, 409):
                        continue  # gone or changed meanwhile: the next pass sees it
                    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                    LOG.error("ack eip controller: %s", text)
                    self.errors.append(text)
            return self.writes - before

    def _namespace(self, ns):
        pods = {p["metadata"]["name"]: p for p in self._plain(self.core.list_namespaced_pod(ns)).get("items", [])}
        podeips = {o["metadata"]["name"]: o for o in self._podeips(ns)} if self.podeips else {}
        for name, podeip in sorted(podeips.items()):
            if podeip["metadata"].get("deletionTimestamp"):
                self._release(ns, podeip)
                continue
            pod = pods.get(name)
            if pod is None or pod["metadata"].get("deletionTimestamp") or eip_request(pod["metadata"].get("annotations")) is None:
                self._pod_gone(ns, podeip)
        for name, pod in sorted(pods.items()):
            if name in self.hold or pod["metadata"].get("deletionTimestamp"):
                continue
            request = eip_request(pod["metadata"].get("annotations"))
            pod_ip = (pod.get("status") or {}).get("podIP")
            if request is None or not pod_ip:
                continue
            if self.podeips:
                podeip = podeips.get(name)
                if podeip is not None and podeip["metadata"].get("deletionTimestamp"):
                    continue
                address = self._bind(ns, pod, request, podeip, podeips)
            else:
                address = (pod["metadata"].get("annotations") or {}).get(ALLOCATED) or self._address_for(
                    request, {a for a in self._annotated_addresses(pods) if a}, ns, name)
            self._pod_side(ns, pod, address)

    # --------------------------------------------------------------------------------------------- PodEIPs

    def _podeips(self, ns):
        try:
            return self.custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL).get("items", [])
        except _api_exception() as exc:
            if exc.status == 404:
                return []
            raise

    def _annotated_addresses(self, pods):
        return [(p["metadata"].get("annotations") or {}).get(ALLOCATED) for p in pods.values()]

    def _address_for(self, request, used, ns, pod_name):
        instance = request.get("pod-eip-instanceid")
        if instance and instance in self.static_addresses:
            return self.static_addresses[instance]
        for host in self.pool.hosts():
            if str(host) not in used:
                return str(host)
        raise RuntimeError("the test EIP pool %s is exhausted (pod %s/%s)" % (self.pool, ns, pod_name))

    def _bind(self, ns, pod, request, podeip, podeips):
        """Create or re-bind the pod's PodEIP; returns its address."""
        name, pod_ip = pod["metadata"]["name"], pod["status"]["podIP"]
        if podeip is None:
            used = {(o.get("status") or {}).get("eipAddress") for o in podeips.values()}
            instance = request.get("pod-eip-instanceid")
            allocation = instance or "eip-auto%s" % hashlib.sha1(("%s/%s/%s" % (ns, name, pod["metadata"].get("uid"))).encode()).hexdigest()[:16]
            spec = {"allocationID": allocation, "allocationType": allocation_type(request)}
            if request.get("eip-common-bandwidth-package-id"):
                spec["bandwidthPackageID"] = request["eip-common-bandwidth-package-id"]
            body = {"apiVersion": "%s/%s" % (GROUP, VERSION), "kind": "PodEIP",
                    "metadata": {"name": name, "namespace": ns, "finalizers": [FINALIZER],
                                 "annotations": {CONTROLLER_MARK: CONTROLLER_NAME}},
                    "spec": spec}
            self.writes += 1
            podeip = self.custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body)
            podeips[name] = podeip
            address = self._address_for(request, used, ns, name)
        else:
            address = (podeip.get("status") or {}).get("eipAddress")
            if not address:
                used = {(o.get("status") or {}).get("eipAddress") for o in podeips.values() if o is not podeip}
                address = self._address_for(request, used, ns, name)
        status = {
            "eipAddress": address,
            "status": "InUse",
            "privateIPAddress": pod_ip,
            "networkInterfaceID": "eni-%s" % hashlib.sha1(("%s/%s" % (ns, name)).encode()).hexdigest()[:17],
            "isp": request.get("eip-isp") or "BGP",
            "internetChargeType": request.get("eip-internet-charge-type") or "PayByTraffic",
            "resourceGroupID": request.get("eip-resource-group-id") or "",
            "name": request.get("eip-name") or "",
            "publicIpAddressPoolID": request.get("eip-public-ip-address-pool-id") or "",
            "bandwidthPackageID": request.get("eip-common-bandwidth-package-id") or "",
        }
        current = podeip.get("status") or {}
        if any(current.get(k) != v for k, v in status.items()) or not current.get("podLastSeen"):
            status["podLastSeen"] = _stamp(_now())
            podeips[name] = self._patch_status(ns, name, status)
        return address

    def _pod_gone(self, ns, podeip):
        """The pod of a PodEIP is gone (or no longer asks for an EIP): its release strategy decides."""
        name = podeip["metadata"]["name"]
        kind = podeip.get("spec", {}).get("allocationType") or {}
        strategy = kind.get("releaseStrategy") or "Follow"
        status = podeip.get("status") or {}
        if strategy == "Follow":
            self.writes += 1
            self._ignore_missing(self.custom.delete_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, name)
            return
        if status.get("status") != "Available" or status.get("privateIPAddress"):
            # Unbound now; a TTL counts from here, the last time the pod was seen.
            self._patch_status(ns, name, {"status": "Available", "privateIPAddress": "", "networkInterfaceID": "",
                                          "podLastSeen": _stamp(_now())})
            return
        if strategy == "TTL":
            seen = status.get("podLastSeen")
            after = duration_seconds(kind.get("releaseAfter") or "0s")
            if not seen or (_now() - _parse_stamp(seen)).total_seconds() >= after:
                self.writes += 1
                self._ignore_missing(self.custom.delete_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, name)

    def _release(self, ns, podeip):
        """A PodEIP being deleted: release (Auto) or detach (Static) the EIP, then drop the finalizer."""
        if FINALIZER in (podeip["metadata"].get("finalizers") or []):
            self.writes += 1
            rest = [f for f in podeip["metadata"]["finalizers"] if f != FINALIZER]
            self._ignore_missing(self.custom.patch_namespaced_custom_object, GROUP, VERSION, ns, PLURAL,
                                 podeip["metadata"]["name"], {"metadata": {"finalizers": rest or None}})

    def _patch_status(self, ns, name, status):
        self.writes += 1
        return self.custom.patch_namespaced_custom_object_status(GROUP, VERSION, ns, PLURAL, name, {"status": status})

    # ------------------------------------------------------------------------------------------------ Pods

    def _pod_side(self, ns, pod, address):
        """The pod annotation (when asked to write it) and the readiness condition (when gated)."""
        name = pod["metadata"]["name"]
        annotations = pod["metadata"].get("annotations") or {}
        if (self.pod_annotation or not self.podeips) and annotations.get(ALLOCATED) != address:
            self.writes += 1
            self.core.patch_namespaced_pod(name, ns, {"metadata": {"annotations": {ALLOCATED: address}}})
        gated = any(g.get("conditionType") == GATE for g in (pod.get("spec") or {}).get("readinessGates") or [])
        condition = next((c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == GATE), None)
        if gated and (condition is None or condition.get("status") != "True"):
            self.writes += 1
            self.core.patch_namespaced_pod_status(name, ns, {"status": {"conditions": [
                {"type": GATE, "status": "True", "reason": "Associate eip succeed", "lastTransitionTime": _stamp(_now())}]}})

    # --------------------------------------------------------------------------------------------- helpers

    def _plain(self, obj):
        return self.api.sanitize_for_serialization(obj) if obj is not None and not isinstance(obj, dict) else (obj or {})


def real_ack_reason(kube):
    """Why the fixture controller must not run on this server (a real PodEIP CRD there), or None."""
    if not kube.is_real:
        return None
    from kubernetes import client

    try:
        found = client.ApiextensionsV1Api(kube.api_client()).read_custom_resource_definition("%s.%s" % (PLURAL, GROUP))
    except _api_exception() as exc:
        if exc.status == 404:
            return None
        raise
    if (found.metadata.annotations or {}).get(TEST_CRD_ANNOTATION) != "true":
        return "a real ack-extend-network-controller's PodEIP CRD is installed on this cluster"
    return None


def wait_for(predicate, timeout=30.0, interval=0.05, what="the ACK EIP controller"):
    """Poll ``predicate`` until it is true (for tests that run the controller in its thread)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)

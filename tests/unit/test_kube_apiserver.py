# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes API behaviour the collection relies on, through the official client only.

These run against tools/kube_apiserver.py by default and unchanged against a real kube-apiserver
when KUBEDC_TEST_KUBECONFIG is set, so they pin the double to the real server: where the two may
legitimately differ in a detail, only what both do is asserted.
"""

import copy
import json
import time
import uuid

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kube_support import wait_until

GROUP, VERSION = "kube-dc.com", "v1"


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def status_of(excinfo, code):
    """The Status body of an ApiException, checked to have the HTTP code and Kubernetes Status shape."""
    exc = excinfo.value
    assert exc.status == code, exc.body
    body = json.loads(exc.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == code
    return body


def causes(body):
    return {(c.get("field"), c.get("reason")) for c in body["details"]["causes"]}


@pytest.fixture
def api(kube):
    return kube.api_client()


@pytest.fixture
def ns(kube):
    return kube.namespace(unique("kas"))


@pytest.fixture
def custom(api):
    return client.CustomObjectsApi(api)


@pytest.fixture
def core(api):
    return client.CoreV1Api(api)


def eip(name, labels=None, **spec):
    body = {"apiVersion": "kube-dc.com/v1", "kind": "EIp", "metadata": {"name": name}, "spec": spec}
    if labels:
        body["metadata"]["labels"] = labels
    return body


def project(name, egress="cloud", **spec):
    spec = dict({"cidrBlock": "10.0.10.0/24", "egressNetworkType": egress}, **spec)
    return {"apiVersion": "kube-dc.com/v1", "kind": "Project", "metadata": {"name": name}, "spec": spec}


def fip(name, **spec):
    return {"apiVersion": "kube-dc.com/v1", "kind": "FIp", "metadata": {"name": name}, "spec": spec}


# --- discovery and CRDs


def test_discovery_shows_a_new_crd_with_its_names_and_status_subresource(kube, api):
    token = uuid.uuid4().hex[:8]
    group, plural, kind = "t%s.kubedc.example.com" % token, "widgets", "Widget"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "%s.%s" % (plural, group)},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"plural": plural, "singular": "widget", "kind": kind, "shortNames": ["wdg"]},
            "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                          "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                              "spec": {"type": "object", "properties": {"size": {"type": "integer", "minimum": 1}}},
                              "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}],
        },
    }
    ext = client.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition(crd)
    try:
        def established():
            conditions = ext.read_custom_resource_definition(crd["metadata"]["name"]).status.conditions or []
            return any(c.type == "Established" and c.status == "True" for c in conditions)
        wait_until(established, 60, "the CRD to be Established")

        groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
        assert groups[group].preferred_version.group_version == group + "/v1"

        def listed():
            try:
                return client.CustomObjectsApi(api).get_api_resources(group, "v1")
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        wait_until(lambda: listed() is not None, 60, "the group version to be served")
        resources = {r.name: r for r in listed().resources}
        assert resources[plural].kind == kind and resources[plural].namespaced is True
        assert resources[plural].singular_name == "widget" and resources[plural].short_names == ["wdg"]
        assert {"create", "get", "list", "patch", "update", "delete"} <= set(resources[plural].verbs)
        assert plural + "/status" in resources

        widgets = kube.dynamic().resources.get(api_version=group + "/v1", kind=kind)
        assert widgets.namespaced and widgets.name == plural and "status" in widgets.subresources
    finally:
        ext.delete_custom_resource_definition(crd["metadata"]["name"])

    def gone():
        try:
            ext.read_custom_resource_definition(crd["metadata"]["name"])
        except ApiException as exc:
            return exc.status == 404
        return False
    wait_until(gone, 60, "the CRD to be deleted")


def test_project_crds_are_installed_and_discoverable(kube):
    dyn = kube.dynamic()
    for kind, plural in (("Project", "projects"), ("EIp", "eips"), ("FIp", "fips")):
        resource = dyn.resources.get(api_version="kube-dc.com/v1", kind=kind)
        assert resource.name == plural and resource.namespaced and "status" in resource.subresources
    vmi = dyn.resources.get(api_version="kubevirt.io/v1", kind="VirtualMachineInstance")
    assert "vmi" in vmi.short_names and vmi.namespaced


def test_version_and_core_discovery(api):
    assert client.VersionApi(api).get_code().major == "1"
    resources = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert resources["namespaces"].namespaced is False and resources["pods"].namespaced is True
    assert "services/status" in resources and resources["services"].kind == "Service"


# --- custom objects: create, get, list, errors


def test_custom_objects_create_get_and_list_by_label_selector(custom, ns):
    for name, tier in (("web", "web"), ("db", "db"), ("plain", None)):
        created = custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips",
                                                         eip(name, {"tier": tier} if tier else None, externalNetworkType="cloud"))
        assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
        assert created["metadata"]["generation"] == 1 and created["metadata"]["namespace"] == ns
    got = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "eips", "web")
    assert got["spec"] == {"externalNetworkType": "cloud"} and got["kind"] == "EIp"

    def names(selector):
        items = custom.list_namespaced_custom_object(GROUP, VERSION, ns, "eips", label_selector=selector)["items"]
        return sorted(item["metadata"]["name"] for item in items)

    assert names("tier=web") == ["web"]
    assert names("tier==web") == ["web"]
    assert names("tier!=web") == ["db", "plain"]
    assert names("tier in (web,db)") == ["db", "web"]
    assert names("tier notin (web)") == ["db", "plain"]
    assert names("tier") == ["db", "web"]
    assert names("!tier") == ["plain"]
    assert names("tier=web,tier!=db") == ["web"]
    everywhere = custom.list_cluster_custom_object(GROUP, VERSION, "eips", label_selector="tier=web")["items"]
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere if i["metadata"]["namespace"] == ns] == [(ns, "web")]


def test_not_found_is_a_kubernetes_status(custom, core, ns):
    with pytest.raises(ApiException) as excinfo:
        custom.get_namespaced_custom_object(GROUP, VERSION, ns, "eips", "missing")
    body = status_of(excinfo, 404)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'eips.kube-dc.com "missing" not found'
    assert body["details"] == {"name": "missing", "group": "kube-dc.com", "kind": "eips"}

    with pytest.raises(ApiException) as excinfo:
        core.read_namespaced_config_map("missing", ns)
    body = status_of(excinfo, 404)
    assert body["message"] == 'configmaps "missing" not found' and body["details"]["kind"] == "configmaps"


def test_create_in_a_missing_namespace_is_not_found(core):
    missing = unique("nope")
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map(missing, {"metadata": {"name": "cm"}})
    body = status_of(excinfo, 404)
    assert body["message"] == 'namespaces "%s" not found' % missing


def test_create_twice_is_already_exists(custom, ns):
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips", eip("twice"))
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips", eip("twice"))
    body = status_of(excinfo, 409)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'eips.kube-dc.com "twice" already exists'
    assert body["details"]["name"] == "twice" and body["details"]["kind"] == "eips"


def test_generate_name(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "gen-"}, "data": {"a": "1"}})
    assert created.metadata.name.startswith("gen-") and len(created.metadata.name) > len("gen-")
    assert core.read_namespaced_config_map(created.metadata.name, ns).data == {"a": "1"}


def test_stale_resource_version_is_a_conflict(custom, ns):
    created = custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips", eip("rv", externalNetworkType="cloud"))
    first = json.loads(json.dumps(created))
    first["metadata"].setdefault("labels", {})["a"] = "1"
    updated = custom.replace_namespaced_custom_object(GROUP, VERSION, ns, "eips", "rv", first)
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    stale = json.loads(json.dumps(created))
    stale["metadata"].setdefault("labels", {})["a"] = "2"
    with pytest.raises(ApiException) as excinfo:
        custom.replace_namespaced_custom_object(GROUP, VERSION, ns, "eips", "rv", stale)
    body = status_of(excinfo, 409)
    assert body["reason"] == "Conflict"
    assert body["message"] == ('Operation cannot be fulfilled on eips.kube-dc.com "rv": the object has been modified; '
                               "please apply your changes to the latest version and try again")
    assert custom.get_namespaced_custom_object(GROUP, VERSION, ns, "eips", "rv")["metadata"]["labels"] == {"a": "1"}


def test_update_that_changes_nothing_keeps_the_resource_version(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "same"}, "data": {"a": "1"}})
    again = core.replace_namespaced_config_map("same", ns, created)
    assert again.metadata.resource_version == created.metadata.resource_version
    patched = core.patch_namespaced_config_map("same", ns, {"data": {"a": "1"}})
    assert patched.metadata.resource_version == created.metadata.resource_version


# --- validation: schema and CEL


def test_enum_and_required_fields_are_422(custom, ns):
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "projects", project("bad", egress="bogus"))
    body = status_of(excinfo, 422)
    assert body["reason"] == "Invalid"
    assert body["details"]["name"] == "bad" and body["details"]["group"] == "kube-dc.com" and body["details"]["kind"] == "Project"
    assert ("spec.egressNetworkType", "FieldValueNotSupported") in causes(body)
    assert body["message"].startswith('Project.kube-dc.com "bad" is invalid: ')
    assert 'spec.egressNetworkType: Unsupported value: "bogus": supported values: "public", "cloud"' in body["message"]

    no_cidr = project("nocidr")
    del no_cidr["spec"]["cidrBlock"]
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "projects", no_cidr)
    body = status_of(excinfo, 422)
    assert causes(body) == {("spec.cidrBlock", "FieldValueRequired")}
    assert body["message"] == 'Project.kube-dc.com "nocidr" is invalid: spec.cidrBlock: Required value'


def test_wrong_type_is_422(custom, ns):
    body = project("typed")
    body["spec"]["cidrBlock"] = 42
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "projects", body)
    assert ("spec.cidrBlock", "FieldValueTypeInvalid") in causes(status_of(excinfo, 422)) or \
        ("spec.cidrBlock", "FieldValueInvalid") in causes(status_of(excinfo, 422))


def test_cel_transition_rule_makes_egress_network_type_immutable(kube, custom, ns):
    kube.require("cel")
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, "projects", project("immut", egress="cloud"))
    # The same value is fine; the rule only compares old and new.
    custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "projects", "immut", {"spec": {"egressNetworkType": "cloud"}})
    with pytest.raises(ApiException) as excinfo:
        custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "projects", "immut", {"spec": {"egressNetworkType": "public"}})
    body = status_of(excinfo, 422)
    assert body["reason"] == "Invalid"
    assert ("spec.egressNetworkType", "FieldValueInvalid") in causes(body)
    assert 'spec.egressNetworkType: Invalid value: "string": egressNetworkType is immutable' in body["message"]
    got = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "projects", "immut")
    assert got["spec"]["egressNetworkType"] == "cloud"
    # Other fields still change.
    patched = custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "projects", "immut", {"spec": {"gwLanIp": "10.0.10.2"}})
    assert patched["spec"]["gwLanIp"] == "10.0.10.2" and patched["metadata"]["generation"] == 2


def test_cel_exclusivity_rules_of_fip(kube, custom, ns):
    kube.require("cel")
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "fips",
                                               fip("both", eip="web", externalNetworkType="cloud", ipAddress="10.0.0.5"))
    body = status_of(excinfo, 422)
    assert causes(body) == {("spec", "FieldValueInvalid")}
    assert body["message"] == ('FIp.kube-dc.com "both" is invalid: spec: Invalid value: "object": '
                               "eip and externalNetworkType cannot be set at the same time")

    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "fips", fip("none", eip="web"))
    assert "either ipAddress or vmTarget must be specified" in status_of(excinfo, 422)["message"]

    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "fips",
                                               fip("two", ipAddress="10.0.0.5", vmTarget={"vmName": "vm"}))
    assert "ipAddress and vmTarget cannot be set at the same time" in status_of(excinfo, 422)["message"]

    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "fips", fip("novm", vmTarget={"interfaceName": "eth0"}))
    assert ("spec.vmTarget.vmName", "FieldValueRequired") in causes(status_of(excinfo, 422))

    ok = custom.create_namespaced_custom_object(GROUP, VERSION, ns, "fips", fip("ok", eip="web", vmTarget={"vmName": "vm"}))
    assert ok["spec"] == {"eip": "web", "vmTarget": {"vmName": "vm"}}

    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips", eip("e2", externalNetworkType="cloud", childRef="x"))
    assert "externalNetworkType and childRef cannot be set at the same time" in status_of(excinfo, 422)["message"]


def test_unknown_fields_are_pruned(custom, ns):
    body = eip("pruned", externalNetworkType="cloud", bogus="x")
    created = custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips", body)
    assert created["spec"] == {"externalNetworkType": "cloud"}


def test_invalid_names_are_422(core, ns):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "Bad_Name"}})
    body = status_of(excinfo, 422)
    assert ("metadata.name", "FieldValueInvalid") in causes(body)
    assert body["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ')


def test_service_ports_are_validated(kube, ns):
    # The typed client would refuse this body itself: send it with the dynamic client.
    services = kube.dynamic().resources.get(api_version="v1", kind="Service")
    with pytest.raises(ApiException) as excinfo:
        services.create(namespace=ns, body={"apiVersion": "v1", "kind": "Service", "metadata": {"name": "noport"},
                                            "spec": {"ports": [{"name": "x"}]}})
    # A missing port is zero to the server: out of range, and so is the targetPort defaulted from it.
    assert {("spec.ports[0].port", "FieldValueInvalid"), ("spec.ports[0].targetPort", "FieldValueInvalid")} <= causes(status_of(excinfo, 422))
    with pytest.raises(ApiException) as excinfo:
        services.create(namespace=ns, body={"apiVersion": "v1", "kind": "Service", "metadata": {"name": "badproto"},
                                            "spec": {"ports": [{"port": 80, "protocol": "ICMP"}]}})
    assert ("spec.ports[0].protocol", "FieldValueNotSupported") in causes(status_of(excinfo, 422))


# --- patches


def test_merge_json_and_strategic_patches_on_a_service(core, ns):
    created = core.create_namespaced_service(ns, {
        "metadata": {"name": "web", "labels": {"app": "web", "drop": "me"}},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "selector": {"app": "web"}}})
    assert created.spec.cluster_ip and created.spec.type == "ClusterIP" and created.spec.ports[0].protocol == "TCP"

    merged = core.patch_namespaced_service("web", ns, {"metadata": {"labels": {"tier": "front", "drop": None}}},
                                           _content_type="application/merge-patch+json")
    assert merged.metadata.labels == {"app": "web", "tier": "front"}

    # Strategic merge: ports merge by their key (port) instead of replacing the list.
    strategic = core.patch_namespaced_service("web", ns, {"spec": {"ports": [{"name": "https", "port": 443, "targetPort": 8443}]}},
                                              _content_type="application/strategic-merge-patch+json")
    assert sorted(p.port for p in strategic.spec.ports) == [80, 443]
    # The same object as a merge patch replaces the list.
    replaced = core.patch_namespaced_service("web", ns, {"spec": {"ports": [{"name": "https", "port": 443, "targetPort": 8443}]}},
                                             _content_type="application/merge-patch+json")
    assert [p.port for p in replaced.spec.ports] == [443]
    # $patch: delete removes one item by key.
    deleted = core.patch_namespaced_service("web", ns, {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "$patch": "delete"}]}},
                                            _content_type="application/strategic-merge-patch+json")
    assert [p.port for p in deleted.spec.ports] == [80]

    ops = [{"op": "test", "path": "/metadata/labels/app", "value": "web"},
           {"op": "add", "path": "/metadata/labels/json", "value": "yes"},
           {"op": "replace", "path": "/spec/selector", "value": {"app": "web2"}},
           {"op": "remove", "path": "/metadata/labels/tier"}]
    patched = core.patch_namespaced_service("web", ns, ops, _content_type="application/json-patch+json")
    assert patched.metadata.labels == {"app": "web", "json": "yes"} and patched.spec.selector == {"app": "web2"}
    assert patched.spec.cluster_ip == created.spec.cluster_ip

    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_service("web", ns, [{"op": "test", "path": "/metadata/labels/app", "value": "nope"},
                                                  {"op": "add", "path": "/metadata/labels/never", "value": "x"}],
                                      _content_type="application/json-patch+json")
    status_of(excinfo, 422)
    assert "never" not in core.read_namespaced_service("web", ns).metadata.labels

    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_service("missing", ns, {"metadata": {"labels": {"a": "b"}}},
                                      _content_type="application/merge-patch+json")
    status_of(excinfo, 404)


def test_strategic_patch_on_pod_containers_merges_by_name(core, ns):
    # A scheduling gate keeps the pod unscheduled (and its deletion immediate) on a real cluster.
    core.create_namespaced_pod(ns, {"metadata": {"name": "pod"}, "spec": {
        "schedulingGates": [{"name": "kubedc.example.com/hold"}],
        "containers": [{"name": "a", "image": "registry.k8s.io/pause:3.9"},
                       {"name": "b", "image": "registry.k8s.io/pause:3.9"}]}})
    patched = core.patch_namespaced_pod("pod", ns, {"spec": {"containers": [{"name": "b", "image": "registry.k8s.io/pause:3.10"}]}},
                                        _content_type="application/strategic-merge-patch+json")
    images = [(c.name, c.image) for c in patched.spec.containers]
    assert images == [("a", "registry.k8s.io/pause:3.9"), ("b", "registry.k8s.io/pause:3.10")]
    pending = core.list_namespaced_pod(ns, field_selector="status.phase=Pending").items
    assert [p.metadata.name for p in pending] == ["pod"]
    assert core.list_namespaced_pod(ns, field_selector="status.phase=Running").items == []

    # Status lists merge by their key too: conditions by type. (podIPs merge by ip as well, but a
    # second address must be of the other family, which a single-stack server drops.)
    for ctype in ("kubedc.example.com/a", "kubedc.example.com/b"):
        body = {"status": {"conditions": [{"type": ctype, "status": "True"}]}}
        both = core.patch_namespaced_pod_status("pod", ns, body, _content_type="application/strategic-merge-patch+json")
    assert {"kubedc.example.com/a", "kubedc.example.com/b"} <= {c.type for c in both.status.conditions}


def test_strategic_merge_patch_is_unsupported_for_custom_resources(kube, ns):
    dyn = kube.dynamic()
    eips = dyn.resources.get(api_version="kube-dc.com/v1", kind="EIp")
    eips.create(namespace=ns, body=eip("smp"))
    with pytest.raises(ApiException) as excinfo:
        eips.patch(namespace=ns, name="smp", body={"metadata": {"labels": {"a": "b"}}},
                   content_type="application/strategic-merge-patch+json")
    assert status_of(excinfo, 415)["reason"] == "UnsupportedMediaType"
    merged = eips.patch(namespace=ns, name="smp", body={"metadata": {"labels": {"a": "b"}}},
                        content_type="application/merge-patch+json")
    assert merged.metadata.labels.a == "b"


# --- server-side apply


def _managers(obj):
    return {(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields") or []}


def test_server_side_apply_tracks_managers_and_reports_conflicts(kube, ns):
    dyn = kube.dynamic()
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "labels": {"owner": "alpha"}},
              "data": {"shared": "1", "alpha": "a"}}
    created = cms.server_side_apply(namespace=ns, body=config, field_manager="alpha").to_dict()
    assert created["data"] == {"shared": "1", "alpha": "a"}
    assert ("alpha", "Apply") in _managers(created)

    # Another manager setting the same value shares the field; adding its own is fine.
    beta = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"shared": "1", "beta": "b"}}
    shared = cms.server_side_apply(namespace=ns, body=beta, field_manager="beta").to_dict()
    assert shared["data"] == {"shared": "1", "alpha": "a", "beta": "b"}

    # A different value for a field another manager owns is a conflict...
    beta["data"]["alpha"] = "taken"
    with pytest.raises(ApiException) as excinfo:
        cms.server_side_apply(namespace=ns, body=beta, field_manager="beta")
    body = status_of(excinfo, 409)
    assert body["reason"] == "Conflict" and 'conflict with "alpha"' in body["message"]
    assert any(c["reason"] == "FieldManagerConflict" and c["field"] == ".data.alpha" for c in body["details"]["causes"])
    # ... unless forced, which moves the field to the new manager.
    forced = cms.server_side_apply(namespace=ns, body=beta, field_manager="beta", force_conflicts=True).to_dict()
    assert forced["data"]["alpha"] == "taken"
    alpha_fields = next(e["fieldsV1"] for e in forced["metadata"]["managedFields"] if e["manager"] == "alpha")
    assert "f:alpha" not in alpha_fields.get("f:data", {})

    # A manager that stops applying a field it alone owns removes it.
    config["data"] = {"shared": "1"}
    removed = cms.server_side_apply(namespace=ns, body=config, field_manager="alpha").to_dict()
    assert removed["data"] == {"shared": "1", "alpha": "taken", "beta": "b"}
    config["metadata"]["labels"] = {}
    unlabelled = cms.server_side_apply(namespace=ns, body=config, field_manager="alpha").to_dict()
    assert not (unlabelled["metadata"].get("labels") or {}).get("owner")


def test_server_side_apply_with_the_typed_client_and_a_conflict_with_an_update(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "mixed"}, "data": {"k": "v"}}, field_manager="creator")
    apply_body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mixed"}, "data": {"k": "other"}}
    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_config_map("mixed", ns, apply_body, field_manager="applier",
                                         _content_type="application/apply-patch+yaml")
    assert 'conflict with "creator"' in status_of(excinfo, 409)["message"]
    applied = core.patch_namespaced_config_map("mixed", ns, apply_body, field_manager="applier", force=True,
                                               _content_type="application/apply-patch+yaml")
    assert applied.data == {"k": "other"}
    assert ("applier", "Apply") in {(e.manager, e.operation) for e in applied.metadata.managed_fields}

    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_config_map("mixed", ns, apply_body, _content_type="application/apply-patch+yaml")
    assert excinfo.value.status in (400, 422)


def test_server_side_apply_creates_and_validates_custom_objects(kube, ns):
    projects = kube.dynamic().resources.get(api_version="kube-dc.com/v1", kind="Project")
    created = projects.server_side_apply(namespace=ns, body=project("applied"), field_manager="kubedc").to_dict()
    assert created["spec"]["egressNetworkType"] == "cloud"
    with pytest.raises(ApiException) as excinfo:
        projects.server_side_apply(namespace=ns, body=project("applied", egress="bogus"), field_manager="kubedc")
    assert ("spec.egressNetworkType", "FieldValueNotSupported") in causes(status_of(excinfo, 422))
    kube.require("cel")  # the rest needs the CRD's transition rule
    with pytest.raises(ApiException) as excinfo:
        projects.server_side_apply(namespace=ns, body=project("applied", egress="public"), field_manager="kubedc")
    assert "egressNetworkType is immutable" in status_of(excinfo, 422)["message"]


# --- dry run


def test_dry_run_stores_nothing(core, custom, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "dry"}, "data": {"a": "1"}}, dry_run="All")
    assert created.metadata.name == "dry" and created.data == {"a": "1"}
    with pytest.raises(ApiException) as excinfo:
        core.read_namespaced_config_map("dry", ns)
    status_of(excinfo, 404)

    real = core.create_namespaced_config_map(ns, {"metadata": {"name": "dry"}, "data": {"a": "1"}})
    patched = core.patch_namespaced_config_map("dry", ns, {"data": {"a": "2"}}, dry_run="All")
    assert patched.data == {"a": "2"}
    real.data = {"a": "3"}
    replaced = core.replace_namespaced_config_map("dry", ns, real, dry_run="All")
    assert replaced.data == {"a": "3"}
    core.delete_namespaced_config_map("dry", ns, dry_run="All")
    assert core.read_namespaced_config_map("dry", ns).data == {"a": "1"}

    # Dry-run still validates.
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "projects", project("drybad", egress="bogus"), dry_run="All")
    status_of(excinfo, 422)
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "x"}}, dry_run="Bogus")
    body = status_of(excinfo, 422)  # the request's CreateOptions are invalid, not the object
    assert body["details"]["kind"] == "CreateOptions" and causes(body) == {("dryRun", "FieldValueNotSupported")}


# --- status subresource and generation


def test_status_subresource_separates_spec_and_status_writes(custom, ns):
    created = custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips", {
        **eip("st", externalNetworkType="cloud"), "status": {"ipAddress": "100.65.0.10", "ovnEIpRef": "x", "ready": True}})
    assert "status" not in created  # status is not set on create
    assert created["metadata"]["generation"] == 1

    status = custom.patch_namespaced_custom_object_status(GROUP, VERSION, ns, "eips", "st", {
        "spec": {"externalNetworkType": "public"}, "metadata": {"labels": {"ignored": "yes"}},
        "status": {"ipAddress": "100.65.0.10", "ovnEIpRef": "ovn-eip-1"}})
    assert status["spec"] == {"externalNetworkType": "cloud"}  # /status ignores spec ...
    assert status["status"]["ipAddress"] == "100.65.0.10"
    assert status["status"]["ready"] is False and status["status"]["ownershipType"] == "Released"  # ... and applies defaults
    assert status["metadata"]["generation"] == 1

    main = custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "eips", "st", {
        "metadata": {"labels": {"a": "b"}}, "status": {"ipAddress": "1.1.1.1"}})
    assert main["status"]["ipAddress"] == "100.65.0.10"  # the main resource ignores status
    assert main["metadata"]["labels"] == {"a": "b"} and main["metadata"]["generation"] == 1  # metadata: no new generation

    whole = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "eips", "st")
    whole["status"]["ipAddress"] = "100.65.0.11"
    replaced = custom.replace_namespaced_custom_object_status(GROUP, VERSION, ns, "eips", "st", whole)
    assert replaced["status"]["ipAddress"] == "100.65.0.11"

    with pytest.raises(ApiException) as excinfo:
        custom.patch_namespaced_custom_object_status(GROUP, VERSION, ns, "eips", "st", {"status": {"ovnEIpRef": None}})
    assert ("status.ovnEIpRef", "FieldValueRequired") in causes(status_of(excinfo, 422))


def test_service_status_subresource(core, ns):
    core.create_namespaced_service(ns, {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}})
    ingress = {"status": {"loadBalancer": {"ingress": [{"ip": "100.65.0.20"}]}}}
    ignored = core.patch_namespaced_service("lb", ns, ingress)
    assert not ignored.status.load_balancer.ingress
    done = core.patch_namespaced_service_status("lb", ns, ingress)
    assert done.status.load_balancer.ingress[0].ip == "100.65.0.20"
    assert done.spec.ports[0].node_port


# --- selectors, finalizers, endpoint slices, auth


def test_field_selector_metadata_name(core, ns):
    for name in ("one", "two", "three"):
        core.create_namespaced_config_map(ns, {"metadata": {"name": name}})
    assert [c.metadata.name for c in core.list_namespaced_config_map(ns, field_selector="metadata.name=two").items] == ["two"]
    others = core.list_namespaced_config_map(ns, field_selector="metadata.name!=two").items
    assert {"one", "three"} <= {c.metadata.name for c in others} and "two" not in {c.metadata.name for c in others}
    both = core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=%s,metadata.name=one" % ns).items
    assert [(c.metadata.namespace, c.metadata.name) for c in both] == [(ns, "one")]
    with pytest.raises(ApiException) as excinfo:
        core.list_namespaced_config_map(ns, field_selector="data.bogus=1")
    status_of(excinfo, 400)


def test_finalizers_hold_deletion_until_removed(custom, ns):
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, "eips", {
        **eip("held"), "metadata": {"name": "held", "finalizers": ["kubedc.example.com/hold"]}})
    custom.delete_namespaced_custom_object(GROUP, VERSION, ns, "eips", "held")
    held = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "eips", "held")
    assert held["metadata"]["deletionTimestamp"]
    custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "eips", "held", {"metadata": {"finalizers": None}})

    def gone():
        try:
            custom.get_namespaced_custom_object(GROUP, VERSION, ns, "eips", "held")
        except ApiException as exc:
            return exc.status == 404
        return False
    wait_until(gone, 30, "the EIp to be deleted")
    with pytest.raises(ApiException) as excinfo:
        custom.delete_namespaced_custom_object(GROUP, VERSION, ns, "eips", "held")
    status_of(excinfo, 404)


def test_endpoint_slices_by_service_name_label(kube, api, ns):
    kube.require("endpointslice/v1")
    slices = client.DiscoveryV1Api(api)
    for name, service in (("web-abc", "web"), ("web-def", "web"), ("db-abc", "db")):
        slices.create_namespaced_endpoint_slice(ns, {
            "metadata": {"name": name, "labels": {"kubernetes.io/service-name": service,
                                                  "endpointslice.kubernetes.io/managed-by": "kubedc.example.com"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.20"], "conditions": {"ready": True}}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]})
    listed = slices.list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=web").items
    assert sorted(s.metadata.name for s in listed) == ["web-abc", "web-def"]
    assert listed[0].endpoints[0].addresses == ["10.0.0.20"] and listed[0].ports[0].port == 8080
    with pytest.raises(ApiException) as excinfo:
        slices.create_namespaced_endpoint_slice(ns, {"metadata": {"name": "bad"}, "addressType": "IPv4",
                                                     "endpoints": [{"addresses": ["not-an-ip"]}]})
    status_of(excinfo, 422)


def test_namespace_deletion_removes_its_objects(kube, core):
    name = kube.namespace(unique("kasdel"), labels={"purpose": "test"})
    assert core.read_namespace(name).metadata.labels["purpose"] == "test"
    core.create_namespaced_config_map(name, {"metadata": {"name": "cm"}})
    deleted = core.delete_namespace(name)
    assert deleted is not None

    def gone():
        try:
            core.read_namespace(name)
        except ApiException as exc:
            return exc.status == 404
        return False
    wait_until(gone, 300 if kube.is_real else 5, "the namespace to be deleted", interval=1 if kube.is_real else 0.05)
    with pytest.raises(ApiException) as excinfo:
        core.read_namespaced_config_map("cm", name)
    status_of(excinfo, 404)


def test_a_finalizer_in_a_namespace_holds_the_namespace_terminating(kube, core, custom):
    name = kube.namespace(unique("kashold"))
    custom.create_namespaced_custom_object(GROUP, VERSION, name, "eips", {
        **eip("held"), "metadata": {"name": "held", "finalizers": ["kubedc.example.com/hold"]}})
    core.delete_namespace(name)

    def terminating_and_marked():
        held = custom.get_namespaced_custom_object(GROUP, VERSION, name, "eips", "held")
        return core.read_namespace(name).status.phase == "Terminating" and bool(held["metadata"].get("deletionTimestamp"))
    wait_until(terminating_and_marked, 60 if kube.is_real else 5, "the namespace's EIp to be marked for deletion")
    # A Terminating namespace takes no new content.
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map(name, {"metadata": {"name": "late"}})
    body = status_of(excinfo, 403)
    assert body["reason"] == "Forbidden" and "because it is being terminated" in body["message"]
    assert core.read_namespace(name).status.phase == "Terminating"  # still held by the finalizer

    custom.patch_namespaced_custom_object(GROUP, VERSION, name, "eips", "held", {"metadata": {"finalizers": None}})

    def gone():
        try:
            core.read_namespace(name)
        except ApiException as exc:
            return exc.status == 404
        return False
    wait_until(gone, 300 if kube.is_real else 5, "the namespace to be deleted", interval=1 if kube.is_real else 0.05)


def test_a_wrong_token_is_unauthorized(kube):
    api = kube.api_client()
    api.configuration.api_key = {"BearerToken": "Bearer wrong-" + uuid.uuid4().hex}
    api.configuration.api_key_prefix = {}
    api.default_headers["Authorization"] = "Bearer wrong-" + uuid.uuid4().hex
    with pytest.raises(ApiException) as excinfo:
        client.CoreV1Api(api).list_namespace()
    assert excinfo.value.status == 401


def test_resource_versions_increase_across_writes(core, ns):
    first = core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    time.sleep(0.01)
    second = core.create_namespaced_config_map(ns, {"metadata": {"name": "b"}})
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)
    listing = core.list_namespaced_config_map(ns)
    assert int(listing.metadata.resource_version) >= int(second.metadata.resource_version)
    assert not listing.metadata._continue


# --- apps/v1 workloads: Deployments, StatefulSets, DaemonSets
#
# A real server runs their controllers (ReplicaSets, Pods, status); the double runs none. So these assert
# what the API server itself does: defaults, validation, generation, patches; and status only as a write
# returns it, since a controller may rewrite it at any moment.

WEB_LABELS = {"app": "web"}


@pytest.fixture
def apps(api):
    return client.AppsV1Api(api)


def pod_template(labels=None, **spec):
    spec = dict({"containers": [{"name": "web", "image": "registry.k8s.io/pause:3.9", "ports": [{"containerPort": 8080}]}]}, **spec)
    return {"metadata": {"labels": dict(WEB_LABELS if labels is None else labels)}, "spec": spec}


def workload(kind, name, template=None, **spec):
    spec = dict({"selector": {"matchLabels": dict(WEB_LABELS)}, "template": template or pod_template()}, **spec)
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def _create(apps, ns, body, **kwargs):
    create = {"Deployment": apps.create_namespaced_deployment, "StatefulSet": apps.create_namespaced_stateful_set,
              "DaemonSet": apps.create_namespaced_daemon_set}[body["kind"]]
    return create(ns, body, **kwargs)


def _send(kube, ns, body, **kwargs):
    """Creates ``body`` through the dynamic client: the typed one refuses some bad bodies itself, before the server."""
    return kube.dynamic().resources.get(api_version="apps/v1", kind=body["kind"]).create(namespace=ns, body=body, **kwargs)


def _read(apps, ns, kind, name):
    read = {"Deployment": apps.read_namespaced_deployment, "StatefulSet": apps.read_namespaced_stateful_set,
            "DaemonSet": apps.read_namespaced_daemon_set}[kind]
    return read(name, ns)


def _patch(apps, ns, kind, name, body, **kwargs):
    patch = {"Deployment": apps.patch_namespaced_deployment, "StatefulSet": apps.patch_namespaced_stateful_set,
             "DaemonSet": apps.patch_namespaced_daemon_set}[kind]
    return patch(name, ns, body, **kwargs)


def _missing(call):
    with pytest.raises(ApiException) as excinfo:
        call()
    status_of(excinfo, 404)


def test_apps_discovery_lists_the_workload_kinds(kube, api):
    resources = {r.name: r for r in client.AppsV1Api(api).get_api_resources().resources}
    for plural, kind, short in (("deployments", "Deployment", "deploy"), ("statefulsets", "StatefulSet", "sts"),
                                ("daemonsets", "DaemonSet", "ds")):
        resource = resources[plural]
        assert resource.kind == kind and resource.namespaced is True and resource.short_names == [short]
        assert resource.categories == ["all"]
        assert {"create", "get", "list", "patch", "update", "delete", "deletecollection"} <= set(resource.verbs)
        assert resources[plural + "/status"].kind == kind
    for plural in ("deployments", "statefulsets"):
        scale = resources[plural + "/scale"]
        assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
        assert set(scale.verbs) == {"get", "patch", "update"}
    assert "daemonsets/scale" not in resources
    deployments = kube.dynamic().resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.name == "deployments" and deployments.namespaced and "status" in deployments.subresources


def test_deployment_defaults_and_generation(apps, ns):
    created = apps.create_namespaced_deployment(ns, workload("Deployment", "web"))
    spec = created.spec
    assert created.metadata.generation == 1
    assert spec.replicas == 1 and spec.revision_history_limit == 10 and spec.progress_deadline_seconds == 600
    assert spec.strategy.type == "RollingUpdate"
    assert (spec.strategy.rolling_update.max_surge, spec.strategy.rolling_update.max_unavailable) == ("25%", "25%")
    pod = spec.template.spec
    assert (pod.restart_policy, pod.dns_policy, pod.termination_grace_period_seconds, pod.scheduler_name) == \
        ("Always", "ClusterFirst", 30, "default-scheduler")
    container = pod.containers[0]
    assert container.image_pull_policy == "IfNotPresent" and container.termination_message_path == "/dev/termination-log"
    assert container.ports[0].protocol == "TCP"

    # Metadata is not spec: no new generation.
    labelled = apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"team": "a"}}})
    assert labelled.metadata.generation == 1 and labelled.metadata.labels == {"team": "a"}
    # A spec change is.
    scaled = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 0}})
    assert scaled.metadata.generation == 2 and scaled.spec.replicas == 0
    # So is a template change, even one of its metadata.
    annotated = apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"metadata": {"annotations": {"a": "b"}}}}})
    assert annotated.metadata.generation == 3
    # A patch that changes nothing changes no generation.
    same = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 0}})
    assert same.metadata.generation == 3

    # Recreate has no rollingUpdate: none is defaulted, and one left over from RollingUpdate is refused.
    recreate = apps.create_namespaced_deployment(ns, workload("Deployment", "once", strategy={"type": "Recreate"}, replicas=0))
    assert recreate.spec.strategy.type == "Recreate" and recreate.spec.strategy.rolling_update is None
    assert recreate.spec.replicas == 0
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment("web", ns, {"spec": {"strategy": {"type": "Recreate"}}},
                                         _content_type="application/merge-patch+json")
    body = status_of(excinfo, 422)
    assert body["message"] == ('Deployment.apps "web" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified '
                               "when strategy `type` is 'Recreate'")
    # A strategic merge patch that retains only `type` clears rollingUpdate ($retainKeys, as kubectl apply sends).
    switched = apps.patch_namespaced_deployment("web", ns, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert switched.spec.strategy.type == "Recreate" and switched.spec.strategy.rolling_update is None
    assert switched.metadata.generation == 4
    # A patch setting a field its $retainKeys does not retain is malformed.
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment("web", ns, {"spec": {"strategy": {
            "$retainKeys": ["type"], "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}})
    body = status_of(excinfo, 400)
    assert body["reason"] == "BadRequest" and body["message"] == "invalid patch format of retainKeys"
    assert apps.read_namespaced_deployment("web", ns).spec.strategy.type == "Recreate"


def test_statefulset_and_daemonset_defaults_and_generation(apps, ns):
    sts = apps.create_namespaced_stateful_set(ns, workload("StatefulSet", "db"))
    assert sts.metadata.generation == 1 and sts.spec.replicas == 1 and sts.spec.revision_history_limit == 10
    assert sts.spec.pod_management_policy == "OrderedReady"
    assert sts.spec.update_strategy.type == "RollingUpdate" and sts.spec.update_strategy.rolling_update.partition == 0
    assert sts.spec.template.spec.restart_policy == "Always"
    on_delete = apps.create_namespaced_stateful_set(ns, workload("StatefulSet", "manual", updateStrategy={"type": "OnDelete"}))
    assert on_delete.spec.update_strategy.type == "OnDelete" and on_delete.spec.update_strategy.rolling_update is None
    assert apps.patch_namespaced_stateful_set("db", ns, {"spec": {"replicas": 0}}).metadata.generation == 2

    ds = apps.create_namespaced_daemon_set(ns, workload("DaemonSet", "agent"))
    assert ds.metadata.generation == 1 and ds.spec.revision_history_limit == 10
    assert ds.spec.update_strategy.type == "RollingUpdate" and ds.spec.update_strategy.rolling_update.max_unavailable == 1
    template_generation = "deprecated.daemonset.template.generation"
    assert ds.metadata.annotations == {template_generation: "1"}
    # The template generation counts template changes only; metadata.generation counts every spec change.
    changed = apps.patch_namespaced_daemon_set("agent", ns, {"spec": {"template": {"metadata": {"annotations": {"a": "b"}}}}})
    assert changed.metadata.generation == 2 and changed.metadata.annotations[template_generation] == "2"
    slower = apps.patch_namespaced_daemon_set("agent", ns, {"spec": {"minReadySeconds": 5}})
    assert slower.metadata.generation == 3 and slower.metadata.annotations[template_generation] == "2"
    # It is the server's: a client cannot set it.
    kept = apps.patch_namespaced_daemon_set("agent", ns, {"metadata": {"annotations": {template_generation: "9", "x": "y"}}})
    assert kept.metadata.generation == 3 and kept.metadata.annotations == {template_generation: "2", "x": "y"}


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet"])
def test_workload_selector_must_select_the_template(kube, apps, ns, kind):
    word = kind.lower()
    mismatch = workload(kind, "mismatch", template=pod_template(labels={"app": "api", "tier": "front"}))
    with pytest.raises(ApiException) as excinfo:
        _send(kube, ns, mismatch)
    body = status_of(excinfo, 422)
    assert body["reason"] == "Invalid" and body["details"]["group"] == "apps" and body["details"]["kind"] == kind
    assert body["message"] == ('%s.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: '
                               'map[string]string{"app":"api", "tier":"front"}: `selector` does not match template `labels`' % kind)

    empty = workload(kind, "empty")
    empty["spec"]["selector"] = {}
    with pytest.raises(ApiException) as excinfo:
        _send(kube, ns, empty)
    assert status_of(excinfo, 422)["message"] == (
        '%s.apps "empty" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for %s" % (kind, word))

    none = workload(kind, "none")
    del none["spec"]["selector"]
    with pytest.raises(ApiException) as excinfo:
        _send(kube, ns, none)
    found = causes(status_of(excinfo, 422))
    # No selector selects nothing, so the template never matches; a DaemonSet reports only that.
    expected = {("spec.template.metadata.labels", "FieldValueInvalid")}
    if kind != "DaemonSet":
        expected.add(("spec.selector", "FieldValueRequired"))
    assert found == expected

    bad_operator = workload(kind, "badop", selector={"matchExpressions": [{"key": "app", "operator": "Is", "values": ["web"]}]})
    with pytest.raises(ApiException) as excinfo:
        _send(kube, ns, bad_operator)
    assert ("spec.selector.matchExpressions[0].operator", "FieldValueInvalid") in causes(status_of(excinfo, 422))

    # An expression that selects the template is fine.
    chosen = workload(kind, "chosen", selector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]})
    assert _create(apps, ns, chosen).spec.selector.match_expressions[0].values == ["web", "api"]
    for name in ("mismatch", "empty", "none", "badop"):
        _missing(lambda name=name: _read(apps, ns, kind, name))


def test_workload_selector_is_immutable(apps, ns):
    for kind in ("Deployment", "DaemonSet", "StatefulSet"):
        _create(apps, ns, workload(kind, "fixed"))
        wider = {"spec": {"selector": {"matchLabels": {"app": "web", "tier": "front"}},
                          "template": {"metadata": {"labels": {"app": "web", "tier": "front"}}}}}
        with pytest.raises(ApiException) as excinfo:
            _patch(apps, ns, kind, "fixed", wider)
        body = status_of(excinfo, 422)
        if kind == "StatefulSet":
            # A StatefulSet refuses any spec change outside its updatable fields, the selector among them.
            assert causes(body) == {("spec", "FieldValueForbidden")}
            assert body["message"].startswith('StatefulSet.apps "fixed" is invalid: spec: Forbidden: updates to statefulset spec '
                                              "for fields other than 'replicas', ")
        else:
            assert causes(body) == {("spec.selector", "FieldValueInvalid")}
            assert body["message"] == ('%s.apps "fixed" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
                                       'map[string]string{"app":"web", "tier":"front"}, MatchExpressions:'
                                       '[]v1.LabelSelectorRequirement(nil)}: field is immutable' % kind)
        kept = _read(apps, ns, kind, "fixed")
        assert kept.spec.selector.match_labels == WEB_LABELS and kept.metadata.generation == 1


def test_workload_pod_template_is_validated_like_a_pod(kube, apps, ns):
    broken = pod_template(containers=[{"name": "Web"}, {"image": "registry.k8s.io/pause:3.9"}],
                          readinessGates=[{"conditionType": "not valid"}])
    for kind in ("Deployment", "DaemonSet"):
        with pytest.raises(ApiException) as excinfo:
            _send(kube, ns, workload(kind, "broken", template=broken))
        assert causes(status_of(excinfo, 422)) == {
            ("spec.template.spec.containers[0].name", "FieldValueInvalid"),
            ("spec.template.spec.containers[0].image", "FieldValueRequired"),
            ("spec.template.spec.containers[1].name", "FieldValueRequired"),
            ("spec.template.spec.readinessGates[0].conditionType", "FieldValueInvalid")}
        # Dry run validates too, and neither writes anything.
        with pytest.raises(ApiException) as excinfo:
            _send(kube, ns, workload(kind, "broken", template=pod_template(restartPolicy="Never")), dry_run="All")
        body = status_of(excinfo, 422)
        assert causes(body) == {("spec.template.spec.restartPolicy", "FieldValueNotSupported")}
        assert body["message"] == ('%s.apps "broken" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": '
                                   'supported values: "Always"' % kind)
        _missing(lambda kind=kind: _read(apps, ns, kind, "broken"))
    for kind in ("Deployment", "StatefulSet"):
        with pytest.raises(ApiException) as excinfo:
            _send(kube, ns, workload(kind, "negative", replicas=-1))
        body = status_of(excinfo, 422)
        assert causes(body) == {("spec.replicas", "FieldValueInvalid")}
        assert body["message"] == '%s.apps "negative" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' % kind
    _create(apps, ns, workload("Deployment", "ok"))
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment("ok", ns, {"spec": {"replicas": -2}})
    assert causes(status_of(excinfo, 422)) == {("spec.replicas", "FieldValueInvalid")}
    assert apps.read_namespaced_deployment("ok", ns).spec.replicas == 1


def test_strategic_merge_patch_of_a_pod_template(apps, ns):
    apps.create_namespaced_deployment(ns, workload("Deployment", "web", template=pod_template(
        containers=[{"name": "web", "image": "registry.k8s.io/pause:3.9", "ports": [{"containerPort": 8080}],
                     "env": [{"name": "A", "value": "1"}]}],
        volumes=[{"name": "data", "emptyDir": {}}], readinessGates=[{"conditionType": "k8s.aliyun.com/eip"}])))
    # The typed client sends a dict as a strategic merge patch: lists with a merge key merge by it, and what is new
    # to a list comes before what the list had.
    patched = apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {
        "metadata": {"annotations": {"k8s.aliyun.com/pod-with-eip": "true"}},
        "spec": {"containers": [{"name": "sidecar", "image": "registry.k8s.io/pause:3.10"},
                                {"name": "web", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 9090}]}],
                 "volumes": [{"name": "cache", "emptyDir": {}}],
                 "readinessGates": [{"conditionType": "example.com/ready"}]}}}})
    pod = patched.spec.template.spec
    assert [c.name for c in pod.containers] == ["sidecar", "web"]
    web = pod.containers[1]
    assert web.image == "registry.k8s.io/pause:3.9"
    assert [(e.name, e.value) for e in web.env] == [("B", "2"), ("A", "1")]  # env merges by name
    assert [p.container_port for p in web.ports] == [9090, 8080]  # ports by containerPort
    assert [v.name for v in pod.volumes] == ["cache", "data"]  # volumes by name
    # readinessGates has no patch strategy in a PodSpec: the patch's list replaces the old one.
    assert [g.condition_type for g in pod.readiness_gates] == ["example.com/ready"]
    assert patched.spec.template.metadata.annotations == {"k8s.aliyun.com/pod-with-eip": "true"}
    assert patched.metadata.generation == 2

    # $patch: delete removes one item by its key; $setElementOrder orders the list.
    trimmed = apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "sidecar", "$patch": "delete"}],
        "$setElementOrder/volumes": [{"name": "data"}, {"name": "cache"}]}}}})
    assert [c.name for c in trimmed.spec.template.spec.containers] == ["web"]
    assert [v.name for v in trimmed.spec.template.spec.volumes] == ["data", "cache"]

    # A merge patch replaces lists, and an incomplete container is refused without a write.
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [{"name": "web"}]}}}},
                                         _content_type="application/merge-patch+json")
    assert causes(status_of(excinfo, 422)) == {("spec.template.spec.containers[0].image", "FieldValueRequired")}
    replaced = apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"template": {"spec": {"readinessGates": None, "containers": [{"name": "only", "image": "busybox:1.36"}]}}}},
        _content_type="application/merge-patch+json")
    assert [c.name for c in replaced.spec.template.spec.containers] == ["only"]
    assert replaced.spec.template.spec.readiness_gates is None

    # A JSON patch appends a gate; a failed test operation writes nothing.
    gated = apps.patch_namespaced_deployment("web", ns, [
        {"op": "add", "path": "/spec/template/spec/readinessGates", "value": [{"conditionType": "k8s.aliyun.com/eip"}]}])
    assert [g.condition_type for g in gated.spec.template.spec.readiness_gates] == ["k8s.aliyun.com/eip"]
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment("web", ns, [{"op": "test", "path": "/spec/replicas", "value": 5},
                                                     {"op": "replace", "path": "/spec/replicas", "value": 9}])
    status_of(excinfo, 422)
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 1


def test_server_side_apply_of_a_deployment(apps, ns):
    config = workload("Deployment", "applied", template=pod_template(readinessGates=[{"conditionType": "k8s.aliyun.com/eip"}]))

    def apply(body, manager, **kwargs):
        return apps.patch_namespaced_deployment("applied", ns, body, field_manager=manager,
                                                _content_type="application/apply-patch+yaml", **kwargs)

    created = apply(config, "kubedc")
    assert created.metadata.generation == 1 and created.spec.replicas == 1
    assert ("kubedc", "Apply") in {(e.manager, e.operation) for e in created.metadata.managed_fields}
    assert apply(config, "kubedc").metadata.generation == 1  # the same configuration changes nothing

    # readinessGates is an atomic list: another manager applying other gates conflicts, until it forces.
    other = json.loads(json.dumps(config))
    other["spec"]["template"]["spec"]["readinessGates"] = [{"conditionType": "example.com/other"}]
    with pytest.raises(ApiException) as excinfo:
        apply(other, "someone")
    body = status_of(excinfo, 409)
    assert body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "kubedc": .spec.template.spec.readinessGates'
    assert body["details"]["causes"] == [{"reason": "FieldManagerConflict", "message": 'conflict with "kubedc"',
                                          "field": ".spec.template.spec.readinessGates"}]
    forced = apply(other, "someone", force=True)
    assert [g.condition_type for g in forced.spec.template.spec.readiness_gates] == ["example.com/other"]
    assert forced.metadata.generation == 2

    # Containers are keyed by name: a manager owning only the image of "web" changes only that. The image has two
    # owners now: "someone" applied the same value for it, and sharing a value is owning it too.
    image_only = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "applied"},
                  "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "registry.k8s.io/pause:3.10"}]}}}}
    with pytest.raises(ApiException) as excinfo:
        apply(image_only, "imager")
    assert status_of(excinfo, 409)["message"] == (
        'Apply failed with 2 conflicts: conflicts with "kubedc":\n- .spec.template.spec.containers[name="web"].image\n'
        'conflicts with "someone":\n- .spec.template.spec.containers[name="web"].image')
    moved = apply(image_only, "imager", force=True)
    assert moved.spec.template.spec.containers[0].image == "registry.k8s.io/pause:3.10"
    assert moved.spec.template.spec.containers[0].ports[0].container_port == 8080


def test_workload_writes_dry_run_conflicts_selectors_and_deletion(apps, ns):
    dry = apps.create_namespaced_deployment(ns, workload("Deployment", "dry"), dry_run="All")
    assert dry.metadata.name == "dry" and dry.spec.replicas == 1
    _missing(lambda: apps.read_namespaced_deployment("dry", ns))

    for name, tier in (("front", "web"), ("back", "db")):
        body = workload("Deployment", name)
        body["metadata"]["labels"] = {"tier": tier}
        apps.create_namespaced_deployment(ns, body)
    assert [d.metadata.name for d in apps.list_namespaced_deployment(ns, label_selector="tier=web").items] == ["front"]
    assert [d.metadata.name for d in apps.list_namespaced_deployment(ns, label_selector="tier in (web,db)").items] == ["back", "front"]
    assert "front" in {d.metadata.name for d in apps.list_deployment_for_all_namespaces(label_selector="tier=web").items}

    preview = apps.patch_namespaced_deployment("front", ns, {"spec": {"replicas": 4}}, dry_run="All")
    assert preview.spec.replicas == 4 and preview.metadata.generation == 2
    assert apps.read_namespaced_deployment("front", ns).metadata.generation == 1

    stale = apps.api_client.sanitize_for_serialization(apps.read_namespaced_deployment("front", ns))
    apps.patch_namespaced_deployment("front", ns, {"spec": {"replicas": 2}})
    stale["spec"]["replicas"] = 3
    with pytest.raises(ApiException) as excinfo:
        apps.replace_namespaced_deployment("front", ns, stale)
    assert status_of(excinfo, 409)["message"] == ('Operation cannot be fulfilled on deployments.apps "front": the object has '
                                                  "been modified; please apply your changes to the latest version and try again")
    assert apps.read_namespaced_deployment("front", ns).spec.replicas == 2

    deleted = apps.api_client.sanitize_for_serialization(apps.delete_namespaced_deployment("back", ns))
    assert deleted["kind"] == "Status" and deleted["status"] == "Success"
    assert deleted["details"]["name"] == "back" and deleted["details"]["group"] == "apps" and deleted["details"]["kind"] == "deployments"

    def gone():
        try:
            apps.read_namespaced_deployment("back", ns)
        except ApiException as exc:
            return exc.status == 404
        return False
    wait_until(gone, 60, "the Deployment to be deleted")


def test_workload_status_subresource(apps, ns):
    apps.create_namespaced_deployment(ns, workload("Deployment", "web", replicas=0))
    # A main-resource write ignores status; a /status write ignores spec. (A controller may rewrite status at any
    # time on a real cluster: only the writes' answers are checked.)
    main = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 1}, "status": {"collisionCount": 7}})
    assert main.spec.replicas == 1 and main.status.collision_count != 7
    status = apps.patch_namespaced_deployment_status("web", ns, {"spec": {"replicas": 5},
                                                                 "status": {"collisionCount": 7, "observedGeneration": 2}})
    assert status.status.collision_count == 7 and status.spec.replicas == 1 and status.metadata.generation == 2
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment_status("web", ns, {"status": {"replicas": 1, "readyReplicas": 2}})
    body = status_of(excinfo, 422)
    assert ("status.readyReplicas", "FieldValueInvalid") in causes(body)
    assert "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas" in body["message"]


def test_scale_subresource(apps, ns):
    apps.create_namespaced_deployment(ns, workload("Deployment", "web"))
    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert scale.spec.replicas == 1 and scale.status.selector == "app=web" and scale.metadata.name == "web"
    scaled = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    assert scaled.spec.replicas == 3
    deployment = apps.read_namespaced_deployment("web", ns)
    assert deployment.spec.replicas == 3 and deployment.metadata.generation == 2
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": -1}})
    body = status_of(excinfo, 422)
    assert body["message"] == 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    assert body["details"]["group"] == "autoscaling" and body["details"]["kind"] == "Scale"

    apps.create_namespaced_stateful_set(ns, workload("StatefulSet", "db"))
    stale = apps.read_namespaced_stateful_set_scale("db", ns)
    apps.patch_namespaced_stateful_set("db", ns, {"spec": {"replicas": 2}})
    stale.spec.replicas = 5
    with pytest.raises(ApiException) as excinfo:
        apps.replace_namespaced_stateful_set_scale("db", ns, stale)
    status_of(excinfo, 409)
    assert apps.read_namespaced_stateful_set("db", ns).spec.replicas == 2

    def replace_with_zero():  # a controller may write between the read and the replace: None on that conflict
        current = apps.read_namespaced_stateful_set_scale("db", ns)
        current.spec.replicas = 0
        try:
            return apps.replace_namespaced_stateful_set_scale("db", ns, current)
        except ApiException as exc:
            if exc.status != 409:
                raise
            return None
    replaced = next(scale for scale in (replace_with_zero() for _attempt in range(10)) if scale is not None)
    assert not replaced.spec.replicas  # a zero is left out of the Scale
    assert apps.read_namespaced_stateful_set("db", ns).spec.replicas == 0
    _missing(lambda: apps.read_namespaced_deployment_scale("missing", ns))


def test_pod_readiness_gates_are_set_at_creation_and_immutable(core, ns):
    created = core.create_namespaced_pod(ns, {"metadata": {"name": "gated"}, "spec": {
        "readinessGates": [{"conditionType": "k8s.aliyun.com/eip"}],
        "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}]}})
    assert [g.condition_type for g in created.spec.readiness_gates] == ["k8s.aliyun.com/eip"]
    for body in ({"spec": {"readinessGates": [{"conditionType": "example.com/other"}]}},
                 {"spec": {"readinessGates": [{"conditionType": "k8s.aliyun.com/eip"}, {"conditionType": "example.com/more"}]}}):
        with pytest.raises(ApiException) as excinfo:
            core.patch_namespaced_pod("gated", ns, body)
        body = status_of(excinfo, 422)
        assert causes(body) == {("spec", "FieldValueForbidden")}
        assert body["message"].startswith('Pod "gated" is invalid: spec: Forbidden: pod updates may not change fields other than '
                                          "`spec.containers[*].image`")
    assert [g.condition_type for g in core.read_namespaced_pod("gated", ns).spec.readiness_gates] == ["k8s.aliyun.com/eip"]
    # The image may change.
    patched = core.patch_namespaced_pod("gated", ns, {"spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}})
    assert patched.spec.containers[0].image == "registry.k8s.io/pause:3.10"

    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_pod(ns, {"metadata": {"name": "badgate"}, "spec": {
            "readinessGates": [{"conditionType": "not valid"}], "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}]}})
    body = status_of(excinfo, 422)
    assert causes(body) == {("spec.readinessGates[0].conditionType", "FieldValueInvalid")}
    assert body["message"].startswith('Pod "badgate" is invalid: spec.readinessGates[0].conditionType: Invalid value: "not valid": '
                                      "name part must consist of alphanumeric characters")
    _missing(lambda: core.read_namespaced_pod("badgate", ns))


# --- the double's own pieces (no server involved, so these run the same in both modes)


def test_double_cel_subset_evaluates_our_rule_shapes_and_refuses_others():
    import kube_apiserver as double

    def run(rule, value, old=None):
        return double._cel_eval(double.compile_cel(rule), {"self": value, "oldSelf": old})  # pylint: disable=protected-access

    assert run("self == oldSelf", "cloud", "cloud") is True
    assert run("self == oldSelf", "cloud", "public") is False
    assert run("!(has(self.eip) && has(self.externalNetworkType))", {"eip": "a"}) is True
    assert run("!(has(self.eip) && has(self.externalNetworkType))", {"eip": "a", "externalNetworkType": "cloud"}) is False
    assert run("has(self.ipAddress) || has(self.vmTarget)", {}) is False
    assert run("size(self.name) <= 3 && self.name != 'x'", {"name": "abc"}) is True
    for rule in ("self.all(x, x > 0)", "self.matches('^a')", "'a' in self", "self[0] == 1", "int(self) > 0"):
        with pytest.raises(double.CelUnsupported):
            double.compile_cel(rule)


def test_double_patch_helpers():
    import kube_apiserver as double

    keys = {("spec", "containers"): "name", ("metadata", "finalizers"): ""}
    original = {"metadata": {"finalizers": ["a"]}, "spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}
    patched = double.strategic_merge(original, {"metadata": {"finalizers": ["b"]},
                                                "spec": {"containers": [{"name": "b", "$patch": "delete"}, {"name": "c", "image": "2"}]}},
                                     keys)
    # As the real server orders a merged list: what the patch adds comes before what the list had.
    assert patched == {"metadata": {"finalizers": ["b", "a"]}, "spec": {"containers": [{"name": "c", "image": "2"}, {"name": "a", "image": "1"}]}}
    # readinessGates and tolerations have no patch merge key in a PodSpec, in a Pod or a pod template: replaced.
    gates = {"spec": {"readinessGates": [{"conditionType": "a"}], "tolerations": [{"key": "a"}]}}
    change = {"spec": {"readinessGates": [{"conditionType": "b"}], "tolerations": [{"key": "b"}]}}
    assert double.strategic_merge(gates, change, double.POD_MERGE_KEYS) == change
    template = {"spec": {"template": copy.deepcopy(gates)}}
    assert double.strategic_merge(template, {"spec": {"template": change}}, double.WORKLOAD_MERGE_KEYS) == {"spec": {"template": change}}
    assert double.merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {"a": {"c": 2, "d": 3}}
    assert double.json_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/-", "value": 3}, {"op": "move", "from": "/a", "path": "/b"}]) == {"b": [1, 2, 3]}
    with pytest.raises(double.PatchFailed):
        double.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])

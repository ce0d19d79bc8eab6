# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The list and projects forms with platform kube_dc: many Kube-DC objects in one task.

Every object of a task is validated, read and checked before the first write, so a bad entry
anywhere writes nothing; ``exclusive`` removes the objects the collection made (by its label,
or on a Service its annotation) that a list no longer names, and never anything else. Most
tests run without a controller (``wait: false``); the last one runs the Kube-DC test controller.
"""

import pytest

from support import ModuleFailed, run_module

MARK_KEY = "kubedc.network/managed-by"
MARK = {MARK_KEY: "kubedc.network"}
KUBE_DC = dict(platform="kube_dc", wait=False)


class Cluster(object):
    """The API server as a test reads and writes it, with the official client."""

    def __init__(self, kube):
        from kubernetes import client

        self.kube = kube
        self.core = client.CoreV1Api(kube.api_client())
        self.custom = client.CustomObjectsApi(kube.api_client())

    def args(self, **args):
        return dict(KUBE_DC, kubeconfig=self.kube.kubeconfig, **args)

    def objects(self, plural, namespace):
        """name -> (labels, spec) of the kube-dc.com objects of a namespace."""
        found = self.custom.list_namespaced_custom_object("kube-dc.com", "v1", namespace, plural)["items"]
        return dict((o["metadata"]["name"], (o["metadata"].get("labels") or {}, o.get("spec"))) for o in found)

    def create(self, plural, kind, namespace, name, spec):
        body = {"apiVersion": "kube-dc.com/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}
        self.custom.create_namespaced_custom_object("kube-dc.com", "v1", namespace, plural, body)

    def service(self, namespace, name, port=443, annotations=None):
        self.core.create_namespaced_service(namespace, {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "annotations": dict(annotations or {})},
            "spec": {"type": "LoadBalancer", "ports": [dict(name="p", port=port, targetPort=port, protocol="TCP")]}})

    def annotations(self, namespace, name):
        return dict(self.core.read_namespaced_service(name, namespace).metadata.annotations or {})


@pytest.fixture
def cluster(kube):
    for namespace in ("acme", "acme-prod", "acme-web"):
        kube.namespace(namespace)
    return Cluster(kube)


def eip_entry(project, *eips):
    return dict(organization="acme", project=project, eips=[dict(name=n) for n in eips])


def test_eips_list_form_rhythm_and_pruning(cluster):
    # An EIp made by hand in the project: exclusive must never remove it.
    cluster.create("eips", "EIp", "acme-prod", "legacy", {"externalNetworkType": "cloud"})
    args = cluster.args(organization="acme", project="prod", eips=[dict(name="db"), dict(name="web", external_network_type="public")],
                        exclusive=True)
    planned = run_module("eip", args, check=True)
    assert planned["changed"] is True and planned["commands"] == [
        "create kube-dc.com/v1 EIp acme-prod/db", "create kube-dc.com/v1 EIp acme-prod/web"]
    assert sorted(cluster.objects("eips", "acme-prod")) == ["legacy"], "check mode stored an EIp"

    applied = run_module("eip", args)
    assert applied["commands"] == planned["commands"] and applied["removed"] == []
    assert [(e["name"], e["network_type"]) for e in applied["eips"]] == [("db", "cloud"), ("web", "public")]
    assert applied["diff"]["before"] == {"eips": []}
    assert applied["diff"]["after"] == {"eips": [
        dict(organization="acme", project="prod", namespace="acme-prod", name="db", **{"spec.externalNetworkType": "cloud"}),
        dict(organization="acme", project="prod", namespace="acme-prod", name="web", **{"spec.externalNetworkType": "public"}),
    ]}
    found = cluster.objects("eips", "acme-prod")
    assert found["db"] == (MARK, {"externalNetworkType": "cloud"}) and found["legacy"][0] == {}

    for check in (True, False):
        again = run_module("eip", args, check=check)
        assert again["changed"] is False and again["commands"] == [] and again["removed"] == []

    # web leaves the list: exclusive removes it, and the hand-made legacy stays.
    fewer = dict(args, eips=[dict(name="db")])
    for check in (True, False):
        pruned = run_module("eip", fewer, check=check)
        assert pruned["commands"] == ["delete kube-dc.com/v1 EIp acme-prod/web"] and pruned["removed"] == ["web"]
    assert sorted(cluster.objects("eips", "acme-prod")) == ["db", "legacy"]
    assert run_module("eip", fewer)["changed"] is False
    # Without exclusive, a list names what it converges and leaves the rest.
    assert run_module("eip", dict(fewer, eips=[], exclusive=False))["changed"] is False

    absent = cluster.args(organization="acme", project="prod", eips=[dict(name="db")], state="absent")
    for check in (True, False):
        gone = run_module("eip", absent, check=check)
        assert gone["commands"] == ["delete kube-dc.com/v1 EIp acme-prod/db"] and gone["removed"] == ["db"] and gone["eips"] == []
    for check in (True, False):
        assert run_module("eip", absent, check=check)["changed"] is False
    assert sorted(cluster.objects("eips", "acme-prod")) == ["legacy"]


def test_projects_form_one_task_for_every_project(cluster):
    args = cluster.args(projects=[eip_entry("prod", "db"), eip_entry("web", "lb")], exclusive=True)
    planned = run_module("eip", args, check=True)
    assert planned["commands"] == ["create kube-dc.com/v1 EIp acme-prod/db", "create kube-dc.com/v1 EIp acme-web/lb"]
    applied = run_module("eip", args)
    assert applied["commands"] == planned["commands"]
    assert [(e["namespace"], e["name"]) for e in applied["eips"]] == [("acme-prod", "db"), ("acme-web", "lb")]
    assert run_module("eip", args)["changed"] is False

    # An entry with no list prunes its project whole; projects the task does not list are not touched.
    pruned = run_module("eip", cluster.args(projects=[dict(organization="acme", project="web")], exclusive=True))
    assert pruned["commands"] == ["delete kube-dc.com/v1 EIp acme-web/lb"] and pruned["removed"] == ["acme-web/lb"]
    assert sorted(cluster.objects("eips", "acme-prod")) == ["db"] and cluster.objects("eips", "acme-web") == {}


@pytest.mark.parametrize(
    "entries,message,field",
    [
        ([eip_entry("prod", "db"), dict(organization="acme", project="web", eips=[dict(name="lb", address="100.65.0.9")])],
         "projects[1] (acme-web): eips[0] (lb): address: '100.65.0.9' applies to platform ovn only",
         "projects[1].eips[0].address"),
        ([eip_entry("prod", "db"), eip_entry("nowhere", "lb")],
         "projects[1] (acme-nowhere): eips[0] (lb): project: 'nowhere' has no namespace acme-nowhere",
         "projects[1].eips[0].project"),
        ([eip_entry("prod", "db"), eip_entry("prod", "lb")],
         "projects[1].project: 'prod' names project acme-prod again (first in projects[0])", "projects[1].project"),
        ([eip_entry("prod", "db", "Bad")], "projects[0] (acme-prod): eips[1] (Bad): name: 'Bad'", "projects[0].eips[1].name"),
    ],
)
def test_a_bad_entry_anywhere_writes_nothing(cluster, entries, message, field):
    for check in (False, True):
        with pytest.raises(ModuleFailed) as failed:
            run_module("eip", cluster.args(projects=entries), check=check)
        assert failed.value.result["msg"].startswith(message), failed.value.result["msg"]
        assert failed.value.result.get("field") == field
    assert cluster.objects("eips", "acme-prod") == {} and cluster.objects("eips", "acme-web") == {}


def test_pruning_an_eip_still_owned_is_refused_naming_it(cluster):
    args = cluster.args(organization="acme", project="prod", eips=[dict(name="db"), dict(name="ssh")], exclusive=True)
    run_module("eip", args)
    cluster.kube.set_kube_dc_status("eips", "acme-prod", "ssh", dict(
        ready=True, ipAddress="100.65.0.7", ovnEIpRef="x", ownershipType="Exclusive", owners=[dict(type="FIp", ownerRef="bastion")]))
    with pytest.raises(ModuleFailed) as failed:
        run_module("eip", dict(args, eips=[dict(name="db")]))
    assert failed.value.result["msg"].startswith("eips (ssh): EIp ssh (100.65.0.7) is still owned by FIp bastion")
    assert sorted(cluster.objects("eips", "acme-prod")) == ["db", "ssh"]
    forced = run_module("eip", dict(args, eips=[dict(name="db")], force=True))
    assert forced["removed"] == ["ssh"]


def test_fips_list_form(cluster):
    fips = [dict(name="bastion", ip_address="10.0.0.11"), dict(name="rdp", vm_name="win", interface_name="eth0", external_network_type="public")]
    args = cluster.args(organization="acme", project="prod", fips=fips, exclusive=True)
    planned = run_module("fip", args, check=True)
    assert planned["commands"] == ["create kube-dc.com/v1 FIp acme-prod/bastion", "create kube-dc.com/v1 FIp acme-prod/rdp"]
    assert cluster.objects("fips", "acme-prod") == {}, "check mode stored a FIp"
    applied = run_module("fip", args)
    assert applied["commands"] == planned["commands"]
    assert applied["diff"]["before"] == {"fips": []} and [f["name"] for f in applied["diff"]["after"]["fips"]] == ["bastion", "rdp"]
    found = cluster.objects("fips", "acme-prod")
    assert found["bastion"] == (MARK, {"ipAddress": "10.0.0.11", "externalNetworkType": "cloud"})
    assert found["rdp"][1] == {"vmTarget": {"vmName": "win", "interfaceName": "eth0"}, "externalNetworkType": "public"}
    for check in (True, False):
        assert run_module("fip", args, check=check)["changed"] is False
    moved = run_module("fip", dict(args, fips=[dict(fips[0], ip_address="10.0.0.12")]))
    assert moved["commands"] == ["delete kube-dc.com/v1 FIp acme-prod/rdp",
                                 "patch kube-dc.com/v1 FIp acme-prod/bastion: spec.ipAddress=10.0.0.12"]
    assert moved["removed"] == ["rdp"]

    absent = cluster.args(organization="acme", project="prod", fips=[dict(name="bastion")], state="absent")
    for check in (True, False):
        gone = run_module("fip", absent, check=check)
        assert gone["commands"] == ["delete kube-dc.com/v1 FIp acme-prod/bastion"] and gone["removed"] == ["bastion"]
        assert gone["diff"]["after"] == {"fips": []} and [f["name"] for f in gone["diff"]["before"]["fips"]] == ["bastion"]
    for check in (True, False):
        assert run_module("fip", absent, check=check)["changed"] is False
    assert cluster.objects("fips", "acme-prod") == {}


def test_bindings_list_form_and_pruning_only_what_the_module_bound(cluster):
    for name in ("web", "shop", "api"):
        cluster.service("acme-prod", name)
    # Bound by hand (a Helm chart, say): exclusive must leave it alone.
    cluster.service("acme-prod", "legacy", port=8080, annotations={"service.nlb.kube-dc.com/bind-on-default-gw-eip": "true"})
    cluster.create("eips", "EIp", "acme-prod", "shop-ip", {"externalNetworkType": "cloud"})
    bindings = [dict(name="web", expose_route="https", hostname="web.acme.example.com"), dict(name="shop", eip="shop-ip"),
                dict(name="api", service="api")]
    args = cluster.args(organization="acme", project="prod", bindings=bindings, exclusive=True)
    planned = run_module("lb_binding", args, check=True)
    assert planned["changed"] is True and len(planned["commands"]) == 3
    assert [cluster.annotations("acme-prod", n) for n in ("web", "shop", "api")] == [{}, {}, {}], "check mode annotated a Service"
    applied = run_module("lb_binding", args)
    assert applied["commands"] == planned["commands"]
    prefix = "service.nlb.kube-dc.com/"
    assert applied["commands"] == [
        "patch v1 Service acme-prod/web: kubedc.network/managed-by=kubedc.network, {0}expose-route=https, "
        "{0}route-hostname=web.acme.example.com".format(prefix),
        "patch v1 Service acme-prod/shop: kubedc.network/managed-by=kubedc.network, {0}bind-on-eip=shop-ip".format(prefix),
        "patch v1 Service acme-prod/api: kubedc.network/managed-by=kubedc.network, {0}bind-on-default-gw-eip=true".format(prefix),
    ]
    assert [(b["name"], b["eip"], b["expose_route"]) for b in applied["bindings"]] == [
        ("web", None, "https"), ("shop", "shop-ip", None), ("api", "default-gw", None)]
    assert applied["diff"]["before"] == {"bindings": []}
    for check in (True, False):
        assert run_module("lb_binding", args, check=check)["changed"] is False

    pruned = run_module("lb_binding", dict(args, bindings=bindings[:1]))
    assert pruned["removed"] == ["api", "shop"]
    assert cluster.annotations("acme-prod", "shop") == {} and cluster.annotations("acme-prod", "api") == {}
    assert cluster.annotations("acme-prod", "legacy") == {prefix + "bind-on-default-gw-eip": "true"}
    route = {prefix + "expose-route": "https", prefix + "route-hostname": "web.acme.example.com"}
    assert cluster.annotations("acme-prod", "web") == dict(MARK, **route)
    gone = run_module("lb_binding", cluster.args(projects=[dict(organization="acme", project="prod")], exclusive=True))
    assert gone["removed"] == ["acme-prod/web"] and cluster.annotations("acme-prod", "web") == {}
    assert run_module("lb_binding", cluster.args(projects=[dict(organization="acme", project="prod")], exclusive=True))["changed"] is False

    # state absent takes the annotations off the listed Services, and leaves the Services.
    run_module("lb_binding", args)
    absent = cluster.args(organization="acme", project="prod", bindings=[dict(name="shop"), dict(name="api")], state="absent")
    for check in (True, False):
        gone = run_module("lb_binding", absent, check=check)
        assert gone["removed"] == ["shop", "api"] and len(gone["commands"]) == 2
    for check in (True, False):
        assert run_module("lb_binding", absent, check=check)["changed"] is False
    assert cluster.annotations("acme-prod", "shop") == {} and cluster.annotations("acme-prod", "web") == dict(MARK, **route)
    assert sorted(s.metadata.name for s in cluster.core.list_namespaced_service("acme-prod").items) == ["api", "legacy", "shop", "web"]


def test_project_networks_projects_form(cluster):
    projects = [dict(organization="acme", name="prod", cidr="10.0.0.0/24"),
                dict(organization="acme", name="web", cidr="10.0.1.0/24", egress_network_type="public")]
    args = cluster.args(projects=projects)
    planned = run_module("project_network", args, check=True)
    assert planned["commands"] == ["create kube-dc.com/v1 Project acme/prod", "create kube-dc.com/v1 Project acme/web"]
    assert cluster.objects("projects", "acme") == {}, "check mode stored a Project"
    applied = run_module("project_network", args)
    assert applied["commands"] == planned["commands"]
    assert applied["diff"]["after"]["projects"][1] == dict(
        organization="acme", name="web", namespace="acme-web", **{"spec.cidrBlock": "10.0.1.0/24", "spec.egressNetworkType": "public"})
    assert [p["namespace"] for p in applied["projects"]] == ["acme-prod", "acme-web"]
    assert cluster.objects("projects", "acme")["prod"][0] == MARK
    for check in (True, False):
        assert run_module("project_network", args, check=check)["changed"] is False
    with pytest.raises(ModuleFailed) as failed:
        run_module("project_network", cluster.args(projects=[projects[0], dict(projects[1], cidr="10.0.2.0/24")]))
    assert failed.value.result["msg"].startswith("projects[1] (acme-web): cidr: '10.0.2.0/24' cannot change")
    absent = cluster.args(projects=[dict(organization="acme", name=p["name"]) for p in projects], state="absent")
    for check in (True, False):
        assert run_module("project_network", absent, check=check)["commands"] == [
            "delete kube-dc.com/v1 Project acme/prod", "delete kube-dc.com/v1 Project acme/web"]
        assert len(cluster.objects("projects", "acme")) == (2 if check else 0)
    for check in (True, False):
        assert run_module("project_network", absent, check=check)["changed"] is False


def test_end_to_end_with_the_kube_dc_controller(kube, kube_dc, ext_cloud):
    """One task per kind converges two projects, waiting for all their objects at once."""
    kube.namespace("acme")
    connect = dict(platform="kube_dc", kubeconfig=kube.kubeconfig, wait_timeout=60, wait_sleep=0.2)
    projects = [dict(organization="acme", name="prod", cidr="10.0.0.0/24"), dict(organization="acme", name="web", cidr="10.0.1.0/24")]
    made = run_module("project_network", dict(connect, projects=projects))
    assert [p["ready"] for p in made["projects"]] == [True, True] and all(p["default_gateway_ip"] for p in made["projects"])

    eips = run_module("eip", dict(connect, projects=[eip_entry("prod", "db", "ssh"), eip_entry("web", "lb")], exclusive=True))
    assert [(e["namespace"], e["name"], e["ready"]) for e in eips["eips"]] == [
        ("acme-prod", "db", True), ("acme-prod", "ssh", True), ("acme-web", "lb", True)]
    addresses = [e["address"] for e in eips["eips"]]
    assert all(addresses) and len(set(addresses)) == 3

    fips = run_module("fip", dict(connect, projects=[dict(organization="acme", project="prod", fips=[
        dict(name="bastion", eip="ssh", ip_address="10.0.0.11")])], exclusive=True))
    assert fips["fips"][0]["ready"] is True and fips["fips"][0]["external_ip"] == addresses[1]

    # Teardown as the roles do it: empty lists with exclusive, then the projects.
    run_module("fip", dict(connect, projects=[dict(organization="acme", project="prod")], exclusive=True))
    gone = run_module("eip", dict(connect, projects=[dict(organization="acme", project=p) for p in ("prod", "web")], exclusive=True))
    assert sorted(gone["removed"]) == ["acme-prod/db", "acme-prod/ssh", "acme-web/lb"]
    run_module("project_network", dict(connect, projects=[dict(organization="acme", name=p["name"]) for p in projects], state="absent"))
    from kubernetes import client

    custom = client.CustomObjectsApi(kube.api_client())
    for plural in ("projects", "eips", "fips"):
        assert custom.list_cluster_custom_object("kube-dc.com", "v1", plural)["items"] == [], plural


def test_exclusive_deletes_the_projects_the_list_no_longer_names(cluster):
    projects = [dict(organization="acme", name=n, cidr="10.0.0.0/24") for n in ("prod", "web", "old")]
    run_module("project_network", cluster.args(projects=projects))
    # A Project made by hand (kubectl, say) is never the collection's to prune.
    cluster.create("projects", "Project", "acme", "manual", {"cidrBlock": "10.9.0.0/24", "egressNetworkType": "cloud"})
    kept = cluster.args(projects=projects[:1], exclusive=True)
    for check in (True, False):
        pruned = run_module("project_network", kept, check=check)
        assert pruned["commands"] == ["delete kube-dc.com/v1 Project acme/old", "delete kube-dc.com/v1 Project acme/web"]
        assert pruned["removed"] == [dict(organization="acme", name="old", namespace="acme-old"),
                                     dict(organization="acme", name="web", namespace="acme-web")]
    assert sorted(cluster.objects("projects", "acme")) == ["manual", "prod"]
    again = run_module("project_network", kept)
    assert again["changed"] is False and again["removed"] == []
    with pytest.raises(ModuleFailed) as failed:
        run_module("project_network", cluster.args(organization="acme", name="prod", cidr="10.0.0.0/24", exclusive=True))
    assert failed.value.result["msg"].startswith("exclusive: True applies to the projects form (projects)")


def test_project_network_info_lists_the_labelled_projects(cluster):
    projects = [dict(organization="acme", name=n, cidr="10.0.0.0/24") for n in ("prod", "web")]
    made = run_module("project_network", cluster.args(projects=projects))["projects"]
    cluster.create("projects", "Project", "acme", "manual", {"cidrBlock": "10.9.0.0/24", "egressNetworkType": "cloud"})
    listed = run_module("project_network_info", dict(platform="kube_dc", kubeconfig=cluster.kube.kubeconfig))
    assert listed["changed"] is False and listed["project_networks"] == made
    assert run_module("project_network_info", dict(platform="kube_dc", kubeconfig=cluster.kube.kubeconfig, organization="beta"))["project_networks"] == []

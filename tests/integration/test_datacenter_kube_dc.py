# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A datacenter file on platform kube_dc through the roles and playbooks, with ansible-playbook.

The Kubernetes API (the test double, or the real server of KUBEDC_TEST_KUBECONFIG) gets the
Projects, EIps, FIps and Service annotations; the Kube-DC test controller plays Kube-DC's
part (ready, addresses, routes, namespaces) on the lab's NB. The test plays the workload
owner: it creates the LoadBalancer Services once their project namespaces exist.
"""

import os
import time

import pytest
import yaml

from test_datacenter import Site, summary_of

MARK_KEY = "kubedc.network/managed-by"
PREFIX = "service.nlb.kube-dc.com/"


def datacenter(services=True, web=True, old=True):
    prod = dict(
        name="prod", cidr="10.0.0.0/24",
        eips=[dict(name="ssh")],
        fips=[dict(name="bastion", ip_address="10.0.0.11", eip="ssh")],
    )
    if services:
        prod["services"] = [
            dict(name="shop", app="web", service="shop-frontend", hostname="shop.acme.example.com"),
            dict(name="db", app="tcp"),
        ]
        if old:
            prod["services"].append(dict(name="metrics", expose="load_balancer", eip="default-gw"))
    projects = [prod]
    if web:
        projects.append(dict(name="web", cidr="10.0.1.0/24", eips=[dict(name="spare")]))
    return dict(kubedc_datacenter=dict(
        platform="kube_dc", exclusive=True,
        organizations=[dict(name="acme", projects=projects)],
    ))


class KubeSite(Site):
    def __init__(self, lab, kube, tmp_path):
        super(KubeSite, self).__init__(lab, tmp_path)
        self.kube = kube

    def play(self, playbook, *options):
        os.environ["K8S_AUTH_KUBECONFIG"] = self.kube.kubeconfig
        try:
            return super(KubeSite, self).play(playbook, *options)
        finally:
            del os.environ["K8S_AUTH_KUBECONFIG"]


@pytest.fixture
def site(lab, kube, kube_dc, ext_cloud, tmp_path):
    kube.namespace("acme")
    return KubeSite(lab, kube, tmp_path)


def custom(kube):
    from kubernetes import client

    return client.CustomObjectsApi(kube.api_client())


def names(kube, plural):
    found = custom(kube).list_cluster_custom_object("kube-dc.com", "v1", plural)["items"]
    return sorted("{0}/{1}".format(o["metadata"]["namespace"], o["metadata"]["name"]) for o in found)


def make_services(kube):
    from kubernetes import client

    core = client.CoreV1Api(kube.api_client())
    for name, port in (("shop-frontend", 8080), ("db", 5432), ("metrics", 9100), ("other", 7000)):
        core.create_namespaced_service("acme-prod", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "LoadBalancer", "selector": {"app": name},
                     "ports": [dict(name="p", port=port, targetPort=port, protocol="TCP")]}})
    return core


def annotations(core, name):
    return dict(core.read_namespaced_service(name, "acme-prod").metadata.annotations or {})


def test_converge_rerun_prune_verify_and_teardown_on_kube_dc(site, kube):
    # First the projects and their addresses: the Services come once their namespaces exist.
    site.write(datacenter(services=False))
    plan = site.converge("--check", "--diff", changed=True)
    assert plan == [
        "acme-prod:", "  create project network", "  create eip ssh (waiting for project acme-prod)",
        "  create fip bastion (waiting for project acme-prod)",
        "acme-web:", "  create project network", "  create eip spare (waiting for project acme-web)",
        "5 to create, 0 to change, 0 to remove.",
    ], plan
    assert names(kube, "projects") == [], "check mode created a Project"
    site.converge(changed=True)
    assert names(kube, "projects") == ["acme/prod", "acme/web"]
    assert names(kube, "eips") == ["acme-prod/default-gw", "acme-prod/ssh", "acme-web/default-gw", "acme-web/spare"]
    assert names(kube, "fips") == ["acme-prod/bastion"]
    fip = custom(kube).get_namespaced_custom_object("kube-dc.com", "v1", "acme-prod", "fips", "bastion")
    assert fip["status"]["ready"] is True and fip["metadata"]["labels"] == {MARK_KEY: "kubedc.network"}

    core = make_services(kube)
    # A Service bound by hand: the file does not name it, and pruning must leave it alone.
    core.patch_namespaced_service("other", "acme-prod", {"metadata": {"annotations": {PREFIX + "bind-on-default-gw-eip": "true"}}})
    site.write(datacenter())
    plan = site.converge("--check", "--diff", changed=True)
    for line in ("  create binding shop-frontend", "  create binding db", "  create binding metrics", "  create eip db"):
        assert line in plan, plan
    assert annotations(core, "db") == {}, "check mode annotated a Service"
    summary = site.converge("--diff", changed=True)
    assert summary == ["acme-prod:", "  created eip db", "  created binding db", "  created binding metrics",
                       "  created binding shop-frontend", "4 created, 0 changed, 0 removed."], summary
    assert annotations(core, "shop-frontend")[PREFIX + "expose-route"] == "https"
    assert annotations(core, "shop-frontend")[PREFIX + "route-hostname-status"] == "shop.acme.example.com"
    assert annotations(core, "db")[PREFIX + "bind-on-eip"] == "db"
    db_ip = custom(kube).get_namespaced_custom_object("kube-dc.com", "v1", "acme-prod", "eips", "db")["status"]["ipAddress"]
    assert core.read_namespaced_service("db", "acme-prod").status.load_balancer.ingress[0].ip == db_ip

    # Re-run and re-check: nothing to do.
    assert site.converge(changed=False)[-1] == "0 created, 0 changed, 0 removed."
    assert site.converge("--check", "--diff", changed=False)[-1] == "0 to create, 0 to change, 0 to remove."
    proc, recap = site.play("verify.yml")
    assert proc.returncode == 0 and recap[3] == 0, proc.stdout[-5000:]

    # Drop a service and an EIP: the plan shows the removals, the run makes them, and only ours go.
    site.write(datacenter(old=False))
    next_file = yaml.safe_load(site.file.read_text())
    next_file["kubedc_datacenter"]["organizations"][0]["projects"][1]["eips"] = []
    site.write(next_file)
    plan = site.converge("--check", "--diff", changed=True)
    assert "  remove binding metrics" in plan and "  remove eip spare" in plan, plan
    proc, recap = site.play("verify.yml")
    assert proc.returncode != 0 and "binding metrics exists and the file does not name it" in proc.stdout, proc.stdout[-5000:]
    site.converge(changed=True)
    assert MARK_KEY not in annotations(core, "metrics") and PREFIX + "bind-on-default-gw-eip" not in annotations(core, "metrics")
    assert annotations(core, "other") == {PREFIX + "bind-on-default-gw-eip": "true"}
    assert names(kube, "eips") == ["acme-prod/db", "acme-prod/default-gw", "acme-prod/ssh", "acme-web/default-gw"]

    # Drop project web: verify names it; while a Pod runs in its namespace the plan and the run
    # refuse it by name (Kube-DC would delete the namespace with the Project); then it goes.
    site.write(datacenter(old=False, web=False))
    proc, recap = site.play("verify.yml")
    assert proc.returncode != 0 and "acme-web: the project network exists and the file does not name it" in proc.stdout, proc.stdout[-5000:]
    core.create_namespaced_pod("acme-web", {"metadata": {"name": "api-0"}, "spec": {"containers": [{"name": "api", "image": "api"}]}})
    for options in (("--check", "--diff"), ()):
        proc, recap = site.play("site.yml", *options)
        assert proc.returncode != 0 and "project network acme-web still has workloads in its namespace: Pod api-0" in proc.stdout, \
            proc.stdout[-5000:]
    assert names(kube, "projects") == ["acme/prod", "acme/web"]
    core.delete_namespaced_pod("api-0", "acme-web", grace_period_seconds=0)
    deadline = time.monotonic() + 60
    while core.list_namespaced_pod("acme-web").items and time.monotonic() < deadline:
        time.sleep(0.5)
    assert site.converge("--check", "--diff", changed=True) == ["acme-web:", "  remove project network", "0 to create, 0 to change, 1 to remove."]
    site.converge(changed=True)
    assert names(kube, "projects") == ["acme/prod"] and names(kube, "eips") == ["acme-prod/db", "acme-prod/default-gw", "acme-prod/ssh"]
    assert site.converge("--check", "--diff", changed=False)[-1] == "0 to create, 0 to change, 0 to remove."
    proc, recap = site.play("verify.yml")
    assert proc.returncode == 0 and recap[3] == 0, proc.stdout[-5000:]

    # Teardown: no Project, EIp or FIp of ours is left, and no Service is deleted by it.
    proc, recap = site.play("teardown.yml")
    assert proc.returncode == 0 and recap[3] == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert names(kube, "projects") == [] and names(kube, "fips") == [] and names(kube, "eips") == []
    proc, recap = site.play("teardown.yml")
    assert proc.returncode == 0 and recap[1] == 0, proc.stdout[-6000:]


def test_a_bad_kube_dc_file_is_refused_by_path_before_anything_changes(site, kube):
    bad = datacenter()
    prod = bad["kubedc_datacenter"]["organizations"][0]["projects"][0]
    prod["fips"][0]["pod_name"] = "web-0"
    del prod["fips"][0]["ip_address"]
    prod["services"][1]["backends"] = ["10.0.0.20:5432"]
    site.write(bad)
    proc, recap = site.play("site.yml")
    assert proc.returncode != 0
    assert "organizations[0].projects[0].fips[0].pod_name (bastion): 'web-0' applies to platform ovn only" in proc.stdout, proc.stdout[-4000:]
    assert "organizations[0].projects[0].services[1].backends (db)" in proc.stdout, proc.stdout[-4000:]
    assert names(kube, "projects") == []


def test_summary_reads_kube_dc_results(site):
    # The summary lines come from the modules' diffs; an empty file plans nothing.
    site.write(dict(kubedc_datacenter=dict(platform="kube_dc", organizations=[])))
    proc, recap = site.play("site.yml", "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert summary_of(proc.stdout)[-1] == "0 to create, 0 to change, 0 to remove."

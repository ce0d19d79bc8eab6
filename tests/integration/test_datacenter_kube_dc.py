# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A datacenter file on platform kube_dc through the playbooks, with ansible-playbook.

The Kubernetes API (the test double, or the real server of KUBEDC_TEST_KUBECONFIG) gets the
Projects, EIps, FIps and Service annotations; the Kube-DC test controller plays Kube-DC's
part (ready, addresses, owners, namespaces) on the lab's NB. The test plays the workload
owner: it creates the LoadBalancer Services once their project namespaces exist, and the
Pods, VMIs and hand-bound Services that must stop a teardown.

What issue 14 asks of kube_dc, each with exact plan lines and exact object lists:

* a fresh ``--check --diff`` lists every object of the file, with its diff (a full manifest,
  waiting for its project, where the namespace does not exist yet) and writes nothing;
* the converge then reports the same objects as created; a re-run changes nothing;
* a file edit (one FIP retargeted, one project added, one FIP dropped with exclusive) plans
  exactly those three and applies exactly those three;
* a teardown refused with workloads attached changes nothing and names every blocker by
  project; after detaching them, a teardown leaves no object of ours.
"""

import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from support import PlaybookRun, ansible_command

pytestmark = pytest.mark.playbook

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "tests" / "integration" / "files" / "inventory.yml"
MARK_KEY = "kubedc.network/managed-by"
MARK = "kubedc.network"
PREFIX = "service.nlb.kube-dc.com/"
GROUP, VERSION = "kube-dc.com", "v1"
KINDS = ("projects", "eips", "fips")
# The LoadBalancer Services the workload owner makes in acme-prod: (name, port).
SERVICES = (("shop-frontend", 8080), ("db", 5432), ("metrics", 9100), ("other", 7000))


# --- the file --------------------------------------------------------------------------------


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


def full_file():
    """Two projects with every kind: EIPs, two FIPs (one on a named EIP, one on an address of
    its own), a route, a load balancer on an EIP of its own and one on the project's address."""
    dc = datacenter()
    prod = dc["kubedc_datacenter"]["organizations"][0]["projects"][0]
    prod["fips"].append(dict(name="admin", ip_address="10.0.0.12"))
    return dc


# Every object of full_file() in the order the summary lists them.
EVERYTHING = [
    "acme-prod:",
    "  {0} project network",
    "  {0} eip db", "  {0} eip ssh",
    "  {0} fip admin", "  {0} fip bastion",
    "  {0} binding db", "  {0} binding metrics", "  {0} binding shop-frontend",
    "acme-web:",
    "  {0} project network",
    "  {0} eip spare",
]
HEADERS = ["acme-prod: project network", "acme-prod: eip db", "acme-prod: eip ssh", "acme-prod: fip admin",
           "acme-prod: fip bastion", "acme-prod: binding db", "acme-prod: binding metrics",
           "acme-prod: binding shop-frontend", "acme-web: project network", "acme-web: eip spare"]


def lines(template, action, waiting=False):
    """The summary lines of ``template``; with ``waiting``, what check mode says of every object
    in a project namespace that does not exist yet."""
    found = []
    group = None
    for line in template:
        if line.endswith(":"):
            group = line[:-1]
        elif waiting and not line.endswith("project network"):
            line += " (waiting for project {0})".format(group)
        found.append(line.format(action))
    return found


# --- ansible-playbook ------------------------------------------------------------------------


class Site(object):
    """ansible-playbook runs of the collection's playbooks on one datacenter file, against the
    API server of ``kube`` (K8S_AUTH_KUBECONFIG, as an AWX credential gives it)."""

    def __init__(self, lab, kube, tmp_path):
        self.lab = lab
        self.kube = kube
        self.tmp_path = tmp_path
        self.file = tmp_path / "datacenter.yml"

    def write(self, datacenter):
        self.file.write_text(yaml.safe_dump(datacenter))

    def read(self):
        return yaml.safe_load(self.file.read_text())

    def play(self, playbook, *options):
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", K8S_AUTH_KUBECONFIG=self.kube.kubeconfig,
                   OVN_NB_DB=self.lab.ovn.nb_remote, OVN_SB_DB=self.lab.ovn.sb_remote,
                   ANSIBLE_HOME=str(self.tmp_path / "ansible-home"))
        proc = subprocess.run(
            [ansible_command(), "-i", str(INVENTORY), "-e", "@" + str(self.file), str(REPO / "playbooks" / playbook), *options],
            env=env, capture_output=True, text=True, timeout=900, check=False,
        )
        return PlaybookRun(proc)

    def converge(self, *options, changed=None):
        run = self.play("site.yml", *options)
        assert run.ok and run.failed == 0, run.tail
        if changed is not None:
            assert (run.changed > 0) is changed, run.tail
        return run


@pytest.fixture
def site(lab, kube, kube_dc, ext_cloud, tmp_path):
    kube.namespace("acme")
    return Site(lab, kube, tmp_path)


# --- the API server's objects ----------------------------------------------------------------


def custom(kube):
    from kubernetes import client

    return client.CustomObjectsApi(kube.api_client())


def core_api(kube):
    from kubernetes import client

    return client.CoreV1Api(kube.api_client())


def names(kube, plural):
    found = custom(kube).list_cluster_custom_object(GROUP, VERSION, plural)["items"]
    return sorted("{0}/{1}".format(o["metadata"]["namespace"], o["metadata"]["name"]) for o in found)


def acme_namespaces(kube):
    return sorted(ns.metadata.name for ns in core_api(kube).list_namespace().items
                  if ns.metadata.name.startswith("acme-") and ns.status.phase != "Terminating")


def state(kube):
    """Everything a run may write, as the declarer owns it: every Kube-DC object (its spec, labels
    and finalizers), every Service annotation of the family, and the project namespaces.
    Not the status: that is the controller's."""
    found = {}
    for plural in KINDS:
        for obj in custom(kube).list_cluster_custom_object(GROUP, VERSION, plural)["items"]:
            meta = obj["metadata"]
            found["{0} {1}/{2}".format(plural, meta["namespace"], meta["name"])] = dict(
                spec=obj.get("spec"), labels=meta.get("labels") or {}, deleting=bool(meta.get("deletionTimestamp")))
    for svc in core_api(kube).list_service_for_all_namespaces().items:
        ours = dict((k, v) for k, v in (svc.metadata.annotations or {}).items() if k.startswith(PREFIX) or k == MARK_KEY)
        found["services {0}/{1}".format(svc.metadata.namespace, svc.metadata.name)] = ours
    found["namespaces"] = acme_namespaces(kube)
    return found


def ours(kube):
    """Every object of the collection's: the labelled Kube-DC objects and the Services it marked."""
    found = []
    for plural in KINDS:
        for obj in custom(kube).list_cluster_custom_object(GROUP, VERSION, plural, label_selector=MARK_KEY + "=" + MARK)["items"]:
            found.append("{0} {1}/{2}".format(plural, obj["metadata"]["namespace"], obj["metadata"]["name"]))
    for svc in core_api(kube).list_service_for_all_namespaces().items:
        if (svc.metadata.annotations or {}).get(MARK_KEY) == MARK:
            found.append("services {0}/{1}".format(svc.metadata.namespace, svc.metadata.name))
    return sorted(found)


def changed_keys(before, after):
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def wait_until(predicate, what, timeout=90):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.2)


def make_services(kube, namespace="acme-prod", services=SERVICES):
    core = core_api(kube)
    for name, port in services:
        core.create_namespaced_service(namespace, {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "LoadBalancer", "selector": {"app": name},
                     "ports": [dict(name="p", port=port, targetPort=port, protocol="TCP")]}})
    return core


class WorkloadOwner(threading.Thread):
    """Makes the LoadBalancer Services of acme-prod as soon as Kube-DC has made the namespace,
    as the workload owner would while the converge waits for the Projects."""

    def __init__(self, kube):
        super(WorkloadOwner, self).__init__(daemon=True)
        self.kube = kube
        self.error = None
        self.done = threading.Event()
        self.stop = threading.Event()

    def run(self):
        try:
            core = core_api(self.kube)
            while not self.stop.is_set():
                if "acme-prod" in [ns.metadata.name for ns in core.list_namespace().items]:
                    # A Service needs only its namespace (the default ServiceAccount gates pods, not
                    # Services); the converge reads them after its EIps and FIps are ready.
                    make_services(self.kube)
                    self.done.set()
                    return
                time.sleep(0.1)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def annotations(core, name, namespace="acme-prod"):
    return dict(core.read_namespaced_service(name, namespace).metadata.annotations or {})


def ingress_ip(core, name, namespace):
    ingress = (core.read_namespaced_service(name, namespace).status.load_balancer or None)
    ingress = ingress.ingress if ingress else None
    return ingress[0].ip if ingress else None


def eip_status(kube, namespace, name):
    return custom(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, "eips", name).get("status") or {}


def converge_full_file(site, kube):
    """A real converge of full_file() from nothing, the Services coming as their namespace does."""
    site.write(full_file())
    owner = WorkloadOwner(kube)
    owner.start()
    try:
        applied = site.converge("--diff", changed=True)
    finally:
        owner.stop.set()
        owner.join(30)
    assert owner.error is None and owner.done.is_set(), owner.error
    return applied


OURS_CONVERGED = [
    "eips acme-prod/db", "eips acme-prod/ssh", "eips acme-web/spare",
    "fips acme-prod/admin", "fips acme-prod/bastion",
    "projects acme/prod", "projects acme/web",
    "services acme-prod/db", "services acme-prod/metrics", "services acme-prod/shop-frontend",
]


# --- the tests -------------------------------------------------------------------------------


def test_fresh_check_lists_every_object_with_its_manifest_then_the_run_creates_exactly_those(site, kube):
    start = state(kube)
    site.write(full_file())

    plan = site.converge("--check", "--diff", changed=True)
    # Every object, none left out: the Projects as server-side dry runs (acme exists), all the
    # rest waiting for a project namespace that only the run makes.
    assert plan.summary == lines(EVERYTHING, "create", waiting=True) + ["10 to create, 0 to change, 0 to remove."], plan.tail
    assert sorted(plan.diff_headers) == sorted(HEADERS), plan.tail
    assert plan.changed == 1, plan.tail  # one task, counted once
    assert state(kube) == start, "check mode wrote to the API server"
    # The diff of a waiting object is its full manifest, not a placeholder.
    for manifest_line in ('"ipAddress": "10.0.0.12"', '"ipAddress": "10.0.0.11"', '"eip": "ssh"',
                          '"kind": "FIp"', '"kind": "EIp"', '"' + PREFIX + 'bind-on-eip": "db"',
                          '"' + PREFIX + 'expose-route": "https"', '"' + PREFIX + 'bind-on-default-gw-eip": "true"'):
        assert manifest_line in plan.stdout, (manifest_line, plan.tail)
    assert plan.stdout.count("(waiting for project acme-prod)") >= 7 and "waiting for project acme-web" in plan.stdout

    applied = converge_full_file(site, kube)
    assert applied.summary == lines(EVERYTHING, "created") + ["10 created, 0 changed, 0 removed."], applied.tail
    assert sorted(applied.diff_headers) == sorted(HEADERS), applied.tail
    assert ours(kube) == OURS_CONVERGED
    # Kube-DC's own objects, beside ours: each project's default-gw, the FIP admin's own EIp.
    assert names(kube, "eips") == ["acme-prod/db", "acme-prod/default-gw", "acme-prod/fip-admin", "acme-prod/ssh",
                                   "acme-web/default-gw", "acme-web/spare"]
    assert acme_namespaces(kube) == ["acme-prod", "acme-web"]
    # Every kind was waited for: the run ends with everything ready.
    for plural in KINDS:
        for obj in custom(kube).list_cluster_custom_object(GROUP, VERSION, plural)["items"]:
            assert (obj.get("status") or {}).get("ready") is True, obj
    core = core_api(kube)
    assert ingress_ip(core, "db", "acme-prod") == eip_status(kube, "acme-prod", "db")["ipAddress"]
    assert ingress_ip(core, "metrics", "acme-prod") == eip_status(kube, "acme-prod", "default-gw")["ipAddress"]
    assert annotations(core, "shop-frontend")[PREFIX + "route-hostname-status"] == "shop.acme.example.com"
    assert annotations(core, "other") == {}, "a Service the file does not name was annotated"

    converged = state(kube)
    rerun = site.converge("--diff", changed=False)
    assert rerun.summary == ["0 created, 0 changed, 0 removed."] and rerun.diff_headers == [], rerun.tail
    recheck = site.converge("--check", "--diff", changed=False)
    assert recheck.summary == ["0 to create, 0 to change, 0 to remove."] and recheck.diff_headers == [], recheck.tail
    assert state(kube) == converged


def test_a_file_edit_plans_and_applies_exactly_what_changed(site, kube):
    converge_full_file(site, kube)
    converged = state(kube)

    # One FIP retargeted, one project added, one FIP dropped (exclusive prunes it).
    edited = full_file()
    projects = edited["kubedc_datacenter"]["organizations"][0]["projects"]
    projects[0]["fips"] = [dict(name="bastion", ip_address="10.0.0.13", eip="ssh")]
    projects.append(dict(name="dev", cidr="10.0.2.0/24"))
    site.write(edited)

    plan = site.converge("--check", "--diff", changed=True)
    assert plan.summary == ["acme-dev:", "  create project network",
                            "acme-prod:", "  remove fip admin", "  change fip bastion",
                            "1 to create, 1 to change, 1 to remove."], plan.tail
    assert sorted(plan.diff_headers) == ["acme-dev: project network", "acme-prod: fip admin", "acme-prod: fip bastion"], plan.tail
    assert re.search(r'^-\s+"spec\.ipAddress": "10\.0\.0\.11"', plan.stdout, re.M), plan.tail
    assert re.search(r'^\+\s+"spec\.ipAddress": "10\.0\.0\.13"', plan.stdout, re.M), plan.tail
    assert state(kube) == converged, "check mode wrote to the API server"

    applied = site.converge("--diff", changed=True)
    assert applied.summary == ["acme-dev:", "  created project network",
                               "acme-prod:", "  removed fip admin", "  changed fip bastion",
                               "1 created, 1 changed, 1 removed."], applied.tail
    after = state(kube)
    # Exactly those three, and what Kube-DC does for them: the new project's namespace and
    # default-gw, the dropped FIP's own EIp released with it.
    assert changed_keys(converged, after) == [
        "eips acme-dev/default-gw", "eips acme-prod/fip-admin", "fips acme-prod/admin", "fips acme-prod/bastion",
        "namespaces", "projects acme/dev"], changed_keys(converged, after)
    assert after["fips acme-prod/bastion"]["spec"] == {"eip": "ssh", "ipAddress": "10.0.0.13"}
    assert after["namespaces"] == ["acme-dev", "acme-prod", "acme-web"]
    assert ours(kube) == sorted([o for o in OURS_CONVERGED if o != "fips acme-prod/admin"] + ["projects acme/dev"])
    fip = custom(kube).get_namespaced_custom_object(GROUP, VERSION, "acme-prod", "fips", "bastion")["status"]
    assert fip["ready"] is True and fip["resolvedTargetIP"] == "10.0.0.13", fip

    edited_state = state(kube)
    assert site.converge("--diff", changed=False).summary == ["0 created, 0 changed, 0 removed."]
    assert state(kube) == edited_state


def test_teardown_is_refused_with_workloads_attached_naming_every_blocker_then_removes_everything(site, kube):
    converge_full_file(site, kube)
    core = core_api(kube)
    # Workloads attached to the file's projects: a Pod and a VM (its running VMI) in acme-prod,
    # whose namespace the Project's deletion would take down; and in acme-web a Service the file
    # does not name, bound by hand to the file's EIP spare, which would hold it.
    core.create_namespaced_pod("acme-prod", {"metadata": {"name": "api-0"}, "spec": {"containers": [{"name": "api", "image": "api"}]}})
    custom(kube).create_namespaced_custom_object("kubevirt.io", "v1", "acme-prod", "virtualmachineinstances", {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "jump"},
        "spec": {"domain": {"devices": {}}}})
    make_services(kube, "acme-web", [("intruder", 8000)])
    core.patch_namespaced_service("intruder", "acme-web", {"metadata": {"annotations": {PREFIX + "bind-on-eip": "spare"}}})
    wait_until(lambda: ingress_ip(core, "intruder", "acme-web") == eip_status(kube, "acme-web", "spare").get("ipAddress"),
               "the hand-bound Service to get EIP spare")
    spare = eip_status(kube, "acme-web", "spare")
    assert spare["owners"] == [{"type": "ServiceLb", "ownerRef": "intruder"}], spare
    attached = state(kube)

    for options in (("--check", "--diff"), ()):
        refused = site.play("teardown.yml", *options)
        assert not refused.ok and refused.failed == 1, refused.tail
        result = refused.failure
        # Each blocker named by where the file has it, for every project: the workloads that stop the
        # project's removal are found although the EIP stage before it is refused already.
        assert result["blockers"] == {
            "acme-prod": ["organizations[0].projects[0] (acme-prod): project network acme-prod still has workloads in its "
                          "namespace: Pod api-0, VirtualMachineInstance jump. Deleting the Project makes Kube-DC delete the "
                          "namespace and everything in it; remove them first."],
            "acme-web": ["organizations[0].projects[1] (acme-web): eips (spare): EIp spare ({0}) is still owned by ServiceLb "
                         "intruder; remove those first, or set force: true to delete it anyway".format(spare["ipAddress"])],
        }, result
        assert result["msg"].startswith("teardown refused, nothing was removed; 2 problem(s):\nacme-prod:\n  "
                                        "organizations[0].projects[0] (acme-prod): project network acme-prod still has workloads"), \
            result["msg"]
        assert state(kube) == attached, "a refused teardown changed something"
        assert ours(kube) == OURS_CONVERGED

    # Detach: the Pod and the VM go, the hand-bound Service lets go of the EIP.
    core.delete_namespaced_pod("api-0", "acme-prod", grace_period_seconds=0)
    custom(kube).delete_namespaced_custom_object("kubevirt.io", "v1", "acme-prod", "virtualmachineinstances", "jump")
    core.patch_namespaced_service("intruder", "acme-web", {"metadata": {"annotations": {PREFIX + "bind-on-eip": None}}})
    wait_until(lambda: not core.list_namespaced_pod("acme-prod").items, "Pod api-0 to go")
    wait_until(lambda: not eip_status(kube, "acme-web", "spare").get("owners"), "EIP spare to be released")

    detached = state(kube)
    plan = site.play("teardown.yml", "--check", "--diff")
    assert plan.ok and plan.changed == 1, plan.tail
    assert state(kube) == detached and ours(kube) == OURS_CONVERGED, "check mode removed something"
    torn = site.play("teardown.yml", "--diff")
    assert torn.ok and torn.failed == 0 and torn.changed == 1, torn.tail
    assert ours(kube) == [], ours(kube)
    assert names(kube, "projects") == [] and names(kube, "eips") == [] and names(kube, "fips") == []
    assert acme_namespaces(kube) == []
    again = site.play("teardown.yml")
    assert again.ok and again.changed == 0, again.tail


def test_converge_rerun_prune_verify_and_teardown_on_kube_dc(site, kube):
    # First the projects and their addresses: the Services come once their namespaces exist.
    site.write(datacenter(services=False))
    plan = site.converge("--check", "--diff", changed=True).summary
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
    fip = custom(kube).get_namespaced_custom_object(GROUP, VERSION, "acme-prod", "fips", "bastion")
    assert fip["status"]["ready"] is True and fip["metadata"]["labels"] == {MARK_KEY: MARK}

    # A binding annotates a Service its workload owner makes, it never makes one: with the namespace
    # there and the Services not yet, the file is refused in the plan, before any write (the EIP the
    # plan puts before the bindings included), every binding named by where the file has it.
    site.write(datacenter())
    before = state(kube)
    for options in (("--check", "--diff"), ()):
        refused = site.play("site.yml", *options)
        assert not refused.ok and refused.failure["blockers"] == {"acme-prod": [
            "organizations[0].projects[0] (acme-prod): services[{0}] ({1}): service: '{1}' is not a Service in namespace "
            "acme-prod: lb_binding annotates an existing Service of type LoadBalancer, create it first".format(index, name)
            for index, name in enumerate(("shop-frontend", "db", "metrics"))]}, refused.tail
        assert refused.failure["msg"].startswith("the datacenter file was refused, nothing was changed; 3 problem(s)"), refused.tail
        assert state(kube) == before, "a refused file changed something"

    core = make_services(kube)
    # A Service bound by hand: the file does not name it, and pruning must leave it alone.
    core.patch_namespaced_service("other", "acme-prod", {"metadata": {"annotations": {PREFIX + "bind-on-default-gw-eip": "true"}}})
    site.write(datacenter())
    plan = site.converge("--check", "--diff", changed=True).summary
    assert plan == ["acme-prod:", "  create eip db", "  create binding db", "  create binding metrics",
                    "  create binding shop-frontend", "4 to create, 0 to change, 0 to remove."], plan
    assert annotations(core, "db") == {}, "check mode annotated a Service"
    summary = site.converge("--diff", changed=True).summary
    assert summary == ["acme-prod:", "  created eip db", "  created binding db", "  created binding metrics",
                       "  created binding shop-frontend", "4 created, 0 changed, 0 removed."], summary
    assert annotations(core, "shop-frontend")[PREFIX + "expose-route"] == "https"
    assert annotations(core, "shop-frontend")[PREFIX + "route-hostname-status"] == "shop.acme.example.com"
    assert annotations(core, "db")[PREFIX + "bind-on-eip"] == "db"
    db_ip = eip_status(kube, "acme-prod", "db")["ipAddress"]
    assert ingress_ip(core, "db", "acme-prod") == db_ip

    # Re-run and re-check: nothing to do.
    assert site.converge(changed=False).summary == ["0 created, 0 changed, 0 removed."]
    assert site.converge("--check", "--diff", changed=False).summary == ["0 to create, 0 to change, 0 to remove."]
    verified = site.play("verify.yml")
    assert verified.ok and verified.failed == 0, verified.tail

    # Drop a service and an EIP: the plan shows the removals, the run makes them, and only ours go.
    next_file = datacenter(old=False)
    next_file["kubedc_datacenter"]["organizations"][0]["projects"][1]["eips"] = []
    site.write(next_file)
    plan = site.converge("--check", "--diff", changed=True).summary
    assert plan == ["acme-prod:", "  remove binding metrics", "acme-web:", "  remove eip spare",
                    "0 to create, 0 to change, 2 to remove."], plan
    verified = site.play("verify.yml")
    assert not verified.ok and verified.says("binding metrics exists and the file does not name it"), verified.tail
    site.converge(changed=True)
    assert MARK_KEY not in annotations(core, "metrics") and PREFIX + "bind-on-default-gw-eip" not in annotations(core, "metrics")
    assert annotations(core, "other") == {PREFIX + "bind-on-default-gw-eip": "true"}
    assert names(kube, "eips") == ["acme-prod/db", "acme-prod/default-gw", "acme-prod/ssh", "acme-web/default-gw"]

    # Drop project web: verify names it; while a Pod runs in its namespace the plan and the run
    # refuse it by name (Kube-DC would delete the namespace with the Project); then it goes.
    site.write(datacenter(old=False, web=False))
    verified = site.play("verify.yml")
    assert not verified.ok and verified.says("acme-web: the project network exists and the file does not name it"), verified.tail
    core.create_namespaced_pod("acme-web", {"metadata": {"name": "api-0"}, "spec": {"containers": [{"name": "api", "image": "api"}]}})
    for options in (("--check", "--diff"), ()):
        refused = site.play("site.yml", *options)
        # Named by why the file removes it: exclusive, the file no longer naming the project.
        assert not refused.ok and refused.failure["blockers"] == {"acme-web": [
            "exclusive (acme-web): project network acme-web still has workloads in its namespace: Pod api-0. Deleting the Project makes Kube-DC "
            "delete the namespace and everything in it; remove them first."]}, refused.tail
    assert names(kube, "projects") == ["acme/prod", "acme/web"]
    core.delete_namespaced_pod("api-0", "acme-web", grace_period_seconds=0)
    wait_until(lambda: not core.list_namespaced_pod("acme-web").items, "Pod api-0 to go")
    assert site.converge("--check", "--diff", changed=True).summary == ["acme-web:", "  remove project network",
                                                                        "0 to create, 0 to change, 1 to remove."]
    site.converge(changed=True)
    assert names(kube, "projects") == ["acme/prod"] and names(kube, "eips") == ["acme-prod/db", "acme-prod/default-gw", "acme-prod/ssh"]
    assert site.converge("--check", "--diff", changed=False).summary == ["0 to create, 0 to change, 0 to remove."]
    verified = site.play("verify.yml")
    assert verified.ok and verified.failed == 0, verified.tail

    # Teardown: no Project, EIp or FIp of ours is left, and no Service is deleted by it.
    torn = site.play("teardown.yml")
    assert torn.ok and torn.failed == 0, torn.tail
    assert names(kube, "projects") == [] and names(kube, "fips") == [] and names(kube, "eips") == []
    again = site.play("teardown.yml")
    assert again.ok and again.changed == 0, again.tail


def test_a_bad_kube_dc_file_is_refused_by_path_before_anything_changes(site, kube):
    bad = datacenter()
    prod = bad["kubedc_datacenter"]["organizations"][0]["projects"][0]
    prod["fips"][0]["pod_name"] = "web-0"
    del prod["fips"][0]["ip_address"]
    prod["services"][1]["backends"] = ["10.0.0.20:5432"]
    site.write(bad)
    start = state(kube)
    refused = site.play("site.yml")
    assert not refused.ok
    assert refused.says("organizations[0].projects[0].fips[0].pod_name (bastion): 'web-0' applies to platform ovn only"), refused.tail
    assert refused.says("organizations[0].projects[0].services[1].backends (db)"), refused.tail
    assert state(kube) == start


def test_an_empty_kube_dc_file_plans_nothing(site):
    site.write(dict(kubedc_datacenter=dict(platform="kube_dc", organizations=[])))
    plan = site.converge("--check", "--diff", changed=False)
    assert plan.summary == ["0 to create, 0 to change, 0 to remove."], plan.tail

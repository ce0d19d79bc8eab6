# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The datacenter file through the playbooks on a real OVN lab, as users run them with ansible-playbook.

site.yml is one task of kubedc.network.datacenter: one plan over every kind of the file and,
on ovn, one OVSDB transaction. These tests hold it to what issue 14 asks: check mode lists
every object with its diff and writes nothing, its counts equal what the real run reports, a
re-run changes nothing, a file edit plans and applies exactly what changed, and a refused
teardown removes nothing.
"""

import copy
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from support import UPSTREAM_MAC, PlaybookRun, ansible_command

pytestmark = pytest.mark.playbook

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "datacenter.yml"
INVENTORY = REPO / "tests" / "integration" / "files" / "inventory.yml"

# Every object of examples/datacenter.yml, in the order the summary lists them.
EVERYTHING = [
    "external networks:",
    "  {0} external network ext-cloud", "  {0} external network ext-public",
    "acme-prod:",
    "  {0} project network", "  {0} eip db", "  {0} eip shop", "  {0} fip admin", "  {0} fip bastion", "  {0} binding shop",
    "acme-web:",
    "  {0} project network", "  {0} binding http", "  {0} binding metrics",
]
HEADERS = ["external networks: external network ext-cloud", "external networks: external network ext-public",
           "acme-prod: project network", "acme-prod: eip db", "acme-prod: eip shop", "acme-prod: fip admin",
           "acme-prod: fip bastion", "acme-prod: binding shop",
           "acme-web: project network", "acme-web: binding http", "acme-web: binding metrics"]
# The workloads, as the cloud's controller adds them: every FIP target and VIP backend.
WORKLOADS = [("acme-prod", "bastion", "0a:00:00:00:10:0b", "10.0.0.11"),
             ("acme-prod", "admin", "0a:00:00:00:10:0c", "10.0.0.12"),
             ("acme-prod", "shop-1", "0a:00:00:00:10:14", "10.0.0.20"),
             ("acme-prod", "shop-2", "0a:00:00:00:10:15", "10.0.0.21"),
             ("acme-web", "web-1", "0a:00:00:00:20:14", "10.0.0.20")]


def example():
    return yaml.safe_load(EXAMPLE.read_text())


def lines(template, action):
    return [line.format(action) for line in template]


class Site(object):
    """ansible-playbook runs of the collection's playbooks on one lab and one datacenter file."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.tmp_path = tmp_path
        self.file = tmp_path / "datacenter.yml"

    def write(self, datacenter):
        self.file.write_text(yaml.safe_dump(datacenter))

    def play(self, playbook, *options):
        """Run ``playbook``: one of the collection's by name, or a path of the test's own."""
        # The NB and SB connections come from the environment, as an AWX credential gives them.
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", OVN_NB_DB=self.lab.ovn.nb_remote,
                   OVN_SB_DB=self.lab.ovn.sb_remote, ANSIBLE_HOME=str(self.tmp_path / "ansible-home"))
        proc = subprocess.run(
            [ansible_command(), "-i", str(INVENTORY), "-e", "@" + str(self.file), str(REPO / "playbooks" / playbook), *options],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )
        return PlaybookRun(proc)

    def converge(self, *options, changed=None):
        run = self.play("site.yml", *options)
        assert run.proc.returncode == 0 and run.failed == 0, run.tail
        if changed is not None:
            assert (run.changed > 0) is changed, run.tail
        return run


@pytest.fixture
def site(lab, tmp_path):
    return Site(lab, tmp_path)


def switch_of(project):
    return project + "-default"


def attach(lab, workloads):
    for project, name, mac, ip in workloads:
        lab.workload_port(switch_of(project), name, mac, ip)


def detach(lab, workloads):
    for _project, name, _mac, _ip in workloads:
        lab.ovn.nbctl("lsp-del", name)


def prod_project(lab):
    return lab.run("project_network", dict(organization="acme", name="prod", cidr="10.0.0.0/24"), check=True)["project_network"]


def test_fresh_check_run_plans_every_object_with_its_diff_and_writes_nothing(site, lab):
    empty = lab.ovn.dump_nb()
    site.write(example())

    plan = site.converge("--check", "--diff", changed=True)
    assert lab.ovn.dump_nb() == empty, "check mode wrote to the NB DB"
    assert plan.summary == lines(EVERYTHING, "create") + ["11 to create, 0 to change, 0 to remove."]
    assert sorted(plan.diff_headers) == sorted(HEADERS), plan.tail
    # The diff shows what will be made, not just that something will: the FIP's planned address.
    assert re.search(r'\+\s+"external_ip": "100\.65\.', plan.stdout) or re.search(r"\+\s+external_ip: 100\.65\.", plan.stdout), plan.tail
    # One task writes the file; its recap counts it once.
    assert plan.changed == 1

    # The real run then does what the plan said, object for object.
    applied = site.converge("--diff", changed=True)
    assert applied.summary == lines(EVERYTHING, "created") + ["11 created, 0 changed, 0 removed."]
    assert sorted(applied.diff_headers) == sorted(HEADERS)
    converged = lab.ovn.dump_nb()

    rerun = site.converge("--diff", changed=False)
    assert rerun.summary == ["0 created, 0 changed, 0 removed."] and rerun.diff_headers == []
    assert site.converge("--check", "--diff", changed=False).summary == ["0 to create, 0 to change, 0 to remove."]
    assert lab.ovn.dump_nb() == converged


def test_converge_verify_drift_edit_and_teardown(site, lab):
    empty = lab.ovn.dump_nb()
    site.write(example())
    site.converge(changed=True)

    # No workload holds a FIP target or a VIP backend yet: verify passes, naming what it could not prove.
    verified = site.play("verify.yml")
    assert verified.ok, verified.tail
    assert verified.says("2 project(s), 2 EIP(s), 2 FIP(s) and 3 binding(s) as declared, no drift; 0 path(s) proven by ovn-trace; "
                         "6 path(s) not proven, no workload holds their target yet"), verified.tail
    for target in ("fip bastion", "fip admin", "10.0.0.20:8443", "10.0.0.21:8443", "10.0.0.20:8080", "10.0.0.20:9100"):
        assert target in verified.stdout, (target, verified.tail)
    strict = site.play("verify.yml", "-e", "require_workloads=true")
    assert not strict.ok and strict.says("no logical switch port"), strict.tail

    attach(lab, WORKLOADS)
    project = prod_project(lab)
    verified = site.play("verify.yml", "-e", "require_workloads=true")
    assert verified.ok and verified.says("2 project(s), 2 EIP(s), 2 FIP(s) and 3 binding(s) as declared, no drift; "
                                         "6 path(s) proven by ovn-trace"), verified.tail
    assert "not proven" not in verified.stdout
    # The proof is a packet: the internet reaches the bastion on its FIP.
    fip = lab.run("fip", dict(organization="acme", project="prod", name="bastion", ip_address="10.0.0.11"), check=True)["fip"]
    gateway_mac = lab.ovn.nbctl("get", "Logical_Router_Port", project["gateway_router_port"], "mac").strip().strip('"')
    flow = ('inport=="localnet.ext-cloud" && eth.src=={up} && eth.dst=={gw} && ip4.src==203.0.113.9 && '
            "ip4.dst=={fip} && ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst==22").format(
                up=UPSTREAM_MAC, gw=gateway_mac, fip=fip["external_ip"])
    assert lab.ovn.trace("ext-cloud", flow).outputs == ["bastion"]

    # Drift: the bastion's NAT row moved to another address by hand. verify names it and the
    # packet that no longer gets there; a converge puts it back and reports that one change.
    converged = lab.ovn.dump_nb()
    nat = lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "logical_ip=10.0.0.11").split()[0]
    lab.ovn.nbctl("set", "NAT", nat, "logical_ip=10.0.0.99")
    drifted = site.play("verify.yml")
    assert not drifted.ok, drifted.tail
    assert drifted.says("acme-prod: FIP bastion differs from the file"), drifted.tail
    assert drifted.says("acme-prod: ovn-trace: fip bastion"), drifted.tail
    repair = site.converge("--check", "--diff", changed=True)
    assert repair.summary == ["acme-prod:", "  change fip bastion", "0 to create, 1 to change, 0 to remove."]
    assert site.converge(changed=True).summary == ["acme-prod:", "  changed fip bastion", "0 created, 1 changed, 0 removed."]
    assert lab.ovn.dump_nb() == converged

    # The file edit: FIP admin retargeted, a project added, the bastion (a FIP) dropped.
    edited = example()
    prod = edited["kubedc_datacenter"]["organizations"][0]["projects"][0]
    prod["fips"][0]["ip_address"] = "10.0.0.13"
    prod["services"] = [service for service in prod["services"] if service["name"] != "bastion"]
    edited["kubedc_datacenter"]["organizations"][0]["projects"].append(
        dict(name="dev", cidr="10.1.0.0/24", eips=[dict(name="ci")], fips=[dict(name="runner", ip_address="10.1.0.5", eip="ci")]))
    site.write(edited)
    expected = ["acme-dev:", "  {0} project network", "  {0} eip ci", "  {0} fip runner",
                "acme-prod:", "  {1} fip bastion", "  {2} fip admin"]
    plan = site.converge("--check", "--diff", changed=True)
    assert lab.ovn.dump_nb() == converged
    assert plan.summary == [line.format("create", "remove", "change") for line in expected] + ["3 to create, 1 to change, 1 to remove."]
    assert sorted(plan.diff_headers) == sorted(["acme-dev: project network", "acme-dev: eip ci", "acme-dev: fip runner",
                                                "acme-prod: fip bastion", "acme-prod: fip admin"])
    applied = site.converge("--diff", changed=True)
    assert applied.summary == [line.format("created", "removed", "changed") for line in expected] + ["3 created, 1 changed, 1 removed."]
    assert "10.0.0.11" not in lab.ovn.nbctl("list", "NAT")
    assert site.converge(changed=False).summary == ["0 created, 0 changed, 0 removed."]
    lab.ovn.nbctl("lsp-del", "bastion")  # its FIP is gone, and the VM with it

    # Teardown with workloads still attached to both projects: refused before the first write,
    # every blocker named by project, the NB byte for byte as it was.
    dev_workload = [("acme-dev", "runner", "0a:00:00:00:30:05", "10.1.0.5")]
    attach(lab, dev_workload)
    held = lab.ovn.dump_nb()
    refused = site.play("teardown.yml")
    assert not refused.ok, refused.tail
    assert refused.says("teardown refused, nothing was removed"), refused.tail
    for project, port in (("acme-prod", "admin"), ("acme-prod", "shop-1"), ("acme-prod", "shop-2"), ("acme-web", "web-1"),
                          ("acme-dev", "runner")):
        assert re.search(r"{0}\b[^\n]*Logical_Switch_Port {1}\b".format(project, port), refused.stdout), (project, port, refused.tail)
    assert lab.ovn.dump_nb() == held

    detach(lab, [w for w in WORKLOADS if w[1] != "bastion"] + dev_workload)
    teardown = site.play("teardown.yml")
    assert teardown.ok and teardown.changed == 1, teardown.tail
    assert lab.ovn.dump_nb() == empty, "teardown left rows behind"
    again = site.play("teardown.yml")
    assert again.ok and again.changed == 0, again.tail


def _edit(path, value):
    def edit(datacenter):
        node = datacenter["kubedc_datacenter"]
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return datacenter
    return edit


PROD = ("organizations", 0, "projects", 0)


@pytest.mark.parametrize(
    "edit,messages",
    [
        # The shape, by the module's argument spec (the roles' spec is the same).
        (_edit(PROD + ("cidr",), None),
         ["missing required arguments: cidr found in datacenter -> organizations -> projects"]),
        (_edit(PROD + ("colour",), "red"),
         ["datacenter.organizations.projects.colour. Supported parameters include"]),
        # What a shape cannot say, with the full path of the field and its value.
        (_edit(PROD + ("fips", 0, "ip_address"), "10.0.9.12"),
         ["organizations[0].projects[0].fips[0].ip_address (admin): '10.0.9.12' is outside the project's cidr 10.0.0.0/24"]),
        (_edit(PROD + ("services", 0, "expose"), "route"),
         ["organizations[0].projects[0].services[0].expose (bastion): 'route' needs platform kube_dc"]),
        (_edit(PROD + ("fips", 0, "name"), "bastion"),
         ["organizations[0].projects[0].services[0].name: 'bastion' is the name of organizations[0].projects[0].fips[0] too"]),
        # What the resources refuse, at the entry the user wrote: the service, not the FIP or
        # binding the service became.
        (_edit(PROD + ("services", 1, "port"), 70000),
         ["organizations[0].projects[0] (acme-prod): services[1] (shop): port: 70000 must be a port number from 1 to 65535"]),
        (_edit(PROD + ("fips", 0, "ip_address"), "10.0.0.11"),
         ["organizations[0].projects[0] (acme-prod): services[0] (bastion): ip_address: '10.0.0.11' is the target of "
          "fips[0] (admin) too"]),
        (_edit(PROD + ("fips", 0, "eip"), "nope"),
         ["organizations[0].projects[0].fips[0].external_network_type (admin): 'public' goes with eip",
          "organizations[0].projects[0].fips[0].eip (admin): 'nope' is not an EIP of the project's eips"]),
    ],
)
def test_a_bad_file_is_refused_by_path_before_anything_changes(site, lab, edit, messages):
    start = lab.ovn.dump_nb()
    site.write(edit(example()))
    for options in ((), ("--check",)):
        run = site.play("site.yml", *options)
        assert not run.ok and run.failed == 1
        for message in messages:
            assert run.says(message), (message, run.tail)
    assert lab.ovn.dump_nb() == start


def test_teardown_of_a_file_never_converged_changes_nothing(site, lab):
    start = lab.ovn.dump_nb()
    # Its external networks do not exist either; nothing to remove is not an error.
    site.write(example())
    for options in (("--check", "--diff"), ()):
        run = site.play("teardown.yml", *options)
        assert run.ok and run.changed == 0 and run.failed == 0, run.tail
    assert lab.ovn.dump_nb() == start


def test_a_fip_moved_to_a_new_eip_plans_the_eip_and_the_change_together(site, lab):
    # Without exclusive nothing is pruned; the FIP's new EIP is planned in the same pass, so
    # the FIP is a change against an EIP that exists only in the plan.
    file = example()
    file["kubedc_datacenter"]["exclusive"] = False
    site.write(file)
    start = lab.ovn.dump_nb()
    site.converge(changed=True)
    prod = file["kubedc_datacenter"]["organizations"][0]["projects"][0]
    prod["eips"].append(dict(name="adm"))
    prod["fips"] = [dict(name="admin", ip_address="10.0.0.12", eip="adm")]
    site.write(file)
    converged = lab.ovn.dump_nb()
    plan = site.converge("--check", "--diff", changed=True)
    assert plan.summary == ["acme-prod:", "  create eip adm", "  change fip admin", "1 to create, 1 to change, 0 to remove."]
    assert lab.ovn.dump_nb() == converged
    assert site.converge(changed=True).summary == ["acme-prod:", "  created eip adm", "  changed fip admin",
                                                   "1 created, 1 changed, 0 removed."]
    fip = lab.run("fip", dict(organization="acme", project="prod", name="admin", ip_address="10.0.0.12", eip="adm"), check=True)
    assert fip["changed"] is False and fip["fip"]["eip"] == "adm"
    assert site.converge("--check", "--diff", changed=False).summary == ["0 to create, 0 to change, 0 to remove."]
    run = site.play("teardown.yml")
    assert run.ok and run.failed == 0, run.tail
    assert lab.ovn.dump_nb() == start


def test_the_parts_run_alone_on_the_same_engine(site, lab):
    """project_bootstrap and service_exposure are the datacenter module on part of the file."""
    empty = lab.ovn.dump_nb()
    site.write(example())
    (site.tmp_path / "exposure.yml").write_text(yaml.safe_dump([dict(
        name="exposures", hosts="localhost", gather_facts=False,
        roles=[dict(role="kubedc.network.service_exposure")])]))
    (site.tmp_path / "bootstrap.yml").write_text(yaml.safe_dump([dict(
        name="bootstrap", hosts="localhost", gather_facts=False,
        roles=[dict(role="kubedc.network.project_bootstrap")])]))
    # Exposures need their projects: on a fresh NB a real run refuses, naming them, and writes nothing.
    refused = site.play(site.tmp_path / "exposure.yml")
    assert not refused.ok and refused.says("the file's external networks, project networks and EIPs are not converged yet: "
                                           "run the project_bootstrap role (or playbooks/site.yml) first"), refused.tail
    assert lab.ovn.dump_nb() == empty
    bootstrap = site.play(site.tmp_path / "bootstrap.yml")
    assert bootstrap.ok and bootstrap.changed == 1, bootstrap.tail
    exposure = site.play(site.tmp_path / "exposure.yml")
    assert exposure.ok and exposure.changed == 1, exposure.tail
    # Together the parts made what site.yml would: it has nothing left to do.
    assert site.play("site.yml").changed == 0


def test_a_copy_of_the_file_with_projects_reordered_plans_nothing(site, lab):
    """The plan is of the declaration, not of its order: reordering changes nothing."""
    file = example()
    site.write(file)
    site.converge(changed=True)
    reordered = copy.deepcopy(file)
    reordered["kubedc_datacenter"]["organizations"][0]["projects"].reverse()
    reordered["kubedc_datacenter"]["external_networks"].reverse()
    site.write(reordered)
    assert site.converge("--check", "--diff", changed=False).summary == ["0 to create, 0 to change, 0 to remove."]


def test_the_objects_of_the_file_come_back_only_when_asked(lab):
    """By default a run returns what it changed; with return_objects every object as it leaves it,
    the same views the per-kind modules return."""
    file = example()["kubedc_datacenter"]
    made = lab.run("datacenter", dict(datacenter=file))
    assert made["changed"] is True and made["summary"]["totals"]["created"] == 11
    assert not set(made) & {"external_networks", "project_networks", "eips", "fips", "bindings"}
    assert [c["after"]["name"] for c in made["changes"] if c["kind"] == "external network"] == ["ext-cloud", "ext-public"]
    again = lab.run("datacenter", dict(datacenter=file, return_objects=True))
    assert again["changed"] is False and again["changes"] == []
    assert [n["name"] for n in again["external_networks"]] == ["ext-cloud", "ext-public"]
    assert [p["namespace"] for p in again["project_networks"]] == ["acme-prod", "acme-web"]
    assert [(f["namespace"], f["name"]) for f in again["fips"]] == [("acme-prod", "admin"), ("acme-prod", "bastion")]
    fips = lab.run("fip", dict(organization="acme", project="prod", fips=file["organizations"][0]["projects"][0]["fips"]),
                   check=True)
    assert [f for f in again["fips"] if f["name"] == "admin"] == fips["fips"]
    assert len(again["eips"]) == 2 and len(again["bindings"]) == 3

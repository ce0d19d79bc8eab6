# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml as AWX runs a job: through ansible-runner, from a private data directory.

Each job gets a fresh private_data_dir, as AWX makes one per job:

* ``project/``: the project checkout's playbooks (a copy of ``playbooks/``); the collection
  comes from ANSIBLE_COLLECTIONS_PATH, as an execution environment provides it;
* ``env/envvars``: OVN_NB_DB, as the collection's AWX credential type injects it;
* ``env/extravars``: the datacenter file, as a job template's extra variables;
* ``inventory/hosts``: localhost, with the controller's Python.

The job's events (what AWX shows and stores) are checked, not only its return code.
"""

import os
import re
import shutil
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "datacenter.yml"
BIN = Path(sys.executable).parent
ROLES = ("project_bootstrap", "service_exposure")
# The tasks that converge a kind of object, by the module they call.
MODULE_TASKS = {
    "kubedc.network.external_network": ("project_bootstrap", "External networks"),
    "kubedc.network.project_network": ("project_bootstrap", "Project networks"),
    "kubedc.network.eip": ("project_bootstrap", "EIPs"),
    "kubedc.network.fip": ("service_exposure", "Floating IPs"),
    "kubedc.network.lb_binding": ("service_exposure", "Load balancer bindings"),
}
INVENTORY = 'localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n'


def role_task_names(role):
    """Every task of a role's tasks/main.yml (blocks are not tasks: their tasks are)."""
    def walk(tasks):
        for task in tasks:
            if "block" in task:
                for key in ("block", "rescue", "always"):
                    yield from walk(task.get(key) or [])
            else:
                yield task["name"]
    return list(walk(yaml.safe_load((REPO / "roles" / role / "tasks" / "main.yml").read_text())))


class AwxJob(object):
    """One job: a fresh private data dir, ansible_runner.run, and its events."""

    def __init__(self, base, name, nb_remote, datacenter):
        self.dir = base / name
        (self.dir / "env").mkdir(parents=True)
        (self.dir / "inventory").mkdir()
        shutil.copytree(REPO / "playbooks", self.dir / "project")
        envvars = {
            "OVN_NB_DB": nb_remote,
            "ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
            "ANSIBLE_HOME": str(base / "ansible-home"),
            "ANSIBLE_NOCOLOR": "1",
            "PATH": str(BIN) + os.pathsep + os.environ.get("PATH", ""),
        }
        (self.dir / "env" / "envvars").write_text(yaml.safe_dump(envvars))
        (self.dir / "env" / "extravars").write_text(yaml.safe_dump(datacenter))
        (self.dir / "inventory" / "hosts").write_text(INVENTORY)
        # ansible-runner runs the ansible-playbook of the PATH in envvars: this venv's.
        self.runner = ansible_runner.run(private_data_dir=str(self.dir), playbook="site.yml", ident=name, quiet=True, timeout=600)
        self.events = list(self.runner.events)
        self.stdout = self.runner.stdout.read()

    def of(self, kind):
        return [e["event_data"] for e in self.events if e.get("event") == kind]

    def task_result(self, role, task):
        """The final runner_on_ok (or _failed) of a role's task: its res (for a loop, all items)."""
        found = [d for d in self.of("runner_on_ok") + self.of("runner_on_failed")
                 if d.get("task") == task and short_role(d.get("role")) == role]
        assert len(found) == 1, (role, task, self.stdout[-4000:])
        return found[0]["res"]

    def stats(self):
        (stats,) = self.of("playbook_on_stats")
        return stats

    def explain(self):
        return "status=%s rc=%s\n%s" % (self.runner.status, self.runner.rc, self.stdout[-6000:])


def short_role(name):
    """event_data.role of a collection role may be the short or the fully qualified name."""
    return (name or "").rsplit(".", 1)[-1]


def example():
    return yaml.safe_load(EXAMPLE.read_text())


def test_site_through_ansible_runner_as_awx_runs_it(lab, tmp_path):
    empty = lab.ovn.dump_nb()
    first = AwxJob(tmp_path, "first", lab.ovn.nb_remote, example())
    assert first.runner.rc == 0 and first.runner.status == "successful", first.explain()

    assert first.of("playbook_on_start"), "no playbook_on_start event"
    (play,) = first.of("playbook_on_play_start")
    assert play["play"] == "Converge the datacenter file"
    started = [(short_role(d.get("role")), d["task"]) for d in first.of("playbook_on_task_start")]
    for role in ROLES:
        for task in role_task_names(role):
            assert (role, task) in started, "task %r of role %s did not start: %s" % (task, role, started)
    (site,) = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    for task in site["post_tasks"]:
        assert ("", task["name"]) in started, (task["name"], started)

    # Every kind of object was made on this empty NB, each by its module in one task.
    ok_actions = set(d["task_action"] for d in first.of("runner_on_ok"))
    for module, (role, task) in MODULE_TASKS.items():
        assert module in ok_actions, (module, ok_actions)
        result = first.task_result(role, task)
        assert result["changed"] is True, (module, result)
    assert first.task_result("project_bootstrap", "Project networks")["projects"], "no projects in the result"
    assert lab.ovn.dump_nb() != empty

    stats = first.stats()
    assert stats["failures"] == {} and stats["dark"] == {}, stats
    assert stats["changed"].get("localhost", 0) >= len(MODULE_TASKS), stats
    assert first.runner.stats["changed"] == stats["changed"]

    # A second job on the converged NB changes nothing.
    converged = lab.ovn.dump_nb()
    second = AwxJob(tmp_path, "second", lab.ovn.nb_remote, example())
    assert second.runner.rc == 0 and second.runner.status == "successful", second.explain()
    stats = second.stats()
    assert stats["changed"].get("localhost", 0) == 0 and stats["failures"] == {}, stats
    assert stats["ok"].get("localhost", 0) > 0, stats
    assert not [d for d in second.of("runner_on_ok") if d["res"].get("changed")], "a task changed on the second run"
    assert "0 to create, 0 to change, 0 to remove." in second.stdout
    assert lab.ovn.dump_nb() == converged


@pytest.mark.parametrize("path,value,message", [
    (("fips", 0, "ip_address"), "10.0.9.12",
     "organizations[0].projects[0].fips[0].ip_address (admin): '10.0.9.12' is outside the project's cidr 10.0.0.0/24"),
])
def test_a_bad_datacenter_file_fails_the_job_naming_the_path(lab, tmp_path, path, value, message):
    start = lab.ovn.dump_nb()
    datacenter = example()
    node = datacenter["kubedc_datacenter"]["organizations"][0]["projects"][0]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value

    job = AwxJob(tmp_path, "bad", lab.ovn.nb_remote, datacenter)
    assert job.runner.status == "failed" and job.runner.rc != 0, job.explain()
    (failed,) = job.of("runner_on_failed")
    assert short_role(failed.get("role")) == "project_bootstrap", failed
    assert failed["task"] == "Check the datacenter file and turn it into module arguments", failed
    assert message in re.sub(r"\s+", " ", failed["res"]["msg"]), failed["res"]["msg"]
    stats = job.stats()
    assert stats["failures"] == {"localhost": 1} and stats["changed"] == {}, stats
    # Refused before any module ran: nothing changed.
    assert not [d for d in job.of("playbook_on_task_start") if d.get("task_action", "").startswith("kubedc.network.")]
    assert lab.ovn.dump_nb() == start

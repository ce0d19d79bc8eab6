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
# The kinds of object the example file declares, as the datacenter module names them.
KINDS = ("external network", "project network", "eip", "fip", "binding")
INVENTORY = 'localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n'


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

    def task_result(self, task):
        """The final runner_on_ok (or _failed) of a task of site.yml: its res."""
        found = [d for d in self.of("runner_on_ok") + self.of("runner_on_failed") if d.get("task") == task]
        assert len(found) == 1, (task, self.stdout[-4000:])
        return found[0]["res"]

    def stats(self):
        (stats,) = self.of("playbook_on_stats")
        return stats

    def explain(self):
        return "status=%s rc=%s\n%s" % (self.runner.status, self.runner.rc, self.stdout[-6000:])


def example():
    return yaml.safe_load(EXAMPLE.read_text())


def test_site_through_ansible_runner_as_awx_runs_it(lab, tmp_path):
    empty = lab.ovn.dump_nb()
    first = AwxJob(tmp_path, "first", lab.ovn.nb_remote, example())
    assert first.runner.rc == 0 and first.runner.status == "successful", first.explain()

    assert first.of("playbook_on_start"), "no playbook_on_start event"
    (play,) = first.of("playbook_on_play_start")
    assert play["play"] == "Converge the datacenter file"
    (site,) = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    started = [d["task"] for d in first.of("playbook_on_task_start")]
    assert started == [task["name"] for task in site["tasks"]], started

    # Every kind of object was made on this empty NB, all of them by one task of the datacenter module.
    (converge,) = [d for d in first.of("runner_on_ok") if d["task_action"] == "kubedc.network.datacenter"]
    result = converge["res"]
    assert result["changed"] is True
    made = [(c["kind"], c["action"]) for c in result["changes"]]
    assert set(kind for kind, action in made) == set(KINDS), made
    assert set(action for kind, action in made) == {"create"}, made
    assert result["summary"]["totals"] == dict(created=len(made), changed=0, removed=0)
    # The summary task prints the same lines the module returned, as AWX shows them.
    assert first.task_result("Summarize what changed (in check mode, the plan; per object with --diff)")["msg"] == \
        result["summary"]["lines"]
    assert "%d created, 0 changed, 0 removed." % len(made) in first.stdout
    assert lab.ovn.dump_nb() != empty

    stats = first.stats()
    assert stats["failures"] == {} and stats["dark"] == {}, stats
    assert stats["changed"] == {"localhost": 1}, stats
    assert first.runner.stats["changed"] == stats["changed"]

    # A second job on the converged NB changes nothing.
    converged = lab.ovn.dump_nb()
    second = AwxJob(tmp_path, "second", lab.ovn.nb_remote, example())
    assert second.runner.rc == 0 and second.runner.status == "successful", second.explain()
    stats = second.stats()
    assert stats["changed"].get("localhost", 0) == 0 and stats["failures"] == {}, stats
    assert stats["ok"].get("localhost", 0) > 0, stats
    assert not [d for d in second.of("runner_on_ok") if d["res"].get("changed")], "a task changed on the second run"
    assert "0 created, 0 changed, 0 removed." in second.stdout
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
    assert failed["task"] == "Converge the whole file" and failed["task_action"] == "kubedc.network.datacenter", failed
    assert message in re.sub(r"\s+", " ", failed["res"]["msg"]), failed["res"]["msg"]
    assert failed["res"]["changed"] is False
    stats = job.stats()
    assert stats["failures"] == {"localhost": 1} and stats["changed"] == {}, stats
    # Refused before anything was written.
    assert lab.ovn.dump_nb() == start

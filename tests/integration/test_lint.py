# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-lint, production profile, offline, with the collection's .ansible-lint.

ANSIBLE_COLLECTIONS_PATH comes from tests/conftest.py (a tree whose kubedc/network is this
checkout), so ansible-lint resolves kubedc.network.* to the working tree; with ``offline: true``
it neither checks its version online nor installs anything.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = REPO / ".ansible-lint"
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\")
EXAMINED = re.compile(r"Examining (\S+) of type (\S+)")
SUMMARY = re.compile(r"(\d+) failure\(s\), (\d+) warning\(s\) in (\d+) files processed")

# A playbook with something for several rules of the production profile.
BAD_PLAYBOOK = """\
---
- hosts: localhost
  gather_facts: false
  tasks:
    - debug:
        msg: no name, no FQCN
    - name: set a fact
      ansible.builtin.set_fact:
        BadName: 1
    - name: Read the network of a project
      kubedc.network.network_info:
        organization: acme
        project: prod
    - name: Run a command
      ansible.builtin.shell: echo hello
"""


def line_of(issue):
    location = issue["location"]
    return location["lines"]["begin"] if "lines" in location else location["positions"]["begin"]["line"]


def ansible_lint(tmp_path, *args, cwd=REPO):
    env = dict(os.environ, HOME=str(tmp_path / "home"), ANSIBLE_HOME=str(tmp_path / "ansible-home"),
               NO_COLOR="1", PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ANSIBLE_CONFIG", None)
    (tmp_path / "home").mkdir(exist_ok=True)
    proc = subprocess.run([str(BIN / "ansible-lint"), "-c", str(CONFIG), "-vv", "--nocolor", "-f", "json", *args],
                          cwd=str(cwd), env=env, capture_output=True, text=True, timeout=600, check=False)
    log = ANSI.sub("", proc.stderr)
    issues = json.loads(proc.stdout or "[]")
    examined = dict(EXAMINED.findall(log))
    summary = SUMMARY.findall(log)
    return proc, issues, examined, summary, log


def test_config_is_production_and_offline():
    import yaml

    config = yaml.safe_load(CONFIG.read_text())
    assert config["profile"] == "production"
    assert config["offline"] is True
    # Nothing is merely warned about, and only the one rule whose reason .ansible-lint gives is skipped.
    assert config.get("skip_list") == ["galaxy[no-changelog]"]
    assert "warn_list" not in config and "enable_list" not in config


def test_roles_playbooks_and_scenario_are_clean(tmp_path):
    assert os.environ.get("ANSIBLE_COLLECTIONS_PATH"), "tests/conftest.py sets ANSIBLE_COLLECTIONS_PATH"
    proc, issues, examined, summary, log = ansible_lint(tmp_path)
    report = "\n".join("%s %s:%s %s" % (i["check_name"], i["location"]["path"], line_of(i), i["description"]) for i in issues)
    assert proc.returncode == 0 and issues == [], report + "\n" + log[-4000:]
    assert summary and summary[-1][:2] == ("0", "0"), log[-2000:]
    assert int(summary[-1][2]) > 0
    assert "Profile 'production' was required, and it passed." in log, log[-2000:]

    # What it linted, and as what: every role's tasks and argument specs, every playbook, the scenario.
    roles = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks" / "main.yml").is_file())
    assert roles
    for role in roles:
        assert examined.get("roles/%s/tasks/main.yml" % role) == "tasks", examined
        assert examined.get("roles/%s/meta/argument_specs.yml" % role) == "role-arg-spec", examined
        assert examined.get("roles/%s/meta/main.yml" % role) == "meta", examined
    playbooks = sorted("playbooks/" + p.name for p in (REPO / "playbooks").glob("*.yml"))
    assert "playbooks/site.yml" in playbooks
    for playbook in playbooks:
        assert examined.get(playbook) == "playbook", (playbook, examined)
        assert "Executing syntax check on playbook %s" % playbook in log
    for playbook in ("create", "converge", "verify", "cleanup", "destroy"):
        assert examined.get("molecule/default/%s.yml" % playbook) == "playbook", examined
    assert examined.get("examples/datacenter.yml") == "yaml", examined
    assert examined.get("meta/runtime.yml") == "meta-runtime", examined
    # And not the venv, the tests or the plugins' Python.
    assert not [path for path in examined if path.startswith((".venv/", ".cache/", "tests/", "plugins/"))], examined


def test_it_reports_what_the_production_profile_refuses(tmp_path):
    bad = tmp_path / "work" / "bad.yml"
    bad.parent.mkdir()
    bad.write_text(BAD_PLAYBOOK)
    proc, issues, examined, summary, log = ansible_lint(tmp_path, str(bad), cwd=bad.parent)
    assert proc.returncode != 0, log[-3000:]
    assert examined == {"bad.yml": "playbook"}, log[-3000:]
    found = sorted(set((i["check_name"], line_of(i)) for i in issues))
    for expected in [("name[play]", 2), ("name[missing]", 5), ("fqcn[action-core]", 5), ("name[casing]", 7),
                     ("var-naming[pattern]", 7), ("command-instead-of-shell", 14), ("no-changed-when", 14)]:
        assert expected in found, found
    # The collection's module resolves (no syntax-check or fqcn finding on its task).
    assert not [i for i in issues if line_of(i) == 10], found
    assert summary and int(summary[-1][0]) == len(issues), log[-2000:]

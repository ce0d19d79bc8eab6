# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a user installs it: built with ansible-galaxy, installed, and its playbooks
run by their FQCN with nothing of this checkout on the collections path (as the README says)."""

import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from support import ansible_command

pytestmark = pytest.mark.playbook

REPO = Path(__file__).resolve().parents[2]


def run(command, env=None, cwd=None):
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def test_the_built_collection_installs_and_runs_site_by_its_fqcn(lab, tmp_path):
    run([ansible_command("ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path / "dist"), str(REPO)])
    (artifact,) = (tmp_path / "dist").glob("kubedc-network-*.tar.gz")
    with tarfile.open(artifact) as archive:
        names = archive.getnames()
    # What a user needs is there; the checkout's own machinery is not.
    for needed in ("playbooks/site.yml", "plugins/modules/datacenter.py", "roles/project_bootstrap/meta/argument_specs.yml",
                   "meta/runtime.yml", "requirements.txt"):
        assert needed in names, needed
    assert not [name for name in names if name.split("/")[0] in (".venv", ".lab", ".cache", ".git", ".ci", "hack")
                or name.startswith(".venv")]

    # --force: the checkout is on this process's collections path, and ansible-galaxy would
    # otherwise call the collection installed already and install nothing.
    run([ansible_command("ansible-galaxy"), "collection", "install", "--force", "-p", str(tmp_path / "collections"), str(artifact)])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), **lab.ovn.env())
    before = lab.ovn.dump_nb()
    # From an unrelated directory, so that nothing resolves against the checkout.
    proc = run([ansible_command(), "-i", str(REPO / "tests/integration/files/inventory.yml"), "kubedc.network.site",
                "-e", "@" + str(REPO / "examples/datacenter.yml"), "--check", "--diff"], env=env, cwd=str(tmp_path))
    assert "11 to create, 0 to change, 0 to remove." in proc.stdout, proc.stdout[-4000:]
    assert re.search(r"localhost\s+: ok=2\s+changed=1\s+unreachable=0\s+failed=0", proc.stdout), proc.stdout[-2000:]
    installed = tmp_path / "collections" / "ansible_collections" / "kubedc" / "network"
    assert str(installed / "plugins") in run([ansible_command("ansible-doc"), "-F", "-t", "module", "kubedc.network"],
                                             env=env).stdout, "ansible-doc resolves the collection somewhere else"
    assert lab.ovn.dump_nb() == before


def test_the_ansible_playbook_under_test_is_one_the_collection_claims():
    # make test runs the playbook tests twice: with this venv's ansible-core, and with the oldest
    # claimed (KUBEDC_TEST_ANSIBLE_BIN). Both must be inside requires_ansible, and the second
    # must really be the oldest, or the claim is untested.
    out = run([ansible_command(), "--version"]).stdout
    version = Version(re.search(r"\[core ([0-9.]+)\]", out).group(1))
    claimed = SpecifierSet(yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"])
    assert version in claimed, (version, claimed)
    if os.environ.get("KUBEDC_TEST_ANSIBLE_BIN"):
        oldest = [line for line in (REPO / "tests" / "oldest-requirements.txt").read_text().splitlines()
                  if line.startswith("ansible-core")]
        assert version in SpecifierSet(oldest[0][len("ansible-core"):]), (version, oldest)

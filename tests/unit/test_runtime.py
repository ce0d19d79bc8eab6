# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collection metadata that users rely on without noticing."""

import ast
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def test_there_are_modules():
    assert "project_network" in MODULES and "external_network" in MODULES


def test_every_module_is_in_the_action_group():
    # A module missing from the group silently ignores module_defaults: group/...,
    # and then talks to the default NB instead of the one the play configured.
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    group = runtime["action_groups"]["network"]
    missing = sorted(set(MODULES) - set(group))
    unknown = sorted(set(group) - set(MODULES))
    assert not missing, "modules missing from meta/runtime.yml action group: %s" % missing
    assert not unknown, "action group names modules that do not exist: %s" % unknown


def _doc_blocks(path):
    tree = ast.parse(path.read_text())
    blocks = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
                blocks[node.targets[0].id] = yaml.safe_load(node.value.value)
    return blocks


def test_every_module_documents_itself_fully():
    for name in MODULES:
        blocks = _doc_blocks(REPO / "plugins" / "modules" / (name + ".py"))
        assert set(blocks) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, name
        doc = blocks["DOCUMENTATION"]
        assert doc["module"] == name
        info = name.endswith("_info")
        attributes = "kubedc.network.attributes.info_module" if info else "kubedc.network.attributes"
        assert attributes in doc["extends_documentation_fragment"], name
        for option, spec in doc.get("options", {}).items():  # fragments add more; sanity checks them
            assert spec.get("description"), "%s: option %s has no description" % (name, option)
        tasks = blocks["EXAMPLES"]
        assert tasks and all(any(k.startswith(("kubedc.network.", "ansible.builtin.")) for k in t) for t in tasks), name
        # Modules that change things say what they changed; info modules only return data.
        assert info or "commands" in blocks["RETURN"], name
        # A module returns its object under its own name (an info module: the name without _info,
        # or its plural when it lists several).
        # The datacenter module composes the others: it returns each kind's objects under the
        # kind's plural, and the summary and changes of the whole file.
        base = name[: -len("_info")] if info else name
        if name == "datacenter":
            assert {"summary", "changes", "project_networks", "eips", "fips", "bindings"} <= set(blocks["RETURN"]), name
            continue
        assert base in blocks["RETURN"] or (info and base + "s" in blocks["RETURN"]), name


def _core_range(requirements):
    """The ansible-core specifier of a requirements file."""
    for line in requirements.read_text().splitlines():
        if line.startswith("ansible-core"):
            return SpecifierSet(line[len("ansible-core"):])
    raise AssertionError("%s names no ansible-core" % requirements)


def test_requires_ansible_claims_only_what_ci_tests():
    # CI runs the playbook tests on the oldest ansible-core (tests/oldest-requirements.txt) and
    # everything on the newest (test-requirements.txt): the claim is from the first to the end
    # of the second, no wider.
    claimed = SpecifierSet(yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"])
    oldest, newest = _core_range(REPO / "tests" / "oldest-requirements.txt"), _core_range(REPO / "test-requirements.txt")
    floor = min(Version(s.version) for s in oldest if s.operator == ">=")
    ceiling = min(Version(s.version) for s in newest if s.operator == "<")
    assert claimed == SpecifierSet(">=%s,<%s" % (floor, ceiling)), claimed
    assert "pytest-oldest" in (REPO / "Makefile").read_text().split("\ntest:", 1)[1].split("\n", 1)[0]

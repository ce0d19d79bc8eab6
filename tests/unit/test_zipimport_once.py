# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zipimport_once: a module imported from a zip, as Ansible runs ours, is compiled once and is
the same module; and an import that needs its code again gets it compiled afresh."""

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter: what it imports from the zip must not be cached by this one.
PROBE = textwrap.dedent("""
    import sys, zipimport
    compiled = []
    compile_source = zipimport._compile_source
    def counting(pathname, source):
        compiled.append(pathname.rsplit("/", 1)[-1])
        return compile_source(pathname, source)
    zipimport._compile_source = counting
    sys.path.insert(0, sys.argv[1])
    if sys.argv[2] == "on":
        sys.path.insert(1, sys.argv[3])
        import zipimport_once
        assert zipimport_once.INSTALLED
    import probe_pkg.answer as answer
    first = list(compiled)
    del compiled[:]
    del sys.modules["probe_pkg.answer"]
    import probe_pkg.answer as again
    print(first, compiled, answer.VALUE, again.VALUE, answer is not again)
""")


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "modules.zip"
    with zipfile.ZipFile(path, "w") as handle:
        handle.writestr("probe_pkg/__init__.py", "")
        handle.writestr("probe_pkg/answer.py", "VALUE = 6 * 7\n")
    return path


def _probe(archive, tmp_path, mode):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    utils = REPO / "plugins" / "module_utils" / "common"
    out = subprocess.run([sys.executable, str(script), str(archive), mode, str(utils)], capture_output=True, text=True,
                         check=True).stdout
    return out.strip()


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the double compile is Python 3.11's zipimport's")
def test_without_it_python_compiles_each_module_of_a_zip_twice(archive, tmp_path):
    twice = "['__init__.py', '__init__.py', 'answer.py', 'answer.py'] ['answer.py', 'answer.py'] 42 42 True"
    assert _probe(archive, tmp_path, "off") == twice


def test_with_it_each_import_compiles_once_and_a_new_import_afresh(archive, tmp_path):
    assert _probe(archive, tmp_path, "on") == "['__init__.py', 'answer.py'] ['answer.py'] 42 42 True"


def test_uninstall_puts_the_library_back():
    import zipimport

    from ansible_collections.kubedc.network.plugins.module_utils.common import zipimport_once

    zipimport_once.install()
    assert zipimport._get_module_code.kubedc_once
    zipimport_once.install()  # twice is once
    assert not getattr(zipimport._get_module_code.original, "kubedc_once", False)
    zipimport_once.uninstall()
    assert not getattr(zipimport._get_module_code, "kubedc_once", False)

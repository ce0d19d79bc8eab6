# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test set-up shared by unit and integration tests.

* Makes this checkout importable as ``ansible_collections.kubedc.network``
  (through a symlink tree, unless it already sits in one) and points
  ANSIBLE_COLLECTIONS_PATH there for the ansible-playbook runs.
* ``ovn_lab`` gives each test a fresh OVN lab (NB, SB, northd) and stops it.
* Every test must leave Python's garbage collector running (no NB session left open).
"""

import gc
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]

from ovn_lab import OvnLab  # noqa: E402  (tools/ and tests/ are on sys.path only from here on)
from support import make_collection_importable  # noqa: E402

_OWNED_ROOT = make_collection_importable()


def pytest_configure(config):
    # Playbook-level tests: the ones CI also runs on the oldest ansible-core it claims.
    config.addinivalue_line("markers", "playbook: runs ansible-playbook end to end")


def pytest_unconfigure(config):
    if _OWNED_ROOT is not None:
        shutil.rmtree(_OWNED_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def collector_resumed():
    # An NB session pauses Python's cyclic garbage collector until it is closed
    # (module_utils/common/collector.py): a test that ends with it paused left a session open.
    yield
    assert gc.isenabled(), "the garbage collector is still paused: an NB session was not closed"


@pytest.fixture
def ovn_lab():
    # Unix socket paths are limited to ~107 bytes: keep the lab directory short.
    directory = tempfile.mkdtemp(prefix="kdc-", dir="/tmp")
    lab = OvnLab(directory)
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def nb(ovn_lab):
    """Module arguments that point at the lab's NB DB."""
    return {"ovn_nb_connection": ovn_lab.nb_remote, "ovn_nb_timeout": 20}


# --- kube: the Kubernetes API server (tests/kube_support.py) ------------------------------------
# The real one of KUBEDC_TEST_KUBECONFIG, or else the session's tools/kube_apiserver.py double.


@pytest.fixture(scope="session")
def kube_session(tmp_path_factory):
    from kube_support import kube_target  # imports the kubernetes client only for tests that use it

    with kube_target(tmp_path_factory.mktemp("kube")) as target:
        yield target


@pytest.fixture
def kube(kube_session):
    """This test's view on the session's API server: kubeconfig, is_real, api_client(), dynamic(),
    namespace(name, labels=None) (deleted after the test), apply_crds()."""
    from kube_support import KubeView

    view = KubeView(kube_session)
    try:
        yield view
    finally:
        view.cleanup()

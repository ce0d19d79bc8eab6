# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for tests that run modules against a real OVN lab."""

import pytest

from support import EXT_CLOUD, EXT_PUBLIC, Lab


@pytest.fixture
def lab(ovn_lab, nb):
    return Lab(ovn_lab, nb)


@pytest.fixture
def ext_cloud(lab):
    return lab.run("external_network", EXT_CLOUD)["external_network"]


@pytest.fixture
def ext_public(lab):
    return lab.run("external_network", EXT_PUBLIC)["external_network"]


# --- kube_dc: the tests' Kube-DC controller (tests/kube_dc_controller.py) -----------------------


@pytest.fixture
def kube_dc(kube, lab):
    """A running stand-in for the Kube-DC controller, on ``kube`` and the lab's NB.

    It serves the external networks the lab has whenever they appear (request ``ext_cloud`` and/or
    ``ext_public`` too), so a test just creates Projects, EIps, FIps and Services through the
    Kubernetes API and waits for their status.  Skipped where a real Kube-DC or Kube-OVN runs.
    Afterwards it deletes the Projects it served, stops, and fails the test if it met an error."""
    from kube_dc_controller import KubeDcController, real_kube_dc_reason

    reason = real_kube_dc_reason(kube)
    if reason:
        pytest.skip(reason)
    controller = KubeDcController(kube.api_client, lab.ovn).start()
    try:
        yield controller
    finally:
        controller.shutdown()
    assert not controller.errors, "the Kube-DC test controller failed:\n" + controller.errors[0]

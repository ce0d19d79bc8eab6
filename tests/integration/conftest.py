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

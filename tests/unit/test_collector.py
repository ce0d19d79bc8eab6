# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collector pause that NB sessions and the datacenter action plugin hold."""

import gc

import pytest

from ansible_collections.kubedc.network.plugins.module_utils.common import collector


def test_pauses_nest_and_the_outermost_end_resumes():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_inside_resumes_and_a_stray_resume_does_nothing():
    with pytest.raises(ZeroDivisionError):
        with collector.paused():
            1 / 0  # pylint: disable=pointless-statement
    assert gc.isenabled()
    collector.resume()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()

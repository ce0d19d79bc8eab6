# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the pip bootstrap script that ansible-test caches.

ansible-test creates a fresh virtual environment for each sanity test and puts
pip into it by running ``~/.ansible/test/cache/get_pip_<X_Y>.py``; when that
file is missing it downloads one from a host that cannot be reached from here.
hack/sanity.sh copies this file to that name and puts the matching pip wheel
(fetched once from PyPI with ``pip download --no-deps pip==X.Y``) next to it.

This script installs pip from that wheel with ``--no-index``, so bootstrapping
needs no network at all.  ansible-test calls it as::

    python get_pip_X_Y.py [pip install options] pip==X.Y --no-setuptools --no-wheel

``--no-setuptools`` and ``--no-wheel`` are accepted and ignored: this stand-in
only ever installs pip.  Everything else is handed to ``pip install``.

The wheel is looked for in ``$KUBEDC_PIP_WHEEL_DIR`` (if set) and then in the
directory holding this script.
"""

from __future__ import annotations

import glob
import os
import re
import runpy
import sys

OWN_FLAGS = ('--no-setuptools', '--no-wheel')
WHEEL_NAME = re.compile(r'^pip-(?P<version>[^-]+)-.*\.whl$')


def fail(message: str) -> None:
    """Print an error and exit non-zero."""
    sys.stderr.write('get_pip_standin: %s\n' % message)
    sys.exit(1)


def version_key(version: str) -> tuple:
    """Sort key for simple dotted version strings."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split('.'))


def wheel_dirs() -> list[str]:
    """Directories searched for pip wheels, in order."""
    dirs = []
    override = os.environ.get('KUBEDC_PIP_WHEEL_DIR')
    if override:
        dirs.append(override)
    dirs.append(os.path.dirname(os.path.abspath(__file__)))
    return dirs


def find_wheel(wanted: str | None) -> str:
    """Return the path of the pip wheel to install (exact version if one was requested)."""
    found = {}
    for directory in wheel_dirs():
        for path in glob.glob(os.path.join(directory, 'pip-*.whl')):
            match = WHEEL_NAME.match(os.path.basename(path))
            if match:
                found.setdefault(match.group('version'), path)

    if wanted:
        if wanted not in found:
            fail('no pip-%s-*.whl in %s (found: %s)' % (wanted, ', '.join(wheel_dirs()), ', '.join(sorted(found)) or 'none'))
        return found[wanted]

    if not found:
        fail('no pip-*.whl in %s' % ', '.join(wheel_dirs()))
    return found[max(found, key=version_key)]


def main() -> None:
    """Install pip from a local wheel, passing the remaining arguments to pip install."""
    args = [arg for arg in sys.argv[1:] if arg not in OWN_FLAGS]
    if '--no-setuptools' not in sys.argv or '--no-wheel' not in sys.argv:
        sys.stderr.write('get_pip_standin: note: only pip is installed (no setuptools, no wheel)\n')

    requirements = [arg for arg in args if not arg.startswith('-')]
    wanted = None
    for requirement in requirements:
        match = re.match(r'^pip\s*==\s*(\S+)$', requirement)
        if match:
            wanted = match.group(1)
        elif not re.match(r'^pip\b', requirement):
            fail('can only install pip, not %r' % requirement)
    if not requirements:
        args.append('pip')

    wheel = find_wheel(wanted)

    # Run pip from inside its own wheel (a wheel is a zip that Python can import
    # from), telling it to use nothing but the wheel's directory as its index.
    sys.path.insert(0, wheel)
    sys.argv = ['pip', 'install', '--no-index', '--find-links', os.path.dirname(wheel)] + args
    runpy.run_module('pip', run_name='__main__', alter_sys=True)


if __name__ == '__main__':
    main()

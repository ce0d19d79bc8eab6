#!/usr/bin/env bash
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Run `ansible-test sanity` on this collection without reaching anything but PyPI.
#
# Usage: hack/sanity.sh [extra ansible-test sanity args, e.g. --test pep8 -v]
#
# - ansible-test is taken from PATH (e.g. the repo's .venv/bin), or from $ANSIBLE_TEST.
# - The git-visible files (tracked + untracked-but-not-ignored) are copied to
#   <tmp>/ansible_collections/kubedc/network, because ansible-test refuses symlinked
#   paths and must not write tests/output into the work tree.
# - ansible-test bootstraps pip in every test venv with ~/.ansible/test/cache/get_pip_<X_Y>.py
#   and downloads it from an unreachable host when it is missing. hack/get_pip_standin.py is
#   put there instead, next to the pip wheel downloaded once from PyPI into $KUBEDC_CACHE.
#
# Environment:
#   ANSIBLE_TEST          ansible-test executable (default: ansible-test from PATH)
#   KUBEDC_CACHE          download cache (default: $HOME/.cache/kubedc)
#   KUBEDC_SANITY_PYTHON  Python version the sanity venvs use (default: 3.11)
#   KUBEDC_PIP_VERSION    pip version ansible-test bootstraps (default: read from ansible-test)
#   KUBEDC_KEEP_TMP=1     keep the temp copy (and its tests/output) for debugging
set -euo pipefail

log() { printf 'sanity.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
standin=$repo_root/hack/get_pip_standin.py
cache_dir=${KUBEDC_CACHE:-$HOME/.cache/kubedc}
sanity_python=${KUBEDC_SANITY_PYTHON:-3.11}

ansible_test=$(command -v "${ANSIBLE_TEST:-ansible-test}" || true)
[[ -n $ansible_test && -f $ansible_test ]] ||
    die "ansible-test not found on PATH (run 'make deps' first, or set ANSIBLE_TEST)"
[[ -f $standin ]] || die "missing $standin"
[[ -f $repo_root/galaxy.yml ]] || die "no galaxy.yml in $repo_root"

# The Python that runs ansible-test (from its shebang); it has ansible_test and pip.
read -r shebang <"$ansible_test" || true
interp=${shebang#\#!}
interp=${interp#"${interp%%[![:space:]]*}"}
if [[ $shebang != '#!'* || ${interp##*/} != *python* ]]; then  # e.g. a pyenv shim
    interp=python3
fi
# shellcheck disable=SC2206  # "/usr/bin/env python3" must split into words
at_python=($interp)

# pip version that ansible-test bootstraps into its venvs (get_venv_packages() in its source).
pip_version=${KUBEDC_PIP_VERSION:-$("${at_python[@]}" - <<'EOF'
import os, re, sys
import ansible_test
path = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
with open(path, encoding='utf-8') as handle:
    match = re.search(r"\bpip\s*=\s*'([0-9][^']*)'", handle.read())
if not match:
    sys.exit('cannot find the pip version in ' + path)
print(match.group(1))
EOF
)}
[[ $pip_version =~ ^[0-9][0-9A-Za-z.]*$ ]] || die "odd pip version: '$pip_version'"

# pip wheel: download once (PyPI), keep under $KUBEDC_CACHE.
wheel_dir=$cache_dir/pip-wheels
shopt -s nullglob
wheels=("$wheel_dir"/pip-"$pip_version"-*.whl)
if ((${#wheels[@]} == 0)); then
    log "downloading pip $pip_version wheel into $wheel_dir"
    mkdir -p "$wheel_dir"
    "${at_python[@]}" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --dest "$wheel_dir" "pip==$pip_version"
    wheels=("$wheel_dir"/pip-"$pip_version"-*.whl)
    ((${#wheels[@]} > 0)) || die "pip download did not produce pip-$pip_version-*.whl"
fi
shopt -u nullglob
wheel=${wheels[0]}

# Put the stand-in (and the wheel next to it) where ansible-test looks for get-pip.
at_cache=$HOME/.ansible/test/cache
mkdir -p "$at_cache"
cmp -s "$standin" "$at_cache/get_pip_${pip_version//./_}.py" ||
    install -m 0644 "$standin" "$at_cache/get_pip_${pip_version//./_}.py"
cmp -s "$wheel" "$at_cache/${wheel##*/}" || install -m 0644 "$wheel" "$at_cache/${wheel##*/}"

# Copy the git-visible files into <tmp>/ansible_collections/kubedc/network.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kubedc-sanity.XXXXXX")
keep_tmp=${KUBEDC_KEEP_TMP:-}
trap 'if [[ $keep_tmp == 1 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi' EXIT
dest=$tmp/ansible_collections/kubedc/network
mkdir -p "$dest"

git -C "$repo_root" rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$repo_root is not a git work tree"
# Tracked files deleted in the work tree are still listed by ls-files -c: skip them.
git -C "$repo_root" ls-files -z --cached --others --exclude-standard |
    (cd "$repo_root" && while IFS= read -r -d '' f; do
        if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi
    done) |
    tar -C "$repo_root" --null --no-recursion -T - -cf - |
    tar -C "$dest" -xf -

# Let ansible-test see only the copy and its own settings.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS ANSIBLE_CONFIG

log "ansible-test: $ansible_test ($("$ansible_test" --version 2>/dev/null || echo '?'))"
log "running in $dest"
rc=0
(cd "$dest" && "$ansible_test" sanity --venv --requirements --python "$sanity_python" "$@") || rc=$?
if ((rc == 0)); then
    log "sanity passed"
else
    log "sanity FAILED (exit $rc)"
fi
exit "$rc"

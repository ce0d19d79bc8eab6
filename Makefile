# The two commands of the README: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
LAB_DIR := $(CURDIR)/.lab
# A collections tree whose kubedc/network is this checkout, so Ansible runs the working tree.
COLLECTIONS := $(CURDIR)/.cache/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test deps system-deps python-deps oldest-deps collection-link sanity pytest pytest-oldest changelog-lint docs-lint lab-start lab-stop clean

demo: deps
	$(BIN)/python tools/demo.py --lab-dir $(LAB_DIR)

test: deps changelog-lint docs-lint sanity pytest-oldest pytest

deps: system-deps python-deps collection-link

# Debian's ovn-central gives ovsdb-server, ovn-northd, ovn-nbctl and ovn-trace. The lab's
# datapath mode (real packets, docs/datapath.md) adds Open vSwitch's userspace datapath
# (openvswitch-switch), ovn-controller (ovn-host) and the tools it runs in the namespaces; their
# system services are not used: the lab runs its own daemons with their own paths.
SYSTEM_PACKAGES := ovn-central python3-venv shellcheck openvswitch-switch ovn-host tcpdump ethtool iputils-ping iproute2
SYSTEM_TOOLS := ovn-northd ovn-trace shellcheck ovs-vswitchd ovn-controller tcpdump ethtool ping ip
system-deps:
	@missing=; for tool in $(SYSTEM_TOOLS); do PATH=$$PATH:/usr/sbin:/sbin command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ] || ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then \
	  echo "installing $(SYSTEM_PACKAGES) with apt-get (missing:$${missing:- python3-venv})"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

python-deps: $(VENV)/.installed

$(VENV)/.installed: requirements.txt test-requirements.txt
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -r test-requirements.txt
	@touch $@

# The oldest ansible-core that meta/runtime.yml claims, in a venv of its own, for pytest-oldest.
OLDEST := .venv-oldest
oldest-deps: $(OLDEST)/.installed

$(OLDEST)/.installed: tests/oldest-requirements.txt requirements.txt
	@[ -x $(OLDEST)/bin/python ] || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q --upgrade pip
	cd tests && $(CURDIR)/$(OLDEST)/bin/python -m pip install -q -r oldest-requirements.txt
	@touch $@

collection-link:
	@mkdir -p $(COLLECTIONS)/ansible_collections/kubedc
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/kubedc/network

sanity: deps
	hack/sanity.sh

changelog-lint: deps
	$(BIN)/antsibull-changelog lint

# Semantic markup in the docs (O(), M(), RV() references) that sanity does not resolve.
docs-lint: deps
	cd $(COLLECTIONS)/ansible_collections/kubedc/network && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

# Last, so that pytest's closing "N passed" line is the last thing `make test` prints.
pytest: deps
	$(BIN)/python -m pytest -p no:cacheprovider tests

# The playbook-level tests again, with the ansible-playbook of the oldest ansible-core claimed.
pytest-oldest: deps oldest-deps
	KUBEDC_TEST_ANSIBLE_BIN=$(CURDIR)/$(OLDEST)/bin $(BIN)/python -m pytest -p no:cacheprovider -m playbook tests

lab-start: deps
	$(BIN)/python tools/ovn_lab.py start --dir $(LAB_DIR)

lab-stop:
	@[ ! -x $(BIN)/python ] || $(BIN)/python tools/ovn_lab.py stop --dir $(LAB_DIR)

clean: lab-stop
	rm -rf $(VENV) $(OLDEST) .cache .tmp tests/output

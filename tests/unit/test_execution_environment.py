# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection in AWX: what an execution environment gets from it, and the credential types.

* ``ansible-builder introspect`` and ``create`` read meta/execution-environment.yml,
  requirements.txt and bindep.txt the way an EE build does (``build`` itself needs a container
  engine; the galaxy and builder stages it would run are replayed here with the build context).
* docs/awx/*_credential_type.yml are checked against what AWX accepts, rendered the way AWX
  renders them when a job starts, and the environment they give is run through the modules'
  own argument specs (ArgumentSpecValidator applies the env fallbacks, as AnsibleModule does).
"""

import copy
import importlib.util
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
import yaml
from jinja2 import StrictUndefined, UndefinedError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.kube import client as kube_client
from ansible_collections.kubedc.network.plugins.module_utils.ovn import connection as nb_connection

REPO = Path(__file__).resolve().parents[2]
AWX_DOCS = REPO / "docs" / "awx"
COLLECTION = "kubedc.network"
# What the modules import (plugins/module_utils): an EE without them cannot run them.
MODULE_LIBRARIES = {"ovsdbapp", "netaddr", "kubernetes"}


# --- helpers -------------------------------------------------------------------------------------

def requirement_lines(path):
    """The lines of a pip or bindep file without comments, as ansible-builder reads them."""
    lines = []
    for line in path.read_text().splitlines():
        line = re.sub(r"(?:^|\s+)#.*$", "", line).strip()
        if line:
            lines.append(line)
    return lines


def requirement_name(line):
    return re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0].lower()


def needs_builder():
    if importlib.util.find_spec("ansible_builder") is None:
        pytest.skip("ansible-builder is not installed (pip install -r test-requirements.txt)")


def run(args, cwd=None):
    # Not the test run's ANSIBLE_COLLECTIONS_PATH (conftest points it at this checkout): with it,
    # `ansible-galaxy collection install` finds kubedc.network already there and installs nothing.
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith("ANSIBLE_COLLECTIONS_PATH"))
    env["ANSIBLE_NOCOLOR"] = "1"
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert result.returncode == 0, "%s failed (%d):\n%s\n%s" % (args, result.returncode, result.stdout, result.stderr)
    return result


def builder(*args, cwd=None):
    return run([sys.executable, "-m", "ansible_builder"] + list(args), cwd=cwd)


def galaxy(*args, cwd=None):
    return run([sys.executable, "-m", "ansible.cli.galaxy"] + list(args), cwd=cwd)


def galaxy_version():
    return yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]


def introspect(collections_dir, tmp_path):
    """``ansible-builder introspect`` on a collections dir: (its YAML report, pip file, bindep file)."""
    (tmp_path / "out").mkdir()
    pip_file, bindep_file = tmp_path / "out" / "requirements.txt", tmp_path / "out" / "bindep.txt"
    done = builder("introspect", str(collections_dir), "--write-pip", str(pip_file), "--write-bindep", str(bindep_file))
    report = yaml.safe_load(done.stdout[done.stdout.index("---"):])
    return report, pip_file, bindep_file


def expected_report_lines(path):
    return ["%s  # from collection %s" % (line, COLLECTION) for line in requirement_lines(path)]


# --- the collection's EE metadata ----------------------------------------------------------------

def test_meta_execution_environment_points_at_the_requirement_files():
    """meta/execution-environment.yml names the root requirement files, and they hold what the modules import."""
    meta_file = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta_file == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}
    for name in meta_file["dependencies"].values():
        assert (REPO / name).is_file(), name
    names = {requirement_name(line) for line in requirement_lines(REPO / "requirements.txt")}
    assert MODULE_LIBRARIES <= names, "requirements.txt misses %s" % (MODULE_LIBRARIES - names)


def test_bindep_installs_nothing_at_run_time_and_the_lab_for_tests():
    """bindep.txt as bindep evaluates it: no package in an EE (default and compile profiles, dpkg
    and RPM platforms); the OVN lab's packages with the test profile on Debian."""
    needs_builder()
    from bindep.depends import Depends  # installed with ansible-builder

    depends = Depends((REPO / "bindep.txt").read_text())

    def packages(*profiles):
        return sorted(rule[0] for rule in depends.active_rules(profiles))

    debian = ("platform:dpkg", "platform:debian")
    rpm = ("platform:rpm", "platform:redhat", "platform:centos", "platform:rhel")
    for platform in (debian, rpm):
        # What ansible-builder's assemble script asks for: `bindep -l newline` and `bindep -b compile`.
        assert packages("default", *platform) == [], "runtime packages in an EE on %s" % (platform,)
        assert packages("compile", *platform) == [], "build packages in an EE on %s" % (platform,)
    # The lab of the tests and the demo: ovsdb-server, ovn-northd, ovn-nbctl, ovn-trace.
    assert "ovn-central" in packages("test", *debian)


def test_introspect_reports_the_collection_requirements(tmp_path):
    """`ansible-builder introspect` on a collections dir holding this checkout attributes our pip
    and bindep lines to kubedc.network, as an EE build would see them."""
    needs_builder()
    tree = tmp_path / "collections"
    (tree / "ansible_collections" / "kubedc").mkdir(parents=True)
    (tree / "ansible_collections" / "kubedc" / "network").symlink_to(REPO)

    report, pip_file, bindep_file = introspect(tree, tmp_path)

    python = expected_report_lines(REPO / "requirements.txt")
    system = expected_report_lines(REPO / "bindep.txt")
    assert report["python"] == python
    assert report["system"] == system
    assert {requirement_name(line) for line in report["python"]} >= MODULE_LIBRARIES
    assert requirement_lines(pip_file) == requirement_lines(REPO / "requirements.txt")
    assert pip_file.read_text().splitlines() == python
    assert bindep_file.read_text().splitlines() == system


@pytest.fixture(scope="module")
def collection_tarball(tmp_path_factory):
    """The collection as `ansible-galaxy collection build` makes it from the checkout."""
    needs_builder()
    out = tmp_path_factory.mktemp("build")
    galaxy("collection", "build", "--output-path", str(out), cwd=str(REPO))
    tarballs = list(out.glob("kubedc-network-*.tar.gz"))
    assert [t.name for t in tarballs] == ["kubedc-network-%s.tar.gz" % galaxy_version()]
    return tarballs[0]


def test_collection_tarball_leaves_out_local_tooling(collection_tarball):
    """build_ignore keeps the venv, caches, the lab and git out: the tarball stays small."""
    with tarfile.open(str(collection_tarball)) as tar:
        names = tar.getnames()
    top = {name.split("/", 1)[0] for name in names}
    assert not top & {".venv", ".cache", ".lab", ".tmp", ".git", ".ci", "hack"}, sorted(top)
    assert not [name for name in names if name.endswith(".tar.gz") or "/__pycache__/" in "/" + name]
    assert {"meta/execution-environment.yml", "requirements.txt", "bindep.txt", "MANIFEST.json"} <= set(names)
    assert collection_tarball.stat().st_size < 2 * 1024 * 1024


def test_create_builds_an_ee_context_with_the_collection(collection_tarball, tmp_path):
    """`ansible-builder create` with docs/awx/execution-environment.yml (the tarball pointed at a
    fresh build) writes a Containerfile and a context; the galaxy and builder stages of that
    Containerfile, replayed on the context, yield our requirements for the EE."""
    definition = yaml.safe_load((AWX_DOCS / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    # The documented file follows the collection's version.
    assert Path(definition["additional_build_files"][0]["src"]).name == collection_tarball.name
    assert definition["dependencies"]["galaxy"]["collections"][0]["name"].endswith("/" + collection_tarball.name)
    definition["additional_build_files"][0]["src"] = str(collection_tarball)
    ee_file = tmp_path / "execution-environment.yml"
    ee_file.write_text(yaml.safe_dump(definition))
    context = tmp_path / "context"

    builder("create", "-f", str(ee_file), "-c", str(context), "--output-filename", "Containerfile")

    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % definition["images"]["base_image"]["name"] in containerfile
    assert 'ARG PYCMD="%s"' % definition["dependencies"]["python_interpreter"]["python_path"] in containerfile
    assert definition["dependencies"]["ansible_core"]["package_pip"] in containerfile
    assert re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements\.yml", containerfile, re.M)
    assert re.search(r"^RUN \$PYCMD /output/scripts/introspect\.py introspect .*--write-pip=/tmp/src/requirements\.txt",
                     containerfile, re.M)
    assert "COPY _build /build" in containerfile

    build = context / "_build"
    galaxy_requirements = yaml.safe_load((build / "requirements.yml").read_text())
    assert galaxy_requirements == definition["dependencies"]["galaxy"]
    copied = build / galaxy_requirements["collections"][0]["name"]
    assert copied.read_bytes() == collection_tarball.read_bytes()
    with tarfile.open(str(copied)) as tar:
        for name in ("meta/execution-environment.yml", "requirements.txt", "bindep.txt"):
            assert tar.extractfile(name).read() == (REPO / name).read_bytes(), name

    # Galaxy stage: `ansible-galaxy collection install -r requirements.yml` in /build (= _build).
    installed = tmp_path / "usr-share-ansible-collections"
    galaxy("collection", "install", "-r", "requirements.yml", "-p", str(installed), cwd=str(build))
    assert (installed / "ansible_collections" / "kubedc" / "network" / "MANIFEST.json").is_file()
    # Builder stage: the context's own introspect.py on what the galaxy stage installed.
    out = tmp_path / "src"
    out.mkdir()
    run([sys.executable, str(build / "scripts" / "introspect.py"), "introspect",
         "--write-bindep=%s" % (out / "bindep.txt"), "--write-pip=%s" % (out / "requirements.txt"), str(installed)])
    assert (out / "requirements.txt").read_text().splitlines() == expected_report_lines(REPO / "requirements.txt")
    assert (out / "bindep.txt").read_text().splitlines() == expected_report_lines(REPO / "bindep.txt")


# --- AWX credential types ------------------------------------------------------------------------

CREDENTIAL_TYPES = {
    "ovn_nb_credential_type.yml": nb_connection.NB_ARGUMENT_SPEC,
    "kubernetes_credential_type.yml": kube_client.KUBE_ARGUMENT_SPEC,
}
# Inputs that hold key material (and must be stored encrypted and hidden).
SECRET_INPUTS = {"ovn_nb_credential_type.yml": {"private_key"}, "kubernetes_credential_type.yml": {"kubeconfig"}}
# What AWX's built-in "OpenShift or Kubernetes API Bearer Token" credential injects
# (awx/main/models/credential/injectors.py, kubernetes_bearer_token), and the options they feed.
BEARER_TOKEN_ENV = {
    "K8S_AUTH_HOST": "host",
    "K8S_AUTH_API_KEY": "api_key",
    "K8S_AUTH_VERIFY_SSL": "validate_certs",
    "K8S_AUTH_SSL_CA_CERT": "ca_cert",
}
# AWX's JSON schema for custom credential types (awx/main/fields.py, CredentialTypeInputField
# and CredentialTypeInjectorField), as plain checks.
FIELD_KEYS = {"id", "label", "type", "help_text", "secret", "multiline", "format", "choices", "ask_at_runtime", "default"}
NAME = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
FILE_TEMPLATE = re.compile(r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$")


def load_credential_type(name):
    return yaml.safe_load((AWX_DOCS / name).read_text())


def env_fallbacks(spec):
    """{ENV_VAR: option} for the options of an argument spec that fall back to the environment."""
    found = {}
    for option, settings in spec.items():
        fallback = settings.get("fallback")
        if fallback and fallback[0] is env_fallback:
            for variable in fallback[1]:
                found[variable] = option
    return found


def templates(credential_type):
    for kind, entries in credential_type["injectors"].items():
        for key, template in entries.items():
            yield kind, key, template


class _Namespace(object):
    pass


def awx_validate(credential_type):
    """Render every injector template the way AWX validates a new credential type: StrictUndefined,
    every declared input set, tower.filename.<x> defined only for the file templates declared."""

    class Exploding(object):
        def __str__(self):
            raise UndefinedError("Must define unnamed file injector in order to reference `tower.filename`.")

    tower = _Namespace()
    tower.filename = Exploding()
    names = list(credential_type["injectors"].get("file", {}))
    if "template" in names:
        tower.filename = "EXAMPLE_FILENAME"
    for name in names:
        if "." in name:
            setattr(tower.filename, name.split(".", 1)[1], "EXAMPLE_FILENAME")
    namespace = dict((field["id"], "EXAMPLE") for field in credential_type["inputs"]["fields"])
    namespace["tower"] = tower
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind, key, template in templates(credential_type):
        try:
            sandbox.from_string(template).render(namespace)
        except UndefinedError as error:
            pytest.fail("%s injector %s uses an undefined field (%s)" % (kind, key, error))


def awx_inject(credential_type, inputs, private_data_dir):
    """The env AWX gives a job for a credential of a custom type (CredentialType.inject_credential):
    inputs left empty are undefined, every file template is written, every env template rendered."""
    tower = _Namespace()
    namespace = {"tower": tower}
    for key, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[key] = value
    for field in credential_type["inputs"]["fields"]:
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = Path(private_data_dir) / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=str(env_dir))
        with os.fdopen(handle, "w") as stream:
            stream.write(sandbox.from_string(template).render(**namespace))
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    return dict(
        (variable, sandbox.from_string(template).render(**namespace))
        for variable, template in credential_type["injectors"].get("env", {}).items()
    )


def module_spec(module_name):
    """The argument spec a module's AnsibleModule gets (KubedcModule.__init__ merges it the same way)."""
    module = __import__("ansible_collections.kubedc.network.plugins.modules." + module_name, fromlist=["main"])
    cls = [value for value in vars(module).values()
           if isinstance(value, type) and value.__module__ == module.__name__ and hasattr(value, "shared_argument_specs")][0]
    shared = cls.shared_argument_specs
    if isinstance(shared, property):
        shared = shared.fget(cls.__new__(cls))
    spec = {}
    for fragment in tuple(shared) + (cls.argument_spec,):
        spec.update(copy.deepcopy(fragment))
    return spec


# Modules whose spec has both connections, with their required options.
MODULES = {
    "network_info": dict(organization="acme", project="prod"),
    "eip": dict(organization="acme", project="prod", name="web"),
}


@pytest.fixture
def job_env(monkeypatch):
    """Set a job's environment for the fallbacks, with no OVN_NB_* or K8S_AUTH_* from outside."""
    for variable in list(env_fallbacks(nb_connection.NB_ARGUMENT_SPEC)) + list(env_fallbacks(kube_client.KUBE_ARGUMENT_SPEC)):
        monkeypatch.delenv(variable, raising=False)
    for variable in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(kube_client, "_CLIENTS", {})

    def apply(env):
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)

    return apply


def validated(module_name, **extra):
    """The module's parameters for a task that gives only its required options, from the current env."""
    result = ArgumentSpecValidator(module_spec(module_name)).validate(dict(MODULES[module_name], **extra))
    assert result.error_messages == []
    return result.validated_parameters


@pytest.mark.parametrize("name", sorted(CREDENTIAL_TYPES))
def test_credential_type_is_what_awx_accepts(name):
    """The shape AWX's schema and validation allow for a custom credential type."""
    credential_type = load_credential_type(name)
    assert set(credential_type) <= {"name", "description", "kind", "inputs", "injectors"}
    assert credential_type["kind"] in ("cloud", "net")  # the kinds a custom type may have
    assert set(credential_type["inputs"]) <= {"fields", "required"}
    assert set(credential_type["injectors"]) <= {"file", "env", "extra_vars"}
    ids = [field["id"] for field in credential_type["inputs"]["fields"]]
    assert len(ids) == len(set(ids)) and "tower" not in ids
    for field in credential_type["inputs"]["fields"]:
        assert set(field) <= FIELD_KEYS and {"id", "label"} <= set(field), field
        assert NAME.match(field["id"]), field["id"]
        assert field.get("type", "string") in ("string", "boolean")
        if field.get("type", "string") != "string":
            assert not set(field) & {"secret", "multiline", "format", "choices"}, field
    assert set(credential_type["inputs"].get("required", [])) <= set(ids)
    files = list(credential_type["injectors"].get("file", {}))
    assert all(FILE_TEMPLATE.match(key) for key in files), files
    assert "template" not in files or len(files) == 1, "single-file and multi-file syntax mixed"
    for variable in credential_type["injectors"].get("env", {}):
        assert NAME.match(variable) and not variable.startswith("ANSIBLE_"), variable
    awx_validate(credential_type)


@pytest.mark.parametrize("name", sorted(CREDENTIAL_TYPES))
def test_injectors_use_only_declared_inputs(name):
    """Every variable a template reads is an input of the type, or AWX's `tower` namespace, and
    every tower.filename.<x> is a file template of the type."""
    credential_type = load_credential_type(name)
    ids = set(field["id"] for field in credential_type["inputs"]["fields"])
    files = set(key.split(".", 1)[1] for key in credential_type["injectors"].get("file", {}) if "." in key)
    sandbox = ImmutableSandboxedEnvironment()
    used = set()
    for kind, key, template in templates(credential_type):
        variables = meta.find_undeclared_variables(sandbox.parse(template))
        assert variables <= ids | {"tower"}, (key, variables - ids)
        used |= variables
        for filename in re.findall(r"\btower\.filename\.(\w+)", template):
            assert filename in files, (key, filename)
    assert used >= ids, "inputs no injector uses: %s" % sorted(ids - used)


@pytest.mark.parametrize("name", sorted(CREDENTIAL_TYPES))
def test_secret_inputs_are_secret(name):
    credential_type = load_credential_type(name)
    fields = dict((field["id"], field) for field in credential_type["inputs"]["fields"])
    for input_id in SECRET_INPUTS[name] | set(i for i in fields if re.search(r"key|token|password|kubeconfig", i)):
        assert fields[input_id].get("secret") is True, input_id
        assert fields[input_id].get("multiline") is True, input_id


def test_ovn_credential_injects_every_nb_fallback():
    """The OVN type sets exactly the env variables the ovn_nb_* options fall back to."""
    injected = set(load_credential_type("ovn_nb_credential_type.yml")["injectors"]["env"])
    assert injected == set(env_fallbacks(nb_connection.NB_ARGUMENT_SPEC))


def test_kubernetes_credentials_inject_kube_fallbacks():
    """The kubeconfig type feeds kubeconfig and context; AWX's bearer token credential feeds
    host, api_key, validate_certs and ca_cert: all through the modules' K8S_AUTH_* fallbacks."""
    fallbacks = env_fallbacks(kube_client.KUBE_ARGUMENT_SPEC)
    injected = load_credential_type("kubernetes_credential_type.yml")["injectors"]["env"]
    assert dict((variable, fallbacks.get(variable)) for variable in injected) == {
        "K8S_AUTH_KUBECONFIG": "kubeconfig", "K8S_AUTH_CONTEXT": "context"}
    assert dict((variable, fallbacks.get(variable)) for variable in BEARER_TOKEN_ENV) == BEARER_TOKEN_ENV


PEM = "-----BEGIN %s-----\nMIIBkTCB+wIJAKHHIG...\n-----END %s-----\n"


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_ovn_credential_gives_the_modules_their_nb_options(module_name, tmp_path, job_env):
    """A clustered ssl: NB with TLS material and a timeout: the module's options come out of AWX's env."""
    inputs = dict(
        connection="ssl:10.0.0.1:6641,ssl:10.0.0.2:6641,ssl:10.0.0.3:6641",
        private_key=PEM % ("PRIVATE KEY", "PRIVATE KEY"),
        certificate=PEM % ("CERTIFICATE", "CERTIFICATE"),
        ca_cert=(PEM % ("CERTIFICATE", "CERTIFICATE")).replace("MIIB", "MIIC"),
        timeout="25",
    )
    job_env(awx_inject(load_credential_type("ovn_nb_credential_type.yml"), inputs, tmp_path))

    params = validated(module_name)

    assert params["ovn_nb_connection"] == inputs["connection"]
    assert params["ovn_nb_timeout"] == 25
    for option, field in (("ovn_nb_private_key", "private_key"), ("ovn_nb_certificate", "certificate"),
                          ("ovn_nb_ca_cert", "ca_cert")):
        assert Path(params[option]).parent == tmp_path / "env"
        assert Path(params[option]).read_text() == inputs[field], option
    assert len({params["ovn_nb_private_key"], params["ovn_nb_certificate"], params["ovn_nb_ca_cert"]}) == 3


def test_ovn_credential_tls_files_reach_the_ovs_library(tmp_path, job_env, monkeypatch):
    """The connection code hands the injected files to the ovs library's SSL settings."""
    import ovs.stream

    for attribute in ("_SSL_private_key_file", "_SSL_certificate_file", "_SSL_ca_cert_file"):
        monkeypatch.setattr(ovs.stream.Stream, attribute, None, raising=False)
    inputs = dict(connection="ssl:nb.example:6641", private_key="key\n", certificate="cert\n", ca_cert="ca\n")
    job_env(awx_inject(load_credential_type("ovn_nb_credential_type.yml"), inputs, tmp_path))
    params = validated("network_info")

    nb_connection._configure_tls(params, nb_connection.parse_remotes(params["ovn_nb_connection"]))

    assert Path(ovs.stream.Stream._SSL_private_key_file).read_text() == "key\n"
    assert Path(ovs.stream.Stream._SSL_certificate_file).read_text() == "cert\n"
    assert Path(ovs.stream.Stream._SSL_ca_cert_file).read_text() == "ca\n"


def test_ovn_credential_optional_inputs_left_empty(tmp_path, job_env):
    """Only the connection given: AWX still sets every variable. The timeout is the modules'
    default, a tcp: NB needs no TLS, and an ssl: NB is refused with the missing option named."""
    credential_type = load_credential_type("ovn_nb_credential_type.yml")
    job_env(awx_inject(credential_type, dict(connection="tcp:10.0.0.1:6641", private_key=""), tmp_path))

    params = validated("network_info")

    assert params["ovn_nb_connection"] == "tcp:10.0.0.1:6641"
    assert params["ovn_nb_timeout"] == nb_connection.NB_ARGUMENT_SPEC["ovn_nb_timeout"]["default"]
    assert not params["ovn_nb_private_key"] and not params["ovn_nb_certificate"] and not params["ovn_nb_ca_cert"]
    nb_connection._configure_tls(params, nb_connection.parse_remotes(params["ovn_nb_connection"]))

    job_env(awx_inject(credential_type, dict(connection="ssl:10.0.0.1:6641"), tmp_path))
    params = validated("network_info")
    with pytest.raises(InvalidInput) as error:
        nb_connection._configure_tls(params, nb_connection.parse_remotes(params["ovn_nb_connection"]))
    assert "ovn_nb_private_key" in str(error.value) and "is required" in str(error.value)


def kubeconfig_text():
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "one", "cluster": {"server": "https://one.example:6443"}},
            {"name": "two", "cluster": {"server": "https://two.example:6443"}},
        ],
        "users": [{"name": "u1", "user": {"token": "t-one"}}, {"name": "u2", "user": {"token": "t-two"}}],
        "contexts": [
            {"name": "ctx-one", "context": {"cluster": "one", "user": "u1"}},
            {"name": "ctx-two", "context": {"cluster": "two", "user": "u2"}},
        ],
        "current-context": "ctx-one",
    })


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_kubeconfig_credential_gives_the_modules_their_kube_options(module_name, tmp_path, job_env):
    """The injected kubeconfig file and context become the kubeconfig and context options, and
    the client built from them talks to that context's server with its token."""
    inputs = dict(kubeconfig=kubeconfig_text(), context="ctx-two")
    job_env(awx_inject(load_credential_type("kubernetes_credential_type.yml"), inputs, tmp_path))

    params = validated(module_name)

    assert Path(params["kubeconfig"]).read_text() == inputs["kubeconfig"]
    assert params["context"] == "ctx-two"
    assert params["host"] is None and params["api_key"] is None
    conf = kube_client.configuration(params)
    assert conf.host == "https://two.example:6443"
    assert conf.auth_settings()["BearerToken"]["value"] == "Bearer t-two"


def test_kubeconfig_credential_optional_inputs_left_empty(tmp_path, job_env):
    """Every input the type lets a user leave empty, left empty, still gives a working client
    (AWX then injects "": an empty K8S_AUTH_CONTEXT would name a context no kubeconfig has)."""
    credential_type = load_credential_type("kubernetes_credential_type.yml")
    required = set(credential_type["inputs"]["required"])
    given = dict(kubeconfig=kubeconfig_text(), context="ctx-one")
    inputs = dict((key, value) for key, value in given.items() if key in required)
    job_env(awx_inject(credential_type, inputs, tmp_path))

    conf = kube_client.configuration(validated("network_info"))

    assert conf.host == "https://one.example:6443"


@pytest.mark.parametrize("verify", [True, False])
def test_awx_bearer_token_credential_works_as_is(verify, tmp_path, job_env):
    """AWX's built-in "OpenShift or Kubernetes API Bearer Token" credential, as its injector sets
    the env (CA file and VERIFY_SSL=True when verifying, VERIFY_SSL=False otherwise)."""
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(PEM % ("CERTIFICATE", "CERTIFICATE"))
    env = {"K8S_AUTH_HOST": "https://api.example:6443", "K8S_AUTH_API_KEY": "sa-token"}
    env.update({"K8S_AUTH_VERIFY_SSL": "True", "K8S_AUTH_SSL_CA_CERT": str(ca_file)} if verify else {"K8S_AUTH_VERIFY_SSL": "False"})
    job_env(env)

    params = validated("eip", platform="kube_dc")

    assert params["host"] == "https://api.example:6443" and params["api_key"] == "sa-token"
    assert params["validate_certs"] is verify
    assert params["ca_cert"] == (str(ca_file) if verify else None)
    conf = kube_client.configuration(params)
    assert conf.host == "https://api.example:6443"
    assert conf.auth_settings()["BearerToken"]["value"] == "Bearer sa-token"
    assert conf.verify_ssl is verify
    assert conf.ssl_ca_cert == (str(ca_file) if verify else None)

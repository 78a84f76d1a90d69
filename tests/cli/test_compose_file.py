"""docker-compose.yml, Dockerfile and README: checked by reading (no Docker engine here).

Every service command must parse with the real `witness` argument parser, every ${VAR}
must be documented in README.md, and the Kafka KRaft settings must be self-consistent.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from witness.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text("utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
README = (ROOT / "README.md").read_text("utf-8")
DEPLOY = README.split("## Production deployment", 1)[1].split("\n## ", 1)[0]
WITNESS_SERVICES = [name for name, s in SERVICES.items() if "build" in s]
VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def parses(argv: list[str]) -> bool:
    """True when `witness ARGV...` is accepted by the real parser (unknown => SystemExit)."""
    assert argv[0] == "witness", argv
    parser = build_parser(argv[1] if len(argv) > 1 else None)
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit:
        return False
    return getattr(args, "command", None) == argv[1]


def test_the_checker_rejects_bad_commands():
    assert parses(["witness", "run", "--role", "detectors"])
    assert not parses(["witness", "run", "--role", "everything"])
    assert not parses(["witness", "runn"])
    assert not parses(["witness", "doctor", "--fixx"])


def test_expected_services_exist():
    assert {"kafka", "postgres", "init", "detectors", "recorder", "wall", "camera"} <= set(SERVICES)
    assert set(WITNESS_SERVICES) == {"init", "detectors", "recorder", "wall", "camera"}


@pytest.mark.parametrize("name", WITNESS_SERVICES)
def test_service_command_is_a_real_witness_command(name):
    command = SERVICES[name]["command"]
    assert isinstance(command, list), "exec form: no shell between tini and witness"
    assert parses(command), f"{name}: {command} is not a valid witness command"


def test_roles_and_init():
    assert SERVICES["detectors"]["command"][1:] == ["run", "--role", "detectors"]
    assert SERVICES["recorder"]["command"][1:] == ["run", "--role", "recorder"]
    assert SERVICES["init"]["command"][1:3] == ["doctor", "--fix"]
    assert SERVICES["init"]["restart"] == "no"
    for name in ("detectors", "recorder", "wall", "camera"):
        dep = SERVICES[name]["depends_on"]
        assert dep == {"init": {"condition": "service_completed_successfully"}}, name
    assert SERVICES["camera"]["profiles"] == ["cameras"]


def test_detectors_can_scale():
    det = SERVICES["detectors"]
    assert "container_name" not in det and "ports" not in det  # both break --scale


def test_healthchecks_guard_every_healthy_dependency():
    for name, svc in SERVICES.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
            if cond.get("condition") == "service_healthy":
                assert "healthcheck" in SERVICES[dep], f"{dep} needs a healthcheck"
    assert "healthcheck" in SERVICES["wall"]


def test_volumes_are_declared():
    declared = set(COMPOSE["volumes"])
    for svc in SERVICES.values():
        for v in svc.get("volumes", []):
            source = v.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared
    assert any("kafka-data:" in v for v in SERVICES["kafka"]["volumes"])
    assert any("pg-data:" in v for v in SERVICES["postgres"]["volumes"])


def _listeners(value: str) -> dict[str, str]:
    out = {}
    for item in value.split(","):
        name, addr = item.split("://", 1)
        out[name] = addr
    return out


def test_kafka_kraft_settings_are_consistent():
    kafka = SERVICES["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    listeners = _listeners(env["KAFKA_LISTENERS"])
    advertised = _listeners(VAR.sub("X", env["KAFKA_ADVERTISED_LISTENERS"]))
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert controller in listeners and controller not in advertised
    assert set(listeners) == set(protocols)
    assert set(advertised) <= set(listeners)
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    node, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")
    assert node == env["KAFKA_NODE_ID"]
    assert voter.split(":")[1] == listeners[controller].rsplit(":", 1)[1]
    assert voter.split(":")[0] == kafka["hostname"]
    assert "CLUSTER_ID" in env and env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert any(v.endswith(":" + env["KAFKA_LOG_DIRS"]) for v in kafka["volumes"])
    # what the Witness services use by default is what Kafka advertises to containers
    witness_env = SERVICES["detectors"]["environment"]
    default_bootstrap = re.match(
        r"\$\{WITNESS_KAFKA_BOOTSTRAP:-(.+)\}", witness_env["WITNESS_KAFKA_BOOTSTRAP"]
    )
    assert default_bootstrap.group(1) == advertised["PLAINTEXT"]


def test_witness_env_is_wired_to_postgres():
    env = SERVICES["recorder"]["environment"]
    assert "@postgres:5432/witness" in env["WITNESS_DATABASE_URL"]
    pg = SERVICES["postgres"]["environment"]
    assert pg["POSTGRES_USER"] == "witness" and pg["POSTGRES_DB"] == "witness"
    for key in (
        "WITNESS_KAFKA_BOOTSTRAP",
        "WITNESS_DATABASE_URL",
        "WITNESS_LOCALE",
        "WITNESS_CONFIG",
    ):
        assert key in env


def test_every_referenced_variable_is_documented():
    referenced = set(VAR.findall(COMPOSE_TEXT))
    assert {"WITNESS_KAFKA_BOOTSTRAP", "POSTGRES_PASSWORD", "WITNESS_PARTITIONS"} <= referenced
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", DEPLOY, flags=re.M))
    missing = referenced - documented
    assert not missing, f"document these in README.md ## Production deployment: {sorted(missing)}"
    # and every variable set for the Witness services is documented too
    assert set(SERVICES["recorder"]["environment"]) <= documented


def _readme_witness_commands() -> list[list[str]]:
    """`witness ...` invocations in the section's shell blocks and inline code."""
    out = []
    blocks = re.findall(r"```sh\n(.*?)```", DEPLOY, flags=re.S)
    inline = re.findall(r"(?<!`)`([^`\n]*\bwitness [^`\n]+)`(?!`)", DEPLOY)
    for block in [*blocks, *inline]:
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if "witness " not in line or line.startswith(("echo", "cat")):
                continue
            tokens = shlex.split(line)
            cut = [i for i, tok in enumerate(tokens) if tok in {"<", ">", "|", "&&", ";"}]
            tokens = tokens[: cut[0]] if cut else tokens
            if "witness" in tokens[:-1]:
                out.append(tokens[tokens.index("witness") :])
    return out


def test_readme_commands_parse():
    commands = _readme_witness_commands()
    assert len(commands) >= 8
    assert ["witness", "archive", "verify", "--live", "PROJECT"] in commands
    for argv in commands:
        assert parses(argv), f"README: {' '.join(argv)}"


def test_dockerfile_installs_the_lock_then_every_package():
    text = (ROOT / "Dockerfile").read_text("utf-8")
    lock_at = text.index("pip install -r requirements.lock")
    pkg_at = text.index("pip install --no-deps .")
    assert lock_at < pkg_at
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert re.search(rf"^COPY {package} \./{package}$", text, flags=re.M), package
    assert "USER witness" in text

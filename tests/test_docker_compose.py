"""The docker/ path (docs/docker.md): the compose file renders, pins, mounts and hides secrets.

No Docker engine is needed: `docker compose config` (or v1 `docker-compose config`) only reads
and interpolates the file. The stack itself is not started here.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tomllib
from functools import cache
from pathlib import Path

import pytest
import yaml

from csc_warehouse.config import TELEMETRY_OFF, get_settings

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
COMPOSE_FILE = DOCKER / "docker-compose.yml"
ENV_EXAMPLE = DOCKER / ".env.example"
DOCKERFILE = DOCKER / "Dockerfile"

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
}
OTHER_SERVICES = {"postgres", "redis", "warehouse"}
SECRET_KEY = re.compile(r"PASSWORD|SECRET|FERNET|JWT|_KEY$")
# user:password@ in a URL
URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]*)@")
# Minimum numeric components of an exact tag: PostgreSQL's versions are major.minor.
MIN_VERSION_PARTS = {"postgres": 2}


@cache
def compose_command() -> tuple[str, ...] | None:
    """`docker compose` (v2 plugin) or `docker-compose` (v1, Debian's package), if either runs."""
    candidates = [("docker", "compose"), ("docker-compose",)]
    for cmd in candidates:
        if shutil.which(cmd[0]) is None:
            continue
        res = subprocess.run([*cmd, "version"], capture_output=True, text=True, timeout=30)
        if res.returncode == 0:
            return cmd
    return None


def needs_compose() -> tuple[str, ...]:
    cmd = compose_command()
    if cmd is None:
        pytest.skip(
            "no Docker Compose implementation here (neither `docker compose` nor "
            "`docker-compose`); docker/check-compose.sh installs one"
        )
    return cmd


def dummy_env_values() -> dict[str, str]:
    """`.env.example` with each empty (required) value filled with a recognisable dummy."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip() or f"dummy-{key.strip().lower()}-0123456789"
    return values


def run_config(env_file: Path, extra_env: dict[str, str] | None = None):
    cmd = needs_compose()
    # A clean environment: nothing from the developer's shell (CSC_PG_HOST, ...) leaks in.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    env.update(extra_env or {})
    return subprocess.run(
        [*cmd, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture(scope="module")
def dummy_env() -> dict[str, str]:
    return dummy_env_values()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, dummy_env) -> dict:
    """The compose file as the compose tool renders it, with dummy secrets."""
    env_file = tmp_path_factory.mktemp("compose") / "test.env"
    values = {**dummy_env, "CSC_DOCKER_ENV_FILE": str(env_file)}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    res = run_config(env_file)
    assert res.returncode == 0, res.stderr
    config = yaml.safe_load(res.stdout)
    assert isinstance(config, dict) and "services" in config
    return config


@pytest.fixture(scope="module")
def raw() -> dict:
    """The compose file as written (PyYAML resolves the x-airflow-common merge keys)."""
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def mounts_of(service: dict) -> dict[str, str]:
    """container path -> host source (absolute path, or a named volume), v1 and v2 output."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume["source"]
        else:
            source, target = volume.split(":")[:2]
            mounts[target] = source
    return mounts


def same_path(a: str | Path, b: str | Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


# ---- the rendered configuration ------------------------------------------------------------


def test_compose_config_parses_with_the_dummy_env(rendered):
    assert set(rendered["services"]) >= AIRFLOW_SERVICES | OTHER_SERVICES


def test_every_service_has_a_healthcheck(rendered):
    for name in AIRFLOW_SERVICES | OTHER_SERVICES:
        check = rendered["services"][name].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"


def test_images_are_pinned_to_exact_versions(rendered):
    for name, service in rendered["services"].items():
        image = service.get("image", "")
        assert image, f"{name}: no image"
        if "@sha256:" in image:
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{name}: {image!r} has no tag"
        assert tag != "latest", f"{name}: {image!r} floats"
        match = re.match(r"^v?(\d+(?:\.\d+)*)", tag)
        assert match, f"{name}: {image!r} is not a version tag"
        parts = len(match.group(1).split("."))
        wanted = MIN_VERSION_PARTS.get(repo.rsplit("/", 1)[-1], 3)
        assert parts >= wanted, f"{name}: {image!r} is not an exact version"


def test_airflow_services_share_the_project_image(rendered):
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for name in AIRFLOW_SERVICES:
        service = rendered["services"][name]
        build = service["build"]
        assert same_path(build["context"], REPO), name
        assert same_path(REPO / build["dockerfile"], DOCKERFILE), name
        assert service["image"] == f"csc-warehouse-airflow:{version}", name


def test_celery_executor_and_its_broker(rendered):
    for name in AIRFLOW_SERVICES:
        env = env_of(rendered["services"][name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0"), name
        assert "@postgres:5432/airflow" in env["AIRFLOW__CELERY__RESULT_BACKEND"], name
        assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name


def test_everything_waits_for_airflow_init(rendered):
    services = rendered["services"]
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
    init = services["airflow-init"]
    for name in OTHER_SERVICES:
        assert init["depends_on"][name]["condition"] == "service_healthy"
    script = " ".join(init.get("command") or [])
    assert "airflow db migrate" in script
    assert "csc-warehouse db start" in script


def test_workers_can_scale(rendered):
    worker = rendered["services"]["airflow-worker"]
    assert "container_name" not in worker
    assert not worker.get("ports"), "a fixed host port would stop --scale airflow-worker=N"


def test_telemetry_is_off_in_every_airflow_service(rendered):
    for name in AIRFLOW_SERVICES:
        env = env_of(rendered["services"][name])
        for key, value in TELEMETRY_OFF.items():
            assert env.get(key) == value, f"{name}: {key}={env.get(key)!r}, want {value!r}"


def test_mounts_are_the_local_setups_folders(rendered):
    local = get_settings({"CSC_HOME": str(REPO)})
    for folder in (local.dags_dir, local.dbt_project_dir, local.expectations_dir):
        assert folder.is_dir(), f"{folder} missing from the repository"
    for name in AIRFLOW_SERVICES:
        service = rendered["services"][name]
        env = env_of(service)
        mounts = mounts_of(service)
        # Where the package looks inside the container, from the container's own environment.
        inside = get_settings(env)
        expected = {
            env["AIRFLOW__CORE__DAGS_FOLDER"]: local.dags_dir,
            str(inside.dbt_project_dir): local.dbt_project_dir,
            str(inside.expectations_dir): local.expectations_dir,
            str(inside.landing): local.landing,
            str(inside.output): local.output,
        }
        for target, host in expected.items():
            assert target in mounts, f"{name}: nothing mounted at {target}"
            assert same_path(mounts[target], host), f"{name}: {mounts[target]} at {target}"
        assert env["DBT_PROFILES_DIR"] == str(inside.dbt_project_dir)


def test_the_package_talks_to_the_warehouse_service(rendered, dummy_env):
    services = rendered["services"]
    warehouse_env = env_of(services["warehouse"])
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        assert env["CSC_PG_HOST"] == "warehouse", name
        assert env["CSC_PG_PORT"] == "5432", name
        assert env["CSC_PG_PASSWORD"] == dummy_env["CSC_PG_PASSWORD"], name
        assert env["CSC_PSEUDONYM_SECRET"] == dummy_env["CSC_PSEUDONYM_SECRET"], name
        assert env["CSC_PG_USER"] == warehouse_env["POSTGRES_USER"], name
        assert env["CSC_PG_DATABASE"] == warehouse_env["CSC_PG_DATABASE"], name
    init_dir = mounts_of(services["warehouse"])["/docker-entrypoint-initdb.d"]
    assert same_path(init_dir, DOCKER / "warehouse-init")
    scripts = sorted((DOCKER / "warehouse-init").glob("*.sql"))
    assert scripts, "docker/warehouse-init/ has no SQL script"
    text = "\n".join(p.read_text(encoding="utf-8") for p in scripts).lower()
    assert "create database" in text and "csc_pg_database" in text


def test_dummy_secrets_reach_the_containers(rendered, dummy_env):
    """Every secret of .env.example is used, and only through substitution."""
    secrets = {k: v for k, v in dummy_env.items() if SECRET_KEY.search(k)}
    assert len(secrets) >= 7
    values = " ".join(v for s in rendered["services"].values() for v in env_of(s).values())
    for key, value in secrets.items():
        assert value in values, f"{key} from docker/.env is not used"


# ---- the file as written ------------------------------------------------------------------


def test_yaml_has_the_official_layout(raw):
    assert "x-airflow-common" in raw
    common = raw["x-airflow-common"]
    assert common["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
    assert common["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert common["env_file"], "secrets come from an env file (docker/.env)"
    for name in AIRFLOW_SERVICES:
        # merged from the anchor (PyYAML resolves `<<: *airflow-common`)
        assert raw["services"][name]["build"] == common["build"], name
    volumes = [v.split(":")[0] + ":" + v.split(":")[1] for v in common["volumes"]]
    assert "../dags:/opt/airflow/dags" in volumes
    assert "../dbt_project:/opt/csc/dbt_project" in volumes
    assert "../expectations:/opt/csc/expectations" in volumes
    assert any(
        v.startswith("${CSC_LANDING_HOST:-../landing}:/opt/csc/landing") for v in common["volumes"]
    )


def test_no_password_literal_in_the_compose_file(raw):
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    # Every `${...}` substitution becomes SUBST; what is left of a URL's password is a literal.
    substituted = re.sub(r"\$\{[^}]*\}", "SUBST", text)
    passwords = URL_PASSWORD.findall(substituted)
    assert len(passwords) >= 4, "expected the connection URLs in the compose file"
    assert set(passwords) == {"SUBST"}, f"password literals in URLs: {passwords}"
    for name, service in raw["services"].items():
        for key, value in env_of(service).items():
            if SECRET_KEY.search(key) and not key.endswith("_FILE"):
                assert re.fullmatch(r"\$\{[A-Za-z0-9_]+:\?[^}]+\}", value), (
                    f"{name}: {key} must be a required ${{VAR:?message}} substitution"
                )
    assert "PASSWORD" in " ".join(env_of(raw["services"]["warehouse"]))


def test_env_example_has_no_secret_and_compose_refuses_it():
    code = "\n".join(
        line
        for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    required = set(re.findall(r"\$\{([A-Za-z0-9_]+):\?", code))
    listed = {
        line.partition("=")[0].strip()
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert required <= listed, f"missing from .env.example: {sorted(required - listed)}"
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if not line.lstrip().startswith("#") and SECRET_KEY.search(key):
            assert value.strip() == "", f".env.example must leave {key} empty"
    # A copied but unfilled example must not start anything.
    res = run_config(ENV_EXAMPLE)
    assert res.returncode != 0
    assert "docker/.env" in res.stderr


def test_docker_env_is_git_ignored():
    assert ".env" in (DOCKER / ".gitignore").read_text().splitlines()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "docker/.env"], cwd=REPO, capture_output=True, timeout=30
    )
    assert ignored.returncode == 0, "docker/.env is not git-ignored"
    example = subprocess.run(
        ["git", "check-ignore", "-q", "docker/.env.example"],
        cwd=REPO,
        capture_output=True,
        timeout=30,
    )
    assert example.returncode == 1, "docker/.env.example must be committed"


def test_dockerfile_is_pinned_and_uses_the_constraints():
    text = DOCKERFILE.read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    assert len(froms) == 1, froms
    match = re.fullmatch(r"apache/airflow:(\d+\.\d+\.\d+)-python(\d+\.\d+)", froms[0])
    assert match, f"FROM {froms[0]} is not an exact Airflow + Python tag"
    pins = dict(
        line.split("==", 1)
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert match.group(1) == pins["apache-airflow"], "image and constraints.txt disagree"
    assert match.group(2) == "3.11"  # pyproject: requires-python >=3.11,<3.12
    assert re.search(r"pip install [^\n]*-c constraints\.txt \.", text)
    assert re.search(r"^COPY .*constraints\.txt", text, flags=re.MULTILINE)
    for key, value in TELEMETRY_OFF.items():
        assert re.search(rf"\b{key}={re.escape(value)}\b", text), f"Dockerfile: {key}"


def test_check_compose_script_names_a_working_command():
    script = DOCKER / "check-compose.sh"
    assert script.stat().st_mode & stat.S_IXUSR
    syntax = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    cmd = needs_compose()
    res = subprocess.run([str(script), "--no-install"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == " ".join(cmd)

"""One place for every setting: connection, folders, secrets.

Everything (the CLI, dbt's ``profiles.yml``, Airflow's connection, GX) reads its settings from
here, through environment variables with sane defaults:

========================  =============================================  =========================
variable                  meaning                                        default
========================  =============================================  =========================
``CSC_PG_HOST``           warehouse Postgres host. Setting it means      ``127.0.0.1`` (the
                          "use an external server": ``db start`` will    project's own cluster)
                          not start a local cluster.
``CSC_PG_PORT``           port                                           the local cluster's port
``CSC_PG_USER``           owner/admin role                               ``csc_admin``
``CSC_PG_PASSWORD``       its password                                   from the secrets file
``CSC_PG_DATABASE``       the warehouse database                         ``csc_warehouse``
``CSC_AIRFLOW_DATABASE``  Airflow's metadata database (same server)      ``airflow``
``CSC_LANDING``           landing folder (``<system>/<date>/``)          ``<repo>/landing``
``CSC_OUTPUT``            reports, returns, Data Docs                    ``<repo>/output``
``CSC_STATE_DIR``         local state (cluster, Airflow home, secrets)   ``<repo>/.local``
``CSC_PSEUDONYM_SECRET``  HMAC key for pseudonymous child keys           from the secrets file
``CSC_LA_CODE``           the authority's three-digit DfE number         ``931``
``CSC_REGION``            a regional warehouse: the authorities' codes,  unset (one authority)
                          comma-separated (``931,932,...``)
``CSC_REGION_DATABASE``   the regional pooled BI database                ``csc_region``
========================  =============================================  =========================

A regional warehouse (``CSC_REGION``, see ``csc_warehouse.region``) runs one warehouse per
authority in the same PostgreSQL: ``Settings.for_la`` gives each its database
(``csc_la_<code>``), landing folder (``LANDING/<code>/``), output folder and pseudonymisation
key (``CSC_PSEUDONYM_SECRET_<code>``).

Secrets (passwords, the pseudonymisation key) are never in the repository: they come from the
environment, or from ``<state>/secrets.env`` (mode 0600, git-ignored) which ``db start``
creates with random values on first use.
"""

from __future__ import annotations

import os
import re
import secrets as _secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

TELEMETRY_OFF = {
    # The warehouse holds children's data and runs without a network: no phone-home, anywhere.
    "DO_NOT_TRACK": "1",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "AIRFLOW__OPENLINEAGE__DISABLED": "True",
}


def is_la_code(text: str) -> bool:
    """A three-digit DfE (old LEA) authority number, e.g. ``931``."""
    return re.fullmatch(r"\d{3}", text) is not None


def repo_root() -> Path:
    """The checkout this package lives in (``src/csc_warehouse`` -> repo), or ``CSC_HOME``."""
    if os.environ.get("CSC_HOME"):
        return Path(os.environ["CSC_HOME"]).resolve()
    return Path(__file__).resolve().parents[2]


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


@dataclass(frozen=True)
class Settings:
    root: Path
    state_dir: Path
    env: dict[str, str]

    # ---- folders -------------------------------------------------------------------------
    @property
    def pg_dir(self) -> Path:
        return self.state_dir / "pg"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.env"

    @property
    def airflow_home(self) -> Path:
        return Path(self.env.get("AIRFLOW_HOME") or self.state_dir / "airflow")

    @property
    def landing(self) -> Path:
        return Path(self.env.get("CSC_LANDING") or self.root / "landing")

    @property
    def output(self) -> Path:
        return Path(self.env.get("CSC_OUTPUT") or self.root / "output")

    @property
    def dbt_project_dir(self) -> Path:
        return self.root / "dbt_project"

    @property
    def dags_dir(self) -> Path:
        return self.root / "dags"

    @property
    def expectations_dir(self) -> Path:
        return self.root / "expectations"

    # ---- secrets -------------------------------------------------------------------------
    @cached_property
    def _file_secrets(self) -> dict[str, str]:
        return _read_env_file(self.secrets_file)

    def secret(self, name: str) -> str | None:
        return self.env.get(name) or self._file_secrets.get(name)

    # ---- connection ----------------------------------------------------------------------
    @property
    def external(self) -> bool:
        """True when the environment points at a Postgres the project does not own."""
        return bool(self.env.get("CSC_PG_HOST"))

    @property
    def pg_host(self) -> str:
        return self.env.get("CSC_PG_HOST") or "127.0.0.1"

    @property
    def pg_port(self) -> int:
        if self.env.get("CSC_PG_PORT"):
            return int(self.env["CSC_PG_PORT"])
        port_file = self.pg_dir / "port"
        if port_file.exists():
            return int(port_file.read_text().strip())
        return 55432

    @property
    def pg_user(self) -> str:
        return self.env.get("CSC_PG_USER") or "csc_admin"

    @property
    def pg_password(self) -> str:
        return self.secret("CSC_PG_PASSWORD") or ""

    @property
    def pg_database(self) -> str:
        return self.env.get("CSC_PG_DATABASE") or "csc_warehouse"

    # ---- one authority, or a region of them ---------------------------------------------
    @property
    def la_code(self) -> str:
        """The authority's three-digit DfE (old LEA) number."""
        value = (self.env.get("CSC_LA_CODE") or "931").strip()
        if not is_la_code(value):
            raise ValueError(f"CSC_LA_CODE must be a three-digit LA number, not {value!r}")
        return value

    @property
    def region_las(self) -> tuple[str, ...]:
        """The authorities of a regional warehouse (``CSC_REGION``), in the order given;
        empty for a warehouse of one authority."""
        text = self.env.get("CSC_REGION") or ""
        codes = tuple(c.strip() for c in text.split(",") if c.strip())
        bad = [c for c in codes if not is_la_code(c)]
        if bad:
            raise ValueError(
                f"CSC_REGION must list three-digit LA numbers (931,932,...): bad {', '.join(bad)}"
            )
        if len(set(codes)) != len(codes):
            raise ValueError(f"CSC_REGION names an authority twice: {text!r}")
        return codes

    @property
    def region_database(self) -> str:
        return self.env.get("CSC_REGION_DATABASE") or "csc_region"

    @staticmethod
    def la_database(la: str) -> str:
        return f"csc_la_{la}"

    def for_la(self, la: str) -> Settings:
        """The settings of one authority of the region: its own database, landing and output
        folders and pseudonymisation key; the server, roles and state folder are shared."""
        if la not in self.region_las:
            raise ValueError(f"{la} is not one of CSC_REGION ({', '.join(self.region_las)})")
        env = dict(self.env)
        env.update(
            {
                "CSC_LA_CODE": la,
                "CSC_PG_DATABASE": self.la_database(la),
                "CSC_LANDING": str(self.landing / la),
                "CSC_OUTPUT": str(self.output / la),
            }
        )
        secret = self.secret(f"CSC_PSEUDONYM_SECRET_{la}")
        if secret:
            env["CSC_PSEUDONYM_SECRET"] = secret
        ons = self.env.get(f"CSC_LA_ONS_{la}")
        if ons:
            env["CSC_LA_ONS"] = ons
        # the authority's settings are not themselves a region
        env.pop("CSC_REGION", None)
        return Settings(root=self.root, state_dir=self.state_dir, env=env)

    @property
    def airflow_database(self) -> str:
        return self.env.get("CSC_AIRFLOW_DATABASE") or "airflow"

    @property
    def pseudonym_secret(self) -> str:
        value = self.secret("CSC_PSEUDONYM_SECRET")
        if not value:
            raise RuntimeError(
                "CSC_PSEUDONYM_SECRET is not set and no secrets file exists; "
                "run `csc-warehouse db start` (creates one) or set it in the environment"
            )
        return value

    def role_password(self, role: str) -> str:
        """``csc_loader`` -> ``CSC_LOADER_PASSWORD`` (environment or secrets file)."""
        return self.secret(f"{role.upper()}_PASSWORD") or ""

    def conninfo(self, database: str | None = None, *, role: str | None = None) -> str:
        """A libpq keyword/value string for psycopg.

        ``role`` is one of the pipeline/reader roles of ``csc_warehouse.roles`` (e.g.
        ``csc_loader``); its password comes from ``CSC_LOADER_PASSWORD`` and so on.
        """
        user, password = self.pg_user, self.pg_password
        if role:
            user, password = role, self.role_password(role)
        parts = {
            "host": self.pg_host,
            "port": str(self.pg_port),
            "user": user,
            "dbname": database or self.pg_database,
            "application_name": "csc-warehouse",
        }
        if password:
            parts["password"] = password
        return " ".join(f"{k}='{_libpq_escape(v)}'" for k, v in parts.items())

    def url(
        self, database: str | None = None, *, driver: str = "postgresql", with_password: bool = True
    ) -> str:
        auth = quote(self.pg_user, safe="")
        if with_password and self.pg_password:
            auth += ":" + quote(self.pg_password, safe="")
        return f"{driver}://{auth}@{self.pg_host}:{self.pg_port}/{database or self.pg_database}"

    # ---- environments for the tools we call ------------------------------------------------
    def tool_env(self, role: str | None = None) -> dict[str, str]:
        """Variables dbt, Airflow and GX need, derived from these settings.

        ``role``: the warehouse role dbt's profile connects as, e.g. ``csc_transformer``, in
        ``CSC_DBT_USER`` / ``CSC_DBT_PASSWORD`` (``dbt_project/profiles.yml`` falls back to
        ``CSC_PG_USER`` / ``CSC_PG_PASSWORD``, the admin, without them). ``CSC_PG_*`` stay the
        admin's whatever the role: cosmos copies a task's env into its process's
        ``os.environ``, and the tasks after dbt (gates, publish) must still be the admin.
        """
        env = dict(TELEMETRY_OFF)
        env.update(
            {
                "CSC_HOME": str(self.root),
                "CSC_STATE_DIR": str(self.state_dir),
                "CSC_PG_HOST": self.pg_host,
                "CSC_PG_PORT": str(self.pg_port),
                "CSC_PG_USER": self.pg_user,
                "CSC_PG_PASSWORD": self.pg_password,
                "CSC_PG_DATABASE": self.pg_database,
                "CSC_LANDING": str(self.landing),
                "CSC_OUTPUT": str(self.output),
                "DBT_PROFILES_DIR": str(self.dbt_project_dir),
                "DBT_PROJECT_DIR": str(self.dbt_project_dir),
                "AIRFLOW_HOME": str(self.airflow_home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_dir),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.url(
                    self.airflow_database, driver="postgresql+psycopg"
                ),
                "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "AIRFLOW_CONN_CSC_WAREHOUSE": self.url(driver="postgres"),
            }
        )
        if role:
            env["CSC_DBT_USER"] = role
            env["CSC_DBT_PASSWORD"] = self.role_password(role)
        env["CSC_LA_CODE"] = self.la_code
        if self.env.get("CSC_LA_ONS"):
            env["CSC_LA_ONS"] = self.env["CSC_LA_ONS"]
        if self.secret("CSC_PSEUDONYM_SECRET"):
            env["CSC_PSEUDONYM_SECRET"] = self.secret("CSC_PSEUDONYM_SECRET") or ""
        return env

    def ensure_secrets(self) -> None:
        """Create the secrets file with random values for anything the env does not give."""
        wanted = {
            "CSC_PG_PASSWORD": _secrets.token_urlsafe(24),
            "CSC_PSEUDONYM_SECRET": _secrets.token_hex(32),
            "CSC_LOADER_PASSWORD": _secrets.token_urlsafe(24),
            "CSC_TRANSFORMER_PASSWORD": _secrets.token_urlsafe(24),
            "CSC_BI_READER_PASSWORD": _secrets.token_urlsafe(24),
            "CSC_CASE_READER_PASSWORD": _secrets.token_urlsafe(24),
        }
        # each authority of a region has its own key: its children's pseudonymous keys
        # cannot be linked to another authority's
        for la in self.region_las:
            wanted[f"CSC_PSEUDONYM_SECRET_{la}"] = _secrets.token_hex(32)
        existing = _read_env_file(self.secrets_file)
        missing = {k: v for k, v in wanted.items() if k not in existing and not self.env.get(k)}
        if not missing:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"{k}={v}" for k, v in {**existing, **missing}.items()]
        header = "# Local secrets for this checkout's warehouse. Never commit. Mode 0600.\n"
        fd = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(header + "\n".join(lines) + "\n")
        self.__dict__.pop("_file_secrets", None)


def _libpq_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def get_settings(env: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if env is None else env)
    root = repo_root() if "CSC_HOME" not in environ else Path(environ["CSC_HOME"]).resolve()
    state = Path(environ.get("CSC_STATE_DIR") or root / ".local").resolve()
    return Settings(root=root, state_dir=state, env=environ)

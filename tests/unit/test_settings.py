"""Settings from the environment, under the original product's variable names."""

from __future__ import annotations

import pytest

from periscope_core.domain.errors import ConfigError
from periscope_entrypoints.settings import Settings, default_data_dir


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({"HOME": "/home/ana"})
    assert (settings.host, settings.port, settings.clusters_file) == ("127.0.0.1", 8080, "")
    assert settings.data_dir == "/home/ana/.local/share/periscope"
    assert settings.audit.enabled is False
    assert (settings.exec_idle_seconds, settings.exec_max_sessions_per_user) == (600, 5)
    assert settings.watch_streams.kinds[:3] == ("pods", "events", "deployments")
    assert "secrets" not in settings.watch_streams.kinds
    assert settings.watch_per_user_limit == 60


def test_original_names_are_read() -> None:
    settings = Settings.from_env({
        "PORT": "9090",
        "PERISCOPE_CLUSTERS_FILE": "/etc/periscope/clusters.yaml",
        "PERISCOPE_AUTH_FILE": "/etc/periscope/auth.yaml",
        "PERISCOPE_AUDIT_ENABLED": "true",
        "PERISCOPE_AUDIT_RETENTION_DAYS": "0",
        "PERISCOPE_EXEC_IDLE_SECONDS": "-5",
        "PERISCOPE_EXEC_MAX_SESSIONS_TOTAL": "many",
        "PERISCOPE_WATCH_STREAMS": "core, storage",
        "PERISCOPE_DATA_DIR": "/var/lib/periscope",
        "PERISCOPE_DEV_ALLOW_ORIGINS": "http://localhost:5173, http://127.0.0.1:5173",
    })
    assert (settings.port, settings.clusters_file, settings.auth_file) == (
        9090, "/etc/periscope/clusters.yaml", "/etc/periscope/auth.yaml")
    assert (settings.audit.enabled, settings.audit.retention_days) == (True, 0)
    # As in the original, unparsable or non-positive exec values keep their default.
    assert (settings.exec_idle_seconds, settings.exec_max_sessions_total) == (600, 50)
    assert settings.watch_streams.kinds == ("pods", "events", "pvcs", "pvs", "storageclasses")
    assert settings.data_dir == "/var/lib/periscope"
    assert settings.dev_allow_origins == ("http://localhost:5173", "http://127.0.0.1:5173")


def test_audit_needs_the_exact_string_true() -> None:
    assert Settings.from_env({"PERISCOPE_AUDIT_ENABLED": "TRUE"}).audit.enabled is False


@pytest.mark.parametrize("port", ["http", "0", "70000"])
def test_bad_port_is_a_config_error(port: str) -> None:
    with pytest.raises(ConfigError, match="PORT"):
        Settings.from_env({"PORT": port})


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [("PERISCOPE_WATCH_STREAMS", "pods,nodes,bogus", "'bogus'"), ("PERISCOPE_WATCH_PER_USER_LIMIT", "-1", "'-1'")],
)
def test_a_bad_watch_setting_is_a_config_error_naming_it(variable: str, value: str, named: str) -> None:
    # Unlike the original, which dropped unknown tokens and kept the default cap.
    with pytest.raises(ConfigError, match=f"{variable}.*{named}"):
        Settings.from_env({variable: value})


def test_data_dir_prefers_xdg() -> None:
    assert default_data_dir({"XDG_DATA_HOME": "/x", "HOME": "/home/ana"}) == "/x/periscope"
    assert default_data_dir({}) == ".data"

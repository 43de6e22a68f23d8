"""Settings are declared once: the CLI, the environment and the workers' copy all come from them."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

import pytest

import mockserver
from mockserver.cli import build_parser, resolve, settings_from
from mockserver.errors import ConfigError
from mockserver.settings import ServeOptions, Settings, options_of, settings_from_json, settings_to_json

EVERY_FIELD_SET = Settings(
    vendors=("botpress",),
    root_vendor="chatbotcom",
    seed=7,
    tokens=frozenset({"a-token"}),
    spec_overrides={"botpress": Path("/tmp/admin.json")},
    now=datetime(2025, 6, 1, 12, tzinfo=timezone.utc),
    max_body_bytes=10,
    job_duration=0.5,
    state="sqlite:///tmp/s.db",
    max_jobs=5,
    max_resources=9,
    max_stored_resources=99,
    upstreams={"chatbotcom": "https://sandbox.example"},
    upstream_timeout=2.5,
    record_dir=Path("/tmp/recordings"),
    redact=("x-request-id", "$.user.email"),
    record_ttl=7.0,
    stateless={"generalbots": ("listReports",)},
    fixture_dirs=(Path("/tmp/f"),),
    journal_size=9,
    cache_bytes=5,
    faults=({"match": {"vendor": "botpress"}, "action": {"status": 500}},),
    sessions={"s": {"seed": 1}},
    world={"chatcaptain": {"chatbots": [{"id": "cb_1", "channels": [{"id": "ch_1", "type": "web", "created": "2024-01-01"}]}]}},
    admin_token="admin",
    cors_origins=("https://app.example",),
    download_ttl=60,
    secret="s3",
    allowed_hosts=("mock",),
    forwarded_allow_ips=("10.0.0.0/8",),
    max_query_bytes=100,
    max_head_bytes=2048,
    head_timeout=1.5,
    body_timeout=2.5,
    max_connections=7,
    journal_entry_bytes=2048,
    journal_bytes=4096,
    state_timeout=0.5,
)


def test_every_field_survives_the_trip_to_a_worker() -> None:
    unset = [f.name for f in fields(Settings) if getattr(EVERY_FIELD_SET, f.name) == getattr(Settings(), f.name)]
    assert not unset, f"set these in EVERY_FIELD_SET too: {unset}"
    assert settings_from_json(settings_to_json(EVERY_FIELD_SET)) == EVERY_FIELD_SET


@pytest.mark.parametrize("cls", [Settings, ServeOptions])
def test_every_declared_option_has_its_flag_variable_and_default_in_the_help(cls: type) -> None:
    serve = next(a for a in build_parser()._actions if a.dest == "command").choices["serve"]  # type: ignore[union-attr]
    text = " ".join(serve.format_help().split())
    for _, opt, _ in options_of(cls):
        if "serve" in opt.commands:
            assert opt.flag in text and opt.env in text, opt.flag


def test_a_flag_beats_its_variable_which_beats_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKSERVER_SEED", "5")
    monkeypatch.setenv("MOCKSERVER_TOKENS", "one,two")
    assert settings_from(build_parser().parse_args(["serve"])).seed == 5
    assert settings_from(build_parser().parse_args(["serve", "--seed", "6"])).seed == 6
    assert settings_from(build_parser().parse_args(["serve"])).tokens == {"one", "two"}
    assert resolve(ServeOptions, build_parser().parse_args(["serve"]), "serve") == {}
    assert ServeOptions(**resolve(ServeOptions, build_parser().parse_args(["serve", "--port", "9"]), "serve")).port == 9


def test_a_journal_entry_larger_than_the_journal_fails_fast() -> None:
    with pytest.raises(ConfigError, match="--journal-entry-bytes"):
        Settings(journal_entry_bytes=10_000, journal_bytes=5_000)


def test_run_is_the_python_api() -> None:
    assert mockserver.run.__module__ == "mockserver.serving"

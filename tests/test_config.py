"""Tests of _config.py: one configuration value, taken by every entry point."""

from __future__ import annotations

import dataclasses

import pytest

from kinto_query import Bucket, Client, Config, RetryPolicy, Transport

from .conftest import AUTH, NoNetwork

# -- pure -----------------------------------------------------------------------------------------

POLICY = RetryPolicy(attempts=2, sleep=lambda seconds: None)
OPTIONS = {"auth": AUTH, "headers": {"X-Team": "ops"}, "timeout": 2.0, "deadline": 7.0,
           "retry": POLICY, "on_backoff": "raise"}


def _options_of(transport: Transport) -> tuple[object, ...]:
    return (transport.server_url, transport.headers, transport.timeout, transport.deadline,
            transport.retry, transport.on_backoff, transport.auth.username)  # type: ignore[union-attr]


EXPECTED = ("http://h.test/v1", {"X-Team": "ops"}, 2.0, 7.0, POLICY, "raise", AUTH[0])


def test_a_bucket_made_directly_takes_every_option_of_a_client() -> None:
    bucket = Bucket("b", server_url="http://h.test/v1", **OPTIONS)  # type: ignore[arg-type]
    assert _options_of(bucket.transport) == EXPECTED


@pytest.mark.parametrize("make", [
    lambda config: Client(config=config).transport,
    lambda config: Transport(config=config),
    lambda config: Bucket("b", config=config).transport,
], ids=["Client", "Transport", "Bucket"])
def test_every_entry_point_takes_a_config(make: object) -> None:
    config = Config("http://h.test/v1", **OPTIONS)  # type: ignore[arg-type]
    assert _options_of(make(config)) == EXPECTED  # type: ignore[operator]


def test_keywords_override_the_config() -> None:
    config = Config("http://h.test/v1", deadline=3.0, retry=None)
    client = Client("http://other.test/v1", config=config, deadline=9.0)
    assert client.server_url == "http://other.test/v1"
    assert (client.transport.deadline, client.transport.retry) == (9.0, None)
    assert config.deadline == 3.0  # a value: never changed by its users


def test_a_transport_copy_keeps_every_option_with_a_session_of_its_own() -> None:
    session = NoNetwork()
    transport = Transport("http://h.test/v1", session=session, **OPTIONS)  # type: ignore[arg-type]
    twin = transport.copy()
    assert _options_of(twin) == EXPECTED
    assert twin.session is not session and twin.owns_session
    assert dataclasses.replace(twin.config, session=session) == transport.config


def test_client_config_has_the_server_url_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINTO_SERVER_URL", "http://env.test/v1")
    assert Client().config.server_url == "http://env.test/v1"
    assert Config().server_url is None  # read when a transport is made, not before


def test_config_repr_shows_no_credentials() -> None:
    config = Config("http://h.test/v1", auth=("alice", "s3cret"),
                    headers={"Authorization": "Bearer t0ken"})
    assert "s3cret" not in repr(config) and "t0ken" not in repr(config)
    assert "http://h.test/v1" in repr(config)


@pytest.mark.parametrize(("option", "message"), [
    ({"deadline": 0}, "deadline must be a positive number"),
    ({"timeout": (1.0, -1.0)}, "timeout must be a positive number"),
    ({"on_backoff": "sleep"}, "on_backoff must be 'wait' or 'raise'"),
])
def test_config_checks_its_values(option: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Config(**option)  # type: ignore[arg-type]


def test_config_must_be_a_config() -> None:
    with pytest.raises(TypeError, match=r"config must be a kinto_query\.Config"):
        Client(config={"deadline": 3.0})  # type: ignore[arg-type]


def test_a_bucket_takes_a_client_or_a_config_not_both(offline_client: Client) -> None:
    with pytest.raises(TypeError, match="not both"):
        Bucket("b", client=offline_client, config=Config())
    with pytest.raises(TypeError, match="not both"):
        Bucket("b", client=offline_client, retry=None)


# -- seams: the session and the id of a new record -------------------------------------------------


def test_a_session_factory_makes_the_session_of_each_transport_given_none() -> None:
    made: list[NoNetwork] = []

    def factory() -> NoNetwork:
        made.append(NoNetwork())
        return made[-1]

    client = Client("http://h.test/v1", session_factory=factory)
    twin = client.transport.copy()  # a thread's transport: a session of its own, made alike
    assert made == [client.session, twin.session]
    assert client.transport.owns_session and twin.owns_session
    given = NoNetwork()
    assert Client(session=given, session_factory=factory).session is given
    assert len(made) == 2


def test_an_id_factory_names_new_records_whose_data_has_none() -> None:
    ids = iter(["first", "second"])
    todo = Client(id_factory=lambda: next(ids), session=NoNetwork()).bucket("b").collection("c")
    assert todo.record({"title": "x"}).id == "first"
    assert todo.record({"id": "mine"}).id == "mine"  # drawn only when the data has none
    assert todo.record({}).id == "second"


def test_new_records_get_uuid4_ids_by_default() -> None:
    todo = Client(session=NoNetwork()).bucket("b").collection("c")
    first, second = todo.record({}).id, todo.record({}).id
    assert first != second and len(first) == 36 and first[14] == "4"


def test_as_default_is_what_clients_built_without_config_start_from() -> None:
    routed = Config("http://routed.test/v1", id_factory=lambda: "routed", retry=None)
    with routed.as_default():
        assert Config.default() is routed
        client = Client(session=NoNetwork())
        assert (client.server_url, client.transport.retry) == ("http://routed.test/v1", None)
        # A config of one's own keeps its options, and takes the default's factories.
        own = Client(config=Config("http://own.test/v1"), session=NoNetwork())
        assert own.transport.retry is not None
        assert own.bucket("b").collection("c").record({}).id == "routed"
    assert Config.default() == Config()
    assert Client(session=NoNetwork()).bucket("b").collection("c").record({}).id != "routed"

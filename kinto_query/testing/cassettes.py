"""Betamax extensions: cassettes whose JSON bodies are stored as JSON and scrubbed, and
requests matched as Kinto reads them (method, URL, JSON body, after the same scrubbing).

Betamax's registries are global and its hooks see every cassette: everything here is
registered under names of its own and touches only the cassettes a Recorder opened.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from betamax import BaseMatcher, BaseSerializer, Betamax

from .scrub import Scrub, label_user_ids, labels_in_use

__all__ = ["SERIALIZER", "KintoSerializer", "body_of", "register_matcher", "unregister_matcher"]

SERIALIZER = "kinto-json"
_matcher_numbers = itertools.count(1)


def body_of(body: Any) -> str:
    """The text of a request body as requests holds it (bytes, str or None)."""
    if not body:
        return ""
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


def _to_string(interaction: dict[str, Any]) -> dict[str, Any]:
    """A stored interaction as betamax reads it: a body stored as JSON becomes its text."""
    for side in ("request", "response"):
        body = interaction.get(side, {}).get("body")
        if isinstance(body, dict) and "json" in body:
            content = body.pop("json")
            body["string"] = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return interaction


class KintoSerializer(BaseSerializer):  # type: ignore[misc]
    """Cassettes as indented JSON, bodies as JSON where they are, scrubbed by ``scrub``."""

    name = SERIALIZER
    stored_as_binary = False

    def __init__(self, scrub: Scrub | None = None) -> None:
        super().__init__()
        self.scrub = scrub or Scrub()

    @staticmethod
    def generate_cassette_name(cassette_library_dir: str, cassette_name: str) -> str:
        return os.path.join(cassette_library_dir, f"{cassette_name}.json")

    def serialize(self, cassette_data: dict[str, Any]) -> str:
        interactions = [self.scrub.interaction(i) for i in cassette_data["http_interactions"]]
        for interaction in interactions:
            # A body is written anew (as JSON, scrubbed, placeholders in it): its length
            # changes, and a replayed answer with a wrong Content-Length is cut or broken.
            interaction["response"]["headers"].pop("Content-Length", None)
        # One label per user id across the cassette; labels already in it (a cassette being
        # extended) are kept, and new ids get the next ones.
        labels = labels_in_use(interactions)
        data = {
            "http_interactions": label_user_ids(interactions, labels),
            "recorded_with": cassette_data.get("recorded_with", "betamax"),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def deserialize(self, cassette_data: str) -> dict[str, Any]:
        if not cassette_data.strip():
            return {}  # betamax creates an empty file for a cassette it is about to record
        data: dict[str, Any] = json.loads(cassette_data)
        data["http_interactions"] = [_to_string(i) for i in data.get("http_interactions", [])]
        return data


def register_matcher(scrub: Scrub) -> str:
    """Register a matcher that compares a request with a recorded one after ``scrub``, by
    method, URL and body (JSON compared as JSON); its name, for ``match_requests_on``."""
    name = f"kinto-{next(_matcher_numbers)}"

    def match(self: BaseMatcher, request: Any, recorded: dict[str, Any]) -> bool:
        body = recorded.get("body", {})
        recorded_text = body.get("string", "") if isinstance(body, dict) else str(body)
        return bool(
            request.method == recorded["method"]
            and scrub.url(request.url) == recorded["uri"]
            and scrub.body(body_of(request.body)) == scrub.body(recorded_text)
        )

    Betamax.register_request_matcher(type(f"KintoMatcher{name}", (BaseMatcher,),
                                          {"name": name, "match": match}))
    return name


def unregister_matcher(name: str) -> None:
    from betamax import matchers

    matchers.matcher_registry.pop(name, None)


_registered = False


def _before_record(interaction: Any, cassette: Any) -> None:
    # Betamax's hooks see every cassette: only ours are touched.
    if isinstance(getattr(cassette.serializer, "proxied_serializer", None), KintoSerializer):
        # Even while recording, the test gets the answer rebuilt from what is recorded: a
        # HEAD's Content-Length without its body would read as a connection cut short.
        interaction.data["response"]["headers"].pop("Content-Length", None)


def register_serializer() -> None:
    """Make the serializer and its hook known to betamax (once; it reads cassettes by name)."""
    global _registered
    if not _registered:
        Betamax.register_serializer(KintoSerializer)
        with Betamax.configure() as config:
            config.before_record(callback=_before_record)
        _registered = True

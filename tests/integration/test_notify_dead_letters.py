"""Operating dead letters with `careledger notify dead-letters list|retry`, run through
click's CliRunner against the same Redis and notify database as the consumer."""

from __future__ import annotations

import json

import pytest
import redis
from click.testing import CliRunner, Result

from services.cli import main
from services.notify.bootstrap import NotifyService
from services.notify.consume.deadletters import list_dead_letters
from tests.integration.notify_support import (
    Publisher,
    consumer,
    crash_loop,
    drain,
    inbox,
    new_case_id,
)


def _cli(notify: NotifyService, *args: str) -> Result:
    s = notify.settings
    env = {
        "CARELEDGER_DATA_DIR": str(s.data_dir),
        "REDIS_URL": s.redis_url,
        "CARELEDGER_STREAM": s.stream,
        "CARELEDGER_TOKEN_SECRET": s.token_secret,
        "CARELEDGER_NOTIFY_DATABASE_URL": s.notify_database_url,
        "CARELEDGER_NOTIFY_POSTGRES_SCHEMA": s.notify_postgres_schema,
    }
    return CliRunner().invoke(main, ["notify", "dead-letters", *args], env=env)


@pytest.fixture
def parked(notify: NotifyService, redis_client: redis.Redis, publisher: Publisher) -> str:
    """Staff known; then an alarm (no guardian) that crash-looped into the dead letters,
    and a malformed entry after it. Returns the alarm's case id."""
    publisher.staff()
    drain(consumer(notify, redis_client, publisher.stream, consumer="crashy"))
    case = new_case_id()
    publisher.identify(case, guardian_type="none")
    crash_loop(redis_client, publisher.stream)
    publisher.append({"type": "case.visited", "payload": "{}"})
    drain(consumer(notify, redis_client, publisher.stream, consumer="crashy"))
    assert len(list_dead_letters(redis_client, publisher.stream)) == 2
    return case


def test_list_shows_each_dead_letter_with_its_reason(notify: NotifyService, parked: str) -> None:
    result = _cli(notify, "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "case.identified" in lines[0] and "delivered 11 times" in lines[0]
    assert "malformed entry" in lines[1]
    assert "2 of 2 dead letters shown" in result.stderr


def test_list_as_json_gives_one_object_per_line(notify: NotifyService, parked: str) -> None:
    result = _cli(notify, "list", "--json", "--limit", "1")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["type"], r["event_id"], r["deliveries"]) for r in rows] == [
        ("case.identified", f"{parked}:1", 11)
    ]


def test_retrying_one_handles_the_original_entry_and_deletes_the_dead_letter(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, parked: str
) -> None:
    # given
    letter = list_dead_letters(redis_client, publisher.stream)[0]
    assert inbox(notify) == []
    # when
    result = _cli(notify, "retry", letter.id)
    # then
    assert result.exit_code == 0, result.output
    assert "1 handled, 0 still failing" in result.stderr
    assert sorted(r["recipient"] for r in inbox(notify)) == ["civil", "supervisor"]
    assert [d.id for d in list_dead_letters(redis_client, publisher.stream)] != [letter.id]
    assert len(list_dead_letters(redis_client, publisher.stream)) == 1
    # and retrying what was handled meanwhile is a harmless duplicate
    publisher.append(letter.fields)
    drain(consumer(notify, redis_client, publisher.stream))
    assert len(inbox(notify)) == 2


def test_retrying_all_keeps_what_still_fails_and_says_why(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, parked: str
) -> None:
    result = _cli(notify, "retry", "--all")
    assert result.exit_code == 1
    assert "still failing: malformed entry" in result.stderr
    assert "retried 2 dead letters: 1 handled, 1 still failing" in result.stderr
    [left] = list_dead_letters(redis_client, publisher.stream)
    assert left.type == "case.visited"
    assert len(inbox(notify)) == 2


def test_retry_needs_one_id_or_all_and_an_unknown_id_is_an_error(
    notify: NotifyService, parked: str
) -> None:
    assert _cli(notify, "retry").exit_code == 2
    assert _cli(notify, "retry", "1-0", "--all").exit_code == 2
    unknown = _cli(notify, "retry", "1-0")
    assert unknown.exit_code == 1 and "no dead letter 1-0" in unknown.output
    assert (
        len(
            list_dead_letters(
                redis.Redis.from_url(notify.settings.redis_url), notify.settings.stream
            )
        )
        == 2
    )


def test_without_redis_configured_the_commands_say_so(notify: NotifyService) -> None:
    result = CliRunner().invoke(
        main,
        ["notify", "dead-letters", "list"],
        env={"REDIS_URL": "", "CARELEDGER_DATA_DIR": str(notify.settings.data_dir)},
    )
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output

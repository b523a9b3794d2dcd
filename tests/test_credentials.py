"""Credentials go only to their source's origin, and secrets are masked in what we print
or store: real servers on 127.0.0.1, real ``triage pull`` / ``triage push`` runs, and
assertions on what each server actually received."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import Result
from clitools import Cli, make_cli
from factories import record
from servers import Received, Reply, serving
from sqlalchemy import create_engine, text

TOKEN = "tok-live-6d1f2a9c-keep-it-here"


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    made = make_cli(tmp_path, db_url, monkeypatch)
    made.env["HELPDESK_TOKEN"] = TOKEN
    return made


def configure(cli: Cli, url: str, **settings: str) -> None:
    lines = [
        "[sources.helpdesk]",
        'kind = "http"',
        f'url = "{url}"',
        'token_env = "HELPDESK_TOKEN"',
        *(f'{key} = "{value}"' for key, value in settings.items()),
    ]
    (cli.folder / "triage.toml").write_text("\n".join(lines) + "\n")


def stored(cli: Cli) -> list[tuple[str, str]]:
    """(source, id) of every stored item."""
    engine = create_engine(cli.env["TRIAGE_DB"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT source, item_id FROM item ORDER BY item_id"))
            return [(row[0], row[1]) for row in rows]
    finally:
        engine.dispose()


def pages(first: list[Any], next_link: str | None = None) -> dict[str, Any]:
    return {"items": first, "next": next_link}


def items_at(*numbers: int) -> Reply:
    return Reply.json(pages([record(n) for n in numbers]))


def pull(cli: Cli, *args: str) -> tuple[Result, Result]:
    """The same pull twice: as text and as ``--json``."""
    return cli("pull", *args, ok=False), cli("pull", *args, "--json", ok=False)


# --- 1. a bare URL uses a source's credential only at its exact origin and path ----------


def test_a_port_that_only_starts_like_the_sources_gets_no_credential(cli: Cli) -> None:
    with serving(lambda request: items_at(1)) as other:
        # The configured source's netloc is a string prefix of this server's.
        prefix = f"http://127.0.0.1:{str(other.port)[:-1]}"
        assert f"{other.url}/items".startswith(prefix)
        configure(cli, prefix)
        cli("pull", f"{other.url}/items")
    assert other.header_values("authorization") == [None]
    assert stored(cli) == [(f"127.0.0.1:{other.port}/items", "rec-0001")]


def test_a_path_is_covered_only_at_a_segment_boundary(cli: Cli) -> None:
    with serving(lambda request: items_at(int(request.path.endswith("items")) + 1)) as api:
        configure(cli, f"{api.url}/api")
        cli("pull", f"{api.url}/apikeys")
        cli("pull", f"{api.url}/api/items")
    assert api.header_values("authorization") == [None, f"Bearer {TOKEN}"]
    assert stored(cli) == [(f"127.0.0.1:{api.port}/apikeys", "rec-0001"), ("helpdesk", "rec-0002")]


def test_origins_compare_as_httpx_sends_them() -> None:
    import httpx

    from triage.platforms.origins import Origin, within

    same = [
        ("HTTP://Example.COM:80/a", "http://example.com/b"),
        ("https://example.com:443", "https://EXAMPLE.com/"),
        ("http://bücher.de/x", "http://xn--bcher-kva.de/y"),
    ]
    for one, other in same:
        assert Origin.of(one) == Origin.of(other), (one, other)
    for one, other in [
        ("http://127.0.0.1:1997", "http://127.0.0.1:19978"),
        ("http://example.com", "https://example.com"),
        ("http://example.com", "http://example.com.evil.test"),
    ]:
        assert Origin.of(one) != Origin.of(other), (one, other)
    base = httpx.URL("http://h/api")
    assert within(httpx.URL("http://h/api"), base)
    assert within(httpx.URL("http://h/api/items?x=1"), base)
    assert not within(httpx.URL("http://h/apikeys"), base)
    assert within(httpx.URL("http://h/anything"), httpx.URL("http://h/"))
    assert str(Origin.of("https://H:443/x")) == "https://h"
    assert str(Origin.of("http://[::1]:8080/")) == "http://[::1]:8080"


def test_a_password_in_a_bare_url_is_never_part_of_the_source_name(cli: Cli) -> None:
    with serving(lambda request: items_at(1)) as api:
        cli("pull", f"http://reader:pw-{TOKEN}@127.0.0.1:{api.port}/items")
    assert stored(cli) == [(f"127.0.0.1:{api.port}/items", "rec-0001")]


# --- 2. every request that carries the credential stays at its origin ---------------------


@pytest.mark.parametrize("auth", ["header", "bearer"])
def test_a_redirect_to_another_origin_is_refused_and_nothing_is_stored(cli: Cli, auth: str) -> None:
    with serving(lambda request: items_at(1)) as other:
        with serving(lambda request: Reply.redirect(f"{other.url}/items")) as source:
            configure(cli, f"{source.url}/items", auth=auth)
            result, as_json = pull(cli, "helpdesk")
    assert [r.headers.get("x-api-key") for r in source.received] == (
        [TOKEN, TOKEN] if auth == "header" else [None, None]
    )
    assert other.received == []
    assert stored(cli) == []
    assert result.exit_code == 1 and as_json.exit_code == 1
    (error,) = json.loads(as_json.stdout)["errors"]
    assert error == (
        f"{source.url}/items redirects to {other.url}/items, on another origin than "
        f'{source.url}: the credential is not sent there. Set follow_redirects = "any-without-'
        "credentials\" to follow it without the credential, or make that address the source's url"
    )
    assert " ".join(result.stderr.split()).startswith(" ".join(f"error: {error}".split()))


def test_a_source_may_follow_other_origins_without_the_credential(cli: Cli) -> None:
    with serving(lambda request: items_at(1)) as other:
        with serving(lambda request: Reply.redirect(f"{other.url}/items", 307)) as source:
            configure(
                cli,
                f"{source.url}/items",
                auth="header",
                follow_redirects="any-without-credentials",
            )
            cli("pull", "helpdesk")
    assert source.header_values("x-api-key") == [TOKEN]
    assert other.header_values("x-api-key") == [None]
    assert other.header_values("authorization") == [None]
    assert stored(cli) == [("helpdesk", "rec-0001")]


def test_never_follows_no_redirect(cli: Cli) -> None:
    with serving(lambda request: Reply.redirect("/items", 301)) as source:
        configure(cli, f"{source.url}/old", follow_redirects="never")
        result = cli("pull", "helpdesk", "--json", ok=False)
    assert source.paths() == ["/old"]
    (error,) = json.loads(result.stdout)["errors"]
    assert error.startswith(f"{source.url}/old answered HTTP 301 Moved Permanently, a redirect to ")


def test_a_same_origin_redirect_is_followed_with_the_credential(cli: Cli) -> None:
    def answer(request: Received) -> Reply:
        return Reply.redirect("/items", 301) if request.path == "/old" else items_at(1, 2)

    with serving(answer) as source:
        configure(cli, f"{source.url}/old", auth="header")
        cli("pull", "helpdesk")
    assert source.paths() == ["/old", "/items"]
    assert source.header_values("x-api-key") == [TOKEN, TOKEN]
    assert stored(cli) == [("helpdesk", "rec-0001"), ("helpdesk", "rec-0002")]


def test_a_redirect_loop_on_the_same_origin_stops(cli: Cli) -> None:
    with serving(lambda request: Reply.redirect(request.path + "x")) as source:
        configure(cli, f"{source.url}/a")
        result = cli("pull", "helpdesk", "--json", ok=False)
    (error,) = json.loads(result.stdout)["errors"]
    assert error.startswith(f"{source.url}/a redirects more than 5 times")
    assert len(source.received) == 6


def test_a_next_link_to_another_origin_is_not_followed_with_the_credential(cli: Cli) -> None:
    with serving(lambda request: items_at(2)) as other:
        answer = Reply.json(pages([record(1)], f"{other.url}/items?page=2"))
        with serving(lambda request: answer) as source:
            configure(cli, f"{source.url}/items", auth="header")
            first = cli("pull", "helpdesk", "--json", ok=False)
            again = cli("pull", "helpdesk", "--json", ok=False)
    assert other.received == []
    assert stored(cli) == [("helpdesk", "rec-0001")]  # the page that gave the link is kept
    (error,) = json.loads(first.stdout)["errors"]
    assert error.startswith(
        f"the page {source.url}/items links its next page to {other.url}/items?page=2, "
        f"on another origin than {source.url}: the credential is not sent there."
    )
    # The saved position stays at the source's own page: the next pull asks it again.
    assert source.paths() == ["/items", "/items"]
    assert json.loads(again.stdout)["errors"] == [error]


def test_an_allowed_next_link_to_another_origin_goes_without_the_credential(cli: Cli) -> None:
    with serving(lambda request: Reply.json(pages([record(2)], "/items?page=3"))) as other:
        answer = Reply.json(pages([record(1)], f"{other.url}/items?page=2"))
        with serving(lambda request: answer) as source:
            configure(cli, f"{source.url}/items", follow_redirects="any-without-credentials")
            cli("pull", "helpdesk", ok=False)
    assert source.header_values("authorization") == [f"Bearer {TOKEN}"]
    assert other.paths()[:2] == ["/items?page=2", "/items?page=3"]
    assert set(other.header_values("authorization")) == {None}
    assert ("helpdesk", "rec-0002") in stored(cli)


# --- 3. secrets are masked in everything printed or stored --------------------------------


def test_an_echoed_credential_is_masked_in_errors_and_json(cli: Cli) -> None:
    secret = "reader:pa ss/wörd-81"
    cli.env["HELPDESK_TOKEN"] = secret

    def echo(request: Received) -> Reply:
        sent = request.headers.get("authorization", "")
        body = f"denied {sent} for {secret} ({quote(secret)}) {json.dumps(secret)}"
        return Reply(400, body.encode())

    with serving(echo) as source:
        configure(cli, f"{source.url}/items", auth="basic")
        result, as_json = pull(cli, "helpdesk")
    encoded = base64.b64encode(secret.encode()).decode()
    assert source.header_values("authorization") == [f"Basic {encoded}"] * 2
    (error,) = json.loads(as_json.stdout)["errors"]
    assert error == (
        f'{source.url}/items answered HTTP 400 Bad Request: denied *** for *** (***) "***"'
    )
    for shown in (result.stdout, result.stderr, as_json.stdout, as_json.stderr):
        for form in (secret, encoded, quote(secret), "pa ss/wörd-81", json.dumps(secret)[1:-1]):
            assert form not in shown


def test_a_secret_quoted_in_a_rejection_is_masked(cli: Cli) -> None:
    answer = Reply.json(pages([record(1), record(2, created_at=TOKEN)]))
    with serving(lambda request: answer) as source:
        configure(cli, f"{source.url}/items")
        report = cli.json("pull", "helpdesk")
    (rejection,) = report["rejected"]
    assert rejection["line"] == 2 and "***" in rejection["reason"]
    assert TOKEN not in json.dumps(report)


def test_secrets_of_every_configured_source_are_masked(cli: Cli) -> None:
    other_secret = "lsv2-other-source-key-31337"
    cli.env["OTHER_KEY"] = other_secret
    with serving(lambda request: Reply(404, f"no such key {other_secret}")) as source:
        configure(cli, f"{source.url}/items")
        with (cli.folder / "triage.toml").open("a") as toml:
            toml.write('[sources.other]\nkind = "http"\nurl = "http://127.0.0.1:9/x"\n')
            toml.write('token_env = "OTHER_KEY"\n')
        result = cli("pull", "helpdesk", "--json", ok=False)
    (error,) = json.loads(result.stdout)["errors"]
    assert error.endswith("answered HTTP 404 Not Found: no such key ***")


def test_masking_rules() -> None:
    from triage.platforms.secrets import Secrets

    long = Secrets(["s3cr3t-value"])
    assert long.mask("a s3cr3t-value b xs3cr3t-valuex") == "a *** b x***x"
    assert long.mask(base64.b64encode(b"s3cr3t-value").decode()) == "***"
    short = Secrets(["abc"])
    assert short.mask("key abc, abcdef, xabc, abc-1, abc") == "key ***, abcdef, xabc, abc-1, ***"
    assert Secrets([""]).mask("anything") == "anything"
    pair = Secrets(["user:hunter2hunter2"])
    assert pair.mask("password hunter2hunter2") == "password ***"
    sent = Secrets.from_headers(
        {
            "Accept": "application/json",
            "Authorization": "Basic " + base64.b64encode(b"u:pw").decode(),
        }
    )
    assert sent.mask("u:pw and pw and application/json") == "*** and *** and application/json"
    assert (Secrets(["aaaaaaaaaa"]) | Secrets(["aaaaaaaaaaaa"])).mask("aaaaaaaaaaaa") == "***"


# --- write-back: pinned to the platform's origin, errors masked in the outbox --------------


PK, SK = "pk-lf-public-7070", "sk-lf-secret-8080"


@pytest.fixture
def langfuse_cli(cli: Cli) -> Iterator[Cli]:
    cli.env.update({"LF_PK": PK, "LF_SK": SK})
    yield cli


def observation(n: int) -> dict[str, Any]:
    return {
        "id": f"obs-{n}", "traceId": f"trace-{n}", "startTime": "2026-11-16T09:00:00Z",
        "name": "reply", "input": "question", "output": "answer",
    }  # fmt: skip


def langfuse_toml(cli: Cli, url: str, **settings: str) -> None:
    extra = "".join(f'{key} = "{value}"\n' for key, value in settings.items())
    (cli.folder / "triage.toml").write_text(
        f'[sources.lf]\nkind = "langfuse"\nurl = "{url}"\npublic_key_env = "LF_PK"\n'
        f'secret_key_env = "LF_SK"\nwrite_back = true\n{extra}'
    )


def platform(scores: Reply) -> Any:
    def answer(request: Received) -> Reply:
        if request.method == "GET":
            return Reply.json({"data": [observation(1)], "meta": {}})
        return scores

    return answer


def outbox_errors(cli: Cli) -> list[str]:
    engine = create_engine(cli.env["TRIAGE_DB"])
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT last_error FROM outbox"))]
    finally:
        engine.dispose()


def test_push_refuses_a_redirect_to_another_origin(langfuse_cli: Cli) -> None:
    cli = langfuse_cli
    with serving(lambda request: Reply.json({"id": "x"})) as other:
        moved = Reply.redirect(f"{other.url}/api/public/scores", 307)
        with serving(platform(moved)) as lf:
            langfuse_toml(cli, lf.url)
            cli("pull", "lf")
            cli("verdict", "obs-1", "--fail")
            result = cli("push", "--json", ok=False)
    token = base64.b64encode(f"{PK}:{SK}".encode()).decode()
    assert [r.headers.get("authorization") for r in lf.received] == [f"Basic {token}"] * 2
    assert other.received == []
    (failed,) = json.loads(result.stdout)["failed"]
    assert failed["reason"].startswith(
        f"{lf.url}/api/public/scores redirects to {other.url}/api/public/scores, on another origin"
    )
    assert outbox_errors(cli) == [failed["reason"]]


def test_push_masks_an_echoed_key_in_the_report_and_the_outbox(langfuse_cli: Cli) -> None:
    cli = langfuse_cli

    def echo(request: Received) -> Reply:
        if request.method == "GET":
            return Reply.json({"data": [observation(1)], "meta": {}})
        return Reply(422, f"rejected {request.headers['authorization']} ({PK}:{SK})")

    with serving(echo) as lf:
        langfuse_toml(cli, lf.url)
        cli("pull", "lf")
        cli("verdict", "obs-1", "--fail")
        as_json = cli("push", "--json", ok=False)
        as_text = cli("push", ok=False)
    token = base64.b64encode(f"{PK}:{SK}".encode()).decode()
    (failed,) = json.loads(as_json.stdout)["failed"]
    assert failed["reason"].endswith("answered HTTP 422 Unprocessable Entity: rejected *** (***)")
    stored_errors = outbox_errors(cli)
    for text_out in (as_json.stdout, as_text.stdout, as_text.stderr, *stored_errors):
        for secret in (PK, SK, token):
            assert secret not in text_out


def test_pulling_langfuse_keeps_its_keys_at_its_origin(langfuse_cli: Cli) -> None:
    cli = langfuse_cli
    with serving(lambda request: Reply.json({"data": [observation(1)], "meta": {}})) as other:
        with serving(lambda request: Reply.redirect(f"{other.url}{request.path}")) as lf:
            langfuse_toml(cli, lf.url)
            refused = cli("pull", "lf", "--json", ok=False)
            langfuse_toml(cli, lf.url, follow_redirects="any-without-credentials")
            cli("pull", "lf")
    assert "on another origin" in json.loads(refused.stdout)["errors"][0]
    assert other.header_values("authorization") == [None]
    assert stored(cli) == [("lf", "obs-1")]

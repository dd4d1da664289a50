"""Schemathesis hooks for the demo's JSON API (loaded by run.sh through
SCHEMATHESIS_HOOKS; schemathesis 4.x API).

The session. Schemathesis fuzzes one browser session holding several accounts:
alice (primary), bob and carol, signed in and linked over the JSON API and the
demo's JSON sign-in (`establish`). A run changes that session as it goes: a
switch or a removal rotates the CSRF token, a removal or sign-out-all drops
accounts, a wrong password and a refused switch spend the token. So rather than
handing schemathesis a fixed cookie and token (which would make every request
after the first rotation a mere `csrf` refusal), the hooks keep the *live*
session, the newest cookie and token its answers gave, and put them on each
case just before it is sent (`before_call`), reading the answer back
afterwards (`after_call`). Before each case the session is checked with
`GET /link/api/accounts`; when it no longer holds three accounts (removed,
signed out) a fresh one is made. Some cases keep what schemathesis generated:
one in four keeps its own `X-CSRF-Token` (or none), the case where
schemathesis checks that a missing header is refused stays without it, and so
do the cases it sends without the cookie, so refusals are exercised too. For `{user_id}`, one case in two names an id of the session (or of dave,
who is not in it) instead of a generated string, so switches and removals
also succeed.

The cookie is given to schemathesis through an auth provider, so that its
`ignored_auth` check treats it as real credentials (and probes without it).

The sessions are made from 127.0.0.2: schemathesis's failed sign-ins (from
127.0.0.1) use up the demo's per-client sign-in throttle, which must not
refuse these sign-ins; and a generated sign-in with one of the session's
emails is sent for dave instead, so that the per-account throttle never locks
alice, bob or carol out.

The custom check `no_write_on_refusal`: a refused request (4xx) changes no row
of the linked accounts (the demo's SQLite file, read before and after) and sets
no session cookie, except the refusals that write by design: a refused switch
to an account outside the group (`not_in_group`) spends the CSRF token, a wrong
password (`invalid_credentials`) spends it too, and a link that the rules turn
down at its completion drops the new account's sign-in.
"""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import urllib.parse
from collections.abc import MutableMapping
from dataclasses import dataclass, field

import schemathesis

DEMO = urllib.parse.urlsplit(os.environ["DEMO_URL"])
DATABASE = os.environ["DEMO_DB"]
COOKIE = os.environ.get("DEMO_COOKIE", "multi_account_demo")
PASSWORD = "password"
PRIMARY, LINKED = "alice@example.com", ("bob@example.com", "carol@example.com")
ACCOUNTS = 1 + len(LINKED)
# The seeded dave: inactive, never in a session.
OUTSIDER = "4"
SESSION_SOURCE = "127.0.0.2"

# Refusals that write the session by design: (operation label, status, code).
WRITING_REFUSALS = {
    ("POST /link/api/switch/{user_id}", 403, "not_in_group"),
    ("POST /api/sign-in", 401, "invalid_credentials"),
    ("POST /link/api/link/complete", 409, "too_many_linked_accounts"),
    ("POST /link/api/link/complete", 409, "session_full"),
    ("POST /link/api/link/complete", 403, "inactive"),
    ("POST /link/api/link/complete", 404, "not_found"),
}


class SetupError(Exception):
    """The session could not be made: the demo broke a flow the run relies on."""


@dataclass
class Live:
    """The session the cases act in: its newest cookie and CSRF token."""

    cookie: str | None = None
    token: str | None = None
    ids: list[str] = field(default_factory=list)
    # Per case id: the linked-accounts rows before it was sent, and whether it
    # was sent with the live cookie.
    before: dict[str, tuple[list[tuple], bool]] = field(default_factory=dict)
    cases: int = 0
    sessions: int = 0


LIVE = Live()


def request(method, path, cookie=None, token=None, body=None):
    """One request from SESSION_SOURCE: (status, Set-Cookie value of COOKIE or None, parsed JSON body)."""
    connection = http.client.HTTPConnection(DEMO.hostname, DEMO.port, timeout=30, source_address=(SESSION_SOURCE, 0))
    headers = {"Accept": "application/json"}
    if cookie:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    if token:
        headers["X-CSRF-Token"] = token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        set_cookie = session_cookie(response.headers.get_all("Set-Cookie") or [])
    finally:
        connection.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return response.status, set_cookie, parsed


def session_cookie(set_cookies):
    """The value COOKIE is set to, '' when it is removed, None when not set."""
    for header in set_cookies:
        pair = header.split(";", 1)[0]
        name, _, value = pair.partition("=")
        if name.strip() == COOKIE:
            return "" if "max-age=0" in header.lower() else value.strip()
    return None


class Session:
    """A client of the demo from SESSION_SOURCE, keeping its cookie and token."""

    def __init__(self, cookie=None, token=None):
        self.cookie, self.token = cookie, token

    def call(self, method, path, body=None, expect=200):
        status, set_cookie, answer = request(method, path, self.cookie, self.token, body)
        if set_cookie is not None:
            self.cookie = set_cookie or None
        if status != expect:
            raise SetupError(f"{method} {path}: {status} {answer}")
        if isinstance(answer, dict) and isinstance(answer.get("csrf_token"), str):
            self.token = answer["csrf_token"]
        return answer


def establish():
    """A new session: alice signed in, bob and carol added."""
    session = Session()
    session.call("GET", "/link/api/accounts")
    session.call("POST", "/api/sign-in", {"email": PRIMARY, "password": PASSWORD})
    for email in LINKED:
        started = session.call("POST", "/link/api/link/start")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(started["sign_in"]).query)
        return_to = query.get("return_to", [None])[0]
        session.call("POST", "/api/sign-in", {"email": email, "password": PASSWORD, "return_to": return_to})
        session.call("POST", started["complete"])
    accounts = session.call("GET", "/link/api/accounts")["accounts"]
    if len(accounts) != ACCOUNTS or any(account["pending"] for account in accounts):
        raise SetupError(f"the new session holds {accounts}")
    LIVE.cookie, LIVE.token = session.cookie, session.token
    LIVE.ids = [account["id"] for account in accounts]
    LIVE.sessions += 1


def refresh():
    """Checks the live session (and takes its newest token); a new one when it lost accounts."""
    if LIVE.cookie is None:
        establish()
        return
    session = Session(LIVE.cookie, LIVE.token)
    accounts = session.call("GET", "/link/api/accounts")["accounts"]
    members = [account for account in accounts if not account["pending"]]
    if len(members) < ACCOUNTS or session.cookie is None:
        establish()
        return
    LIVE.cookie, LIVE.token = session.cookie, session.token
    LIVE.ids = [account["id"] for account in members]


def linked_rows():
    connection = sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute("SELECT * FROM linked_accounts ORDER BY id").fetchall()
    finally:
        connection.close()


@schemathesis.auth(refresh_interval=None, retry_on=[])
class DemoSession:
    """The session cookie, as credentials: replaced by the live one in `before_call`."""

    def get(self, case, ctx):
        if LIVE.cookie is None:
            establish()
        return LIVE.cookie

    def set(self, case, data, ctx):
        case.cookies = dict(case.cookies or {})
        case.cookies[COOKIE] = data


def left_out_on_purpose(case, header):
    """Whether this is schemathesis's case for a missing required `header`."""
    data = getattr(getattr(case._meta, "phase", None), "data", None)
    return (
        getattr(data, "scenario", None) == "missing_parameter"
        and (getattr(data, "parameter", None) or "").lower() == header.lower()
    )


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    LIVE.cases += 1
    refresh()
    cookies = case.cookies if isinstance(case.cookies, MutableMapping) else None
    live_cookie = cookies is not None and COOKIE in cookies
    if live_cookie:
        cookies[COOKIE] = LIVE.cookie
    # The live token, but in one case of four (a generated one, or none), and
    # never where schemathesis checks that its absence is refused.
    headers = case.headers if isinstance(case.headers, MutableMapping) else None
    if headers is not None and LIVE.cases % 4 != 0 and not left_out_on_purpose(case, "X-CSRF-Token"):
        headers["X-CSRF-Token"] = LIVE.token
    path_parameters = case.path_parameters if isinstance(case.path_parameters, MutableMapping) else None
    if path_parameters is not None and "user_id" in path_parameters and LIVE.cases % 2 == 0:
        choices = [*LIVE.ids, OUTSIDER]
        path_parameters["user_id"] = choices[(LIVE.cases // 2) % len(choices)]
    # Schemathesis reuses values that answers showed, the session's emails
    # among them: a wrong password for one of them counts against that
    # account's sign-in throttle, which would then refuse the next session's
    # sign-in. Those attempts go to the inactive dave instead.
    body = case.body if isinstance(case.body, MutableMapping) else None
    if body is not None and str(body.get("email", "")).strip().lower() in {PRIMARY, *LINKED}:
        body["email"] = "dave@example.com"
    LIVE.before[case.id] = (linked_rows(), live_cookie)


@schemathesis.hook
def after_call(ctx, case, response):
    _, live_cookie = LIVE.before.get(case.id, (None, False))
    if not live_cookie:
        return
    set_cookie = session_cookie(header_values(response.headers, "set-cookie"))
    if set_cookie is not None:
        LIVE.cookie = set_cookie or None
    try:
        answer = json.loads(response.content) if response.content else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("csrf_token"), str):
        LIVE.token = answer["csrf_token"]


def header_values(headers, name):
    """Every value of header `name` in a schemathesis response's headers (lower-case keys, lists)."""
    values = headers.get(name.lower()) or []
    return [values] if isinstance(values, str) else list(values)


@schemathesis.check
def no_write_on_refusal(ctx, response, case):
    """A refused request (4xx) changes no linked account and sets no session cookie."""
    if not 400 <= response.status_code < 500:
        return None
    before = LIVE.before.get(case.id)
    if before is None:
        return None
    rows_before, _ = before
    rows_after = linked_rows()
    if rows_after != rows_before:
        raise AssertionError(
            f"a refused request ({response.status_code}) changed the linked accounts:\n"
            f"  before: {rows_before}\n  after:  {rows_after}"
        )
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        code = None
    if (case.operation.label, response.status_code, code) in WRITING_REFUSALS:
        return None
    set_cookie = session_cookie(header_values(response.headers, "set-cookie"))
    if set_cookie is not None:
        raise AssertionError(
            f"a refused request ({response.status_code} {code}) set the session cookie {COOKIE}"
        )
    return None


# What the run must have reached to mean anything: each of these answered 2xx
# in the live session at least once (the session was kept live, ids were
# found), and a wrong password was judged (401).
MUST_REACH = {
    ("GET /link/api/accounts", 200),
    ("POST /link/api/switch/{user_id}", 200),
    ("POST /link/api/remove/{user_id}", 200),
    ("POST /link/api/link/start", 200),
    ("POST /link/api/sign-out-all", 200),
    ("POST /api/sign-in", 401),
}


@schemathesis.check
class session_exercised:
    """The run reached every outcome in MUST_REACH (else it fuzzed nothing but refusals)."""

    def __init__(self):
        self.reached = set()

    def after_response(self, ctx, response, case):
        self.reached.add((case.operation.label, response.status_code))

    def after_run(self, ctx):
        missing = MUST_REACH - self.reached
        print(f"hooks: {LIVE.cases} cases in {LIVE.sessions} sessions of {ACCOUNTS} accounts")
        if missing:
            raise AssertionError(f"never reached: {sorted(missing)} (reached: {sorted(self.reached)})")

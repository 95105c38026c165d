"""Several `canwe serve` processes behind HAProxy, run from deploy/haproxy.cfg: what
tests/test_load_balanced.py proves and benchmarks/load_balanced.py measures.

The load balancer's configuration is the shipped file itself; only what ties it to a machine
is replaced (its global section: user, chroot, daemon, syslog; the listening address; the
server lines). Requests are built as Slack builds them, for a workspace given by its team
id, and signed by the Slack stand-in (sandbox/slack_standin.py), as Slack signs them.

Workspaces are installed as a browser installs them, through the load balancer ("Add to
Slack": /slack/install, the stand-in's authorize page, /slack/oauth_redirect), and get
their roadmap from the command line (`canwe --team T... import FILE`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
HAPROXY = Path("/usr/sbin/haproxy")
DEPLOY_HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
CANWE = Path(sys.executable).with_name("canwe")

# global settings of the shipped file that need root or a system around them (the test
# runs HAProxy in the foreground as whoever runs the tests, logging to a file)
_MACHINE_ONLY = ("log ", "chroot ", "stats socket ", "stats timeout ", "user ", "group ", "daemon")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


# ------------------------------------------------------------------ requests, as Slack sends them


@dataclass(frozen=True)
class SlackRequest:
    body: bytes
    content_type: str
    kind: str  # "command" or "app_mention"
    key: str  # the question's request key in the store: command:<trigger_id>, event:<event_id>
    team_id: str
    user_id: str  # who sent it: a member of the workspace, as Slack knows them


def slash_command(
    *, team_id: str, user_id: str, channel_id: str, text: str, trigger_id: str
) -> SlackRequest:
    """`/canwe TEXT` as Slack posts it to the request URL."""
    form = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "team_domain": team_id.lower(),
        "channel_id": channel_id,
        "channel_name": channel_id.lower(),
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/canwe",
        "text": text,
        "api_app_id": "ACANWE",
        "is_enterprise_install": "false",
        # ephemeral answers go back in the ack; nothing is posted to the response URL
        "response_url": "http://127.0.0.1:9/response",
        "trigger_id": trigger_id,
    }
    return SlackRequest(
        urlencode(form).encode(),
        "application/x-www-form-urlencoded",
        "command",
        f"command:{trigger_id}",
        team_id,
        user_id,
    )


def app_mention(
    *,
    team_id: str,
    bot_user_id: str,
    user_id: str,
    channel_id: str,
    text: str,
    event_id: str,
    ts: str,
) -> SlackRequest:
    """`@canwe TEXT` in a channel, as the Events API posts it (`event_callback`)."""
    said = f"<@{bot_user_id}> {text}"
    envelope = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "context_team_id": team_id,
        "api_app_id": "ACANWE",
        "type": "event_callback",
        "event_id": event_id,
        "event": {
            "type": "app_mention",
            "user": user_id,
            "text": said,
            "ts": ts,
            "event_ts": ts,
            "channel": channel_id,
            "team": team_id,
        },
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return SlackRequest(
        json.dumps(envelope).encode(),
        "application/json",
        "app_mention",
        f"event:{event_id}",
        team_id,
        user_id,
    )


def add_members(slack, requests: Iterable[SlackRequest]) -> None:
    """Make everyone who sends `requests` a member of the stand-in's workspace, as Slack
    knows everyone who types in it (a private reply to an unknown user is user_not_found)."""
    for user in sorted({r.user_id for r in requests} - set(slack.users)):
        slack.add_user(user, user.lower())


# ------------------------------------------------------------------ sending load


@dataclass
class Outcome:
    request: SlackRequest
    status: int | None  # None: no HTTP answer at all
    milliseconds: float
    body: str = ""
    error: str = ""


def send_all(
    requests: list[SlackRequest],
    send: Callable[[SlackRequest], httpx.Response],
    *,
    concurrency: int,
    at: dict[int, Callable[[], None]] | None = None,
) -> tuple[list[Outcome], float]:
    """Send every request from `concurrency` clients at once: (outcomes in order, seconds).
    `at[i]` runs once, just before request i is sent (e.g. a kill -9 halfway)."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    todo = iter(range(len(requests)))
    lock = threading.Lock()
    actions = dict(at or {})

    def client() -> None:
        while True:
            with lock:
                index = next(todo, None)
                action = actions.pop(index, None)
            if index is None:
                return
            if action is not None:
                action()
            request = requests[index]
            started = time.perf_counter()
            try:
                response = send(request)
                outcome = Outcome(request, response.status_code, 0.0, response.text)
            except httpx.HTTPError as error:
                outcome = Outcome(request, None, 0.0, error=f"{type(error).__name__}: {error}")
            outcome.milliseconds = (time.perf_counter() - started) * 1000
            outcomes[index] = outcome

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [o for o in outcomes if o is not None], time.perf_counter() - begin


# ------------------------------------------------------------------ canwe serve processes


@dataclass
class Canwe:
    """One `canwe serve` process (what kill -9 kills)."""

    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill_9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_canwe(
    count: int, env: dict[str, str], log_dir: Path, *options: str, name: str = "canwe"
) -> list[Canwe]:
    """`count` `canwe serve` processes (with `options`: --processes 2) on free ports, started
    side by side (each takes seconds to import and warm its matcher), logging to
    `log_dir/NAME-N.log`; returned once every one answers /healthz."""
    started = []
    for n in range(count):
        port = free_port()
        log_path = log_dir / f"{name}-{n + 1}.log"
        log = open(log_path, "w")  # noqa: SIM115 (the process writes to it until it ends)
        process = subprocess.Popen(
            [str(CANWE), "serve", "--port", str(port), *options],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(Canwe(port, process, log_path))
    deadline = time.monotonic() + 90
    waiting = list(started)
    while waiting and time.monotonic() < deadline:
        waiting = [c for c in waiting if c.process.poll() is None and not c.healthy()]
        dead = [c for c in started if c.process.poll() is not None]
        if dead:
            break
        time.sleep(0.2)
    if waiting or any(c.process.poll() is not None for c in started):
        for canwe in started:
            canwe.stop()
        logs = "\n".join(c.log_path.read_text() for c in started)
        raise RuntimeError(f"canwe serve did not start:\n{logs}")
    return started


# ------------------------------------------------------------------ HAProxy


def haproxy_config(
    backends: Iterable[tuple[str, int]],
    *,
    port: int,
    stats_socket: Path,
    shipped: str | None = None,
    patience: int = 1,
) -> str:
    """deploy/haproxy.cfg for this machine: its global section without what needs root or
    syslog (a stats socket of our own instead, and logs on stdout), listening on `port`,
    with one server line per (name, port); with `patience` above 1, its response and
    health-check time-outs that many times longer."""
    text = shipped if shipped is not None else DEPLOY_HAPROXY_CFG.read_text()
    lines = []
    section = ""
    servers_written = False
    for line in text.splitlines():
        stripped = line.strip()
        if line and not line[0].isspace() and not line.startswith("#"):
            section = stripped.split()[0]
            lines.append(line)
            if section == "global":
                lines.append("    log stdout format raw local0 info")
                lines.append(f"    stats socket {stats_socket} mode 600 level admin")
            continue
        if section == "global" and stripped.startswith(_MACHINE_ONLY):
            continue
        if stripped.startswith(_PATIENT_TIMEOUTS) and patience != 1:
            name, value = stripped.rsplit(" ", 1)
            lines.append(f"    {name} {_milliseconds(value) * patience}ms")
            continue
        if section == "frontend" and stripped.startswith("bind "):
            lines.append(f"    bind 127.0.0.1:{port}")
            continue
        if section == "backend" and stripped.startswith("server "):
            if not servers_written:
                lines += [f"    server {name} 127.0.0.1:{p} check" for name, p in backends]
                servers_written = True
            continue
        lines.append(line)
    if not servers_written:
        raise ValueError("deploy/haproxy.cfg has no server lines to replace")
    return "\n".join(lines) + "\n"


# what a busy machine makes a healthy backend miss: its answer and its health check's (the
# connect time-out stays: the kernel takes a connection however busy the process is)
_PATIENT_TIMEOUTS = ("timeout server ", "timeout check ")


def _milliseconds(duration: str) -> int:
    """HAProxy's `2500ms`, `1s` or `2m` (no unit: milliseconds) in milliseconds."""
    number = duration.rstrip("hmsu")
    unit = duration[len(number) :] or "ms"
    return int(float(number) * {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}[unit])


@dataclass
class Haproxy:
    process: subprocess.Popen
    port: int
    stats_socket: Path
    log_path: Path
    backend: str = "canwe"
    servers: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's `show stat` for the backend, by server name (and BACKEND)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(b"show stat\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode().lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {row["svname"]: row for row in rows if row["pxname"] == self.backend}

    def wait_up(self, names: Iterable[str], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        wanted = set(names)
        while time.monotonic() < deadline:
            stats = self.stats()
            if all(stats.get(n, {}).get("status", "").startswith("UP") for n in wanted):
                return
            time.sleep(0.1)
        raise RuntimeError(f"HAProxy does not see {sorted(wanted)} up: {self.stats()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_haproxy(backends: dict[str, int], work_dir: Path, *, patience: int = 1) -> Haproxy:
    """HAProxy in the foreground, from deploy/haproxy.cfg (its time-outs `patience` times
    longer), in front of `backends` (name: port); returned once it listens and sees every
    backend up."""
    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    stats_socket = work_dir / "haproxy.sock"
    config = work_dir / "haproxy.cfg"
    config.write_text(
        haproxy_config(backends.items(), port=port, stats_socket=stats_socket, patience=patience)
    )
    log_path = work_dir / "haproxy.log"
    checked = subprocess.run(
        [str(HAPROXY), "-c", "-q", "-f", str(config)], capture_output=True, text=True
    )
    if checked.returncode != 0:
        raise RuntimeError(f"HAProxy refuses {config}:\n{checked.stdout}{checked.stderr}")
    # HAProxy reads no business time: it keeps the machine's clock, not the one a test run
    # under faketime hands its own processes
    env = {
        k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")
    }
    log = open(log_path, "w")  # noqa: SIM115 (HAProxy writes to it until it stops)
    process = subprocess.Popen(
        [str(HAPROXY), "-db", "-f", str(config)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    proxy = Haproxy(process, port, stats_socket, log_path, servers=dict(backends))
    deadline = time.monotonic() + 15
    while not (_listening(port) and stats_socket.exists()):
        if process.poll() is not None or time.monotonic() > deadline:
            proxy.stop()
            raise RuntimeError(f"HAProxy did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    proxy.wait_up(backends)
    return proxy


def retried(stats: dict[str, dict[str, str]]) -> tuple[int, int]:
    """(retries, redispatches) HAProxy made in the backend."""
    row = stats.get("BACKEND", {})
    return int(row.get("wretr") or 0), int(row.get("wredis") or 0)


def served_by(proxy: Haproxy, at_least: int = 0, timeout: float = 10) -> list[tuple[str, str, str]]:
    """(server, method, path) of each request HAProxy logged so far, in order (its httplog
    lines: `... slack canwe/canwe2 0/0/0/3/3 200 ... "GET /slack/install HTTP/1.1"`), once
    there are `at_least` of them: HAProxy writes a request's line when it has closed it,
    which may be a moment after the client has read the answer."""
    pattern = re.compile(rf' {re.escape(proxy.backend)}/(\S+) .*"([A-Z]+) (\S+) HTTP/')
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for line in proxy.log_path.read_text().splitlines():
            if matched := pattern.search(line):
                found.append((matched[1], matched[2], matched[3].split("?", 1)[0]))
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


# ------------------------------------------------------------------ workspaces


def install_through(url: str, team_id: str, *, timeout: float = 10) -> httpx.Response:
    """What a browser does to add canwe to workspace `team_id`, at `url` (the load balancer):
    the install page, Slack's authorize page (the stand-in's, which picks the workspace from
    `team` as Slack's page does from the signed-in user), the redirect back. The answer of
    the redirect, 200 once the install is stored.

    The install page sets the OAuth state in a cookie (Secure: canwe runs behind https) and
    in the store; the redirect back must bring both, to whichever process it reaches. This
    browser speaks http to the load balancer, so it hands the cookie back itself, as a
    browser on https would."""
    with httpx.Client(base_url=url, timeout=timeout) as browser:
        page = browser.get("/slack/install")
        page.raise_for_status()
        link = unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text)[1])
        back = httpx.get(f"{link}&team={team_id}", timeout=timeout)  # Slack's page
        if back.status_code not in (302, 307):
            raise RuntimeError(f"the authorize page answered {back.status_code}: {back.text}")
        state_cookie = page.headers["set-cookie"].split(";")[0]
        return browser.get(back.headers["location"], headers={"cookie": state_cookie})


def canwe_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`canwe ARGS` as its own process (started, not waited for), with `env` added."""
    return subprocess.Popen(
        [str(CANWE), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(runs: list[subprocess.Popen], timeout: float = 120) -> list[str]:
    """What each of `runs` printed; each must end well."""
    said = [run.communicate(timeout=timeout)[0] for run in runs]
    failed = [(run.args, out) for run, out in zip(runs, said, strict=True) if run.returncode]
    if failed:
        raise RuntimeError(f"canwe failed: {failed}")
    return said


_SLACK_ID = re.compile(r"\b([CU])0([A-Z0-9]{8})\b")


def another_workspace(roadmap: str, digit: str) -> str:
    """A roadmap file's text for another workspace: every channel and user id in it
    (C0......., U0.......) with `digit` in place of the 0, as ids of another workspace
    differ from the first's."""
    return _SLACK_ID.sub(rf"\g<1>{digit}\g<2>", roadmap)


def slack_ids(text: str) -> set[str]:
    """The channel and user ids (C0......., U1.......) a text names."""
    return {m[0] for m in re.finditer(r"\b[CU][0-9][A-Z0-9]{8}\b", text)}

"""docs/deployment.md, run: the guide's commands, the sample files, two instances behind nginx.

The fenced blocks of the guide marked ``sh deploy:NAME`` are run in order, as written,
with the machine's paths moved into a temporary folder (``/etc/bancheng``, ``/srv/…``,
``/etc/nginx``, ``/etc/systemd/system``), the test's ports instead of 8001/8002/80/443/9180,
and ``sudo -u postgres psql`` pointed at the test's PostgreSQL. ``systemctl`` is a stand-in
that records what it is asked; the test then does it the way systemd would, from the
installed unit files: it starts ``bancheng@PORT`` from ``ExecStart`` with the unit's
``EnvironmentFile`` lines, runs the backup service when its timer is enabled, and starts or
reloads nginx (in the foreground, with a temporary prefix) from the installed sample
configuration. Blocks marked ``sh host`` (users, packages) are checked for syntax only.

Then, through nginx over HTTPS from another loopback address (127.0.0.2): health with
HSTS, the redirect from HTTP, the request id passed through, the client's address in the
login log despite a forged ``X-Forwarded-For``, the upload limits, ``/metrics`` refused
outside and answered on the internal server with the token, requests spread over both
instances, and the per-instance settings file (jobs off on the second instance).

On the suite's database: SQLite, or PostgreSQL from ``BANCHENG_TEST_DATABASE_URL`` (a role
and a database made by the guide's own commands). nginx, curl and openssl come from apt
(``make e2e-deps``); without them the test is skipped, or fails with ``CI=true``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
import httpx
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bancheng import cli
from bancheng.core.config import Settings, production_problems
from bancheng.integrations.hotline_import_rows import MAX_IMPORT_BYTES
from tests.conftest import REPO, TEST_PASSWORD, _test_url, stop, wait_healthy

DOC = REPO / "docs" / "deployment.md"
DEPLOY = REPO / "deploy"
SITE = "bancheng.example.gov.cn"
CLIENT_IP = "127.0.0.2"  # the "outside" client; nginx reaches the instances from 127.0.0.1
# The guide's blocks, in order; a new block must be taught to this test.
DEPLOY_BLOCKS = [
    "folders",
    "postgres",
    "settings",
    "schema",
    "jobs",
    "units",
    "certificate",
    "nginx",
    "verify",
    "backup",
    "upgrade",
]
BLOCK = re.compile(r"^```sh (deploy:[\w-]+|host)\n(.*?)^```$", re.M | re.S)


def _tool(path: str | None, name: str) -> str:
    if path:
        return path
    reason = f"{name} is not installed (make e2e-deps installs it with apt)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


def doc_blocks() -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in BLOCK.findall(DOC.read_text())]


def parse_unit(path: Path, instance: str = "") -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections as (key, value) lists in order (keys may repeat), with %i."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not key=value: {line!r}"
        current.append((key.strip(), value.strip().replace("%i", instance)))
    return sections


def unit_values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"{path}: {line!r}"
        assert not re.search(r"[\s'\"$`\\;&|<>()]", value), f"{path}: not plain: {line!r}"
        env[key] = value
    return env


@dataclass
class Machine:
    """The temporary machine: paths, ports, the stand-in systemctl and what runs."""

    root: Path
    pg_url: str | None
    ports: dict[str, int]
    nginx_bin: str
    instances: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    nginx: subprocess.Popen[bytes] | None = None
    systemctl_seen: int = 0

    @property
    def p1(self) -> int:
        return self.ports["p1"]

    @property
    def p2(self) -> int:
        return self.ports["p2"]

    # Where the machine keeps its files, all below ``root``.
    nginx_prefix: Path = field(init=False)
    cert: Path = field(init=False)
    env_file: Path = field(init=False)
    units_dir: Path = field(init=False)
    rendered: Path = field(init=False)

    def __post_init__(self) -> None:
        self.nginx_prefix = self.root / "etc/nginx"
        self.cert = self.nginx_prefix / "tls/bancheng.crt"
        self.env_file = self.root / "etc/bancheng/bancheng.env"
        self.units_dir = self.root / "etc/systemd/system"
        self.rendered = self.root / "rendered"

    # --- text: the machine's paths and ports, moved -------------------------------------

    def move(self, text_: str) -> str:
        p = self.ports
        pairs = [
            ("8001", str(p["p1"])),
            ("8002", str(p["p2"])),
            ("10.0.0.5:9180", f"127.0.0.1:{p['scrape']}"),
            (f"{SITE}:443:", f"{SITE}:{p['https']}:"),
            (f"{SITE}:80:", f"{SITE}:{p['http']}:"),
            (f"https://{SITE}/", f"https://{SITE}:{p['https']}/"),
            (f"http://{SITE}/", f"http://{SITE}:{p['http']}/"),
            ("/opt/bancheng/deploy/nginx/", f"{self.rendered}/nginx/"),
            ("/opt/bancheng/deploy/systemd/", f"{self.rendered}/systemd/"),
            ("/opt/bancheng/deploy/bancheng.env.example", f"{self.rendered}/bancheng.env"),
            ("/opt/bancheng", str(REPO)),
            ("/etc/bancheng", f"{self.root}/etc/bancheng"),
            ("/etc/nginx", str(self.nginx_prefix)),
            ("/etc/systemd/system", str(self.units_dir)),
            ("/srv/", f"{self.root}/srv/"),
            ("/var/log/nginx", f"{self.root}/var/log/nginx"),
        ]
        # Two steps, so that nothing put in is changed again (a port may contain "8002").
        for i, (old, _) in enumerate(pairs):
            text_ = text_.replace(old, f"\x00{i}\x00")
        for i, (_, new) in enumerate(pairs):
            text_ = text_.replace(f"\x00{i}\x00", new)
        return text_

    def nginx_args(self) -> list[str]:
        p = self.nginx_prefix
        return [self.nginx_bin, "-p", f"{p}/", "-c", f"{p}/nginx.conf", "-e", f"{p}/error.log"]

    def render_samples(self) -> None:
        """The sample files as this machine needs them (the guide's "edit" steps)."""
        out = self.rendered
        (out / "nginx").mkdir(parents=True)
        (out / "systemd").mkdir()
        conf = self.move((DEPLOY / "nginx/bancheng.conf").read_text())
        p = self.ports
        for old, new, count in [
            ("listen 80;", f"listen 127.0.0.1:{p['http']};", 1),
            ("listen 443 ssl;", f"listen 127.0.0.1:{p['https']} ssl;", 1),
            ("allow 10.0.0.0/8;", "allow 127.0.0.1;", 1),
        ]:
            assert conf.count(old) == count, f"deploy/nginx/bancheng.conf: {old!r}"
            conf = conf.replace(old, new)
        (out / "nginx/bancheng.conf").write_text(conf)
        for unit in (DEPLOY / "systemd").iterdir():
            (out / "systemd" / unit.name).write_text(self.move(unit.read_text()))
        env = self.move((DEPLOY / "bancheng.env.example").read_text())
        example_url = re.search(r"^BANCHENG_DATABASE_URL=(.*)$", env, re.M)
        assert example_url, "the example names BANCHENG_DATABASE_URL"
        if self.pg_url:
            # The role and database the guide's psql block creates, on the test's server.
            u = make_url(self.pg_url)
            ex = make_url(example_url.group(1))
            url = ex.set(
                host=u.host, port=u.port, username=self.pg_role, database=self.pg_database
            ).render_as_string(hide_password=False)
            env = env.replace(example_url.group(0), f"BANCHENG_DATABASE_URL={url}")
        else:  # SQLite: leave the URL out, the database is in BANCHENG_DATA_DIR
            env = env.replace(example_url.group(0) + "\n", "")
        (out / "bancheng.env").write_text(env)
        # nginx's own main file (Debian's /etc/nginx/nginx.conf, reduced to the test's prefix).
        pre = self.nginx_prefix
        (pre / "conf.d").mkdir(parents=True)
        (pre / "tmp").mkdir()
        (self.root / "var/log/nginx").mkdir(parents=True)
        self.units_dir.mkdir(parents=True)  # what a machine with systemd has already
        user = "user root;\n" if os.geteuid() == 0 else ""
        (pre / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {pre}/nginx.pid;\nerror_log {pre}/error.log;\n"
            "events { worker_connections 256; }\nhttp {\n"
            + "".join(
                f"    {kind}_temp_path {pre}/tmp/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"    include {pre}/conf.d/*.conf;\n}}\n"
        )

    # --- PostgreSQL: the role and database of the guide -----------------------------------

    @property
    def pg_role(self) -> str:
        return f"bancheng_deploy_{os.getpid()}"

    @property
    def pg_database(self) -> str:
        return f"test_bancheng_deploy_{os.getpid()}"

    def drop_postgres(self) -> None:
        assert self.pg_url
        admin = create_engine(
            make_url(self.pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)'))
                conn.execute(text(f'DROP ROLE IF EXISTS "{self.pg_role}"'))
        finally:
            admin.dispose()

    def postgres_block(self, body: str) -> str:
        assert self.pg_url
        u = make_url(self.pg_url)
        dsn = u.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )
        for old, new in [
            ("sudo -u postgres psql", f"psql {shlex.quote(dsn)}"),
            ("ROLE bancheng ", f"ROLE {self.pg_role} "),
            (
                "DATABASE bancheng OWNER bancheng ",
                f"DATABASE {self.pg_database} OWNER {self.pg_role} ",
            ),
        ]:
            assert old in body, f"the guide's PostgreSQL block no longer has {old!r}"
            body = body.replace(old, new)
        return body

    # --- running blocks -----------------------------------------------------------------

    def shell_env(self) -> dict[str, str]:
        bin_dir = self.root / "bin"
        return {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "BANCHENG_ENV_FILE": str(self.env_file),  # deploy/bancheng-cli
            "BANCHENG_USER": "root" if os.geteuid() == 0 else os.environ.get("USER", ""),
            "SYSTEMCTL_LOG": str(self.root / "systemctl.log"),
            "CURL_CA_BUNDLE": str(self.cert),
        }

    def install_stand_ins(self) -> None:
        bin_dir = self.root / "bin"
        bin_dir.mkdir()
        stub = bin_dir / "systemctl"
        stub.write_text('#!/bin/sh\necho "$*" >> "$SYSTEMCTL_LOG"\n')
        stub.chmod(0o755)
        nginx = bin_dir / "nginx"  # the guide's `nginx -t`, on this prefix
        nginx.write_text(f'#!/bin/sh\nexec {shlex.join(self.nginx_args())} "$@"\n')
        nginx.chmod(0o755)
        if not shutil.which("systemd-analyze"):
            # Without systemd's own checker, the test's: the units parse, ExecStart exists.
            analyze = bin_dir / "systemd-analyze"
            analyze.write_text("#!/bin/sh\nexit 0\n")
            analyze.chmod(0o755)

    def run(self, body: str, stdin: str = "", timeout: float = 120) -> str:
        script = self.move(body)
        r = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            input=stdin.encode(),
            env=self.shell_env(),
            cwd=REPO,
            capture_output=True,
            timeout=timeout,
            start_new_session=True,  # no terminal: getpass reads the password from stdin
        )
        out, err = r.stdout.decode(), r.stderr.decode()
        assert r.returncode == 0, f"{script}\n--- exit {r.returncode}\n{out}\n{err}"
        # systemd-analyze only warns about an unknown key; nginx -t reports on stderr.
        warnings = [
            ln for ln in err.splitlines() if ("systemd" in ln or ".service" in ln or ".timer" in ln)
        ]
        assert not warnings, err
        return out

    # --- what systemd would do ----------------------------------------------------------

    def systemctl_calls(self) -> list[list[str]]:
        log = self.root / "systemctl.log"
        lines = log.read_text().splitlines() if log.exists() else []
        new = lines[self.systemctl_seen :]
        self.systemctl_seen = len(lines)
        return [shlex.split(line) for line in new]

    def apply_systemctl(self) -> None:
        for call in self.systemctl_calls():
            verb, units = call[0], [u for u in call[1:] if not u.startswith("--")]
            if verb == "daemon-reload":
                continue
            for unit in units:
                if unit == "bancheng@*" and verb == "stop":
                    self.stop_instances(*self.instances)
                    continue
                name = unit.removesuffix(".service")
                if name.startswith("bancheng@") and verb in ("enable", "start", "restart"):
                    port = int(name.split("@", 1)[1])
                    if verb == "restart" or port in self.instances:
                        self.stop_instance(port)
                    self.start_instance(port)
                elif name == "bancheng-backup.timer" and verb == "enable":
                    self.run_backup_service()
                elif name == "nginx" and verb == "reload":
                    self.start_or_reload_nginx()
                else:
                    raise AssertionError(f"the stand-in systemctl does not know {call}")
        for port in self.instances:
            self.wait_healthy(port)

    def unit_env(self, unit: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.root)}
        for item in unit_values(unit, "Service", "EnvironmentFile"):
            optional = item.startswith("-")
            path = Path(item.lstrip("-"))
            if optional and not path.exists():
                continue
            env.update(read_env_file(path))
        return env

    def start_instance(self, port: int) -> None:
        unit = parse_unit(self.units_dir / "bancheng@.service", str(port))
        (argv,) = (shlex.split(v) for v in unit_values(unit, "Service", "ExecStart"))
        (cwd,) = unit_values(unit, "Service", "WorkingDirectory")
        log = (self.root / f"bancheng@{port}.log").open("ab")
        self.instances[port] = subprocess.Popen(
            argv,
            env=self.unit_env(unit),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_healthy(self, port: int) -> None:
        proc = self.instances[port]
        if not wait_healthy(f"http://127.0.0.1:{port}", proc, 120):
            log = (self.root / f"bancheng@{port}.log").read_text()
            pytest.fail(f"bancheng@{port} did not start:\n{log[-4000:]}")

    def stop_instance(self, port: int) -> None:
        self.stop_instances(port)

    def stop_instances(self, *ports: int) -> None:
        procs = [self.instances.pop(port) for port in ports]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()  # systemd's KillSignal=SIGTERM
        for proc in procs:
            try:
                proc.wait(timeout=30)  # the unit's TimeoutStopSec
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def run_backup_service(self) -> None:
        """What the timer starts: the service's ExecStart, then ExecStartPost."""
        unit = parse_unit(self.units_dir / "bancheng-backup.service")
        (cwd,) = unit_values(unit, "Service", "WorkingDirectory")
        for key in ("ExecStart", "ExecStartPost"):
            for line in unit_values(unit, "Service", key):
                r = subprocess.run(
                    shlex.split(line),
                    env=self.unit_env(unit),
                    cwd=cwd,
                    capture_output=True,
                    timeout=120,
                )
                assert r.returncode == 0, f"{line}\n{r.stdout.decode()}{r.stderr.decode()}"

    def start_or_reload_nginx(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            subprocess.run([*self.nginx_args(), "-s", "reload"], check=True, timeout=30)
            return
        self.nginx = subprocess.Popen(
            [*self.nginx_args(), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "nginx.stderr").open("ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.ports["https"]), timeout=1):
                    return
            except OSError:
                pass
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                err = (self.nginx_prefix / "error.log").read_text(errors="replace")
                pytest.fail(f"nginx did not start:\n{err[-3000:]}")
            time.sleep(0.1)

    def shutdown(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            stop(self.nginx, 10, group=True)
        self.stop_instances(*self.instances)

    # --- clients --------------------------------------------------------------------------

    def outside(self) -> httpx.Client:
        """A browser on another machine: source 127.0.0.2, the site's name and certificate."""
        ctx = ssl.create_default_context(cafile=str(self.cert))
        transport = httpx.HTTPTransport(verify=ctx, local_address=CLIENT_IP)
        return httpx.Client(transport=transport, timeout=60, follow_redirects=False)

    def site(self, client: httpx.Client, method: str, path: str, **kw: object) -> httpx.Response:
        headers = {"Host": SITE, **kw.pop("headers", {})}  # type: ignore[dict-item]
        return client.request(
            method,
            f"https://127.0.0.1:{self.ports['https']}{path}",
            headers=headers,
            extensions={"sni_hostname": SITE},
            **kw,  # type: ignore[arg-type]
        )

    def scrape(self, port: int) -> str:
        token = read_env_file(self.env_file)["BANCHENG_METRICS_TOKEN"]
        r = httpx.get(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200, r.text
        return r.text


def _samples(metrics: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    nginx_bin = _tool(shutil.which("nginx") or shutil.which("/usr/sbin/nginx"), "nginx")
    _tool(shutil.which("curl"), "curl")
    _tool(shutil.which("openssl"), "openssl")
    url = _test_url()
    names = ["p1", "p2", "http", "https", "scrape"]
    m = Machine(
        root=tmp_path_factory.mktemp("deploy"),
        pg_url=url if url.startswith("postgresql") else None,
        ports=dict(zip(names, _free_ports(len(names)), strict=True)),
        nginx_bin=nginx_bin,
    )
    if m.pg_url:
        _tool(shutil.which("psql"), "psql")
        m.drop_postgres()
    m.install_stand_ins()
    m.render_samples()
    try:
        yield m
    finally:
        m.shutdown()
        if m.pg_url:
            m.drop_postgres()


def test_the_guide_lists_the_blocks_this_test_runs() -> None:
    names = [kind.split(":", 1)[1] for kind, _ in doc_blocks() if kind.startswith("deploy:")]
    assert names == DEPLOY_BLOCKS
    for kind, body in doc_blocks():
        r = subprocess.run(["bash", "-n", "-c", body], capture_output=True)
        assert r.returncode == 0, f"{kind}: {body}\n{r.stderr.decode()}"
        # Every bancheng command named is one (its subcommands, options not checked).
        for words in re.findall(r"(?:bancheng-cli|/bin/bancheng) ((?:[a-z][\w-]* ?)+)", body):
            args = words.split()
            group = cli.main
            while args and isinstance(group, click.Group) and args[0] in group.commands:
                group = group.commands[args.pop(0)]
            assert not isinstance(group, click.Group), f"{kind}: not a command: {words}"


def test_the_samples_match_the_settings() -> None:
    conf = (DEPLOY / "nginx/bancheng.conf").read_text()
    sizes = [int(n) * 1024 * 1024 for n in re.findall(r"client_max_body_size (\d+)m;", conf)]
    attachment = Settings().attachment_max_bytes
    assert len(sizes) == 2
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    (idle,) = re.findall(r"^\s*keepalive_timeout (\d+)s;", conf, re.M)
    assert int(idle) < Settings().keep_alive_seconds  # nginx lets go of an idle one first
    assert attachment + 64 * 1024 <= sizes[0] <= attachment + 2 * 1024 * 1024
    assert MAX_IMPORT_BYTES + 64 * 1024 <= sizes[1] <= MAX_IMPORT_BYTES + 2 * 1024 * 1024
    # Every unit's command is a real bancheng command.
    for name in ("bancheng@.service", "bancheng-backup.service"):
        unit = parse_unit(DEPLOY / "systemd" / name, "8001")
        for line in unit_values(unit, "Service", "ExecStart"):
            argv = shlex.split(line.replace("/opt/bancheng", str(REPO)))
            assert argv[0] == f"{REPO}/.venv/bin/bancheng" and os.access(argv[0], os.X_OK)
            r = CliRunner().invoke(cli.main, [*argv[1:], "--help"])
            assert r.exit_code == 0 and "Usage: main " + argv[1] in r.output, r.output
        assert unit_values(unit, "Service", "User") == ["bancheng"]
        assert unit_values(unit, "Service", "NoNewPrivileges") == ["yes"]
        assert unit_values(unit, "Service", "ProtectSystem") == ["strict"]
        assert "/srv/bancheng" in " ".join(unit_values(unit, "Service", "ReadWritePaths"))
    timer = parse_unit(DEPLOY / "systemd/bancheng-backup.timer")
    assert unit_values(timer, "Timer", "OnCalendar") == ["*-*-* 02:00:00"]
    # The guide's Prometheus example scrapes every upstream instance on the internal server.
    (scrape,) = re.findall(r"^```yaml\n(.*?)^```$", DOC.read_text(), re.M | re.S)
    (job,) = yaml.safe_load(scrape)["scrape_configs"]
    paths = sorted(t["labels"]["__metrics_path__"] for t in job["static_configs"])
    upstream = re.findall(r"^\s*server 127\.0\.0\.1:(\d+)", conf, re.M)
    assert paths == [f"/{port}/metrics" for port in upstream]
    assert all(f"location = /{port}/metrics" in conf for port in upstream)


def test_production_refuses_weak_settings_in_a_sentence(tmp_path: Path) -> None:
    """An instance or a command with a missing secret stops with the list, not a traceback."""
    r = subprocess.run(
        [f"{REPO}/.venv/bin/bancheng", "db", "upgrade"],
        env={
            "PATH": os.environ["PATH"],
            "BANCHENG_ENV": "production",
            "BANCHENG_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=180,  # a cold interpreter importing the app on a loaded machine
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "settings refused" in r.stderr and "BANCHENG_ENCRYPTION_KEYS must be set" in r.stderr


def test_the_guide_runs(machine: Machine) -> None:
    m = machine
    blocks = [(k.split(":", 1)[1], b) for k, b in doc_blocks() if k.startswith("deploy:")]
    outputs: dict[str, str] = {}
    for name, body in blocks:
        if name == "postgres":
            if m.pg_url:
                outputs[name] = m.run(m.postgres_block(body))
            continue
        outputs[name] = m.run(body, stdin=TEST_PASSWORD + "\n" if name == "schema" else "")
        m.apply_systemctl()
        if name == "settings":
            env = read_env_file(m.env_file)
            prod = Settings(**{k.removeprefix("BANCHENG_").lower(): v for k, v in env.items()})
            assert prod.env == "production" and not production_problems(prod)
            assert prod.trusted_proxies == "127.0.0.1" and prod.metrics_allow == ""
            assert m.env_file.stat().st_mode & 0o777 == 0o600
        if name == "schema":
            assert "created admin admin" in outputs[name]
        if name == "verify":
            out = outputs[name]
            assert "strict-transport-security: max-age=31536000" in out.lower()
            db = "postgresql" if m.pg_url else "sqlite"
            assert f'"status":"ok","database":"{db}"' in out
            assert f"301 https://{SITE}/api/health\n" in out
            assert "\n404\n" in out
            assert "bancheng_http_requests_total{" in out
            through_nginx(m)
        if name == "backup":
            archives = sorted((m.root / "srv/backups/bancheng").glob("bancheng-backup-*.tar.gz"))
            assert archives, "no backup archive"
            assert "backup written" in outputs[name]
    after_the_upgrade(m)


def through_nginx(m: Machine) -> None:
    with m.outside() as c:
        # HTTPS, HSTS (once: bancheng's, not nginx's), the request id both ways.
        r = m.site(c, "GET", "/api/health", headers={"X-Request-ID": "deploy-check-0001"})
        assert r.status_code == 200, r.text
        assert r.headers.get_list("strict-transport-security") == [
            "max-age=31536000; includeSubDomains"
        ]
        assert r.headers["x-request-id"] == "deploy-check-0001"
        assert "server" not in r.headers or "/" not in r.headers["server"]  # server_tokens
        r = m.site(c, "GET", "/api/health")
        rid = r.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid)  # nginx's $request_id
        access_log = m.root / "var/log/nginx/bancheng.access.log"
        deadline = time.monotonic() + 10  # nginx writes the line once the request is done
        while f"{CLIENT_IP} " not in (log := access_log.read_text()) or f"rid={rid}" not in log:
            assert time.monotonic() < deadline, log
            time.sleep(0.05)
        assert "?" not in log  # no query strings
        # HTTP: a redirect to the same path on HTTPS, nothing served.
        r = c.get(f"http://127.0.0.1:{m.ports['http']}/api/v1/auth/me?x=1", headers={"Host": SITE})
        assert r.status_code == 301
        assert r.headers["location"] == f"https://{SITE}/api/v1/auth/me?x=1"

        # The administrator signs in from 127.0.0.2 claiming to be 203.0.113.7: the login
        # log has the address nginx saw.
        r = m.site(
            c,
            "POST",
            "/api/v1/auth/login",
            json={"username": "admin", "password": TEST_PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        assert r.status_code == 200, r.text
        cookies = r.headers.get_list("set-cookie")
        assert cookies and all("; secure" in v.lower() for v in cookies), cookies
        r = m.site(c, "GET", "/api/v1/audit/logins", params={"username": "admin"})
        assert r.status_code == 200, r.text
        assert r.json()["items"][0]["ip"] == CLIENT_IP
        assert m.site(c, "GET", "/api/docs").status_code == 404  # closed in production

        # Upload limits: an attachment-sized body reaches bancheng, a larger one does not.
        limit = Settings().attachment_max_bytes
        files = {"file": ("scan.jpg", b"\xff" * limit, "image/jpeg")}
        r = m.site(c, "POST", "/api/v1/cases/1/attachments", files=files)
        assert r.status_code != 413 and r.headers["content-type"].startswith(
            "application/problem+json"
        ), r.text
        files = {"file": ("scan.jpg", b"\xff" * (limit + 2 * 1024 * 1024), "image/jpeg")}
        assert m.site(c, "POST", "/api/v1/cases/1/attachments", files=files).status_code == 413

        # /metrics: refused on the public server, however it is spelled.
        for path in ("/metrics", "/%6detrics", "//metrics", "/api/../metrics"):
            assert m.site(c, "GET", path).status_code == 404, path
        # The internal server refuses other addresses...
        scrape = f"http://127.0.0.1:{m.ports['scrape']}/{m.p1}/metrics"
        assert c.get(scrape).status_code == 403
    # ...and passes the token on from an allowed one; bancheng wants the token.
    token = read_env_file(m.env_file)["BANCHENG_METRICS_TOKEN"]
    assert httpx.get(scrape).status_code == 403  # bancheng: metrics.forbidden
    r = httpx.get(scrape, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and "bancheng_http_requests_total" in r.text
    other = f"http://127.0.0.1:{m.ports['scrape']}/{m.ports['https']}/metrics"
    assert httpx.get(other).status_code == 404  # the instances' own paths only
    log = access_log.read_text()
    assert "GET /api/v1/auth/me " in log and "x=1" not in log  # no query strings


def after_the_upgrade(m: Machine) -> None:
    """Both instances were restarted by the upgrade: fresh counters."""
    assert sorted(m.instances) == sorted([m.p1, m.p2])
    with m.outside() as c:
        for _ in range(20):
            assert m.site(c, "GET", "/api/health").status_code == 200
    served = {
        port: _samples(m.scrape(port), "bancheng_http_requests_total", route="/api/health")
        for port in (m.p1, m.p2)
    }
    assert sum(served.values()) >= 20 and all(n >= 5 for n in served.values()), served
    # The second instance has its own settings file: no periodic jobs there (the outbox's
    # delivery job runs everywhere: BANCHENG_OUTBOX_WORKER_IN_SERVE stays on).
    deadline = time.monotonic() + 30
    while not _samples(m.scrape(m.p1), "bancheng_job_runs_total", job="sla.sweep"):
        assert time.monotonic() < deadline, "the first instance ran no deadline sweep"
        time.sleep(0.5)
    ran = {
        port: set(re.findall(r'^bancheng_job_runs_total\{job="([^"]+)"', m.scrape(port), re.M))
        for port in (m.p1, m.p2)
    }
    assert "sla.sweep" in ran[m.p1] and ran[m.p2] <= {"outbox.deliver"}, ran
    # One instance down (a restart, a crash): nginx serves everything from the other.
    m.stop_instance(m.p2)
    with m.outside() as c:
        for _ in range(6):
            assert m.site(c, "GET", "/api/health").status_code == 200
    # Nothing went wrong inside, all along.
    for log in m.root.glob("bancheng@*.log"):
        lines = log.read_text().splitlines()
        bad = [ln for ln in lines if "Traceback" in ln or '"level":"error"' in ln]
        assert not bad, f"{log.name}:\n" + "\n".join(bad[:5])

"""Reaching a Dask scheduler: one deadline for the whole connection, handshake included.

Every peer here is a socket of this test on 127.0.0.1: a silent one (accepts and never answers), one that
answers in another protocol, one that hangs up, a closed port, and a real scheduler.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
from cli_helpers import in_tmp, run_cli  # noqa: F401 (in_tmp: autouse fixture)

distributed = pytest.importorskip("distributed")

from lifsim.runners import dask as dask_runner  # noqa: E402
from lifsim.runners.connect import connect_scheduler  # noqa: E402

#: how much later than the deadline a failure may come on a loaded machine (thread start, scheduling)
SLACK_S = 1.5


class Peer:
    """A TCP server on 127.0.0.1 that treats every connection as ``behaviour`` says."""

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.address = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            if self.behaviour == "garbage":
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            elif self.behaviour == "hang up":
                connection.close()
                continue
            self.held.append(connection)  # "silent": keep it open and say nothing

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def peer(request):
    server = Peer(request.param)
    yield server
    server.close()


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{sock.getsockname()[1]}"


def stated_seconds(message: str) -> float:
    return float(re.search(r"within ([0-9.]+) s", message).group(1))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("peer", ["silent"], indirect=True)
def test_a_silent_peer_fails_in_the_time_the_message_states(peer):
    for timeout_s in (0.5, 2.0):
        started = time.monotonic()
        with pytest.raises(ValueError, match="sent no greeting") as caught:
            connect_scheduler(peer.address, timeout_s)
        took = time.monotonic() - started
        message = str(caught.value)
        assert stated_seconds(message) == timeout_s and peer.address in message and "\n" not in message
        assert timeout_s - 0.05 <= took <= timeout_s + SLACK_S, took


@pytest.mark.timeout(60)
@pytest.mark.parametrize("peer", ["silent"], indirect=True)
def test_the_runner_and_the_cli_keep_the_deadline(peer, capsys, monkeypatch):
    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT_S", 1.0)
    started = time.monotonic()
    with pytest.raises(ValueError, match="within 1 s"):
        dask_runner.connect(peer.address)
    assert time.monotonic() - started <= 1.0 + SLACK_S
    argv = ["simulate", "--n", "10", "--t-max", "20 ms", "--scheduler"]
    rc, _out, err = run_cli(capsys, [*argv, closed_port()])  # once, so that the run's imports are done
    assert rc == 2 and "connection refused" in err and err.count("\n") == 1, err
    started = time.monotonic()
    rc, _out, err = run_cli(capsys, [*argv, peer.address])
    took = time.monotonic() - started
    assert rc == 2 and err.count("\n") == 1 and "within 1 s" in err and peer.address in err, err
    assert took <= 1.0 + SLACK_S, took


def test_a_closed_port_fails_at_once():
    address = closed_port()
    started = time.monotonic()
    with pytest.raises(ValueError, match="connection refused") as caught:
        connect_scheduler(address, 8.0)
    assert time.monotonic() - started < 1.0
    assert address in str(caught.value) and "within" not in str(caught.value)


@pytest.mark.parametrize(
    ("peer", "why"),
    [("garbage", "not as a Dask scheduler"), ("hang up", "closed the connection")],
    indirect=["peer"],
)
def test_a_peer_that_is_no_scheduler_fails_at_once(peer, why):
    started = time.monotonic()
    with pytest.raises(ValueError, match=why) as caught:
        connect_scheduler(peer.address, 8.0)
    assert time.monotonic() - started < 1.0
    assert caught.value.args[0].startswith(f"scheduler: cannot reach a Dask scheduler at {peer.address!r}")


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:port", "tcp://", "   "])
def test_a_malformed_address_is_one_line(address):
    with pytest.raises(ValueError, match="^scheduler: expected an address such as tcp://127.0.0.1:8786"):
        connect_scheduler(address, 1.0)


@pytest.mark.timeout(120)
def test_a_real_scheduler_is_reached_with_and_without_the_scheme():
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0", silence_logs=50
    )
    try:
        for address in (cluster.scheduler_address, cluster.scheduler_address.removeprefix("tcp://")):
            client = connect_scheduler(address, 8.0)
            try:
                assert client.submit(lambda x: x + 1, 1).result(timeout=60) == 2
            finally:
                client.close()
    finally:
        cluster.close()

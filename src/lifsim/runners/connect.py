"""Reaching a Dask scheduler by address within a deadline that holds, handshake included.

``distributed.Client(address, timeout=...)`` does not keep its timeout: it
retries a refused port until the timeout ends, then waits for the scheduler's
handshake with no limit at all, so a peer that accepts the connection and says
nothing holds the client for good.  :func:`connect_scheduler` keeps one deadline
for every step:

1. a TCP connection of its own: a port where nothing listens fails at once
   (connection refused), without retries;
2. the scheduler's greeting on that connection: a Dask scheduler speaks first,
   one length-prefixed message (its handshake).  A peer that stays silent fails
   when the deadline ends, and one that answers with something else (an HTTP
   server, say) fails at once;
3. the ``distributed.Client`` itself, given what is left of the deadline and
   abandoned (closed when it comes back) if it has not connected by then.

Only ``tcp://`` addresses (or ``HOST:PORT``) get steps 1 and 2; other schemes
(``tls://``, ``ucx://``, ...) get step 3, under the same deadline.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any

__all__ = ["connect_scheduler", "DEFAULT_PORT", "MAX_GREETING"]

#: the Dask scheduler's port when an address gives none
DEFAULT_PORT = 8786
#: the largest greeting accepted from a scheduler, in bytes (its handshake is about 100 bytes)
MAX_GREETING = 1 << 20

_FRAME = struct.Struct("Q")  # distributed's TCP framing: lengths as native unsigned 64-bit integers


class _Unreachable(Exception):
    """Why the scheduler cannot be reached: the part of the message after the address."""


def _split(address: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``address``; host and port only for TCP."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme != "tcp":
            return scheme, location, None
        host, port = parse_host_port(location, default_port=DEFAULT_PORT)
        if not str(host).strip("[] "):
            raise ValueError("no host")
    except (ValueError, TypeError):
        raise ValueError(
            f"scheduler: expected an address such as tcp://127.0.0.1:8786 or 127.0.0.1:8786, got {address!r}"
        ) from None
    return scheme, str(host), int(port)


def _receive(sock: socket.socket, size: int, deadline: float) -> bytes:
    """Exactly ``size`` bytes from ``sock`` before ``deadline`` (time.monotonic)."""
    chunks: list[bytes] = []
    missing = size
    while missing:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(min(missing, 65536))
        if not chunk:
            raise _Unreachable("it closed the connection without the greeting a Dask scheduler sends")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _greeting(host: str, port: int, deadline: float, attempt: _Attempt) -> None:
    """Connect to ``host:port`` and read a Dask scheduler's greeting, all before ``deadline``."""
    left = deadline - time.monotonic()
    try:
        sock = socket.create_connection((host, port), timeout=max(left, 1e-3))
    except ConnectionRefusedError:
        raise _Unreachable("connection refused: nothing listens on that port") from None
    except socket.gaierror as error:
        raise _Unreachable(f"unknown host {host!r} ({error.strerror or error})") from None
    except TimeoutError:  # socket.timeout included
        raise TimeoutError from None
    except OSError as error:
        raise _Unreachable(error.strerror or str(error) or type(error).__name__) from None
    attempt.stage = "greeting"
    with sock:
        try:
            first = _receive(sock, _FRAME.size, deadline)
            (length,) = _FRAME.unpack(first)
            if not 2 * _FRAME.size <= length <= MAX_GREETING:
                raise _Unreachable(f"it answered, but not as a Dask scheduler (it began with {first!r})")
            message = _receive(sock, length, deadline)
        except TimeoutError:  # socket.timeout included
            raise TimeoutError from None
        except ConnectionError as error:
            raise _Unreachable(f"the connection broke before the scheduler's greeting ({error})") from None
        (frames,) = _FRAME.unpack_from(message)
        if not 1 <= frames <= (length - _FRAME.size) // _FRAME.size:
            raise _Unreachable("it answered, but not as a Dask scheduler (not a distributed message)")


class _Attempt:
    """One connection attempt in a thread of its own, so that the caller can stop waiting at the deadline."""

    def __init__(self, distributed: Any, address: str, host: str | None, port: int | None, deadline: float):
        self.distributed, self.address, self.host, self.port, self.deadline = distributed, address, host, port, deadline
        self.stage = "connecting"
        self.client: Any = None
        self.error: BaseException | None = None
        self.abandoned = False
        self.lock = threading.Lock()

    def run(self) -> None:
        try:
            if self.port is not None and self.host is not None:
                _greeting(self.host, self.port, self.deadline, self)
            self.stage = "registering"
            left = max(self.deadline - time.monotonic(), 0.1)
            client = self.distributed.Client(self.address, timeout=f"{left:.3f}s")
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            self.error = error
            return
        with self.lock:
            if self.abandoned:  # the caller gave up at the deadline: do not leave a client behind
                client.close()
            else:
                self.client = client


def _late(attempt: _Attempt, timeout_s: float) -> str:
    """What the scheduler had not done when the deadline came."""
    why = {
        "connecting": "no answer to the connection request",
        "greeting": "it accepted the connection but sent no greeting (not a Dask scheduler, or a stuck one)",
        "registering": "it sent its greeting but did not register the client",
    }[attempt.stage]
    return f"within {timeout_s:g} s: {why}"


def connect_scheduler(address: str, timeout_s: float) -> Any:
    """A ``distributed.Client`` connected to the scheduler at ``address``, or ``ValueError`` within ``timeout_s``.

    Parameters
    ----------
    address : str
        ``tcp://HOST:PORT``, ``HOST:PORT`` (TCP), ``HOST`` (port 8786) or another scheme distributed knows.
    timeout_s : float
        Seconds, s: the deadline for the whole connection, handshake and client registration included.  A
        closed port or a peer that answers in another protocol fails at once.

    Raises
    ------
    ValueError
        One line: ``scheduler: cannot reach a Dask scheduler at 'ADDRESS' ...: WHY``.
    """
    import distributed

    address = address.strip()
    if not address:
        raise ValueError("scheduler: expected an address such as tcp://127.0.0.1:8786, got ''")
    if not timeout_s > 0:
        raise ValueError(f"scheduler: expected a timeout above 0 s, got {timeout_s!r}")
    _scheme, host, port = _split(address)
    attempt = _Attempt(distributed, address, host if port is not None else None, port, time.monotonic() + timeout_s)
    thread = threading.Thread(target=attempt.run, name="lifsim-connect", daemon=True)
    thread.start()
    thread.join(timeout_s)
    with attempt.lock:
        if thread.is_alive():
            attempt.abandoned = True
            raise ValueError(f"scheduler: cannot reach a Dask scheduler at {address!r} {_late(attempt, timeout_s)}")
    error = attempt.error
    if error is None:
        return attempt.client
    if isinstance(error, TimeoutError) and not str(error):  # the deadline, met inside the attempt
        raise ValueError(f"scheduler: cannot reach a Dask scheduler at {address!r} {_late(attempt, timeout_s)}")
    if isinstance(error, _Unreachable):
        raise ValueError(f"scheduler: cannot reach a Dask scheduler at {address!r}: {error}") from None
    failed_to_connect = (OSError, TimeoutError, ValueError, MemoryError, EOFError)
    if isinstance(error, failed_to_connect) or type(error).__module__.startswith("distributed"):
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise ValueError(f"scheduler: cannot reach a Dask scheduler at {address!r}: {reason}") from None
    raise error

# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two ends of a real connection in the OVN lab's datapath mode (see ``Datapath`` in
tools/ovn_lab.py), run inside a workload's or an outside host's network namespace.

``serve`` listens on TCP ports and answers every connection, HTTP or not, with one line
``<name> <peer ip>:<peer port> <local ip>:<local port>``: who answered, and the source
address the connection arrived from - what the far end really saw after NAT. It makes no
name lookups (a lookup in a lab namespace stalls, see docs/datapath.md), logs each peer to
``--log``, and writes its pidfile only once every port is bound, so that a started server is a
listening one.

``request`` opens one connection (from ``--src`` if given), sends an HTTP/1.0 GET and prints
the answer line; exit status 1 if there was none within ``--timeout``.

Standard library only: it runs with whatever python runs the lab.
"""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys
import threading
from pathlib import Path


def answer_line(name: str, conn: socket.socket) -> bytes:
    peer = conn.getpeername()
    local = conn.getsockname()
    return f"{name} {peer[0]}:{peer[1]} {local[0]}:{local[1]}\n".encode()


def handle(name: str, conn: socket.socket, log: Path | None, lock: threading.Lock) -> None:
    with conn:
        conn.settimeout(2.0)
        line = answer_line(name, conn)
        if log is not None:
            with lock, log.open("ab") as out:
                out.write(line)
        request = b""
        # Read the request head if the client sends one; a bare TCP client (nc) that sends
        # nothing gets its answer when the 2 s read timeout ends the wait.
        try:
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                request += chunk
        except OSError:
            pass
        body = line
        if request.startswith(b"GET ") or request.startswith(b"HEAD "):
            head = f"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            body = head + body
        try:
            conn.sendall(body)
        except OSError:
            pass


def serve(name: str, ports: list[int], pidfile: Path, log: Path | None) -> int:
    selector = selectors.DefaultSelector()
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
        sock.listen(64)
        selector.register(sock, selectors.EVENT_READ)
    lock = threading.Lock()
    # Written last: the lab waits for it, and then every port listens.
    tmp = pidfile.with_suffix(".tmp")
    tmp.write_text(f"{os.getpid()}\n")
    tmp.rename(pidfile)
    while True:
        for key, _events in selector.select():
            listener = key.fileobj
            assert isinstance(listener, socket.socket)
            conn, _addr = listener.accept()
            threading.Thread(target=handle, args=(name, conn, log, lock), daemon=True).start()


def request(host: str, port: int, src: str | None, timeout: float) -> int:
    try:
        with socket.create_connection((host, port), timeout=timeout, source_address=(src, 0) if src else None) as conn:
            conn.settimeout(timeout)
            conn.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            data = b""
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        print(f"lab_net: no answer from {host}:{port}: {exc}", file=sys.stderr)
        return 1
    text = data.decode(errors="replace")
    line = text.split("\r\n\r\n", 1)[-1].strip()
    if not line:
        print(f"lab_net: {host}:{port} closed without an answer", file=sys.stderr)
        return 1
    print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    srv = commands.add_parser("serve")
    srv.add_argument("--name", required=True)
    srv.add_argument("--pidfile", required=True, type=Path)
    srv.add_argument("--log", type=Path)
    srv.add_argument("ports", nargs="+", type=int)
    req = commands.add_parser("request")
    req.add_argument("host")
    req.add_argument("port", type=int)
    req.add_argument("--src")
    req.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.name, args.ports, args.pidfile, args.log)
    return request(args.host, args.port, args.src, args.timeout)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""hush-testsvc: a tiny HTTP service that plays the hard cases of the hush test corpus.

One program, three ways of being started by systemd (see the hush-testsvc-*.service units):
  --mode notify   Type=notify: binds, then sends READY=1 (and WATCHDOG=1 pings) on $NOTIFY_SOCKET
  --mode forking  Type=forking: double-forks, the daemon writes --pidfile, the parent exits
                  only once the daemon listens (so systemd finds the pid file and a live port)
  --mode simple   Type=simple: serves, and exits with status 3 after --lifetime seconds or on
                  GET /exit, so that Restart=on-failure restarts it ("a service that restarts itself")
  --mode socket   socket activation: serves the listening socket systemd passes as fd 3
                  (LISTEN_FDS=1, LISTEN_PID = this process); it never binds a port itself

GET /health answers "key=value" lines: who runs it (uid, user), how it was started (argv0,
mode), and the marker files that privileged (+ / !) Exec commands left in its runtime directory.
Uses only the Python standard library (Debian package python3).
"""
import argparse
import os
import pwd
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

EXIT_ON_REQUEST = 3


def sd_notify(message: str) -> None:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())


def user_name(uid: int) -> str:
    """The passwd name; for a DynamicUser= without nss-systemd, the USER systemd sets."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return os.environ.get("USER", str(uid))


def read_marker(directory: str, name: str) -> str:
    try:
        with open(os.path.join(directory, name), encoding="utf-8") as marker:
            return marker.read().strip()
    except OSError:
        return "missing"


def bump_counter(state_dir: str, name: str) -> int:
    """Counts starts in the StateDirectory: proves the unprivileged user can write its state."""
    if not state_dir:
        return -1
    path = os.path.join(state_dir, f"{name}.starts")
    try:
        with open(path, encoding="utf-8") as counter:
            count = int(counter.read().strip() or "0")
    except (OSError, ValueError):
        count = 0
    count += 1
    with open(path + ".tmp", "w", encoding="utf-8") as counter:
        counter.write(f"{count}\n")
    os.replace(path + ".tmp", path)
    return count


class Service:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.time()
        self.requests = 0
        self.starts = bump_counter(os.environ.get("STATE_DIRECTORY", ""), args.name)
        self.runtime_dir = os.environ.get("RUNTIME_DIRECTORY", "")

    def health(self) -> str:
        uid = os.getuid()
        lines = {
            "status": "ok",
            "name": self.args.name,
            "mode": self.args.mode,
            "pid": os.getpid(),
            "uid": uid,
            "user": user_name(uid),
            "argv0": open("/proc/self/cmdline", "rb").read().split(b"\0")[0].decode(),
            "starts": self.starts,
            "requests": self.requests,
            "uptime": f"{time.time() - self.started:.1f}",
        }
        if self.runtime_dir:
            for marker in ("pre-plus", "post", "post-bang"):
                lines[marker] = read_marker(self.runtime_dir, marker)
        return "".join(f"{k}={v}\n" for k, v in lines.items())


def make_handler(service: Service):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # keep the journal quiet
            pass

        def reply(self, code: int, body: str) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            service.requests += 1
            if self.path == "/health":
                self.reply(200, service.health())
            elif self.path == "/exit" and service.args.mode == "simple":
                self.reply(200, "exiting\n")
                self.wfile.flush()
                # a crash-like exit: Restart=on-failure brings the service back
                threading.Timer(0.2, lambda: os._exit(EXIT_ON_REQUEST)).start()
            else:
                self.reply(404, "not found\n")

    return Handler


def serve(args: argparse.Namespace, server: HTTPServer, service: Service) -> None:
    if args.mode == "notify":
        sd_notify(f"READY=1\nSTATUS=serving on 127.0.0.1:{args.port}\nMAINPID={os.getpid()}")
        interval = int(os.environ.get("WATCHDOG_USEC", "0")) / 1e6 / 3
        if interval > 0:
            def ping():
                while True:
                    time.sleep(interval)
                    sd_notify("WATCHDOG=1")
            threading.Thread(target=ping, daemon=True).start()
    if args.lifetime > 0:
        threading.Timer(args.lifetime, lambda: os._exit(EXIT_ON_REQUEST)).start()
    server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("notify", "forking", "simple", "socket"), required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pidfile")
    parser.add_argument("--lifetime", type=float, default=0)
    args = parser.parse_args()

    if args.mode == "socket":
        if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
            parser.error("--mode socket needs exactly one socket from systemd (LISTEN_FDS=1)")
        service = Service(args)
        server = HTTPServer(("127.0.0.1", args.port), make_handler(service), bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=3)
        serve(args, server, service)
        return 0

    if args.mode != "forking":
        service = Service(args)
        server = HTTPServer(("127.0.0.1", args.port), make_handler(service))
        serve(args, server, service)
        return 0

    if not args.pidfile:
        parser.error("--mode forking needs --pidfile")
    ready_r, ready_w = os.pipe()
    if os.fork() > 0:  # the original process: exit once the daemon says it listens
        os.close(ready_w)
        ok = os.read(ready_r, 1) == b"1"
        return 0 if ok else 1
    os.close(ready_r)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    service = Service(args)
    server = HTTPServer(("127.0.0.1", args.port), make_handler(service))
    with open(args.pidfile + ".tmp", "w", encoding="utf-8") as pidfile:
        pidfile.write(f"{os.getpid()}\n")
    os.replace(args.pidfile + ".tmp", args.pidfile)
    os.write(ready_w, b"1")
    os.close(ready_w)
    serve(args, server, service)
    return 0


if __name__ == "__main__":
    sys.exit(main())

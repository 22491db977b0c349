"""hush-wsgi: a small WSGI application (PEP 3333) served by gunicorn for the hush test corpus.

GET /         "hello from hush-wsgi" with the worker's pid
POST /notes   appends the request body (one line) to notes.txt in $STATE_DIRECTORY
GET /notes    returns notes.txt
Anything else 404. Standard library only; gunicorn (Debian package) does the serving.
"""
import os

STATE = os.environ.get("STATE_DIRECTORY", "/var/lib/hush-wsgi")
NOTES = os.path.join(STATE, "notes.txt")


def application(environ, start_response):
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO", "/")
    if path == "/" and method == "GET":
        return reply(start_response, "200 OK", f"hello from hush-wsgi worker={os.getpid()}\n")
    if path == "/notes" and method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        line = environ["wsgi.input"].read(min(length, 4096)).decode("utf-8", "replace").strip()
        with open(NOTES, "a", encoding="utf-8") as notes:
            notes.write(line.replace("\n", " ") + "\n")
        return reply(start_response, "201 Created", "stored\n")
    if path == "/notes" and method == "GET":
        try:
            with open(NOTES, encoding="utf-8") as notes:
                return reply(start_response, "200 OK", notes.read())
        except FileNotFoundError:
            return reply(start_response, "200 OK", "")
    return reply(start_response, "404 Not Found", "not found\n")


def reply(start_response, status, body):
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]

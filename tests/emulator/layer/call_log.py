"""A log of the EC2 API calls the emulator answers, for tests that check
which calls host makes, in which region, and how they fared.

Each EC2 request appends one JSON object on a line of its own, written and
flushed as the response starts:

    {"action": "CreateVpc", "region": "us-east-1", "time": 1700000000.5,
     "status": 200}

`time` is when the request arrived (Unix seconds) and `region` is the
region the request was signed for. A request is an EC2 one when it names an
Action (form body or query string) and is signed for the ec2 service; other
services' requests (STS, say) are not logged.
"""

import io
import json
import re
import threading
import time
from urllib.parse import parse_qs

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

# The SigV4 credential scope: KEY/DATE/REGION/SERVICE/aws4_request.
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def _form_body(environ):
    """The request's form-encoded body, put back for the app to read."""
    if not environ.get("CONTENT_TYPE", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        return ""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body.decode("utf-8", errors="replace")


def _signing_scope(environ, query):
    """The (region, service) the request is signed for, from its
    Authorization header or, for a presigned URL, its X-Amz-Credential."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    match = CREDENTIAL_SCOPE.search(authorization)
    if match:
        return match.group(1), match.group(2)
    credential = query.get("X-Amz-Credential", [""])[0]
    match = CREDENTIAL_SCOPE.search(f"Credential={credential}")
    if match:
        return match.group(1), match.group(2)
    return None, None


class CallLog:
    """WSGI middleware that logs each EC2 request `app` answers to `path`."""

    def __init__(self, app, path):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        arrived = time.time()
        query = parse_qs(environ.get("QUERY_STRING", ""))
        form = parse_qs(_form_body(environ))
        action = (form.get("Action") or query.get("Action") or [None])[0]
        region, service = _signing_scope(environ, query)
        if action is None or service != "ec2":
            return self.app(environ, start_response)

        logged = False

        def log(status):
            nonlocal logged
            if not logged:
                logged = True
                self.write(
                    {
                        "action": action,
                        "region": region,
                        "time": arrived,
                        "status": status,
                    }
                )

        def logging_start_response(status, headers, exc_info=None):
            log(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, logging_start_response)
        except Exception:
            # The server answers an exception escaping the app with a 500.
            log(500)
            raise

    def write(self, entry):
        line = json.dumps(entry) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as log_file:
            log_file.write(line)
            log_file.flush()


class Server(ThreadedMotoServer):
    """moto's threaded server, its app wrapped in a CallLog when
    `call_log` names a file."""

    def __init__(self, port, call_log=None):
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self._call_log = call_log

    def _server_entry(self):
        # As ThreadedMotoServer._server_entry, with the app wrapped.
        app = DomainDispatcherApplication(create_backend_app)
        if self._call_log:
            app = CallLog(app, self._call_log)
        self._server = make_server(
            self._ip_address,
            self._port,
            app,
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()

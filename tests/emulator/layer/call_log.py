"""A log of the EC2 API calls the emulator answers, for tests that check
which calls host makes, in which region, and how they fared.

Each EC2 request appends one JSON object on a line of its own, written and
flushed once the response is complete:

    {"action": "CreateVpc", "region": "us-east-1", "time": 1700000000.5,
     "end": 1700000000.6, "status": 200, "ids": []}

`ids` are the values of the request's id parameters (those named ...Id,
such as SubnetId, RouteTableId, VpcId), sorted, so a test can tell which
resource a call was about. `time` is when the request arrived and `end` when its response started (Unix
seconds); `region` is the region the request was signed for. An error
response (status 400 or more) also has "error": the EC2 error code its body
names ("RequestLimitExceeded", "DependencyViolation", ...), null if it names
none. A request is an EC2 one when it names an Action (form body or query
string) and is signed for the ec2 service; other services' requests (STS,
say) are not logged.

The faults layer shares what this module needs too: ec2_request() to tell
an EC2 request, held_response() to read a response's body before passing
it on, and the Server that wraps moto's app in the middleware.
"""

import io
import json
import re
import threading
import time
from collections import namedtuple
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

# The first error code in an EC2 error response's body.
ERROR_CODE = re.compile(rb"<Code>([^<]+)</Code>")

# An EC2 request: its Action, the region it is signed for and every
# (name, value) parameter of its query string and form body.
EC2Request = namedtuple("EC2Request", "action region params")


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


def ec2_request(environ):
    """The EC2Request `environ` makes, None if it is not an EC2 one."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    form = parse_qs(_form_body(environ))
    action = (form.get("Action") or query.get("Action") or [None])[0]
    region, service = _signing_scope(environ, query)
    if action is None or service != "ec2":
        return None
    params = [
        (name, value)
        for source in (query, form)
        for name, values in source.items()
        for value in values
    ]
    return EC2Request(action, region, params)


# A response held until complete: the app's start_response arguments, when
# it called start_response (Unix seconds) and the whole body.
HeldResponse = namedtuple("HeldResponse", "status headers exc_info started body")


def held_response(app, environ):
    """`app`'s whole response to `environ`, for middleware that reads the
    body before passing the response on with send()."""
    started = []
    body = []

    def holding_start_response(status, headers, exc_info=None):
        started[:] = [status, headers, exc_info, time.time()]
        return body.append

    result = app(environ, holding_start_response)
    try:
        body.extend(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return HeldResponse(*started, b"".join(body))


def send(response, start_response):
    """Passes a HeldResponse on, as a WSGI app returns it."""
    start_response(response.status, response.headers, response.exc_info)
    return [response.body]


def status_code(response):
    return int(response.status.split(" ", 1)[0])


class CallLog:
    """WSGI middleware that logs each EC2 request `app` answers to `path`."""

    def __init__(self, app, path):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        arrived = time.time()
        request = ec2_request(environ)
        if request is None:
            return self.app(environ, start_response)
        ids = sorted(value for name, value in request.params if name.endswith("Id"))
        entry = {"action": request.action, "region": request.region, "time": arrived, "ids": ids}
        try:
            response = held_response(self.app, environ)
        except Exception:
            # The server answers an exception escaping the app with a 500.
            self.write({**entry, "end": time.time(), "status": 500, "error": None})
            raise
        entry.update(end=response.started, status=status_code(response))
        if entry["status"] >= 400:
            code = ERROR_CODE.search(response.body)
            entry["error"] = code.group(1).decode() if code else None
        self.write(entry)
        return send(response, start_response)

    def write(self, entry):
        line = json.dumps(entry) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as log_file:
            log_file.write(line)
            log_file.flush()


class Server(ThreadedMotoServer):
    """moto's threaded server, its app passed through `wrap` (a function
    taking a WSGI app and returning one) to add the middleware it is given."""

    def __init__(self, port, wrap):
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self._wrap = wrap

    def _server_entry(self):
        # As ThreadedMotoServer._server_entry, with the app wrapped.
        app = self._wrap(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address,
            self._port,
            app,
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()

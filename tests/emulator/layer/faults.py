"""Faults a test switches on and off while the emulator runs, to see host
cope with what EC2 does now and then and moto never does: answer slowly,
throttle, fail for a moment, not yet know a resource it has just created
(EC2 is eventually consistent), and notice a dependency is gone only a while
after it went (that one is applied in dependencies.py, with linger.py).

The faults are set by a JSON file, re-read whenever its inode, size or
modification time changes; a missing or empty file sets none:

    {"seed": 7,
     "latency_ms": 50,
     "throttle": {"share": 0.33, "actions": ["CreateVpc"]},
     "server_error": {"share": 0.1},
     "not_found_after_create": {"reads": 2},
     "dependency_linger_seconds": 3,
     "release_error": "AuthFailure",
     "enforce_iam": true}

server.py's docstring says what each key does. A test should write the
file whole (beside it, then renamed over it), so no request reads it half
written. A file that is not valid JSON or breaks these rules has every EC2
request answered with a 500 naming the file and what is wrong, so a broken
test is loud. Faults apply to EC2 requests only (call_log.ec2_request),
but enforce_iam to every request, so that a test sets up IAM users before
it switches enforcement on. Faults sits inside the call log, which
therefore logs faulted requests too.
"""

import json
import os
import random
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from http import HTTPStatus
from xml.sax.saxutils import escape

from moto import settings as moto_settings

from .call_log import ec2_request, held_response, send, status_code

# Random faults: the setting, then the HTTP status, code and message answered.
RANDOM_FAULTS = (
    ("throttle", 400, "RequestLimitExceeded", "Request limit exceeded."),
    (
        "server_error",
        503,
        "Unavailable",
        "The service is unavailable. Please try again shortly.",
    ),
)

# For each create whose resource not_found_after_create hides: the element
# of moto's response holding the new id, and EC2's error for an unknown id.
CREATED = {
    "CreateVpc": ("vpcId", "InvalidVpcID.NotFound", "The vpc ID '{}' does not exist"),
    "CreateSubnet": (
        "subnetId",
        "InvalidSubnetID.NotFound",
        "The subnet ID '{}' does not exist",
    ),
    "CreateInternetGateway": (
        "internetGatewayId",
        "InvalidInternetGatewayID.NotFound",
        "The internetGateway ID '{}' does not exist",
    ),
    "CreateRouteTable": (
        "routeTableId",
        "InvalidRouteTableID.NotFound",
        "The routeTable ID '{}' does not exist",
    ),
    "CreateNatGateway": (
        "natGatewayId",
        "NatGatewayNotFound",
        "NAT gateway {} was not found",
    ),
    "AllocateAddress": (
        "allocationId",
        "InvalidAllocationID.NotFound",
        "The allocation ID '{}' does not exist",
    ),
}

RELEASE_ERRORS = ("InvalidIPAddress.InUse", "AuthFailure")

# The faults file Faults and setting() read; set by apply().
_file = None


class InvalidFaultsFile(Exception):
    pass


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidFaultsFile(f"{name} must be a number, 0 or more")


def _validate(settings):
    """Raises InvalidFaultsFile, saying why, unless `settings` holds only
    the keys above, each with a value of its kind."""
    if not isinstance(settings, dict):
        raise InvalidFaultsFile("must hold a JSON object")
    known = {
        "seed",
        "latency_ms",
        "throttle",
        "server_error",
        "not_found_after_create",
        "dependency_linger_seconds",
        "release_error",
        "enforce_iam",
    }
    unknown = sorted(settings.keys() - known)
    if unknown:
        raise InvalidFaultsFile(f"unknown keys {unknown}")
    if not isinstance(settings.get("seed", 0), (int, str)):
        raise InvalidFaultsFile("seed must be an integer or a string")
    for name in ("latency_ms", "dependency_linger_seconds"):
        _number(settings.get(name, 0), name)
    for name, *_ in RANDOM_FAULTS:
        fault = settings.get(name, {"share": 0})
        if not isinstance(fault, dict) or fault.keys() - {"share", "actions"}:
            raise InvalidFaultsFile(f"{name} takes share and actions")
        share = fault.get("share")
        _number(share, f"{name}.share")
        if share > 1:
            raise InvalidFaultsFile(f"{name}.share must be at most 1")
        actions = fault.get("actions", [])
        if not isinstance(actions, list) or not all(
            isinstance(action, str) for action in actions
        ):
            raise InvalidFaultsFile(f"{name}.actions must be a list of action names")
    not_found = settings.get("not_found_after_create", {"reads": 0})
    if not isinstance(not_found, dict) or set(not_found) != {"reads"}:
        raise InvalidFaultsFile("not_found_after_create takes reads")
    if not isinstance(not_found["reads"], int) or not_found["reads"] < 0:
        raise InvalidFaultsFile("not_found_after_create.reads must be 0 or more")
    if settings.get("release_error", RELEASE_ERRORS[0]) not in RELEASE_ERRORS:
        raise InvalidFaultsFile(f"release_error must be one of {RELEASE_ERRORS}")
    if not isinstance(settings.get("enforce_iam", False), bool):
        raise InvalidFaultsFile("enforce_iam must be true or false")


class FaultsFile:
    """The settings in the JSON file at `path`, re-read when it changes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.stamp = None
        self.settings = {}
        self.problem = None
        self.random = random.Random()

    def current(self):
        """The settings as the file has them now; InvalidFaultsFile if it
        breaks the rules."""
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        with self.lock:
            if stamp != self.stamp:
                self.stamp = stamp
                self._read()
            if self.problem:
                raise InvalidFaultsFile(self.problem)
            return self.settings

    def _read(self):
        try:
            with open(self.path, encoding="utf-8") as faults_file:
                text = faults_file.read()
        except FileNotFoundError:
            text = ""
        try:
            settings = json.loads(text) if text.strip() else {}
            _validate(settings)
        except (ValueError, InvalidFaultsFile) as error:
            self.settings, self.problem = {}, f"faults file {self.path}: {error}"
            return
        self.settings, self.problem = settings, None
        # Each version of the file starts its own sequence, so a seeded
        # file faults the same requests every run.
        self.random = random.Random(settings.get("seed"))


def setting(name, default):
    """Setting `name` of the faults file as it is now, `default` if it has
    none (or there is no faults file, or it is invalid)."""
    if _file is None:
        return default
    try:
        return _file.current().get(name, default)
    except InvalidFaultsFile:
        return default


def error_document(code, message):
    """EC2's error response body."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{uuid.uuid4()}</RequestID></Response>"
    )


def error_response(start_response, status, code, message):
    """Answers with EC2's error document."""
    body = error_document(code, message).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _enforce_iam(on):
    """Has moto check every request's signature and IAM policy, from this
    request on, or none at all. moto counts requests it lets through
    unchecked against INITIAL_NO_AUTH_ACTION_COUNT; 0 checks them all."""
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if on else float("inf")


class Faults:
    """WSGI middleware answering EC2 requests to `app` as the faults file
    says."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        # Ids not_found_after_create hides: id -> [reads left, code, message].
        self.hidden = {}

    def __call__(self, environ, start_response):
        request = ec2_request(environ)
        try:
            settings = _file.current()
        except InvalidFaultsFile as problem:
            if request is None:
                return self.app(environ, start_response)
            return error_response(
                start_response, 500, "InvalidFaultsFile", str(problem)
            )
        _enforce_iam(settings.get("enforce_iam", False))
        if request is None:
            return self.app(environ, start_response)
        time.sleep(settings.get("latency_ms", 0) / 1000)
        for name, status, code, message in RANDOM_FAULTS:
            fault = settings.get(name)
            if (
                fault is not None
                and request.action in fault.get("actions", [request.action])
                and _file.random.random() < fault["share"]
            ):
                return error_response(start_response, status, code, message)
        if "not_found_after_create" not in settings:
            return self.app(environ, start_response)
        hidden = self._hidden_named(request.params)
        if hidden is not None:
            return error_response(start_response, 400, *hidden)
        if request.action not in CREATED:
            return self.app(environ, start_response)
        return self._create(
            environ,
            start_response,
            request.action,
            settings["not_found_after_create"]["reads"],
        )

    def _hidden_named(self, params):
        """The (code, message) to refuse a request with whose `params` name
        a hidden id, None if they name none. The request counts as a read
        of each hidden id it names and is refused with the first one's
        error."""
        values = dict.fromkeys(value for _, value in params)
        with self.lock:
            named = [
                self.hidden[value]
                for value in values
                if value in self.hidden and self.hidden[value][0] > 0
            ]
            for hidden in named:
                hidden[0] -= 1
        return (named[0][1], named[0][2]) if named else None

    def _create(self, environ, start_response, action, reads):
        """Passes create `action` on to the app and hides the id it
        answers with from the next `reads` requests naming it."""
        response = held_response(self.app, environ)
        if status_code(response) == 200:
            element, code, message = CREATED[action]
            created = ET.fromstring(response.body).find(f".//{{*}}{element}")
            with self.lock:
                # A repeated create answered from its ClientToken names the
                # same id: its count goes on rather than starting again.
                if created is not None and created.text not in self.hidden:
                    new_id = created.text
                    self.hidden[new_id] = [reads, code, message.format(new_id)]
        return send(response, start_response)


def apply(path):
    """Reads faults from the JSON file at `path` (which need not exist)."""
    global _file
    _file = FaultsFile(path)

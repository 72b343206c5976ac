"""ClientToken idempotency, which moto ignores: EC2 answers a repeated create
call carrying the same client token with the resource the first call created,
and refuses the token when the repeated call asks for something else.

The SDKs fill in a fresh token for every call and reuse it only when they
retry, so a retried create must not leave a second resource behind."""

import threading

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses.route_tables import RouteTables

# Serialises lookup and creation so two concurrent calls with one token
# cannot both create.
_lock = threading.RLock()


def idempotent(backend, action, token, request, create):
    """The resource an earlier `action` call with client token `token`
    created in `backend`, or else what `create()` returns, remembered for the
    token. `request` is a comparable summary of the call's parameters; reusing
    a token with different ones is EC2's IdempotentParameterMismatch."""
    if not token:
        return create()
    # One store per backend, so per account and region, as EC2 scopes tokens.
    store = backend.__dict__.setdefault("_host_emulator_client_tokens", {})
    key = (action, token)
    with _lock:
        if key in store:
            earlier_request, resource = store[key]
            if earlier_request != request:
                raise EC2ClientError(
                    "IdempotentParameterMismatch",
                    f"The client token {token} was already used for a "
                    f"{action} request with different parameters.",
                )
            return resource
        resource = create()
        store[key] = (request, resource)
        return resource


def tag_summary(tag_specifications):
    """A comparable form of a request's TagSpecifications."""
    return tuple(
        (
            spec.get("ResourceType"),
            tuple(sorted((tag["Key"], tag["Value"]) for tag in spec.get("Tags", []))),
        )
        for spec in tag_specifications or []
    )


def apply():
    """Honours ClientToken on CreateRouteTable (CreateNatGateway's is in
    nat_gateways.py, which replaces that whole handler)."""
    original = RouteTables.create_route_table

    def create_route_table(self):
        token = self._get_param("ClientToken")
        request = (
            self._get_param("VpcId"),
            tag_summary(self._get_param("TagSpecifications", [])),
        )
        route_table = idempotent(
            self.ec2_backend,
            "CreateRouteTable",
            token,
            request,
            lambda: original(self).result["RouteTable"],
        )
        return ActionResult({"ClientToken": token, "RouteTable": route_table})

    RouteTables.create_route_table = create_route_table

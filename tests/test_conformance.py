"""The mock, in process, fuzzed from specs/ with Schemathesis 4.

Same configuration as `mock-server contract` (schemathesis.toml, whose hooks module gives the
conformance view): positive and negative test data for every operation, then stateful
sequences that follow the OpenAPI links in the spec (refund → retrieve, capture → refund,
create reason → refund with it, …). The login is Schemathesis' own dynamic auth
(`POST /auth/user/emailpass`, then `Authorization: Bearer`), through the ASGI app.

Reproducible: Hypothesis is derandomised (schemathesis.toml) and the mock's state goes back
to the fixtures before every generated request and at the start of every stateful scenario.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from mock_server.tooling import contract
from mock_server.web.app import create_app

from helpers import ADMIN, make_mock

MAX_EXAMPLES = int(os.environ.get("CONFORMANCE_MAX_EXAMPLES", "15"))
STATEFUL_EXAMPLES = int(os.environ.get("CONFORMANCE_STATEFUL_EXAMPLES", "40"))

APP = create_app(mock=make_mock(validate_responses=False))
MOCK = APP.state.mock


def _config() -> schemathesis.Config:
    os.environ["CONTRACT_EMAIL"] = ADMIN["email"]
    os.environ["CONTRACT_PASSWORD"] = ADMIN["password"]
    store = MOCK.store
    data = {"payment_ids": list(store.payments), "refund_reason_ids": list(store.refund_reasons)}
    text = contract.CONFIG.read_text() + contract.config_overlay(
        contract.Auth(email=ADMIN["email"], password=ADMIN["password"]), data
    )
    config = schemathesis.Config.from_str(text)
    contract.register_hooks()  # loaded by the config's `hooks`; explicit in case it was imported first
    return config


CONFIG = _config()
SCHEMA = schemathesis.openapi.from_path(contract.SPEC / "medusa-admin-payments.yaml", config=CONFIG)
SCHEMA.app = APP

SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

FIGURES = {"test cases": 0, "checks": 0, "passed": 0}


@SCHEMA.hook
def after_validate(context, case, response, results):  # noqa: ARG001 - counts for the summary
    FIGURES["test cases"] += 1
    FIGURES["checks"] += len(results)
    FIGURES["passed"] += sum(r.failure is None for r in results)


@pytest.fixture(scope="module", autouse=True)
def _report_figures(request):
    """One line in the test output with what the in-process run did."""
    yield
    if not FIGURES["test cases"]:
        return
    line = (
        f"conformance (mock in process): {FIGURES['test cases']} test cases, "
        f"{FIGURES['checks']} checks run, {FIGURES['passed']} passed, "
        f"{FIGURES['checks'] - FIGURES['passed']} failed"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)


@SCHEMA.parametrize()
@SETTINGS
def test_operation(case):
    """Every operation, positive and negative data: all checks in schemathesis.toml."""
    MOCK.reset()
    case.call_and_validate()


class Sequences(SCHEMA.as_state_machine()):
    """Stateful: chains of calls along the spec's links, from fixture state each time."""

    def setup(self) -> None:
        MOCK.reset()


TestSequences = Sequences.TestCase
TestSequences.settings = settings(
    max_examples=STATEFUL_EXAMPLES,
    deadline=None,
    derandomize=True,
    stateful_step_count=6,
    suppress_health_check=list(HealthCheck),
)


# ---- the linked sequences, step by step --------------------------------------------------------
# The state machine above picks links at random; these walk the three chains the contract is
# about, with Schemathesis evaluating each link (`$response.body#/…`, body merge) and every
# response checked like any other.


def _operation(method: str, path: str):
    return SCHEMA[path][method]


def _call(case):
    return case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})


def _follow(source_case, response, link_name: str, body=None):
    """The next case along the spec's link `link_name` from `source_case`'s response."""
    from schemathesis.generation.stateful.state_machine import StepOutput
    from schemathesis.specs.openapi.stateful.links import OpenApiLink

    definition = source_case.operation.definition.raw["responses"][str(response.status_code)]["links"][
        link_name
    ]
    link = OpenApiLink(link_name, str(response.status_code), definition, source_case.operation)
    transition = link.extract(StepOutput(response, source_case))
    path = {
        name: param.value.ok() for name, param in transition.parameters.get("path_parameters", {}).items()
    }
    linked = transition.request_body.value.ok() if transition.request_body else None
    if linked is not None and body is not None:
        body = {**body, **linked}  # the link's body merged into ours, as in the stateful phase
    elif linked is not None:
        body = linked
    kwargs = {"path_parameters": path or None}
    if body is not None:
        kwargs["body"] = body
        kwargs["media_type"] = "application/json"
    return link.target.Case(**kwargs)


TOKEN = ""


@pytest.fixture(autouse=False)
def token():
    global TOKEN
    MOCK.reset()
    response = schemathesis.python.asgi.get_client(APP).post("/auth/user/emailpass", json=ADMIN)
    TOKEN = response.json()["token"]
    return TOKEN


def test_capture_then_refund_then_retrieve(token):
    from helpers import AUTHORIZED

    capture = _operation("POST", "/admin/payments/{id}/capture").Case(
        path_parameters={"id": AUTHORIZED}, body={"amount": 100}, media_type="application/json"
    )
    captured = _call(capture)
    assert captured.status_code == 200 and captured.json()["payment"]["captured_at"]
    refund = _follow(capture, captured, "RefundCapturedPayment", body={"amount": 30, "note": "linked"})
    assert refund.path_parameters == {"id": AUTHORIZED}
    refunded = _call(refund)
    assert refunded.status_code == 200, refunded.text
    retrieve = _follow(refund, refunded, "GetRefundedPayment")
    payment = _call(retrieve).json()["payment"]
    assert [(r["amount"], r["note"]) for r in payment["refunds"]] == [(30, "linked")]
    again = _follow(refund, refunded, "RefundAgain", body={"amount": 70.02})
    over = _call(again)
    assert (
        over.status_code == 400
        and over.json()["message"] == "You are not allowed to refund more than the captured amount"
    )


def test_create_reason_then_refund_with_it(token):
    from helpers import CAPTURED

    create = _operation("POST", "/admin/refund-reasons").Case(
        body={"label": "Linked", "code": "linked", "description": None}, media_type="application/json"
    )
    created = _call(create)
    assert created.status_code == 200
    refund = _follow(create, created, "RefundWithCreatedReason", body={"amount": 5})
    assert refund.body["refund_reason_id"] == created.json()["refund_reason"]["id"]
    refund.path_parameters = {"id": CAPTURED}  # not in the reason's response: the test picks it
    refunded = _call(refund)
    assert refunded.status_code == 200, refunded.text
    reasons = [r["refund_reason"] for r in refunded.json()["payment"]["refunds"]]
    assert {"label": "Linked", "code": "linked", "id": refund.body["refund_reason_id"]} in reasons

    delete = _follow(create, created, "DeleteCreatedRefundReason")
    deleted = _call(delete)
    assert deleted.json() == {
        "id": refund.body["refund_reason_id"],
        "object": "refund_reason",
        "deleted": True,
    }
    gone = _call(_follow(delete, deleted, "GetDeletedRefundReason"))
    assert gone.status_code == 200 and gone.json() == {}
    refund_again = _follow(create, created, "RefundWithCreatedReason", body={"amount": 1})
    refund_again.path_parameters = {"id": CAPTURED}
    missing = _call(refund_again)
    assert missing.status_code == 404 and missing.json()["message"].startswith("RefundReason id not found")


def test_conformance_view_leaves_out_only_what_openapi_cannot_serialise():
    names = {
        (op.method.upper(), op.path): {p.name for p in op.query}
        for op in (result.ok() for result in SCHEMA.get_all_operations())
    }
    assert "$or" not in names[("GET", "/admin/payments")]
    assert "created_at" not in names[("GET", "/admin/refund-reasons")]
    assert {"fields", "limit", "offset", "order", "id", "q", "with_deleted"} <= names[
        ("GET", "/admin/payments")
    ]


def test_links_chain_refund_capture_and_refund_reasons():
    raw = SCHEMA.raw_schema["paths"]
    capture = raw["/admin/payments/{id}/capture"]["post"]["responses"]["200"]["links"]
    refund = raw["/admin/payments/{id}/refund"]["post"]["responses"]["200"]["links"]
    create = raw["/admin/refund-reasons"]["post"]["responses"]["200"]["links"]
    assert capture["RefundCapturedPayment"]["operationId"] == "PostPaymentsIdRefund"
    assert refund["GetRefundedPayment"]["operationId"] == "GetPaymentsId"
    assert create["RefundWithCreatedReason"]["requestBody"] == {
        "refund_reason_id": "$response.body#/refund_reason/id"
    }

"""The OpenAPI 3 document of the API (served at /api/v1/openapi.json; schemathesis tests the API against it)."""

from workflow_app.api.endpoint import IDEMPOTENCY_KEY_PATTERN, MAX_JSON_DEPTH
from workflow_app.cases.models import VISIBILITIES
from workflow_app.core.ids import ID_MAX
from workflow_app.core.pagination import PAGE_MAX
from workflow_app.engine.models import INSTANCE_STATUSES
from workflow_app.inbox.queries import QUEUES


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema):
    return {**schema, "nullable": True}


STRING = {"type": "string"}
# Some character that is no white space, as JSON Schema's \s and as Python's str.strip() see it (names and texts
# are stored stripped; the two differ in U+001C-U+001F, U+0085 and U+FEFF)
NOT_BLANK = r"[^\s\u001c-\u001f\u0085\ufeff]"
COMMENT_MAX = 4000  # characters of a comment, as sent (cases.operations.add_comment's own bound, after stripping)
TIME = {"type": "string", "format": "date-time"}
TASK_STATES = ["open", "completed", "cancelled"]
VISIBILITY = {
    "type": "string",
    "enum": list(VISIBILITIES),
    "description": "internal: the bureau's staff only; shared: the case's enterprise sees it too (in its "
    "portal and with its tokens). Staff's are internal unless they say shared; what an "
    "enterprise's users add is always shared",
}

HISTORY_KINDS = (
    "What happened: instance_started, task_opened, task_completed, task_cancelled, org_unit_changed, instance_<status>, "
    "... and the automatic steps the engine ran, each with `changed` (variable: new value, long values cut to 500 "
    "characters and ending in …) and `removed` (names) when it changed any: script_run; decision_made (a business rule "
    "task: `outputs`, the decision's output variables); branch_taken (a gateway: `to`, the ways taken, each "
    "{step, name, condition}, condition null for the default way); timer_fired; message_received (`name`, and "
    "`payload` and the actor when it came from outside, POST /cases/{id}/messages)"
)
INSTRUCTIONS_HTML = (
    "The task's instructions from its process model (spiffworkflow:instructionsForEndUser: Markdown "
    "with Jinja over the task's data), as sanitised HTML: no script, style, iframe, event handler or "
    "javascript: URL. Null when the model gives none or the task is no longer open"
)

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "message", "details"],
        "properties": {
            "error": {
                "type": "string",
                "description": "A stable code: bad_request, unauthorized, forbidden, not_found, "
                "conflict, invalid_input, ...",
            },
            "message": {"type": "string", "description": "What is wrong, in the request's language (Accept-Language)"},
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": _nullable(STRING), "message": STRING},
                },
            },
        },
    },
    "Enterprise": {
        "type": "object",
        "required": ["id", "name", "uscc"],
        "properties": {"id": {"type": "integer"}, "name": STRING, "uscc": STRING},
    },
    "CaseSummary": {
        "type": "object",
        "required": [
            "id",
            "number",
            "external_ref",
            "title",
            "process",
            "status",
            "priority",
            "org_unit",
            "enterprise",
            "current_step",
            "created_at",
            "updated_at",
            "finished_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "example": "ZB-2026-000123"},
            "external_ref": _nullable(
                {
                    "type": "string",
                    "maxLength": 60,
                    "description": "The number another system gives the case (the command centre's ticket "
                    "number: the start field external_ref)",
                }
            ),
            "title": STRING,
            "process": STRING,
            "status": {"type": "string", "enum": list(INSTANCE_STATUSES)},
            "priority": {"type": "string", "enum": ["normal", "urgent"]},
            "org_unit": STRING,
            "enterprise": _nullable(_ref("Enterprise")),
            "current_step": _nullable(STRING),
            "created_at": TIME,
            "updated_at": TIME,
            "finished_at": _nullable(TIME),
        },
    },
    "Task": {
        "type": "object",
        "required": [
            "id",
            "case_id",
            "case_number",
            "name",
            "step",
            "role",
            "org_unit",
            "assignee",
            "state",
            "form_key",
            "created_at",
            "due_at",
            "warn_at",
            "sla_state",
            "completed_at",
            "completed_by",
        ],
        "properties": {
            "id": {"type": "integer"},
            "case_id": {"type": "integer"},
            "case_number": STRING,
            "name": STRING,
            "step": {"type": "string", "description": "The BPMN id of the user task"},
            "role": _nullable(STRING),
            "org_unit": STRING,
            "assignee": _nullable(STRING),
            "state": {"type": "string", "enum": TASK_STATES},
            "form_key": _nullable(STRING),
            "created_at": TIME,
            "due_at": _nullable(TIME),
            "warn_at": _nullable(TIME),
            "sla_state": {"type": "string", "enum": ["on_track", "at_risk", "overdue", "none"]},
            "completed_at": _nullable(TIME),
            "completed_by": _nullable(STRING),
        },
    },
    "HistoryEntry": {
        "type": "object",
        "required": ["at", "kind", "actor", "step", "step_name", "data"],
        "properties": {
            "at": TIME,
            "kind": {**STRING, "description": HISTORY_KINDS},
            "actor": _nullable(STRING),
            "step": _nullable(STRING),
            "step_name": _nullable(STRING),
            "data": {"nullable": True},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "case_id", "task_id", "author", "body", "visibility", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "case_id": {"type": "integer"},
            "task_id": _nullable({"type": "integer"}),
            "author": _nullable(
                {
                    **STRING,
                    "description": "The writer's user name (for an enterprise's token, null where the bureau wrote)",
                }
            ),
            "body": STRING,
            "visibility": VISIBILITY,
            "created_at": TIME,
        },
    },
    "CaseDetail": {
        "allOf": [
            _ref("CaseSummary"),
            {
                "type": "object",
                "required": ["due_at", "current_steps", "history", "comments"],
                "properties": {
                    "due_at": _nullable(
                        {
                            **TIME,
                            "description": "The nearest deadline of the case's open steps "
                            "(the one it is next overdue by)",
                        }
                    ),
                    "current_steps": {"type": "array", "items": _ref("Task")},
                    "history": {"type": "array", "items": _ref("HistoryEntry")},
                    "comments": {
                        "type": "array",
                        "items": _ref("Comment"),
                        "description": "An enterprise's token gets only the comments shared with it",
                    },
                },
            },
        ],
    },
    "Form": {
        "type": "object",
        "required": ["key", "instructions", "schema"],
        "properties": {
            "key": _nullable(STRING),
            "instructions": _nullable(STRING),
            "schema": {"type": "object", "description": "JSON Schema of the form's fields"},
            "ui_schema": {
                "type": "object",
                "description": "How the pages show the fields (a process "
                "package's ui schema; only for its JSON Schema forms)",
            },
        },
    },
    "TaskDetail": {
        "allOf": [
            _ref("Task"),
            {
                "type": "object",
                "required": ["may_complete", "form", "case", "instructions_html"],
                "properties": {
                    "may_complete": {"type": "boolean"},
                    "form": _ref("Form"),
                    "case": _ref("CaseSummary"),
                    "instructions_html": _nullable({**STRING, "description": INSTRUCTIONS_HTML}),
                },
            },
        ],
    },
    "Process": {
        "type": "object",
        "required": ["id", "label", "form"],
        "properties": {"id": STRING, "label": STRING, "form": _ref("Form")},
    },
    "CasePage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("CaseSummary")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "TaskPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Task")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "NewCase": {
        "type": "object",
        "required": ["process"],
        "additionalProperties": False,
        "properties": {
            "process": {"type": "string", "description": "A process id from GET /processes"},
            "data": {"type": "object", "description": "The fields of the process's start form"},
        },
    },
    "Completion": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "data": {"type": "object", "description": "The fields of the task's form (GET /tasks/{id})"},
            "comment": {"type": "string", "maxLength": COMMENT_MAX},
            "comment_visibility": VISIBILITY,
        },
    },
    "Message": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK},
            "payload": {"description": "Any JSON; the case receives it with the message"},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["body"],
        "additionalProperties": False,
        "properties": {
            "body": {"type": "string", "minLength": 1, "maxLength": COMMENT_MAX, "pattern": NOT_BLANK},
            "visibility": {**VISIBILITY, "default": "internal"},
        },
    },
}

ERROR_TEXT = {
    400: f"Broken JSON, JSON nested more than {MAX_JSON_DEPTH} levels, a bad Idempotency-Key, or NUL characters",
    401: "No valid token",
    403: "Not allowed for this user",
    404: "No such thing, or not yours to see",
    409: "Conflict: already done, changed by someone else, or not waiting for this",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid input; details name the fields",
}


def _errors(*codes):
    responses = {}
    for code in codes:
        responses[str(code)] = {
            "description": ERROR_TEXT[code],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    responses["401"]["headers"] = {"WWW-Authenticate": {"schema": STRING}}
    return responses


def _ok(code, schema, description, links=None):
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if links:
        response["links"] = links
    return {str(code): response}


def _link(operation_id, description, **parameters):
    return {"operationId": operation_id, "description": description, "parameters": parameters}


def _case_links(case_id):
    """Where a case's id (at the runtime expression `case_id`) leads: its page and its writes."""
    return {
        "GetCase": _link("getCase", "The case", case_id=case_id),
        "AddComment": _link("addComment", "Comment on the case", case_id=case_id),
        "DeliverMessage": _link("deliverMessage", "Deliver a message to the case", case_id=case_id),
    }


def _task_links(task_id, case_id, task="Task"):
    """Where a task's id leads (its page, claim and completion; `task` names it), and its case's id."""
    return {
        f"Get{task}": _link("getTask", "The task", task_id=task_id),
        f"Claim{task}": _link("claimTask", "Claim the task", task_id=task_id),
        f"Complete{task}": _link("completeTask", "Complete the task", task_id=task_id),
        **_case_links(case_id),
    }


CASE_LINKS = _task_links("$response.body#/current_steps/0/id", "$response.body#/id", task="CurrentStep")
TASK_LINKS = _task_links("$response.body#/id", "$response.body#/case_id")


def _id(name):
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
    }


def _query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 1}, "Page number"),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}, "Rows per page"),
]
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": IDEMPOTENCY_KEY_PATTERN},
    "description": "Send the same key again to retry safely: the first response is replayed",
}
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422)


def _json_body(schema):
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def openapi_document() -> dict:
    """Return the OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Weifang HR & social security case API",
            "version": "1",
            "description": "Cases, tasks, messages and comments of the ten '+' actions processes. Every call "
            "needs `Authorization: Bearer <token>` (personal tokens: account page or "
            "`flask tokens create USER`). A token can do what its user can do in the UI.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "paths": {
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": _ok(200, {"type": "object"}, "The OpenAPI document"),
                }
            },
            "/processes": {
                "get": {
                    "operationId": "listProcesses",
                    "summary": "The processes I may start, with their start forms",
                    "responses": {
                        **_ok(
                            200,
                            {
                                "type": "object",
                                "required": ["items"],
                                "properties": {"items": {"type": "array", "items": _ref("Process")}},
                            },
                            "Processes",
                        ),
                        **_errors(400, 401),
                    },
                }
            },
            "/cases": {
                "post": {
                    "operationId": "createCase",
                    "summary": "Start a case",
                    "parameters": [IDEMPOTENCY_KEY],
                    "requestBody": _json_body("NewCase"),
                    "responses": {**_ok(201, _ref("CaseDetail"), "The new case", CASE_LINKS), **_errors(*WRITE_ERRORS)},
                },
                "get": {
                    "operationId": "listCases",
                    "summary": "Cases I may see, newest first",
                    "parameters": [
                        _query("process", STRING, "Process id"),
                        _query("status", {"type": "string", "enum": list(INSTANCE_STATUSES)}, "Status"),
                        _query("county", STRING, "Org unit code of the case"),
                        _query(
                            "q", STRING, "Text in the number, title or enterprise name, or the exact external reference"
                        ),
                        *PAGING,
                    ],
                    "responses": {
                        **_ok(200, _ref("CasePage"), "A page of cases", _case_links("$response.body#/items/0/id")),
                        **_errors(400, 401, 422),
                    },
                },
            },
            "/cases/{case_id}": {
                "get": {
                    "operationId": "getCase",
                    "summary": "A case: status, current steps, due date, history",
                    "parameters": [_id("case_id")],
                    "responses": {**_ok(200, _ref("CaseDetail"), "The case", CASE_LINKS), **_errors(400, 401, 404)},
                }
            },
            "/cases/{case_id}/messages": {
                "post": {
                    "operationId": "deliverMessage",
                    "summary": "Deliver a message the case waits for",
                    "parameters": [_id("case_id"), IDEMPOTENCY_KEY],
                    "requestBody": _json_body("Message"),
                    "responses": {
                        **_ok(200, _ref("CaseDetail"), "The case after the message", CASE_LINKS),
                        **_errors(*WRITE_ERRORS),
                    },
                }
            },
            "/cases/{case_id}/comments": {
                "post": {
                    "operationId": "addComment",
                    "summary": "Add a comment to a case",
                    "parameters": [_id("case_id"), IDEMPOTENCY_KEY],
                    "requestBody": _json_body("NewComment"),
                    "responses": {
                        **_ok(201, _ref("Comment"), "The comment", _case_links("$response.body#/case_id")),
                        **_errors(*WRITE_ERRORS),
                    },
                }
            },
            "/tasks": {
                "get": {
                    "operationId": "listTasks",
                    "summary": "My open tasks (or my group's, or my unit's), soonest due first",
                    "description": "An enterprise's token lists its open steps as its portal does: the filters and "
                    "the order apply to the staff's queues (their values are checked for all)",
                    "parameters": [
                        _query(
                            "queue",
                            {"type": "string", "enum": list(QUEUES)},
                            "mine (default), group (unclaimed tasks of my roles), unit (supervisors; "
                            "403 for others; enterprise accounts have only mine)",
                        ),
                        _query("process", STRING, "Process id"),
                        _query("step", STRING, "Step name"),
                        _query(
                            "sla", {"type": "string", "enum": ["on_track", "at_risk", "overdue", "none"]}, "SLA state"
                        ),
                        _query("county", STRING, "Org unit code of the case"),
                        _query(
                            "q",
                            STRING,
                            "Text in the case number, title or enterprise name, or the exact external reference",
                        ),
                        _query("sort", {"type": "string", "enum": ["due", "created", "case"]}, "Order"),
                        *PAGING,
                    ],
                    "responses": {
                        **_ok(
                            200,
                            _ref("TaskPage"),
                            "A page of tasks",
                            _task_links(
                                "$response.body#/items/0/id", "$response.body#/items/0/case_id", task="FirstTask"
                            ),
                        ),
                        **_errors(400, 401, 403, 422),
                    },
                }
            },
            "/tasks/{task_id}": {
                "get": {
                    "operationId": "getTask",
                    "summary": "A task with the JSON Schema of its form",
                    "parameters": [_id("task_id")],
                    "responses": {**_ok(200, _ref("TaskDetail"), "The task", TASK_LINKS), **_errors(400, 401, 404)},
                }
            },
            "/tasks/{task_id}/complete": {
                "post": {
                    "operationId": "completeTask",
                    "summary": "Complete a task with its form's data (validated as in the UI)",
                    "parameters": [_id("task_id"), IDEMPOTENCY_KEY],
                    "requestBody": _json_body("Completion"),
                    "responses": {
                        **_ok(200, _ref("TaskDetail"), "The completed task", TASK_LINKS),
                        **_errors(*WRITE_ERRORS),
                    },
                }
            },
            "/tasks/{task_id}/claim": {
                "post": {
                    "operationId": "claimTask",
                    "summary": "Take an unclaimed task of my group",
                    "parameters": [_id("task_id"), IDEMPOTENCY_KEY],
                    "responses": {
                        **_ok(200, _ref("TaskDetail"), "The claimed task", TASK_LINKS),
                        **_errors(*WRITE_ERRORS),
                    },
                }
            },
        },
    }

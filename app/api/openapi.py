"""The OpenAPI 3.1 document for /api/v1. The test suite checks every response against it with
schemathesis, so it cannot drift from what the API sends."""

from __future__ import annotations

from typing import Any

from app.core.urls import public_url

TEXT = {
    "type": "object",
    "required": ["ja", "en"],
    "properties": {"ja": {"type": "string"}, "en": {"type": "string"}},
}
DEPARTMENT = {
    "type": "object",
    "required": ["code", "name", "per_ward"],
    "properties": {
        "code": {"type": "string"},
        "name": {"$ref": "#/components/schemas/Text"},
        "per_ward": {"type": "boolean"},
    },
}
ACTION = {
    "type": "object",
    "required": ["text", "departments"],
    "properties": {
        "text": {"$ref": "#/components/schemas/Text"},
        "departments": {"type": "array", "items": {"type": "string"}},
    },
}
CASE = {
    "type": "object",
    "required": [
        "id",
        "title",
        "phase",
        "opens_at",
        "closes_at",
        "period_days",
        "short_period_reason",
        "initiative",
        "department",
        "fiscal_year",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "title_en": {"type": "string"},
        "phase": {
            "enum": ["upcoming", "open", "closed", "results_review", "published", "abandoned"]
        },
        "opens_at": {"type": "string", "format": "date-time"},
        "closes_at": {"type": "string", "format": "date-time"},
        "period_days": {
            "type": "integer",
            "description": "Days of the comment period in Japan dates, the opening day and "
            "the closing day included (行政手続法 art. 39).",
        },
        "short_period_reason": {
            "type": "string",
            "description": "Why the period is under 30 days (art. 40); empty otherwise.",
        },
        "initiative": {"type": "integer"},
        "department": {"type": "string"},
        "ward": {"type": ["string", "null"]},
        "fiscal_year": {"type": "integer"},
        "url": {"type": "string"},
    },
}
ERROR = {
    "type": "object",
    "required": ["error", "status"],
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
}
NUMBERS = {"type": "object", "additionalProperties": {"type": "number"}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": item},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    }


SESSION = {
    "type": "object",
    "required": [
        "id",
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "capacity",
        "confirmed",
        "initiative",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "kind": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "venue": {"type": ["string", "null"]},
        "ward": {"type": ["string", "null"]},
        "capacity": {"type": "integer"},
        "confirmed": {"type": "integer"},
        "initiative": {"type": "integer"},
        "cancelled": {"type": "boolean"},
        "url": {"type": "string"},
    },
}
COUNCIL = {
    "type": "object",
    "required": [
        "id",
        "name",
        "department",
        "total_seats",
        "members",
        "members_by_category",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "name": {"$ref": "#/components/schemas/Text"},
        "department": {"type": "string"},
        "total_seats": {"type": "integer"},
        "public_seat_target": {"type": "integer"},
        "members": {"type": "integer"},
        "members_by_category": {"type": "object", "additionalProperties": {"type": "integer"}},
        "url": {"type": "string"},
    },
}

PROJECT = {
    "type": "object",
    "required": ["id", "title", "group", "department", "initiative", "fiscal_year", "stage", "url"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "group": {"type": "string"},
        "department": {"type": "string"},
        "initiative": {"type": "integer"},
        "fiscal_year": {"type": "integer"},
        "stage": {"type": "string", "enum": ["adopted", "agreed", "completed", "evaluated"]},
        "adopted_on": {"type": ["string", "null"], "format": "date"},
        "city_contribution": {"type": ["integer", "null"]},
        "url": {"type": "string"},
    },
}


ERRORS = {"400": _json(_ref("Error"), "Bad query"), "404": _json(_ref("Error"), "Not found")}
PAGE_PARAMETERS = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000000},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
]


def filter_parameters() -> list[dict[str, Any]]:
    """The codes a filter accepts are the city's own, listed from the database."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.plan.models import Department, Ward

    wards = list(db.session.scalars(sa.select(Ward.code).order_by(Ward.position)))
    departments = list(db.session.scalars(sa.select(Department.code).order_by(Department.code)))
    return [
        {
            "name": "year",
            "in": "query",
            "style": "form",
            "explode": True,
            "schema": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1900, "maximum": 2200},
            },
            "description": "Fiscal years (April–March), e.g. 2024 for April 2024 to March 2025.",
        },
        {
            "name": "ward",
            "in": "query",
            "schema": {"enum": wards or ["chuo"]},
            "description": "Ward code, e.g. chuo.",
        },
        {
            "name": "department",
            "in": "query",
            "schema": {"enum": departments or ["kocho"]},
            "description": "Department code, e.g. kocho.",
        },
    ]


def openapi_document() -> dict[str, Any]:
    initiative = {
        "type": "object",
        "required": ["number", "title", "departments", "actions"],
        "properties": {
            "number": {"type": "integer"},
            "title": _ref("Text"),
            "departments": {"type": "array", "items": _ref("Department")},
            "actions": {"type": "array", "items": _ref("Action")},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sankaku open data API",
            "version": "1",
            "description": "Kumamoto City's response table and the citizen activity "
            "counted against each initiative. No personal data. Licence: "
            "CC BY 4.0.",
            "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": public_url("api.openapi").rsplit("/openapi.json", 1)[0]}],
        "paths": {
            "/plan": {
                "get": {
                    "summary": "The response table",
                    "operationId": "getPlan",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["code", "title", "fiscal_year", "categories"],
                                "properties": {
                                    "code": {"type": "string"},
                                    "title": _ref("Text"),
                                    "fiscal_year": {"type": "integer"},
                                    "categories": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["code", "name", "recommendations"],
                                            "properties": {
                                                "code": {"type": "string"},
                                                "name": _ref("Text"),
                                                "recommendations": {
                                                    "type": "array",
                                                    "items": {
                                                        "type": "object",
                                                        "required": [
                                                            "number",
                                                            "text",
                                                            "policy",
                                                            "initiatives",
                                                        ],
                                                        "properties": {
                                                            "number": {"type": "integer"},
                                                            "text": _ref("Text"),
                                                            "policy": _ref("Text"),
                                                            "initiatives": {
                                                                "type": "array",
                                                                "items": initiative,
                                                            },
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        ),
                        "404": ERRORS["404"],
                    },
                }
            },
            "/initiatives": {
                "get": {
                    "summary": "Initiatives with activity counts",
                    "operationId": "getInitiatives",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["plan", "activity_kinds", "initiatives"],
                                "properties": {
                                    "plan": {"type": ["object", "null"]},
                                    "activity_kinds": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["key", "label"],
                                            "properties": {
                                                "key": {"type": "string"},
                                                "label": {"type": "string"},
                                            },
                                        },
                                    },
                                    "initiatives": {
                                        "type": "array",
                                        "items": {
                                            "allOf": [
                                                initiative,
                                                {
                                                    "type": "object",
                                                    "required": [
                                                        "activity_counts",
                                                        "category",
                                                        "recommendation",
                                                        "url",
                                                    ],
                                                    "properties": {"activity_counts": NUMBERS},
                                                },
                                            ]
                                        },
                                    },
                                },
                            }
                        )
                    },
                }
            },
            "/figures": {
                "get": {
                    "summary": "Figures per initiative and activity kind",
                    "operationId": "getFigures",
                    "parameters": filter_parameters(),
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["filter", "kinds", "initiatives"],
                                "properties": {
                                    "filter": {"type": "object"},
                                    "kinds": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["key", "label", "metrics"],
                                        },
                                    },
                                    "initiatives": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["number", "figures"],
                                            "properties": {
                                                "number": {"type": "integer"},
                                                "figures": {
                                                    "type": "object",
                                                    "additionalProperties": NUMBERS,
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        ),
                        **ERRORS,
                    },
                }
            },
            "/public-comments": {
                "get": {
                    "summary": "Public comment cases",
                    "operationId": "listPublicComments",
                    "parameters": PAGE_PARAMETERS,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["items", "page", "per_page", "total", "next"],
                                "properties": {
                                    "items": {"type": "array", "items": _ref("Case")},
                                    "page": {"type": "integer"},
                                    "per_page": {"type": "integer"},
                                    "total": {"type": "integer"},
                                    "next": {"type": ["string", "null"]},
                                },
                            }
                        ),
                        "400": ERRORS["400"],
                    },
                }
            },
            "/public-comments/{case_id}": {
                "get": {
                    "summary": "A public comment case with its published results",
                    "operationId": "getPublicComment",
                    "parameters": [
                        {
                            "name": "case_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "allOf": [
                                    _ref("Case"),
                                    {
                                        "type": "object",
                                        "required": ["summary", "sections", "results"],
                                        "properties": {
                                            "sections": {"type": "array"},
                                            "results": {"type": ["object", "null"]},
                                        },
                                    },
                                ]
                            }
                        ),
                        "404": ERRORS["404"],
                    },
                }
            },
            "/sessions": {
                "get": {
                    "summary": "Consultation sessions with confirmed places",
                    "operationId": "listSessions",
                    "parameters": PAGE_PARAMETERS,
                    "responses": {"200": _json(_page(_ref("Session"))), "400": ERRORS["400"]},
                }
            },
            "/councils": {
                "get": {
                    "summary": "Councils with members counted by category",
                    "operationId": "listCouncils",
                    "parameters": PAGE_PARAMETERS,
                    "responses": {"200": _json(_page(_ref("Council"))), "400": ERRORS["400"]},
                }
            },
            "/proposals": {
                "get": {
                    "summary": "Adopted collaboration projects (no personal data)",
                    "operationId": "listProjects",
                    "parameters": PAGE_PARAMETERS,
                    "responses": {"200": _json(_page(_ref("Project"))), "400": ERRORS["400"]},
                }
            },
        },
        "components": {
            "schemas": {
                "Text": TEXT,
                "Department": DEPARTMENT,
                "Action": ACTION,
                "Case": CASE,
                "Error": ERROR,
                "Session": SESSION,
                "Council": COUNCIL,
                "Project": PROJECT,
            }
        },
    }

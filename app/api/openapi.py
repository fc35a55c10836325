"""The OpenAPI 3.1 document for /api/v1. The test suite checks every response against it with
schemathesis, so it cannot drift from what the API sends. The plan and figures are described
here; each activity kind's lists by the kind's manifest (`ActivityKind.api`), read from the
registry."""

from __future__ import annotations

from typing import Any

from app.core import activity
from app.core.activity import ApiItem, ApiList
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


def _list_path(listed: ApiList) -> dict[str, Any]:
    return {
        "get": {
            "summary": listed.summary,
            "operationId": listed.operation_id,
            "parameters": PAGE_PARAMETERS,
            "responses": {"200": _json(_page(_ref(listed.schema_name))), "400": ERRORS["400"]},
        }
    }


def _item_path(item: ApiItem) -> dict[str, Any]:
    return {
        "get": {
            "summary": item.summary,
            "operationId": item.operation_id,
            "parameters": [
                {
                    "name": item.parameter,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                }
            ],
            "responses": {"200": _json(item.schema), "404": ERRORS["404"]},
        }
    }


def kind_paths() -> dict[str, Any]:
    """The lists every registered activity kind serves (its manifest's `api`), as paths."""
    paths: dict[str, Any] = {}
    for kind in activity.kinds():
        for listed in kind.api:
            paths[listed.path] = _list_path(listed)
            if listed.item is not None:
                paths[f"{listed.path}/{{{listed.item.parameter}}}"] = _item_path(listed.item)
    return paths


def kind_schemas() -> dict[str, Any]:
    """The item schemas of those lists, for components."""
    return {listed.schema_name: listed.schema for kind in activity.kinds() for listed in kind.api}


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
            **kind_paths(),
        },
        "components": {
            "schemas": {
                "Text": TEXT,
                "Department": DEPARTMENT,
                "Action": ACTION,
                "Error": ERROR,
                **kind_schemas(),
            }
        },
    }

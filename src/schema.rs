//! The JSON Schema of the spec format, for editors (`parasol schema`).
//! Kept beside the decoder; a test checks the canonical example against it.

use serde_json::{Value, json};

fn type_expr() -> Value {
    json!({
        "oneOf": [
            {
                "type": "string",
                "description": "string, int, float, bool, decimal, uuid, datetime, a value object or aggregate name, list<T>, map<T>, and T? for optional (at any depth: map<list<int?>>)",
                "pattern": "^\\s*[A-Za-z_][A-Za-z0-9_<>?\\s]*$"
            },
            {
                "type": "object",
                "required": ["enum"],
                "additionalProperties": false,
                "properties": {
                    "enum": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
                    "optional": { "type": "boolean" },
                    "description": { "type": "string" }
                }
            }
        ]
    })
}

fn fields() -> Value {
    json!({
        "type": ["object", "null"],
        "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9_]*$" },
        "additionalProperties": { "$ref": "#/$defs/type" }
    })
}

fn names() -> Value {
    json!({ "oneOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ] })
}

pub fn spec_schema() -> Value {
    // A call, or a call with its own bindings; apart, for `json!`'s recursion limit.
    let call = json!({ "type": "string", "pattern": "^[^.]+\\.[^.]+$" });
    let compensate = json!({
        "oneOf": [
            call,
            {
                "type": "object",
                "required": ["call"],
                "additionalProperties": false,
                "properties": {
                    "call": call,
                    "with": { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] } }
                }
            }
        ]
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://parasol.dev/schema/bc-1.json",
        "title": "Parasol bounded-context spec (*.bc.yaml)",
        "type": "object",
        "required": ["parasol", "bounded_context"],
        "additionalProperties": false,
        "properties": {
            "parasol": { "const": 1, "description": "Spec format version." },
            "bundle": { "description": "Bundle path(s), relative to this file.", "oneOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ] },
            "bounded_context": {
                "type": "object",
                "required": ["name", "modules"],
                "additionalProperties": false,
                "properties": {
                    "name": { "type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$" },
                    "description": { "type": "string" },
                    "architecture": { "enum": ["v5-event-driven", "hexagonal", "clean-architecture", "cqrs-es", "modular-monolith"] },
                    "modules": {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": { "pattern": "^[a-z][a-z0-9_]*$" },
                        "additionalProperties": { "$ref": "#/$defs/module" }
                    },
                    "events": {
                        "type": ["object", "null"],
                        "propertyNames": { "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$" },
                        "additionalProperties": {
                            "type": "object",
                            "required": ["entity"],
                            "additionalProperties": false,
                            "properties": {
                                "entity": { "type": "string", "description": "The aggregate whose id is the event's entityId." },
                                "metadata": { "$ref": "#/$defs/fields" },
                                "description": { "type": "string" }
                            }
                        }
                    },
                    "read_models": {
                        "type": ["object", "null"],
                        "additionalProperties": {
                            "type": "object",
                            "required": ["key"],
                            "additionalProperties": false,
                            "properties": {
                                "key": { "type": "string" },
                                "fields": { "$ref": "#/$defs/fields" },
                                "on": { "$ref": "#/$defs/names" },
                                "description": { "type": "string" }
                            }
                        }
                    },
                    "workflows": {
                        "type": ["object", "null"],
                        "additionalProperties": { "$ref": "#/$defs/workflow" }
                    },
                    "communication": { "$ref": "#/$defs/communication" }
                }
            }
        },
        "$defs": {
            "type": type_expr(),
            "fields": fields(),
            "names": names(),
            "module": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "description": { "type": "string" },
                    "aggregates": {
                        "type": ["object", "null"],
                        "propertyNames": { "pattern": "^[A-Z][A-Za-z0-9]*$" },
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": false,
                            "properties": { "fields": { "$ref": "#/$defs/fields" }, "description": { "type": "string" } }
                        }
                    },
                    "value_objects": {
                        "type": ["object", "null"],
                        "propertyNames": { "pattern": "^[A-Z][A-Za-z0-9]*$" },
                        "additionalProperties": { "$ref": "#/$defs/fields" }
                    },
                    "api": {
                        "type": ["object", "null"],
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": false,
                            "properties": {
                                "description": { "type": "string" },
                                "input": { "$ref": "#/$defs/fields" },
                                "output": { "$ref": "#/$defs/fields" },
                                "emits": { "$ref": "#/$defs/names" },
                                "errors": { "$ref": "#/$defs/names" },
                                "idempotent": { "type": "boolean", "description": "Safe to retry: clients retry it on timeouts and 5xx." }
                            }
                        }
                    },
                    "publishes": { "$ref": "#/$defs/names" },
                    "subscribes": { "$ref": "#/$defs/names" },
                    "depends_on": { "$ref": "#/$defs/names" }
                }
            },
            "workflow": {
                "type": "object",
                "required": ["steps"],
                "additionalProperties": false,
                "properties": {
                    "description": { "type": "string" },
                    "coordination": { "enum": ["frontend", "orchestration", "choreography"] },
                    "compensation": { "enum": ["best-effort", "strict"] },
                    "state_sync": { "enum": ["realtime-sse", "polling", "none"] },
                    "input": { "$ref": "#/$defs/fields" },
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "call"],
                            "additionalProperties": false,
                            "properties": {
                                "name": { "type": "string" },
                                "call": { "type": "string", "pattern": "^[^.]+\\.[^.]+$" },
                                "with": { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] } },
                                "compensate": compensate
                            }
                        }
                    },
                    "on_success": { "type": "object", "additionalProperties": false, "properties": { "notify": { "type": "string" } } }
                }
            },
            "duration": { "type": "string", "pattern": "^[0-9]+(ms|s|m|h|d)$" },
            "communication": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "sync": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "connect_timeout": { "$ref": "#/$defs/duration" },
                            "read_timeout": { "$ref": "#/$defs/duration" },
                            "retries": { "type": "integer", "minimum": 0 },
                            "circuit_breaker": {
                                "type": "object",
                                "additionalProperties": false,
                                "properties": {
                                    "failure_threshold": { "type": "string", "pattern": "^[0-9]{1,3}%$" },
                                    "open_for": { "$ref": "#/$defs/duration" }
                                }
                            }
                        }
                    },
                    "async": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "batch_size": { "type": "integer", "minimum": 0 },
                            "linger": { "$ref": "#/$defs/duration" },
                            "consumer_concurrency": { "type": "object", "additionalProperties": false, "properties": { "min": { "type": "integer" }, "max": { "type": "integer" } } },
                            "retention": { "type": "object", "additionalProperties": false, "properties": { "events": { "$ref": "#/$defs/duration" }, "dead_letter": { "$ref": "#/$defs/duration" } } }
                        }
                    },
                    "gateway": { "type": "object", "additionalProperties": false, "properties": { "auth": { "enum": ["jwt", "none"] }, "rate_limit": { "type": "string", "pattern": "^[0-9]+/(ms|s|m|h|d)$" } } },
                    "bff": { "type": "array", "description": "frontends, each with a backend of its own under /bff/<name>", "items": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$" } },
                    "streaming": { "type": "object", "additionalProperties": false, "properties": { "broker": { "enum": ["kafka", "redis", "nats", "in-memory"] } } }
                }
            }
        }
    })
}

#!/usr/bin/env python3
"""`outboxd schema` accepts what outboxd accepts, and keys each plugin block on its type.

usage: check_schema.py OUTBOXD
The configs are given as a YAML 1.2 parser (an editor's) reads them: `on` is the string "on".
"""
import json
import subprocess
import sys

import jsonschema

outboxd = sys.argv[1]
schema = json.loads(subprocess.run([outboxd, "schema"], check=True, capture_output=True, text=True).stdout)
validator = jsonschema.Draft202012Validator(schema)
failures = []


def config(**changes):
    c = {
        "storage": {"type": "sqlite", "path": "outbox.db"},
        "transports": [{"name": "events", "type": "test", "record": "record.txt"}],
        "routes": [{"match": "*", "transport": "events"}],
    }
    c.update(changes)
    return c


def expect_valid(name, instance):
    errors = [e.message for e in validator.iter_errors(instance)]
    if errors:
        failures.append(f"{name}: refused: {errors}")


def expect_error(name, instance, text):
    """The error an editor shows first (best_match) names `text`."""
    best = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if best is None or text not in best.message:
        failures.append(f"{name}: expected the error to name {text!r}, got {best.message if best else None!r}")


if not schema.get("$id"):
    failures.append("the schema has no $id")
jsonschema.Draft202012Validator.check_schema(schema)
expect_valid("a plain config", config())
expect_valid("${VAR:-500} for an integer", config(relay={"batch_size": "${BATCH_SIZE:-500}"}))
expect_valid("${VAR} for a duration", config(relay={"lease": "${LEASE}"}))
expect_valid("`on` for a boolean",
             config(transports=[{"name": "events", "type": "test", "record": "r", "out_of_order": "on"}]))
# A typo in one plugin's block is blamed on that key, not on every other plugin's branch.
expect_error("a typo in a stdout block",
             config(transports=[{"name": "console", "type": "stdout", "mdoe": "file"}]), "'mdoe'")
expect_error("a typo in the sqlite block", config(storage={"type": "sqlite", "path": "x.db", "pth": "y"}), "'pth'")
expect_error("an unknown plugin type",
             config(transports=[{"name": "x", "type": "carrier_pigeon"}]), "'carrier_pigeon' is not one of")

for f in failures:
    print("FAIL:", f, file=sys.stderr)
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""Parses a Prometheus text exposition (the file named by argv[1]) with prometheus_client's own
parser and prints one JSON object per sample: {"name", "labels", "value"}. A malformed
exposition makes the parser raise, and this script exit non-zero."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        print(json.dumps({"name": sample.name, "labels": sample.labels, "value": sample.value}))

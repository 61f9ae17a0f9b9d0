#!/usr/bin/env python3
"""Writes outboxd.yaml(5) from the JSON Schema of the config (`outboxd schema`), so that the page
names every key, type, default and plugin block the binary and its plugins accept, and nothing
else: the plugins are those of the binary's own plugin directory (in a build tree, the built ones).
usage: config_manpage.py OUTBOXD OUTPUT"""
import json
import subprocess
import sys


def roff(text):
    """Escapes text for a roff line: backslashes, and a leading dot or quote."""
    text = str(text).replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def number(value):
    """A bound as written in the schema's source: 100000, not 1e+05 or 100000.0."""
    return str(int(value)) if float(value).is_integer() else str(value)


def type_name(t):
    """A JSON Schema type, or a list of them (a list item that may be any scalar)."""
    return " or ".join(t) if isinstance(t, list) else t


def kind(prop):
    """A key's type as the page shows it: enum values, type, default."""
    if "const" in prop:
        return "= " + json.dumps(prop["const"])
    parts = []
    if "enum" in prop:
        parts.append(" | ".join(str(v) for v in prop["enum"]))
    elif "type" in prop:
        parts.append(type_name(prop["type"]) if prop["type"] != "array" else
                     "list of " + type_name(prop.get("items", {}).get("type", "values")))
    if "minimum" in prop and "maximum" in prop:
        parts.append("%s..%s" % (number(prop["minimum"]), number(prop["maximum"])))
    elif "minimum" in prop:
        parts.append(">= " + number(prop["minimum"]))
    elif "maximum" in prop:
        parts.append("<= " + number(prop["maximum"]))
    if "default" in prop:
        parts.append("default " + json.dumps(prop["default"]))
    return ", ".join(parts)


def keys(obj, prefix, out):
    """One .TP entry a key of the object schema obj, nested objects flattened to dotted keys."""
    required = set(obj.get("required", []))
    for name, prop in sorted(obj.get("properties", {}).items()):
        path = prefix + name
        if prop.get("type") == "object" and "properties" in prop:
            keys(prop, path + ".", out)
            continue
        mark = " (required)" if name in required else ""
        out.append(".TP\n.B %s\n%s%s\n.br\n%s" % (roff(path), roff(kind(prop)), mark,
                                                 roff(prop.get("description", ""))))


def section(name, prop, out):
    """The page's part for one top-level key: its keys, or one block a plugin for a oneOf."""
    out.append(".SS %s\n%s" % (roff(name), roff(prop.get("description", ""))))
    body = prop.get("items", prop)
    if "oneOf" in body:
        for variant in body["oneOf"]:
            title = variant.get("title", "")
            about = variant.get("properties", {}).get("type", {}).get("description", "")
            out.append(".PP\n.B type: %s\n\\(em %s" % (roff(title), roff(about)))
            keys(variant, "", out)
    else:
        keys(body, "", out)


def main():
    outboxd, output = sys.argv[1:3]
    version = subprocess.run([outboxd, "--version"], check=True, capture_output=True,
                             text=True).stdout.split()[1]
    schema = json.loads(subprocess.run([outboxd, "schema"], check=True, capture_output=True,
                                       text=True).stdout)
    out = [
        '.TH OUTBOXD.YAML 5 "" "outboxd %s" "File Formats"' % roff(version),
        ".SH NAME\noutboxd.yaml \\- configuration file of outboxd",
        ".SH SYNOPSIS\n/etc/outboxd/outboxd.yaml",
        ".SH DESCRIPTION\nA YAML document: where the outbox is (\\fBstorage\\fR), which brokers "
        "it is published to (\\fBtransports\\fR), which events go where (\\fBroutes\\fR), and how "
        "the relay runs. \\fB${NAME}\\fR, \\fB${NAME:\\-default}\\fR and \\fB${NAME:?message}\\fR "
        "are replaced by environment variables. Durations are like 500ms, 30s, 10m, 1h. "
        "\\fBoutboxd check \\-c\\fR \\fIFILE\\fR validates a file; \\fBoutboxd schema\\fR prints "
        "this schema as JSON. The storage and transport blocks are those of the plugins installed "
        "when this page was made.",
        ".SH KEYS",
    ]
    for name, prop in sorted(schema["properties"].items()):
        section(name, prop, out)
    out.append(".SH SEE ALSO\n.BR outboxd (8)")
    with open(output, "w", encoding="utf-8") as page:
        page.write("\n".join(out) + "\n")


main()

#!/usr/bin/env python3
"""Validates Akri Configurations against Akri's CRD (its openAPIV3Schema), with jsonschema and
PyYAML (not our code): what a Kubernetes API server with Akri installed would accept.

  akri_schema.py CRD FILE...    one JSON line per Configuration: file, name, valid, errors

OpenAPI's `nullable: true` becomes a type that also admits null; Kubernetes' own `x-kubernetes-*`
markers are left for the server and ignored here.
"""

import json
import sys

import jsonschema
import yaml


def openapi_to_jsonschema(node):
    if isinstance(node, dict):
        node = {k: openapi_to_jsonschema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [openapi_to_jsonschema(v) for v in node]
    return node


def main():
    crd_path, files = sys.argv[1], sys.argv[2:]
    crd = yaml.safe_load(open(crd_path))
    schema = openapi_to_jsonschema(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    validator = jsonschema.Draft7Validator(schema)
    for path in files:
        for document in yaml.safe_load_all(open(path)):
            if not isinstance(document, dict) or document.get("kind") != "Configuration":
                continue
            errors = sorted(
                "/".join(str(p) for p in error.absolute_path) + ": " + error.message
                for error in validator.iter_errors(document)
            )
            name = (document.get("metadata") or {}).get("name", "")
            sys.stdout.write(json.dumps({"file": path, "name": name, "valid": not errors, "errors": errors}) + "\n")


if __name__ == "__main__":
    main()

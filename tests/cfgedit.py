#!/usr/bin/env python3
"""Tiny JSON editor for test bundles (no jq needed).

usage: cfgedit.py FILE set PATH JSON     set a value (creates missing objects)
       cfgedit.py FILE del PATH          delete a key or list item (missing is fine)
       cfgedit.py FILE append PATH JSON  append to a list (creates it)
       cfgedit.py FILE get PATH          print a value (strings raw, others as JSON)
       cfgedit.py FILE args ARG...       set .process.args to the given words
       cfgedit.py FILE annot KEY VALUE   set one annotation (keys contain dots)
       cfgedit.py FILE ns-set TYPE [NSPATH]  add (or replace) a namespace
       cfgedit.py FILE ns-del TYPE       remove a namespace
FILE "-" reads stdin (get only). PATH looks like .process.user.uid or .mounts[0].options
"""
import json
import re
import sys


def parse_path(path):
    keys = []
    for name, index in re.findall(r"\.([^.\[\]]+)|\[(-?\d+)\]", path):
        keys.append(int(index) if index else name)
    return keys


def walk(doc, keys, create):
    for i, key in enumerate(keys):
        if isinstance(key, int):
            doc = doc[key]
            continue
        if key not in doc:
            if not create:
                raise KeyError(key)
            doc[key] = [] if i + 1 < len(keys) and isinstance(keys[i + 1], int) else {}
        doc = doc[key]
    return doc


def main(argv):
    path_file, op, rest = argv[1], argv[2], argv[3:]
    if path_file == "-":
        try:
            doc = json.load(sys.stdin)
        except ValueError:
            return 1
    else:
        try:
            with open(path_file) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("cfgedit: %s: %s" % (path_file, e), file=sys.stderr)
            return 1
    if op == "get":
        try:
            keys = parse_path(rest[0])
            value = walk(doc, keys, False) if keys else doc
        except (KeyError, IndexError, TypeError):
            return 1
        print(value if isinstance(value, str) else json.dumps(value))
        return 0
    if op == "args":
        doc.setdefault("process", {})["args"] = rest
    elif op == "annot":
        doc.setdefault("annotations", {})[rest[0]] = rest[1]
    elif op in ("set", "append"):
        keys = parse_path(rest[0])
        value = json.loads(rest[1])
        parent = walk(doc, keys[:-1], True)
        if op == "set":
            parent[keys[-1]] = value
        else:
            if isinstance(keys[-1], str):
                parent.setdefault(keys[-1], [])
            parent[keys[-1]].append(value)
    elif op == "del":
        keys = parse_path(rest[0])
        try:
            parent = walk(doc, keys[:-1], False)
            del parent[keys[-1]]
        except (KeyError, IndexError, TypeError):
            pass
    elif op in ("ns-set", "ns-del"):
        linux = doc.setdefault("linux", {})
        spaces = [n for n in linux.get("namespaces", []) if n.get("type") != rest[0]]
        if op == "ns-set":
            entry = {"type": rest[0]}
            if len(rest) > 1:
                entry["path"] = rest[1]
            spaces.append(entry)
        linux["namespaces"] = spaces
    else:
        print("cfgedit: unknown operation " + op, file=sys.stderr)
        return 2
    with open(path_file, "w") as f:
        json.dump(doc, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

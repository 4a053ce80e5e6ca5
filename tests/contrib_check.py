#!/usr/bin/python3
"""Consistency of the configuration in contrib/ for CRI-O, containerd and
Kubernetes, which the suite cannot run (no CRI-O, no kubelet here):

usage: contrib_check.py CONTRIB_DIR FEATURES_JSON [DOC [REPO_DIR]]

- every file parses (TOML with tomllib, YAML with PyYAML);
- containerd and CRI-O both define the handlers cellrun, cellrun-strict and
  cellrun-balanced, each running the binary of its own name (the invoked
  name selects the profile), as an OCI runtime;
- CRI-O allows exactly the run.cellrun.* annotations `cellrun features`
  lists; containerd passes run.cellrun.* for pods and containers;
- each RuntimeClass names one of those handlers, and the example pod uses a
  RuntimeClass that exists and only annotations the handlers allow;
- each containerd handler keeps its state under a Root of its own name;
- with DOC (docs/integration.md): every fenced block right after a line
  `<!-- same as: PATH -->` is an excerpt of PATH (its lines, blank and
  whole-line # comments left out, are a contiguous run of PATH's), and after
  `<!-- file: PATH -->` all of PATH (same rule, nothing left out); the doc
  shows every file in DOC_FILES.  PATH under contrib/ is read from
  CONTRIB_DIR, any other from REPO_DIR (default: CONTRIB_DIR/..).
Prints one line per problem and exits 1 if there is any.
"""
import json
import os
import re
import sys
import tomllib

import yaml

HANDLERS = {"cellrun", "cellrun-strict", "cellrun-balanced"}
# The files docs/integration.md must show: what tests/integration/cri.bats runs.
DOC_FILES = {
    "contrib/containerd/config.toml",
    "contrib/kubernetes/runtimeclass-cellrun.yaml",
    "contrib/kubernetes/runtimeclass-cellrun-strict.yaml",
    "tests/integration/cri/containerd-cri.toml",
    "tests/integration/cri/cni.conflist",
}
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


def significant(lines):
    return [l.rstrip() for l in lines if l.strip() and not l.lstrip().startswith("#")]


def doc_blocks(doc):
    """(marker line number, kind, path, block lines) for each marked fenced block."""
    lines = open(doc).read().splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.fullmatch(r"<!-- (same as|file): (\S+) -->", line.strip())
        if not m:
            continue
        j = i + 1
        if j >= len(lines) or not lines[j].startswith("```"):
            problems.append("%s:%d: no fenced block after the marker" % (doc, i + 1))
            continue
        k = j + 1
        while k < len(lines) and not lines[k].startswith("```"):
            k += 1
        out.append((i + 1, m.group(1), m.group(2), lines[j + 1:k]))
    return out


def check_doc(doc, contrib, repo):
    shown = set()
    for lineno, kind, path, block in doc_blocks(doc):
        where = "%s:%d" % (os.path.basename(doc), lineno)
        real = os.path.join(contrib, path[len("contrib/"):]) if path.startswith("contrib/") else os.path.join(repo, path)
        try:
            want = significant(open(real).read().splitlines())
        except OSError as e:
            problems.append("%s: %s: %s" % (where, path, e.strerror))
            continue
        got = significant(block)
        if kind == "file":
            ok = got == want
        else:
            ok = bool(got) and any(want[i:i + len(got)] == got for i in range(len(want) - len(got) + 1))
        if not ok:
            odd = [l for l in got if l not in want]
            problems.append("%s: the block is not %s %s (%s)" %
                            (where, "all of" if kind == "file" else "an excerpt of", path,
                             "%s has no line %r" % (path, odd[0].strip()) if odd else "lines missing or out of order"))
        shown.add(path)
    for path in sorted(DOC_FILES - shown):
        problems.append("%s: does not show %s" % (os.path.basename(doc), path))


def main():
    contrib, features = sys.argv[1], json.load(open(sys.argv[2]))
    annotations = set(features["annotations"])
    check(features.get("potentiallyUnsafeConfigAnnotations") == ["run.cellrun."], "features: unsafe prefix")

    crio = tomllib.load(open(os.path.join(contrib, "crio/crio.conf.d/50-cellrun.conf"), "rb"))
    runtimes = crio["crio"]["runtime"]["runtimes"]
    check(set(runtimes) == HANDLERS, "crio: handlers %s" % sorted(runtimes))
    for name, rt in runtimes.items():
        check(os.path.basename(rt.get("runtime_path", "")) == name, "crio %s: runtime_path" % name)
        check(rt.get("runtime_type") == "oci", "crio %s: runtime_type" % name)
        check(set(rt.get("allowed_annotations", [])) == annotations, "crio %s: allowed_annotations" % name)

    ctd = tomllib.load(open(os.path.join(contrib, "containerd/config.toml"), "rb"))
    runtimes = ctd["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    check(set(runtimes) == HANDLERS, "containerd: handlers %s" % sorted(runtimes))
    for name, rt in runtimes.items():
        check(rt.get("runtime_type") == "io.containerd.runc.v2", "containerd %s: runtime_type" % name)
        check(os.path.basename(rt.get("options", {}).get("BinaryName", "")) == name, "containerd %s: BinaryName" % name)
        for key in ("pod_annotations", "container_annotations"):
            check(rt.get(key) == ["run.cellrun.*"], "containerd %s: %s" % (name, key))
        check(os.path.basename(rt.get("options", {}).get("Root", "")) == name, "containerd %s: Root" % name)

    classes = {}
    pods = []
    kdir = os.path.join(contrib, "kubernetes")
    for f in sorted(os.listdir(kdir)):
        for doc in yaml.safe_load_all(open(os.path.join(kdir, f))):
            if doc.get("kind") == "RuntimeClass":
                classes[doc["metadata"]["name"]] = doc["handler"]
                check(doc["handler"] in HANDLERS, "%s: handler %s" % (f, doc["handler"]))
                check(doc.get("apiVersion") == "node.k8s.io/v1", "%s: apiVersion" % f)
            elif doc.get("kind") == "Pod":
                pods.append((f, doc))
    check(set(classes.values()) == HANDLERS, "kubernetes: RuntimeClasses for %s" % sorted(classes.values()))
    check(pods, "kubernetes: no example pod")
    for f, pod in pods:
        check(pod["spec"].get("runtimeClassName") in classes, "%s: runtimeClassName" % f)
        for key in pod["metadata"].get("annotations", {}):
            check(key in annotations, "%s: annotation %s is not one cellrun reads" % (f, key))

    if len(sys.argv) > 3:
        repo = sys.argv[4] if len(sys.argv) > 4 else os.path.join(contrib, "..")
        check_doc(sys.argv[3], contrib, repo)

    for p in problems:
        print("contrib: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

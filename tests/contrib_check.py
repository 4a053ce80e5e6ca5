#!/usr/bin/python3
"""Consistency of the configuration in contrib/ for CRI-O, containerd and
Kubernetes, which the suite cannot run (no CRI-O, no kubelet here):

usage: contrib_check.py CONTRIB_DIR FEATURES_JSON

- every file parses (TOML with tomllib, YAML with PyYAML);
- containerd and CRI-O both define the handlers cellrun, cellrun-strict and
  cellrun-balanced, each running the binary of its own name (the invoked
  name selects the profile), as an OCI runtime;
- CRI-O allows exactly the run.cellrun.* annotations `cellrun features`
  lists; containerd passes run.cellrun.* for pods and containers;
- each RuntimeClass names one of those handlers, and the example pod uses a
  RuntimeClass that exists and only annotations the handlers allow.
Prints one line per problem and exits 1 if there is any.
"""
import json
import os
import sys
import tomllib

import yaml

HANDLERS = {"cellrun", "cellrun-strict", "cellrun-balanced"}
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


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

    for p in problems:
        print("contrib: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

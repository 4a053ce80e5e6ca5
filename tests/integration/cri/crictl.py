#!/usr/bin/python3
"""A small CRI v1 client for the test suite (Debian 12 packages no crictl).

usage: crictl.py [--socket PATH] [--timeout SEC] VERB ARGS...

  version                        runtime name, version and CRI API version
  runp POD.json [--runtime H]    RunPodSandbox with handler H; prints the pod id
  inspectp POD                   PodSandboxStatus (verbose) as JSON
  stopp POD / rmp POD            StopPodSandbox / RemovePodSandbox
  create POD CTR.json POD.json   CreateContainer; prints the container id
  start ID / rm ID               StartContainer / RemoveContainer
  stop ID [--grace SEC]          StopContainer (default grace 0: kill at once)
  inspect ID                     ContainerStatus (verbose) as JSON
  ps [--pod POD] [--all]         container ids, one a line (running ones unless --all)
  exec ID [--grace SEC] CMD...   ExecSync: the command's stdout and stderr, its exit code
  wait ID STATE                  poll ContainerStatus until STATE (CONTAINER_EXITED...)
  images                         ListImages as JSON
  inspecti IMAGE                 ImageStatus as JSON; exit 1 if the image is unknown

POD.json and CTR.json are a PodSandboxConfig and a ContainerConfig in the protobuf JSON
mapping (field names as in cri.proto). JSON output keeps the proto field names and prints
default values; the verbose "info" strings that hold JSON are decoded.

The Python stubs are generated from cri.proto (next to this file) with grpc_tools.protoc into
$CRI_GEN_DIR when it is set (and kept there for the next call), else into a temp dir removed
at exit. Socket: --socket or $CRI_SOCKET. A failed call prints one line
`crictl: <Method>: <grpc code>: <details>` and exits 1.
"""
import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time

import grpc
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))


def load_stubs():
    gen = os.environ.get("CRI_GEN_DIR")
    tmp = None
    if not gen:
        gen = tmp = tempfile.mkdtemp(prefix="crictl-gen.")
    if not os.path.exists(os.path.join(gen, "cri_pb2_grpc.py")):
        from grpc_tools import protoc
        os.makedirs(gen, exist_ok=True)
        # Generate into a private dir, then rename: two concurrent calls never see half a file.
        work = tempfile.mkdtemp(dir=gen)
        rc = protoc.main(["protoc", "-I" + HERE, "--python_out=" + work, "--grpc_python_out=" + work,
                          os.path.join(HERE, "cri.proto")])
        if rc != 0:
            sys.exit("crictl: protoc failed on %s" % os.path.join(HERE, "cri.proto"))
        for name in ("cri_pb2.py", "cri_pb2_grpc.py"):
            os.replace(os.path.join(work, name), os.path.join(gen, name))
        shutil.rmtree(work, ignore_errors=True)
    sys.path.insert(0, gen)
    pb2, pb2_grpc = importlib.import_module("cri_pb2"), importlib.import_module("cri_pb2_grpc")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return pb2, pb2_grpc


def to_dict(msg):
    d = json_format.MessageToDict(msg, preserving_proto_field_name=True, including_default_value_fields=True)
    info = d.get("info")
    if isinstance(info, dict):
        for k, v in info.items():
            try:
                info[k] = json.loads(v)
            except ValueError:
                pass
    return d


def read_json(path, msg):
    with open(path) as f:
        return json_format.Parse(f.read(), msg)


def main():
    ap = argparse.ArgumentParser(prog="crictl.py")
    ap.add_argument("--socket", default=os.environ.get("CRI_SOCKET"))
    ap.add_argument("--timeout", type=float, default=30.0, help="deadline of each call, seconds")
    sub = ap.add_subparsers(dest="verb", required=True)
    sub.add_parser("version")
    p = sub.add_parser("runp")
    p.add_argument("config")
    p.add_argument("--runtime", default="")
    for verb in ("inspectp", "stopp", "rmp"):
        sub.add_parser(verb).add_argument("pod")
    p = sub.add_parser("create")
    p.add_argument("pod")
    p.add_argument("config")
    p.add_argument("pod_config")
    for verb in ("start", "rm", "inspect"):
        sub.add_parser(verb).add_argument("id")
    p = sub.add_parser("stop")
    p.add_argument("id")
    p.add_argument("--grace", type=int, default=0)
    p = sub.add_parser("ps")
    p.add_argument("--pod", default="")
    p.add_argument("--all", action="store_true")
    p = sub.add_parser("exec")
    p.add_argument("id")
    p.add_argument("--grace", type=int, default=10, help="ExecSync timeout, seconds")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p = sub.add_parser("wait")
    p.add_argument("id")
    p.add_argument("state")
    sub.add_parser("images")
    sub.add_parser("inspecti").add_argument("image")
    a = ap.parse_args()
    if not a.socket:
        sys.exit("crictl: no socket: pass --socket or set CRI_SOCKET")

    pb, pb_grpc = load_stubs()
    channel = grpc.insecure_channel("unix://" + os.path.abspath(a.socket))
    rt = pb_grpc.RuntimeServiceStub(channel)
    img = pb_grpc.ImageServiceStub(channel)
    method = a.verb

    def call(stub, name, req):
        nonlocal method
        method = name
        return getattr(stub, name)(req, timeout=a.timeout)

    try:
        if a.verb == "version":
            print(json.dumps(to_dict(call(rt, "Version", pb.VersionRequest(version="v1")))))
        elif a.verb == "runp":
            req = pb.RunPodSandboxRequest(config=read_json(a.config, pb.PodSandboxConfig()), runtime_handler=a.runtime)
            print(call(rt, "RunPodSandbox", req).pod_sandbox_id)
        elif a.verb == "inspectp":
            r = call(rt, "PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=a.pod, verbose=True))
            print(json.dumps(to_dict(r)))
        elif a.verb == "stopp":
            call(rt, "StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=a.pod))
        elif a.verb == "rmp":
            call(rt, "RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=a.pod))
        elif a.verb == "create":
            req = pb.CreateContainerRequest(pod_sandbox_id=a.pod, config=read_json(a.config, pb.ContainerConfig()),
                                            sandbox_config=read_json(a.pod_config, pb.PodSandboxConfig()))
            print(call(rt, "CreateContainer", req).container_id)
        elif a.verb == "start":
            call(rt, "StartContainer", pb.StartContainerRequest(container_id=a.id))
        elif a.verb == "stop":
            call(rt, "StopContainer", pb.StopContainerRequest(container_id=a.id, timeout=a.grace))
        elif a.verb == "rm":
            call(rt, "RemoveContainer", pb.RemoveContainerRequest(container_id=a.id))
        elif a.verb == "inspect":
            r = call(rt, "ContainerStatus", pb.ContainerStatusRequest(container_id=a.id, verbose=True))
            print(json.dumps(to_dict(r)))
        elif a.verb == "ps":
            f = pb.ContainerFilter(pod_sandbox_id=a.pod)
            if not a.all:
                f.state.state = pb.CONTAINER_RUNNING
            for c in call(rt, "ListContainers", pb.ListContainersRequest(filter=f)).containers:
                print(c.id)
        elif a.verb == "exec":
            cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
            r = call(rt, "ExecSync", pb.ExecSyncRequest(container_id=a.id, cmd=cmd, timeout=a.grace))
            sys.stdout.buffer.write(r.stdout)
            sys.stderr.buffer.write(r.stderr)
            return r.exit_code
        elif a.verb == "wait":
            want = pb.ContainerState.Value(a.state)
            deadline = time.monotonic() + a.timeout
            while True:
                r = call(rt, "ContainerStatus", pb.ContainerStatusRequest(container_id=a.id))
                if r.status.state == want:
                    return 0
                if time.monotonic() > deadline:
                    print("crictl: wait: %s is %s, not %s after %gs" %
                          (a.id, pb.ContainerState.Name(r.status.state), a.state, a.timeout), file=sys.stderr)
                    return 1
                time.sleep(0.1)
        elif a.verb == "images":
            print(json.dumps(to_dict(call(img, "ListImages", pb.ListImagesRequest()))))
        elif a.verb == "inspecti":
            r = call(img, "ImageStatus", pb.ImageStatusRequest(image=pb.ImageSpec(image=a.image), verbose=True))
            print(json.dumps(to_dict(r)))
            return 0 if r.HasField("image") else 1
    except grpc.RpcError as e:
        print("crictl: %s: %s: %s" % (method, e.code().name, e.details()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

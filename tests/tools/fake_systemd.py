#!/usr/bin/python3
"""A stand-in for systemd's D-Bus manager, for testing cellrun's transient
scopes on hosts where systemd is not PID 1.

usage: fake_systemd.py LOG

Owns org.freedesktop.systemd1 on the bus in DBUS_SYSTEM_BUS_ADDRESS and
implements the Manager methods cellrun calls: Subscribe, StartTransientUnit
and StopUnit.  Each call is appended to LOG as one JSON line (method, unit,
mode, properties, and for a start the cgroup the pid is in).  Like systemd,
a start of a unit that exists fails with UnitExists, a stop of an unknown
unit fails with NoSuchUnit, a unit whose name contains "refused" is refused
with AccessDenied, and every job ends with a JobRemoved signal
sent after the method's reply.  Prints "ready" once the name is owned.
"""
import json
import sys

import dbus
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"
PATH = "/org/freedesktop/systemd1"


class Failure(dbus.DBusException):
    def __init__(self, name, msg):
        super().__init__(msg)
        self._dbus_error_name = name


def plain(v):
    """dbus types -> JSON-able Python values."""
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Array, list)):
        return [plain(x) for x in v]
    if isinstance(v, (dbus.Struct, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (dbus.Int32, dbus.UInt32, dbus.Int64, dbus.UInt64, dbus.Byte)):
        return int(v)
    return str(v)


class Manager(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, PATH)
        self.log = log
        self.units = set()
        self.job = 0

    def record(self, entry):
        with open(self.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def new_job(self, unit):
        self.job += 1
        path = "%s/job/%d" % (PATH, self.job)
        # after the reply, as systemd does: the caller learns the path first
        job = self.job
        GLib.idle_add(lambda: self.JobRemoved(job, path, unit, "done") and False)
        return dbus.ObjectPath(path)

    @dbus.service.method(MANAGER, in_signature="", out_signature="")
    def Subscribe(self):
        self.record({"method": "Subscribe"})

    @dbus.service.method(MANAGER, in_signature="ssa(sv)a(sa(sv))", out_signature="o")
    def StartTransientUnit(self, name, mode, props, aux):
        props = {str(k): plain(v) for k, v in props}
        entry = {"method": "StartTransientUnit", "unit": str(name), "mode": str(mode), "properties": props}
        for pid in props.get("PIDs", []):
            try:
                with open("/proc/%d/cgroup" % pid) as f:
                    entry.setdefault("cgroups", {})[str(pid)] = f.read().splitlines()
            except OSError as e:
                entry.setdefault("cgroups", {})[str(pid)] = str(e)
        self.record(entry)
        if "refused" in name:  # lets a test see how a systemd refusal is handled
            raise Failure("org.freedesktop.DBus.Error.AccessDenied", "Access denied to %s." % name)
        if name in self.units:
            raise Failure("org.freedesktop.systemd1.UnitExists", "Unit %s already exists." % name)
        self.units.add(str(name))
        return self.new_job(str(name))

    @dbus.service.method(MANAGER, in_signature="ss", out_signature="o")
    def StopUnit(self, name, mode):
        self.record({"method": "StopUnit", "unit": str(name), "mode": str(mode)})
        if name not in self.units:
            raise Failure("org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded." % name)
        self.units.discard(str(name))
        return self.new_job(str(name))

    @dbus.service.signal(MANAGER, signature="uoss")
    def JobRemoved(self, job_id, path, unit, result):
        pass


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    manager = Manager(bus, sys.argv[1])
    name = dbus.service.BusName("org.freedesktop.systemd1", bus)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del manager, name


if __name__ == "__main__":
    main()

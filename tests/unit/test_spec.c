/* libocispec: config.json / process.json / resources parsing, the writer's
   round trip, the default spec, and the state and features documents. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "features_json.h"
#include "spec.h"
#include "state_json.h"
#include "unit.h"
#include "base/utils.h"
#include "policy/profile.h"

/* JSON written with single quotes for readability; J() turns them into
   double quotes (no fixture here contains an apostrophe). The result is
   kept in a small ring so several can be live at once. */
static char *ring[8];
static int next;

static const char *
J (const char *s)
{
  free (ring[next]);
  char *out = strdup (s);
  for (char *p = out; *p; p++)
    if (*p == '\'')
      *p = '"';
  ring[next] = out;
  next = (next + 1) % 8;
  return out;
}

static struct spec *
parse (const char *json, struct cr_error *err)
{
  cr_error_clear (err);
  return spec_parse_data (json, strlen (json), err);
}

static const char *full_config =
    "{'ociVersion':'1.1.0+dev',"
    " 'root':{'path':'rootfs','readonly':true},"
    " 'mounts':["
    "   {'destination':'/proc','type':'proc','source':'proc'},"
    "   {'destination':'/data','type':'none','source':'/srv/data','options':['rbind','ro'],"
    "    'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
    "    'gidMappings':[{'containerID':0,'hostID':2000,'size':2}]}],"
    " 'process':{'terminal':true,'consoleSize':{'height':25,'width':80},"
    "   'user':{'uid':1,'gid':2,'umask':18,'additionalGids':[5,6,7],'username':'bob'},"
    "   'args':['sh','-c','true'],'env':['PATH=/bin','TERM=xterm'],'cwd':'/work',"
    "   'capabilities':{'bounding':['CAP_KILL','CAP_CHOWN'],'effective':['CAP_KILL'],"
    "     'inheritable':[],'permitted':['CAP_KILL'],'ambient':['CAP_KILL']},"
    "   'rlimits':[{'type':'RLIMIT_NOFILE','hard':18446744073709551615,'soft':1024},"
    "              {'type':'RLIMIT_CORE','hard':0,'soft':0}],"
    "   'noNewPrivileges':true,'oomScoreAdj':-500,'apparmorProfile':'aa','selinuxLabel':'se',"
    "   'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':4},"
    "   'scheduler':{'policy':'SCHED_OTHER'},'unknownField':{'ignored':[1,2]}},"
    " 'hostname':'box','domainname':'example.org',"
    " 'hooks':{'prestart':[{'path':'/bin/p0'}],"
    "   'createRuntime':[{'path':'/bin/cr','args':['cr','x'],'env':['A=1'],'timeout':5}],"
    "   'createContainer':[{'path':'/bin/cc'}],'startContainer':[{'path':'/bin/sc'}],"
    "   'poststart':[{'path':'/bin/ps1'},{'path':'/bin/ps2'}],'poststop':[{'path':'/bin/pst'}]},"
    " 'annotations':{'run.cellrun.profile':'strict','org.example':'v'},"
    " 'linux':{"
    "   'namespaces':[{'type':'pid'},{'type':'network','path':'/proc/1/ns/net'},{'type':'mount'},"
    "     {'type':'ipc'},{'type':'uts'},{'type':'user'},{'type':'cgroup'},{'type':'time'}],"
    "   'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
    "   'gidMappings':[{'containerID':0,'hostID':200000,'size':65536}],"
    "   'timeOffsets':{'monotonic':{'secs':-7,'nanosecs':9},'boottime':{'secs':3600,'nanosecs':0}},"
    "   'devices':[{'type':'c','path':'/dev/fuse','major':10,'minor':229,'fileMode':438,'uid':0,'gid':0},"
    "     {'type':'p','path':'/dev/fifo'}],"
    "   'cgroupsPath':'/cellrun/box',"
    "   "
    "'resources':{'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c','major':10,'minor':229,'access':'"
    "rw'}],"
    "     'memory':{'limit':536870912,'reservation':1,'swap':-1,'kernel':2,'kernelTCP':3,'swappiness':60,"
    "       'disableOOMKiller':true,'useHierarchy':false,'checkBeforeUpdate':true},"
    "     'cpu':{'shares':1024,'quota':50000,'burst':10,'period':100000,'realtimeRuntime':1,'realtimePeriod':2,"
    "       'cpus':'0-1','mems':'0','idle':1},"
    "     'pids':{'limit':-1},"
    "     'blockIO':{'weight':500,'leafWeight':300,'weightDevice':[{'major':8,'minor':0,'weight':100}],"
    "       'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1048576}],"
    "       'throttleWriteBpsDevice':[{'major':8,'minor':1,'rate':2}],"
    "       'throttleReadIOPSDevice':[{'major':8,'minor':2,'rate':3}],"
    "       'throttleWriteIOPSDevice':[{'major':8,'minor':3,'rate':4}]},"
    "     'hugepageLimits':[{'pageSize':'2MB','limit':209715200}],"
    "     'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':500}]},"
    "     'rdma':{'mlx5_1':{'hcaHandles':3,'hcaObjects':10000}},"
    "     'unified':{'memory.high':'1G','io.weight':'100'}},"
    "   'rootfsPropagation':'rslave',"
    "   'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,'architectures':['SCMP_ARCH_X86_64'],"
    "     'flags':['SECCOMP_FILTER_FLAG_LOG'],'listenerPath':'/run/l.sock','listenerMetadata':'meta',"
    "     'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
    "       {'names':['personality'],'action':'SCMP_ACT_ERRNO','errnoRet':38,"
    "        'args':[{'index':0,'value':18446744073709551615,'valueTwo':7,'op':'SCMP_CMP_MASKED_EQ'}]}]},"
    "   'sysctl':{'net.ipv4.ip_forward':'1'},"
    "   'maskedPaths':['/proc/kcore'],'readonlyPaths':['/proc/sys','/proc/bus'],"
    "   'mountLabel':'ml','personality':{'domain':'LINUX32','flags':['f1']},"
    "   'intelRdt':{'closID':'ignored'}}}";

static void
check_full (const struct spec *s, const char *what)
{
  CHECK (s != NULL, "%s: parses", what);
  if (s == NULL)
    return;
  CHECK_STR (s->oci_version, "1.1.0+dev", "%s: ociVersion", what);
  CHECK (s->root && strcmp (s->root->path, "rootfs") == 0 && s->root->readonly, "%s: root", what);
  CHECK (s->mounts_len == 2, "%s: mounts count", what);
  const struct spec_mount *m = &s->mounts[1];
  CHECK (strcmp (m->destination, "/data") == 0 && strcmp (m->type, "none") == 0 && strcmp (m->source, "/srv/data") == 0,
         "%s: mount fields", what);
  CHECK (m->options_len == 2 && strcmp (m->options[1], "ro") == 0 && m->options[2] == NULL,
         "%s: mount options NULL-terminated", what);
  CHECK (s->mounts[0].options == NULL && s->mounts[0].options_len == 0, "%s: absent options NULL", what);
  CHECK (m->uid_mappings_len == 1 && m->uid_mappings[0].host_id == 1000 && m->gid_mappings_len == 1
             && m->gid_mappings[0].size == 2,
         "%s: mount id mappings", what);

  const struct spec_process *p = s->process;
  CHECK (p != NULL, "%s: process present", what);
  if (p == NULL)
    return;
  CHECK (p->terminal && p->has_console_size && p->console_height == 25 && p->console_width == 80,
         "%s: terminal and consoleSize", what);
  CHECK (p->user.uid == 1 && p->user.gid == 2 && p->user.has_umask && p->user.umask == 18, "%s: user ids and umask",
         what);
  CHECK (p->user.additional_gids_len == 3 && p->user.additional_gids[2] == 7, "%s: additionalGids", what);
  CHECK_STR (p->user.username, "bob", "%s: username", what);
  CHECK (p->args_len == 3 && strcmp (p->args[2], "true") == 0 && p->args[3] == NULL, "%s: args", what);
  CHECK (p->env_len == 2 && strcmp (p->env[1], "TERM=xterm") == 0 && p->env[2] == NULL, "%s: env", what);
  CHECK_STR (p->cwd, "/work", "%s: cwd", what);
  CHECK (p->capabilities && p->capabilities->bounding_len == 2
             && strcmp (p->capabilities->bounding[1], "CAP_CHOWN") == 0 && p->capabilities->bounding[2] == NULL,
         "%s: bounding caps", what);
  CHECK (p->capabilities && p->capabilities->inheritable != NULL && p->capabilities->inheritable_len == 0
             && p->capabilities->inheritable[0] == NULL,
         "%s: empty inheritable set is present and empty", what);
  CHECK (p->capabilities && p->capabilities->ambient_len == 1 && p->capabilities->effective_len == 1
             && p->capabilities->permitted_len == 1,
         "%s: other cap sets", what);
  CHECK (p->rlimits_len == 2 && p->rlimits[0].hard == UINT64_MAX && p->rlimits[0].soft == 1024
             && strcmp (p->rlimits[1].type, "RLIMIT_CORE") == 0,
         "%s: rlimits (incl. RLIM_INFINITY)", what);
  CHECK (p->no_new_privileges && p->has_oom_score_adj && p->oom_score_adj == -500, "%s: nnp, oomScoreAdj", what);
  CHECK_STR (p->apparmor_profile, "aa", "%s: apparmorProfile", what);
  CHECK_STR (p->selinux_label, "se", "%s: selinuxLabel", what);
  CHECK (p->io_priority_class && strcmp (p->io_priority_class, "IOPRIO_CLASS_BE") == 0 && p->has_io_priority
             && p->io_priority == 4,
         "%s: ioPriority", what);
  CHECK_STR (p->scheduler_policy, "SCHED_OTHER", "%s: scheduler policy", what);

  CHECK_STR (s->hostname, "box", "%s: hostname", what);
  CHECK_STR (s->domainname, "example.org", "%s: domainname", what);
  const struct spec_hooks *h = s->hooks;
  CHECK (h && h->prestart_len == 1 && h->create_runtime_len == 1 && h->create_container_len == 1
             && h->start_container_len == 1 && h->poststart_len == 2 && h->poststop_len == 1,
         "%s: six hook kinds", what);
  if (h && h->create_runtime_len == 1)
    {
      const struct spec_hook *cr = &h->create_runtime[0];
      CHECK (strcmp (cr->path, "/bin/cr") == 0 && cr->args_len == 2 && cr->args[2] == NULL && cr->env_len == 1
                 && cr->has_timeout && cr->timeout == 5,
             "%s: hook fields", what);
      CHECK (!h->prestart[0].has_timeout && h->prestart[0].args == NULL, "%s: hook defaults", what);
      CHECK_STR (h->poststart[1].path, "/bin/ps2", "%s: second poststart", what);
    }
  CHECK_STR (spec_annotation (s, "run.cellrun.profile"), "strict", "%s: annotation lookup", what);
  CHECK (spec_annotation (s, "nope") == NULL, "%s: missing annotation", what);

  const struct spec_linux *l = s->linux;
  CHECK (l != NULL, "%s: linux present", what);
  if (l == NULL)
    return;
  CHECK (l->namespaces_len == 8 && strcmp (l->namespaces[1].type, "network") == 0
             && strcmp (l->namespaces[1].path, "/proc/1/ns/net") == 0 && l->namespaces[0].path == NULL,
         "%s: namespaces", what);
  CHECK (l->uid_mappings_len == 1 && l->uid_mappings[0].host_id == 100000 && l->uid_mappings[0].size == 65536
             && l->gid_mappings_len == 1 && l->gid_mappings[0].host_id == 200000,
         "%s: id mappings", what);
  CHECK (l->time_offsets_len == 2 && strcmp (l->time_offsets[0].clock, "monotonic") == 0
             && l->time_offsets[0].secs == -7 && l->time_offsets[0].nanosecs == 9 && l->time_offsets[1].secs == 3600,
         "%s: timeOffsets", what);
  CHECK (l->devices_len == 2 && strcmp (l->devices[0].type, "c") == 0 && l->devices[0].major == 10
             && l->devices[0].minor == 229 && l->devices[0].has_file_mode && l->devices[0].file_mode == 0666
             && l->devices[0].has_uid && !l->devices[1].has_major,
         "%s: devices", what);
  CHECK_STR (l->cgroups_path, "/cellrun/box", "%s: cgroupsPath", what);
  CHECK_STR (l->rootfs_propagation, "rslave", "%s: rootfsPropagation", what);

  const struct spec_resources *r = l->resources;
  CHECK (r != NULL, "%s: resources present", what);
  if (r)
    {
      CHECK (r->devices_len == 2 && !r->devices[0].allow && r->devices[0].type == NULL && r->devices[1].allow
                 && r->devices[1].has_major && r->devices[1].minor == 229 && strcmp (r->devices[1].access, "rw") == 0,
             "%s: device cgroup rules", what);
      CHECK (r->memory && r->memory->has_limit && r->memory->limit == 536870912 && r->memory->swap == -1
                 && r->memory->has_swappiness && r->memory->swappiness == 60 && r->memory->disable_oom_killer
                 && r->memory->has_use_hierarchy && !r->memory->use_hierarchy && r->memory->check_before_update
                 && r->memory->kernel_tcp == 3,
             "%s: memory", what);
      CHECK (r->cpu && r->cpu->shares == 1024 && r->cpu->quota == 50000 && r->cpu->period == 100000
                 && r->cpu->burst == 10 && r->cpu->realtime_runtime == 1 && r->cpu->realtime_period == 2
                 && strcmp (r->cpu->cpus, "0-1") == 0 && strcmp (r->cpu->mems, "0") == 0 && r->cpu->has_idle,
             "%s: cpu", what);
      CHECK (r->has_pids_limit && r->pids_limit == -1, "%s: pids", what);
      CHECK (r->block_io && r->block_io->weight == 500 && r->block_io->leaf_weight == 300
                 && r->block_io->weight_device_len == 1 && r->block_io->weight_device[0].has_weight
                 && !r->block_io->weight_device[0].has_leaf_weight
                 && r->block_io->throttle_read_bps_device[0].rate == 1048576
                 && r->block_io->throttle_write_iops_device[0].minor == 3,
             "%s: blockIO", what);
      CHECK (r->hugepage_limits_len == 1 && strcmp (r->hugepage_limits[0].page_size, "2MB") == 0, "%s: hugepageLimits",
             what);
      CHECK (r->has_net_class_id && r->net_class_id == 1048577 && r->net_priorities_len == 1
                 && r->net_priorities[0].priority == 500,
             "%s: network", what);
      CHECK (r->rdma_len == 1 && strcmp (r->rdma[0].device, "mlx5_1") == 0 && r->rdma[0].hca_handles == 3
                 && r->rdma[0].hca_objects == 10000,
             "%s: rdma", what);
      CHECK (r->unified_len == 2 && strcmp (r->unified[0].key, "memory.high") == 0
                 && strcmp (r->unified[0].value, "1G") == 0,
             "%s: unified", what);
    }

  const struct spec_seccomp *sc = l->seccomp;
  CHECK (sc && strcmp (sc->default_action, "SCMP_ACT_ERRNO") == 0 && sc->has_default_errno_ret
             && sc->default_errno_ret == 1 && sc->architectures_len == 1 && sc->flags_len == 1
             && strcmp (sc->listener_path, "/run/l.sock") == 0 && strcmp (sc->listener_metadata, "meta") == 0,
         "%s: seccomp header", what);
  if (sc && sc->syscalls_len == 2)
    {
      CHECK (sc->syscalls[0].names_len == 2 && sc->syscalls[0].names[2] == NULL && !sc->syscalls[0].has_errno_ret,
             "%s: seccomp rule 0", what);
      const struct spec_seccomp_syscall *s1 = &sc->syscalls[1];
      CHECK (s1->has_errno_ret && s1->errno_ret == 38 && s1->args_len == 1 && s1->args[0].value == UINT64_MAX
                 && s1->args[0].has_value_two && s1->args[0].value_two == 7
                 && strcmp (s1->args[0].op, "SCMP_CMP_MASKED_EQ") == 0,
             "%s: seccomp rule 1 args", what);
    }
  else
    CHECK (0, "%s: seccomp syscalls count", what);
  CHECK (l->sysctl_len == 1 && strcmp (l->sysctl[0].key, "net.ipv4.ip_forward") == 0, "%s: sysctl", what);
  CHECK (l->masked_paths_len == 1 && l->readonly_paths_len == 2 && l->readonly_paths[2] == NULL,
         "%s: masked/readonly paths", what);
  CHECK_STR (l->mount_label, "ml", "%s: mountLabel", what);
  CHECK (l->personality && strcmp (l->personality->domain, "LINUX32") == 0 && l->personality->flags_len == 1,
         "%s: personality", what);
}

static void
test_full_and_round_trip (void)
{
  struct cr_error err = { 0 };
  struct spec *s = parse (J (full_config), &err);
  if (s == NULL)
    printf ("# error: %s\n", err.msg);
  check_full (s, "full config");

  char *json1 = spec_to_json (s, &err);
  CHECK (json1 != NULL, "spec_to_json succeeds");
  struct spec *s2 = json1 ? parse (json1, &err) : NULL;
  if (s2 == NULL)
    printf ("# reparse error: %s\n", err.msg);
  check_full (s2, "round trip");
  char *json2 = s2 ? spec_to_json (s2, &err) : NULL;
  CHECK (json1 && json2 && strcmp (json1, json2) == 0, "write(parse(write(x))) == write(x)");
  free (json1);
  free (json2);
  spec_free (s);
  spec_free (s2);
}

static void
test_versions (void)
{
  static const char *ok[] = { "1.0.0", "1.0.2-dev", "1.1.0+dev", "1.2.0", "1.2.1", "1.0.0-rc5" };
  static const char *bad[] = { "1.3.0", "2.0.0", "1.0", "0.9.0", "1.2.x", "abc" };
  char buf[256];
  struct cr_error err;
  for (size_t i = 0; i < ARRAY_SIZE (ok); i++)
    {
      snprintf (buf, sizeof buf, "{\"ociVersion\":\"%s\"}", ok[i]);
      struct spec *s = parse (buf, &err);
      CHECK (s != NULL, "ociVersion %s accepted", ok[i]);
      spec_free (s);
    }
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      char want[256];
      snprintf (buf, sizeof buf, "{\"ociVersion\":\"%s\"}", bad[i]);
      snprintf (want, sizeof want, "ociVersion: unsupported version %s (supported: 1.0.x to 1.2.x)", bad[i]);
      struct spec *s = parse (buf, &err);
      CHECK (s == NULL, "ociVersion %s rejected", bad[i]);
      CHECK_STR (err.msg, want, "ociVersion %s message", bad[i]);
      spec_free (s);
    }
}

#define PROC "'process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/'}"

static const struct
{
  const char *json;
  const char *msg;
} malformed[] = {
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':-1,'gid':0},'args':['sh'],'cwd':'/'}}",
    "process.user.uid: expected a non-negative integer" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':1.5,'gid':0},'args':['sh'],'cwd':'/'}}",
    "process.user.uid: expected a non-negative integer" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':4294967296,'gid':0},'args':['sh'],'cwd':'/'}}",
    "process.user.uid: integer out of range (max 4294967295)" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0},'args':['sh'],'cwd':'/'}}",
    "process.user.gid: missing required field" },
  { "{'ociVersion':'1.2.0','process':{'args':['sh'],'cwd':'/'}}", "process.user: missing required field" },
  { "{'ociVersion':'1.2.0','mounts':[{'destination':'/a'},{'destination':'/b'},{'destination':42}]}",
    "mounts[2].destination: expected a string" },
  { "{'ociVersion':'1.2.0','mounts':[{'type':'proc'}]}", "mounts[0].destination: missing required field" },
  { "{'ociVersion':'1.2.0','mounts':{}}", "mounts: expected an array" },
  { "{'ociVersion':'1.2.0','mounts':['/proc']}", "mounts[0]: expected an object" },
  { "{'ociVersion':'1.2.0','mounts':[{'destination':'/a','options':'ro'}]}",
    "mounts[0].options: expected an array of strings" },
  { "{'ociVersion':'1.2.0','linux':{'namespaces':[{'path':'/x'}]}}",
    "linux.namespaces[0].type: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'namespaces':[{'type':'pid'},{'type':'net'}]}}",
    "linux.namespaces[1].type: unsupported value \"net\" (expected one of: pid, network, mount, ipc, uts, user, "
    "cgroup, time)" },
  { "{'ociVersion':'1.2.0','linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}}",
    "linux.namespaces[1].type: namespace \"pid\" listed more than once" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':['sh',1],'cwd':'/'}}",
    "process.args: expected an array of strings" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':[],'cwd':'/'}}",
    "process.args: at least one entry is required" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':['sh']}}",
    "process.cwd: missing required field" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'tmp'}}",
    "process.cwd: expected an absolute path" },
  { "{'ociVersion':'1.2.0','process':{'terminal':'yes','user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/'}}",
    "process.terminal: expected a boolean" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/','consoleSize':{'height':1}}}",
    "process.consoleSize.width: missing required field" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/',"
    "'capabilities':{'bounding':'CAP_KILL'}}}",
    "process.capabilities.bounding: expected an array of strings" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/',"
    "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1}]}}",
    "process.rlimits[0].soft: missing required field" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0,'additionalGids':[1,'x']},'args':['sh'],'cwd':'/'}}",
    "process.user.additionalGids[1]: expected a non-negative integer" },
  { "{'ociVersion':'1.2.0','process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/','oomScoreAdj':'x'}}",
    "process.oomScoreAdj: expected an integer" },
  { "[1,2]", "config.json: expected a JSON object" },
  { "{'ociVersion':'1.2.0',", "config.json: invalid JSON: parse error: premature EOF" },
  { "{'ociVersion':'1.2.0','x':}",
    "config.json: invalid JSON: parse error: unallowed token at this point in JSON text" },
  { "", "config.json: invalid JSON: parse error: premature EOF" },
  { "{'root':{'path':'rootfs'}}", "ociVersion: missing required field" },
  { "{'ociVersion':1}", "ociVersion: expected a string" },
  { "{'ociVersion':'1.2.0','root':{'readonly':true}}", "root.path: missing required field" },
  { "{'ociVersion':'1.2.0','root':'rootfs'}", "root: expected an object" },
  { "{'ociVersion':'1.2.0','hostname':7}", "hostname: expected a string" },
  { "{'ociVersion':'1.2.0','hooks':{'prestart':[{'args':['x']}]}}", "hooks.prestart[0].path: missing required field" },
  { "{'ociVersion':'1.2.0','hooks':{'poststop':[{'path':'/a'},{'path':'/b','timeout':0}]}}",
    "hooks.poststop[1].timeout: expected a positive integer" },
  { "{'ociVersion':'1.2.0','hooks':{'createRuntime':[{'path':'/a','env':[1]}]}}",
    "hooks.createRuntime[0].env: expected an array of strings" },
  { "{'ociVersion':'1.2.0','annotations':{'foo':1}}", "annotations.foo: expected a string" },
  { "{'ociVersion':'1.2.0','annotations':['a']}", "annotations: expected an object" },
  { "{'ociVersion':'1.2.0','linux':{'rootfsPropagation':'rec'}}",
    "linux.rootfsPropagation: unsupported value \"rec\" (expected one of: shared, slave, private, unbindable, "
    "rshared, rslave, rprivate, runbindable)" },
  { "{'ociVersion':'1.2.0','linux':{'devices':[{'type':'x','path':'/dev/x'}]}}",
    "linux.devices[0].type: unsupported value \"x\" (expected one of: c, b, u, p)" },
  { "{'ociVersion':'1.2.0','linux':{'devices':[{'type':'c','major':1,'minor':3}]}}",
    "linux.devices[0].path: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'devices':[{'type':'c','path':'/dev/null','minor':3}]}}",
    "linux.devices[0].major: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'devices':[{'path':'/dev/null'}]}}",
    "linux.devices[0].type: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'uidMappings':[{'containerID':0,'hostID':1}]}}",
    "linux.uidMappings[0].size: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'timeOffsets':{'monotonic':{'secs':'x'}}}}",
    "linux.timeOffsets.monotonic.secs: expected an integer" },
  { "{'ociVersion':'1.2.0','linux':{'sysctl':{'net.ipv4.ip_forward':1}}}",
    "linux.sysctl.net.ipv4.ip_forward: expected a string" },
  { "{'ociVersion':'1.2.0','linux':{'seccomp':{'syscalls':[]}}}",
    "linux.seccomp.defaultAction: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_ERRNO'}"
    "]}}}",
    "linux.seccomp.syscalls[0].names: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]}}}",
    "linux.seccomp.syscalls[0].action: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
    "'action':'SCMP_ACT_ERRNO','args':[{'value':1,'op':'SCMP_CMP_EQ'}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].index: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
    "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':'1','op':'SCMP_CMP_EQ'}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].value: expected a non-negative integer" },
  { "{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
    "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].op: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'resources':{'memory':{'limit':'1G'}}}}",
    "linux.resources.memory.limit: expected an integer" },
  { "{'ociVersion':'1.2.0','linux':{'resources':{'pids':{}}}}", "linux.resources.pids.limit: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'resources':{'devices':[{'access':'rwm'}]}}}",
    "linux.resources.devices[0].allow: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}}}}",
    "linux.resources.blockIO.throttleReadBpsDevice[0].rate: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'resources':{'unified':{'memory.max':5}}}}",
    "linux.resources.unified.memory.max: expected a string" },
  { "{'ociVersion':'1.2.0','linux':{'personality':{'flags':[]}}}", "linux.personality.domain: missing required field" },
  { "{'ociVersion':'1.2.0','linux':{'maskedPaths':[null]}}", "linux.maskedPaths: expected an array of strings" },
};

static void
test_malformed (void)
{
  struct cr_error err;
  CHECK (ARRAY_SIZE (malformed) >= 25, "at least 25 malformed documents (%zu)", ARRAY_SIZE (malformed));
  for (size_t i = 0; i < ARRAY_SIZE (malformed); i++)
    {
      struct spec *s = parse (J (malformed[i].json), &err);
      CHECK (s == NULL, "malformed %zu rejected", i);
      CHECK_STR (err.msg, malformed[i].msg, "malformed %zu message", i);
      spec_free (s);
    }
  /* A minimal valid document around PROC: the failures above are not
     caused by the shared scaffolding. */
  struct spec *s = parse (J ("{'ociVersion':'1.2.0'," PROC "}"), &err);
  CHECK (s != NULL && s->process && s->process->args_len == 1, "minimal process document parses");
  spec_free (s);

  char *deep = malloc (100001);
  memset (deep, '[', 100000);
  deep[100000] = '\0';
  s = parse (deep, &err);
  CHECK (s == NULL, "deeply nested JSON rejected");
  CHECK_STR (err.msg, "config.json: invalid JSON: nesting deeper than 256 levels", "deep nesting message");
  free (deep);

  s = spec_parse_file ("/nonexistent/cellrun/config.json", &err);
  CHECK (s == NULL, "missing file fails");
  CHECK_STR (err.msg, "open /nonexistent/cellrun/config.json: No such file or directory", "missing file message");
}

static void
test_default (bool rootless)
{
  const char *what = rootless ? "default rootless" : "default";
  struct cr_error err = { 0 };
  char *json = spec_default_json (rootless, 1000, 1001);
  struct spec *s = parse (json, &err);
  if (s == NULL)
    printf ("# error: %s\n", err.msg);
  CHECK (s != NULL, "%s: parses", what);
  CHECK (strchr (json, '\n') != NULL, "%s: pretty-printed", what);
  free (json);
  if (s == NULL)
    return;
  CHECK_STR (s->oci_version, "1.2.0", "%s: ociVersion", what);
  CHECK (s->root && strcmp (s->root->path, "rootfs") == 0 && s->root->readonly, "%s: root", what);
  CHECK_STR (s->hostname, "cellrun", "%s: hostname", what);
  const struct spec_process *p = s->process;
  CHECK (p && p->terminal && p->args_len == 1 && strcmp (p->args[0], "sh") == 0, "%s: terminal sh", what);
  CHECK (p && p->env_len == 2 && strcmp (p->env[1], "TERM=xterm") == 0 && has_prefix (p->env[0], "PATH="), "%s: env",
         what);
  CHECK (p && strcmp (p->cwd, "/") == 0 && p->no_new_privileges, "%s: cwd, noNewPrivileges", what);
  CHECK (p && p->capabilities && p->capabilities->bounding_len == 3 && p->capabilities->effective_len == 3
             && p->capabilities->permitted_len == 3
             && strcmp (p->capabilities->bounding[2], "CAP_NET_BIND_SERVICE") == 0,
         "%s: capabilities", what);
  CHECK (p && p->rlimits_len == 1 && strcmp (p->rlimits[0].type, "RLIMIT_NOFILE") == 0 && p->rlimits[0].hard == 1024
             && p->rlimits[0].soft == 1024,
         "%s: rlimit", what);

  bool has_cgroup_mount = false, has_net = false, has_user = false, sys_is_bind = false, pts_gid5 = false;
  for (size_t i = 0; i < s->mounts_len; i++)
    {
      const struct spec_mount *m = &s->mounts[i];
      if (strcmp (m->destination, "/sys/fs/cgroup") == 0)
        has_cgroup_mount = true;
      if (strcmp (m->destination, "/sys") == 0)
        for (size_t j = 0; j < m->options_len; j++)
          if (strcmp (m->options[j], "rbind") == 0)
            sys_is_bind = true;
      if (strcmp (m->destination, "/dev/pts") == 0)
        for (size_t j = 0; j < m->options_len; j++)
          if (strcmp (m->options[j], "gid=5") == 0)
            pts_gid5 = true;
    }
  CHECK (s->mounts_len == (rootless ? 6u : 7u) && strcmp (s->mounts[0].destination, "/proc") == 0, "%s: mounts", what);
  CHECK (has_cgroup_mount == !rootless, "%s: cgroup mount", what);
  CHECK (sys_is_bind == rootless, "%s: /sys bind", what);
  CHECK (pts_gid5 == !rootless, "%s: devpts gid=5", what);

  const struct spec_linux *l = s->linux;
  CHECK (l != NULL, "%s: linux", what);
  if (l == NULL)
    {
      spec_free (s);
      return;
    }
  for (size_t i = 0; i < l->namespaces_len; i++)
    {
      has_net |= strcmp (l->namespaces[i].type, "network") == 0;
      has_user |= strcmp (l->namespaces[i].type, "user") == 0;
    }
  CHECK (l->namespaces_len == 6, "%s: six namespaces", what);
  CHECK (has_net == !rootless && has_user == rootless, "%s: network/user namespaces", what);
  if (rootless)
    CHECK (l->uid_mappings_len == 1 && l->uid_mappings[0].container_id == 0 && l->uid_mappings[0].host_id == 1000
               && l->uid_mappings[0].size == 1 && l->gid_mappings_len == 1 && l->gid_mappings[0].host_id == 1001,
           "%s: id mappings", what);
  else
    CHECK (l->uid_mappings_len == 0, "%s: no id mappings", what);
  CHECK (l->cgroups_path == NULL, "%s: no cgroupsPath", what);
  CHECK (l->masked_paths_len == 10 && strcmp (l->masked_paths[9], "/proc/scsi") == 0, "%s: maskedPaths", what);
  CHECK (l->readonly_paths_len == 5 && strcmp (l->readonly_paths[4], "/proc/sysrq-trigger") == 0, "%s: readonlyPaths",
         what);
  spec_free (s);
}

static void
test_process_json (void)
{
  struct cr_error err = { 0 };
  const char *doc = J ("{'terminal':false,'user':{'uid':1000,'gid':1000},'args':['ls','-l'],"
                       "'env':['A=B'],'cwd':'/tmp','capabilities':{'bounding':['CAP_KILL']},"
                       "'noNewPrivileges':true}");
  struct spec_process *p = spec_parse_process_data (doc, strlen (doc), &err);
  CHECK (p != NULL, "process.json parses");
  CHECK (p && p->user.uid == 1000 && p->args_len == 2 && p->args[2] == NULL && strcmp (p->cwd, "/tmp") == 0
             && p->no_new_privileges && p->capabilities && p->capabilities->bounding_len == 1,
         "process.json fields");
  spec_process_free (p);

  doc = J ("{'user':{'uid':'0','gid':0},'args':['sh'],'cwd':'/'}");
  p = spec_parse_process_data (doc, strlen (doc), &err);
  CHECK (p == NULL, "process.json bad uid rejected");
  CHECK_STR (err.msg, "process.user.uid: expected a non-negative integer", "process.json error path");
  doc = J ("{'user':{'uid':0,'gid':0},'args':['sh']}");
  p = spec_parse_process_data (doc, strlen (doc), &err);
  CHECK_STR (err.msg, "process.cwd: missing required field", "process.json missing cwd");
  spec_process_free (p);
  p = spec_parse_process_data ("[", 1, &err);
  CHECK (p == NULL && has_prefix (err.msg, "process.json: invalid JSON: "), "process.json invalid JSON: %s", err.msg);
  p = spec_parse_process_data ("[]", 2, &err);
  CHECK_STR (err.msg, "process: expected an object", "process.json not an object");
}

static void
test_resources_json (void)
{
  struct cr_error err = { 0 };
  const char *doc = J ("{'memory':{'limit':1048576,'swap':2097152},'cpu':{'shares':512,'cpus':'1'},"
                       "'pids':{'limit':64},'unified':{'pids.max':'64'}}");
  struct spec_resources *r = spec_parse_resources_data (doc, strlen (doc), &err);
  CHECK (r != NULL, "resources parse");
  CHECK (r && r->memory && r->memory->limit == 1048576 && r->memory->has_swap && !r->memory->has_reservation && r->cpu
             && r->cpu->shares == 512 && r->has_pids_limit && r->pids_limit == 64 && r->unified_len == 1
             && r->block_io == NULL,
         "resources fields");
  spec_resources_free (r);

  doc = J ("{'memory':{'limit':'x'}}");
  r = spec_parse_resources_data (doc, strlen (doc), &err);
  CHECK (r == NULL, "resources bad limit rejected");
  CHECK_STR (err.msg, "resources.memory.limit: expected an integer", "resources error path");
  doc = J ("{'cpu':{'shares':-2}}");
  r = spec_parse_resources_data (doc, strlen (doc), &err);
  CHECK_STR (err.msg, "resources.cpu.shares: expected a non-negative integer", "resources cpu.shares");
  spec_resources_free (r);
  r = spec_parse_resources_data ("{", 1, &err);
  CHECK (r == NULL && has_prefix (err.msg, "resources.json: invalid JSON: "), "resources invalid JSON: %s", err.msg);
}

/* Look up a dotted path in a yajl tree, for checking generated documents. */
static yajl_val
tree_get (yajl_val v, const char *a, const char *b, yajl_type t)
{
  const char *path[] = { a, b, NULL };
  return yajl_tree_get (v, path, t);
}

static bool
array_contains (yajl_val arr, const char *s)
{
  if (!YAJL_IS_ARRAY (arr))
    return false;
  for (size_t i = 0; i < arr->u.array.len; i++)
    if (YAJL_IS_STRING (arr->u.array.values[i]) && strcmp (arr->u.array.values[i]->u.string, s) == 0)
      return true;
  return false;
}

static void
test_state_json (void)
{
  struct spec_kv ann[] = { { (char *) "k", (char *) "v" } };
  struct oci_state st = { .oci_version = "1.2.0",
                          .id = "c1",
                          .status = "running",
                          .pid = 42,
                          .bundle = "/b",
                          .annotations = ann,
                          .annotations_len = 1,
                          .created = "2024-01-02T03:04:05.000000000Z",
                          .owner = "root",
                          .profile = "strict" };
  char errbuf[256];
  char *json = oci_state_to_json (&st, true);
  yajl_val v = yajl_tree_parse (json, errbuf, sizeof errbuf);
  CHECK (v != NULL, "state JSON is valid");
  CHECK (tree_get (v, "ociVersion", NULL, yajl_t_string) && tree_get (v, "id", NULL, yajl_t_string)
             && tree_get (v, "status", NULL, yajl_t_string) && tree_get (v, "bundle", NULL, yajl_t_string)
             && tree_get (v, "created", NULL, yajl_t_string) && tree_get (v, "owner", NULL, yajl_t_string),
         "state has the runtime.md keys");
  yajl_val pid = tree_get (v, "pid", NULL, yajl_t_number);
  CHECK (pid && YAJL_GET_INTEGER (pid) == 42, "state pid");
  yajl_val a = tree_get (v, "annotations", "k", yajl_t_string);
  CHECK (a && strcmp (a->u.string, "v") == 0, "state annotations");
  CHECK (tree_get (v, "profile", NULL, yajl_t_string) != NULL, "state profile when set");
  yajl_tree_free (v);
  free (json);

  st.pid = 0;
  st.status = "stopped";
  st.profile = NULL;
  json = oci_state_to_json (&st, false);
  v = yajl_tree_parse (json, errbuf, sizeof errbuf);
  CHECK (v != NULL && strchr (json, '\n') == NULL, "compact state JSON is valid");
  CHECK (tree_get (v, "pid", NULL, yajl_t_any) == NULL, "pid omitted when 0");
  CHECK (tree_get (v, "profile", NULL, yajl_t_any) == NULL, "profile omitted when NULL");
  yajl_tree_free (v);
  free (json);
}

/* cellrun's private state file: the exact text written (older and newer
   runtimes read the same file), the round trip, older files without the
   newer fields, and the list writer of `cellrun list --format json`. */
static void
test_state_file (void)
{
  struct spec_kv ann[] = { { (char *) "k", (char *) "v" } };
  struct container_state st = { .id = (char *) "c1",
                                .bundle = (char *) "/b",
                                .rootfs = (char *) "/b/rootfs",
                                .pid = 42,
                                .pid_start_time = 12345,
                                .created = (char *) "2024-01-02T03:04:05.000000000Z",
                                .owner_uid = 1000,
                                .cgroup_root = (char *) "/sys/fs/cgroup",
                                .cgroup_path = (char *) "/cellrun/c1",
                                .profile = (char *) "strict",
                                .env_policy_operator = true,
                                .workspace_upper = (char *) "/s/upper",
                                .workspace_lower = (char *) "/h",
                                .workspace_tmpfs = true,
                                .annotations = ann,
                                .annotations_len = 1 };
  char *json = state_file_to_json (&st);
  CHECK_STR (json,
             "{\"id\":\"c1\",\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"pid\":42,\"pidStartTime\":12345,"
             "\"created\":\"2024-01-02T03:04:05.000000000Z\",\"ownerUid\":1000,\"cgroupRoot\":\"/sys/fs/cgroup\","
             "\"cgroupPath\":\"/cellrun/c1\",\"profile\":\"strict\",\"envPolicyFrom\":\"operator\","
             "\"workspaceUpper\":\"/s/upper\",\"workspaceLower\":\"/h\",\"workspaceTmpfs\":true,"
             "\"workspaceUserxattr\":false,\"annotations\":{\"k\":\"v\"}}",
             "state file: exact text, NULL fields left out");
  struct cr_error err = { 0 };
  struct container_state *back = state_file_parse (json, strlen (json), "state.json", &err);
  CHECK (back && strcmp (back->id, "c1") == 0 && back->pid == 42 && back->pid_start_time == 12345 && back->owner == NULL
             && back->owner_uid == 1000 && strcmp (back->cgroup_path, "/cellrun/c1") == 0 && back->systemd_unit == NULL
             && back->env_policy == NULL && back->env_policy_operator && back->workspace_tmpfs
             && !back->workspace_userxattr && back->annotations_len == 1
             && strcmp (back->annotations[0].value, "v") == 0,
         "state file: round trip");
  state_file_free (back);
  free (json);

  const char *old = "{\"id\":\"c2\",\"pid\":7,\"annotations\":{\"n\":1}}";
  back = state_file_parse (old, strlen (old), "state.json", &err);
  CHECK (back && back->pid == 7 && back->bundle == NULL && !back->env_policy_operator && !back->workspace_tmpfs
             && back->annotations_len == 1 && strcmp (back->annotations[0].value, "") == 0,
         "state file: an older file reads with defaults (envPolicyFrom absent = bundle)");
  state_file_free (back);
  back = state_file_parse ("{\"id\":", 6, "state.json", &err);
  CHECK (back == NULL && has_prefix (err.msg, "state.json: invalid JSON"), "state file: truncated (%s)", err.msg);

  char *docs[] = { (char *) "{\n\t\"id\": \"a\"\n}", (char *) "{\"id\":\"b\"}" };
  json = oci_state_list_to_json (docs, 2);
  CHECK_STR (json, "[{\n\t\"id\": \"a\"\n},{\"id\":\"b\"}]", "list: documents embedded as they are");
  free (json);
  json = oci_state_list_to_json (NULL, 0);
  CHECK_STR (json, "[]", "list: empty");
  free (json);
}

static void
test_features_json (void)
{
  char errbuf[256];
  const struct features_annotations ann = { .annotations = profile_annotations,
                                            .annotations_len = profile_annotations_len,
                                            .unsafe_prefixes = profile_unsafe_annotations };
  char *json = features_to_json (&ann);
  yajl_val v = yajl_tree_parse (json, errbuf, sizeof errbuf);
  CHECK (v != NULL, "features JSON is valid");
  yajl_val min = tree_get (v, "ociVersionMin", NULL, yajl_t_string);
  yajl_val max = tree_get (v, "ociVersionMax", NULL, yajl_t_string);
  CHECK (min && max && strcmp (min->u.string, "1.0.0") == 0 && strcmp (max->u.string, "1.2.0") == 0,
         "features version range");
  yajl_val hooks = tree_get (v, "hooks", NULL, yajl_t_array);
  CHECK (hooks && hooks->u.array.len == 6 && array_contains (hooks, "createRuntime"), "features hooks");
  yajl_val opts = tree_get (v, "mountOptions", NULL, yajl_t_array);
  CHECK (array_contains (opts, "rbind") && array_contains (opts, "nosymfollow"), "features mountOptions");
  yajl_val linux_ = tree_get (v, "linux", NULL, yajl_t_object);
  CHECK (linux_ != NULL, "features linux");
  const char *caps_path[] = { "capabilities", NULL };
  const char *ns_path[] = { "namespaces", NULL };
  const char *archs_path[] = { "seccomp", "archs", NULL };
  const char *flags_path[] = { "seccomp", "supportedFlags", NULL };
  const char *v2_path[] = { "cgroup", "v2", NULL };
  const char *idmap_path[] = { "mountExtensions", "idmap", "enabled", NULL };
  yajl_val caps = yajl_tree_get (linux_, caps_path, yajl_t_array);
  CHECK (array_contains (caps, "CAP_SYS_ADMIN") && array_contains (caps, "CAP_CHOWN"), "features capabilities");
  CHECK (array_contains (yajl_tree_get (linux_, ns_path, yajl_t_array), "time"), "features namespaces");
  CHECK (array_contains (yajl_tree_get (linux_, archs_path, yajl_t_array), "SCMP_ARCH_X86_64"),
         "features seccomp archs");
  CHECK (array_contains (yajl_tree_get (linux_, flags_path, yajl_t_array), "SECCOMP_FILTER_FLAG_TSYNC"),
         "features seccomp flags");
  CHECK (YAJL_IS_TRUE (yajl_tree_get (linux_, v2_path, yajl_t_any)), "features cgroup v2");
  CHECK (YAJL_IS_FALSE (yajl_tree_get (linux_, idmap_path, yajl_t_any)), "features idmap disabled");
  CHECK (tree_get (v, "annotations", "run.cellrun.profile", yajl_t_string) != NULL
             && tree_get (v, "annotations", "run.cellrun.env", yajl_t_string) != NULL,
         "features annotations");
  CHECK (array_contains (tree_get (v, "potentiallyUnsafeConfigAnnotations", NULL, yajl_t_array), "run.cellrun."),
         "features unsafe annotations");
  yajl_tree_free (v);
  free (json);
}

int
main (void)
{
  test_full_and_round_trip ();
  test_versions ();
  test_malformed ();
  test_default (false);
  test_default (true);
  test_process_json ();
  test_resources_json ();
  test_state_json ();
  test_state_file ();
  test_features_json ();
  for (int i = 0; i < 8; i++)
    free (ring[i]); /* keep leak checkers quiet */
  return UNIT_DONE ();
}

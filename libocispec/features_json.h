/* The runtime-spec features document (features.md) printed by
   `cellrun features`: what this build of cellrun implements. */
#ifndef LIBOCISPEC_FEATURES_JSON_H
#define LIBOCISPEC_FEATURES_JSON_H

/* malloc'd pretty-printed JSON; never NULL (aborts on OOM). Probes the
   host only for apparmor/selinux availability. */
char *features_to_json (void);

#endif

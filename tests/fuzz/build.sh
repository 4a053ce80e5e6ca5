#!/bin/bash
# Build the libFuzzer targets with clang and run each for FUZZ_SECONDS.
#   tests/fuzz/build.sh SRCDIR BUILDDIR [--build-only | --replay]
# SRCDIR is the source tree, BUILDDIR a configured build tree (its config.h
# is used).  The library sources are compiled again with clang into
# BUILDDIR/tests/fuzz/out (the gcc objects are untouched).  Env: FUZZ_SECONDS (per
# target, default 60), FUZZ_TARGETS (names, default all), FUZZ_LIBS (link
# libraries, default the pkg-config ones), FUZZ_JOBS (parallel compiles).
# Fails on any crash, leak, timeout or out-of-memory; artifacts land in
# BUILDDIR/tests/fuzz/out/artifacts.  --replay runs the seed corpora once (no fuzzing).
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
mode=${3:-run}
out=$build/tests/fuzz/out
mkdir -p "$out/obj" "$out/bin" "$out/artifacts" "$out/corpus"
CC=${FUZZ_CC:-clang}
# libseccomp static: its symbols name the frames lsan.supp matches.
libs=${FUZZ_LIBS:--Wl,-Bstatic -lyajl_s -lseccomp -lcap -Wl,-Bdynamic}
san="address,undefined"
cflags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Wno-unused-command-line-argument"
cflags="$cflags -iquote $src/src -I$src/libocispec -I$build"
targets=${FUZZ_TARGETS:-$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//' | tr '\n' ' ')}

# The library: every libocispec and src/ file except the CLI (which holds main) and the
# trampoline (a program of its own, built without libc); its generated blob and the build-time
# syscall table (seccomp_numbers.c) come from BUILDDIR. src/gen holds build tools, not library code.
objs=()
jobs=()
for f in "$src"/libocispec/*.c "$src"/src/base/*.c "$src"/src/core/*.c "$src"/src/policy/*.c \
  "$src"/src/linux/*.c "$src"/src/linux/cgroups/*.c "$build/trampoline_blob.c" "$build/seccomp_numbers.c"; do
  [ "$f" = "$src/src/linux/trampoline.c" ] && continue
  rel=${f#"$src"/}
  rel=${rel#"$build"/}
  o=$out/obj/${rel//\//_}.o
  objs+=("$o")
  if [ ! -e "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find "$src/src" "$src/libocispec" -name '*.h' -newer "$o" -print -quit)" ]; then
    jobs+=("$f $o")
  fi
done
if [ ${#jobs[@]} -gt 0 ]; then
  echo "fuzz: compiling ${#jobs[@]} library files with $CC"
  printf '%s\n' "${jobs[@]}" | xargs -P "${FUZZ_JOBS:-2}" -L1 sh -c \
    "$CC $cflags -fsanitize=fuzzer-no-link,$san -c \"\$0\" -o \"\$1\""
fi
rm -f "$out/libfuzzlib.a"
ar rcs "$out/libfuzzlib.a" "${objs[@]}"

for t in $targets; do
  $CC $cflags -fsanitize=fuzzer,$san "$src/tests/fuzz/$t.c" "$out/libfuzzlib.a" $libs -o "$out/bin/$t"
done
[ "$mode" = --build-only ] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
secs=${FUZZ_SECONDS:-60}
fail=0
total=0
for t in $targets; do
  name=${t#fuzz_}
  seeds=$src/tests/fuzz/corpus/$name
  work=$out/corpus/$name
  mkdir -p "$work" "$seeds"
  dict=()
  [ -f "$src/tests/fuzz/$name.dict" ] && dict=(-dict="$src/tests/fuzz/$name.dict")
  log=$out/$name.log
  if [ "$mode" = --replay ]; then
    args=(-runs=0 "$seeds")
  else
    args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "${dict[@]}" "$work" "$seeds")
  fi
  # libseccomp has no frame pointers: the seccomp target unwinds malloc
  # stacks the slow way so lsan.supp can see which libseccomp path leaked.
  unwind=
  [ "$name" = seccomp ] && unwind=:fast_unwind_on_malloc=0
  rc=0
  ASAN_OPTIONS=$ASAN_OPTIONS$unwind "$out/bin/$t" -artifact_prefix="$out/artifacts/$name-" "${args[@]}" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  total=$((total + ${execs:-0}))
  if [ $rc -ne 0 ]; then
    echo "fuzz: $name: FAILED (exit $rc), see $log and $out/artifacts/"
    grep -m5 -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" || tail -20 "$log"
    fail=1
  else
    echo "fuzz: $name: ok, ${execs:-0} execs, corpus $(ls "$work" | wc -l) (seeds $(ls "$seeds" | wc -l))"
  fi
done
echo "fuzz: total $total execs, $(echo $targets | wc -w) targets"
exit $fail

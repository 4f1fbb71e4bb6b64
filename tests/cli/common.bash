# Sourced by the CLI tests (tests/cli/*.sh): arguments, scratch directory and assertions.
# $1: lrnn binary, $2: scratch directory (emptied), $3: teacher_tool binary.
set -uo pipefail
lrnn=$1
dir=$2
tool=${3:-}
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect STATUS PATTERN cmd...: the command's exit status and a pattern in its output.
expect() {
  local want=$1 pattern=$2; shift 2
  local out; out=$("$@" 2>&1); local got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want: $out"
  echo "$out" | grep -q -- "$pattern" || fail "'$*' output lacks '$pattern': $out"
}
# run cmd...: must succeed; its output is kept in $dir/last.log and shown on failure.
run() { "$@" > "$dir/last.log" 2>&1 || fail "'$*': $(tail -n 5 "$dir/last.log")"; }

#!/usr/bin/env bash
# The bash completion of the package completes what the binary accepts: subcommands, nested
# subcommands and options, as `outboxd ... --help` lists them.
# usage: completion_test.sh COMPLETION_FILE OUTBOXD
set -euo pipefail
completion=$1 outboxd=$(realpath "$2")
fail() { echo "FAIL: $*" >&2; exit 1; }
_filedir() { COMPREPLY=(FILE); }  # bash-completion's, which the completion calls for paths
source "$completion"

# complete WORD...: what the completion offers for the last WORD after outboxd and the others.
complete_words() {
  COMP_WORDS=("$outboxd" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _outboxd
  echo "${COMPREPLY[*]}"
}
[ "$(complete_words de)" = "dead" ] || fail "outboxd de: $(complete_words de)"
[ "$(complete_words dead re)" = "requeue" ] || fail "outboxd dead re: $(complete_words dead re)"
[ "$(complete_words run --u)" = "--until-idle" ] || fail "outboxd run --u: $(complete_words run --u)"
[ "$(complete_words dead list -c "")" = "FILE" ] || fail "outboxd dead list -c: no file completion"
[ "$(complete_words status --json --)" = "--help --config --json" ] ||
  fail "outboxd status --json --: $(complete_words status --json --)"
echo "completion: ok"

#!/usr/bin/env bash
# Writes the COMMANDS section of outboxd(8) for help2man (--include), from the --help of each
# subcommand of the binary (and of theirs: dead list, ...), so that the page cannot drift.
# usage: commands_h2m.sh OUTBOXD OUTPUT
set -euo pipefail
outboxd=$1
exec >"$2"

# subcommands WORDS...: the subcommands `outboxd WORDS... --help` lists.
subcommands() {
  "$outboxd" "$@" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

# describe WORDS...: one .TP entry, its usage line, and its options as --help gives them.
describe() {
  local help
  help=$("$outboxd" "$@" --help)
  echo ".TP"
  echo ".B outboxd $*"
  sed -n '1p' <<<"$help"
  sed -n 's/^Usage: \(.*\)$/.br\n.I \1/p' <<<"$help"
  # CLI11 prints an option in columns 3-29 and its text from column 31; a longer option fills
  # its line, and its text comes on the next, indented by 30.
  sed -n '/^Options:/,/^$/p' <<<"$help" | sed -e '/^Options:/d' -e '/^  -h,--help /d' -e '/^$/d' |
    awk 'function text_only(l) { return length(l) > 30 && substr(l, 1, 30) ~ /^ +$/ }
         { line[NR] = $0 }
         END { for (i = 1; i <= NR; i++) {
                 if (text_only(line[i])) { print "\\(em " substr(line[i], 31); continue }
                 long = i < NR && text_only(line[i + 1])
                 option = long ? substr(line[i], 3) : substr(line[i], 3, 27)
                 sub(/ +$/, "", option)
                 print ".br\n\\fB" option "\\fR"
                 if (!long) print "\\(em " substr(line[i], 31) } }' | sed 's/-/\\-/g'
  local sub
  for sub in $(subcommands "$@"); do describe "$@" "$sub"; done
}

echo "[COMMANDS]"
for command in $(subcommands); do describe "$command"; done

# Sourced by bench/run: the tables of a results document, on stdout.

# print_tables RESULTS: every table of bench/matrix/table.jq, aligned, the notes after them.
print_tables() {
  local table
  for table in limits drains steady producers; do
    echo
    jq -r --arg table "$table" -f bench/matrix/table.jq "$1" | column -t -s $'\t'
  done
  jq -r '.notes[] | "note: \(.)"' "$1"
}

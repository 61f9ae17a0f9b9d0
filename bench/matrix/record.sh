# Sourced by bench/run: its records, one JSON object a line in $records ({"section", "value"}),
# assembled into the results file by bench/matrix/assemble.jq. jq builds every object: the
# quoting is jq's, not ours.

# json KEY=STRING | KEY:=JSON ...: one JSON object; an empty JSON value is null.
json() {
  local args=() filter="" i=0 kv
  for kv in "$@"; do
    if [[ $kv =~ ^([A-Za-z0-9_]+):=(.*)$ ]]; then
      args+=(--argjson "v$i" "${BASH_REMATCH[2]:-null}")
    elif [[ $kv =~ ^([A-Za-z0-9_]+)=(.*)$ ]]; then
      args+=(--arg "v$i" "${BASH_REMATCH[2]}")
    else
      echo "json: expected KEY=STRING or KEY:=JSON, got $kv" >&2
      return 1
    fi
    filter+="${filter:+, }\"${BASH_REMATCH[1]}\": \$v$i"
    i=$((i + 1))
  done
  jq -c -n "${args[@]}" "{$filter}"
}

# record SECTION JSON: appends JSON to SECTION (drain, limit, steady, producers, callgrind, note).
record() { jq -c -n --arg section "$1" --argjson value "$2" '{section: $section, value: $value}' >>"$records"; }

# note TEXT: a remark in the results (a measurement that failed or was left out, and why).
note() {
  echo "note: $1"
  record note "$(jq -n --arg text "$1" '$text')"
}

# series_json FILE: FILE's lines of space-separated numbers as a JSON array of arrays.
series_json() { jq -R -s -c '[split("\n")[] | select(length > 0) | split(" ") | map(tonumber)]' "$1"; }

# field TEXT LABEL: the number after the first "LABEL " in TEXT (LABEL an extended regex), or nothing.
field() { grep -oE -- "$2 +[-0-9.]+" <<<"$1" | head -n 1 | awk '{ print $NF }'; }

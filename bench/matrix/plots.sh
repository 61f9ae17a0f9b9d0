# Sourced by bench/run: the PNG plots of a results document (gnuplot; scripts in this folder).

# gnuplot_ ARGS...: gnuplot without its warnings (a limit not measured leaves a column empty).
gnuplot_() { gnuplot "$@" 2> >(grep -v -i -e '^warning' -e 'warning:' >&2); }

# draw_plots RESULTS STEM: STEM-throughput.png, STEM-latency-cdf-RATE.png (one per offered rate),
# STEM-rss.png; prints their names.
draw_plots() {
  local results=$1 stem=$2 dir subtitle
  dir=$(mktemp -d)
  subtitle=$(jq -r '"\(.date), \(.host): \(.machine.cpu_model), \(.machine.cores) cores; outboxd \(.outboxd.describe); \(.settings.mode) run, \(.settings.events) events"' "$results")
  jq -r -f bench/matrix/throughput.jq "$results" >"$dir/throughput.tsv"
  gnuplot_ -e "data='$dir/throughput.tsv'; out='$stem-throughput.png'; subtitle='$subtitle'" bench/matrix/throughput.gp
  echo "$stem-throughput.png"

  local rate path files titles
  for rate in $(jq -r '[.steady[].offered_per_s] | unique[]' "$results"); do
    files="" titles=""
    for path in $(jq -r --argjson rate "$rate" '.steady[] | select(.offered_per_s == $rate) | .path' "$results"); do
      jq -r --argjson rate "$rate" --arg path "$path" \
        '.steady[] | select(.offered_per_s == $rate and .path == $path) | .cdf[] | @tsv' "$results" >"$dir/cdf-$rate-$path.tsv"
      files+=" $dir/cdf-$rate-$path.tsv" titles+=" $path"
    done
    gnuplot_ -e "files='$files'; titles='$titles'; rate='$rate'; out='$stem-latency-cdf-$rate.png'; subtitle='$subtitle'" \
      bench/matrix/latency_cdf.gp
    echo "$stem-latency-cdf-$rate.png"
  done

  local kind i n
  declare -A list=() names=()
  for kind in drains steady; do
    n=$(jq ".$kind | length" "$results")
    for ((i = 0; i < n; i++)); do
      jq -r ".$kind[$i].rss[] | @tsv" "$results" >"$dir/rss-$kind-$i.tsv"
      list[$kind]+=" $dir/rss-$kind-$i.tsv"
      names[$kind]+=" $(jq -r ".$kind[$i] | .path + (if .offered_per_s then \"@\(.offered_per_s)/s\" else \"\" end)" "$results")"
    done
  done
  gnuplot_ -e "drain_files='${list[drains]:-}'; drain_titles='${names[drains]:-}'" \
    -e "steady_files='${list[steady]:-}'; steady_titles='${names[steady]:-}'" \
    -e "out='$stem-rss.png'; subtitle='$subtitle'" bench/matrix/rss.gp
  echo "$stem-rss.png"
  rm -rf "$dir"
}

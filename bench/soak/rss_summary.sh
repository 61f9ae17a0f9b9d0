# Sourced by bench/soak/run. rss_summary FILE WARMUP: the figures of an RSS curve ("seconds KiB"
# lines, from sample_rss) after WARMUP seconds: the first and the last minute's median, the
# maximum, and the least-squares trend in MiB/hour.
rss_summary() {
  local file=$1 warmup=$2 last
  last=$(tail -n 1 "$file" | cut -d" " -f1)
  median_mib() {  # median_mib FROM TO: the median RSS of the samples in [FROM, TO) seconds
    awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 < hi { print $2 }' "$file" | sort -n |
      awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)] / 1024; else printf "n/a" }'
  }
  awk -v warmup="$warmup" -v first="$(median_mib "$warmup" $((warmup + 60)))" \
    -v final="$(median_mib "$(awk -v l="$last" 'BEGIN { print l - 60 }')" "$last.1")" '
    $1 >= warmup { n++; x = $1; y = $2 / 1024; sx += x; sy += y; sxx += x * x; sxy += x * y; if (y > max) max = y }
    END {
      if (n < 2) { print "rss: fewer than two samples after the warm-up"; exit 1 }
      printf "rss after %d s of warm-up, %d samples: first minute %s MiB, last minute %s MiB (medians), max %.1f MiB; trend %+.2f MiB/hour\n",
        warmup, n, first, final, max, (n * sxy - sx * sy) / (n * sxx - sx * sx) * 3600
    }' "$file"
}

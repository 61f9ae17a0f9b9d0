# bench/run's throughput bars: per path, outboxd's drain against its limits. Variables (-e):
# data (tab-separated: path, ratios text, outboxd, storage limit, transport limit; "-" when
# none), out (the PNG), subtitle.
set terminal pngcairo size 1100,600 font "sans,10" noenhanced
set output out
set datafile separator "\t"
set datafile missing "-"
set title "Backlog drains: outboxd against its limits (events/s, log scale; under each path: its ratios to them)\n".subtitle
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set bmargin 7
set logscale y
set yrange [1000:*]
set format y "%.0s%c"
set ylabel "events/s"
set grid ytics
set key below horizontal  # inside, it would cover the tallest bars; bmargin 7 leaves it room
# Clustered bars of 3 columns with gap 1 sit at x - 0.25, x, x + 0.25.
label(v) = v != v ? "" : sprintf("%.0fk", v / 1000)
plot data using 3:xtic(stringcolumn(1)."\n".stringcolumn(2)) title "outboxd" lc rgb "#1f77b4", \
     '' using 4 title "storage limit (plain-SQL claim/settle, the storage-only drain; in key order: the path unordered)" lc rgb "#aaaaaa", \
     '' using 5 title "transport limit (bare librdkafka / paho client; in key order one message per key)" lc rgb "#ff7f0e", \
     '' using ($0 - 0.25):3:(label($3)) with labels offset 0,0.7 notitle, \
     '' using ($0):4:(label($4)) with labels offset 0,0.7 notitle, \
     '' using ($0 + 0.25):5:(label($5)) with labels offset 0,0.7 notitle

# bench/run's outboxd RSS over time: drains (left) and steady runs (right), one line per run.
# Variables (-e): drain_files, drain_titles, steady_files, steady_titles (space-separated, one word
# each; "seconds KiB" lines), out, subtitle.
set terminal pngcairo size 1200,560 font "sans,10" noenhanced
set output out
set multiplot layout 1, 2 title "outboxd resident memory (VmRSS, sampled every second)\n".subtitle
set ylabel "RSS (MiB)"
set yrange [0:*]
set grid
set key bottom right
set title "backlog drains"
set xlabel "seconds since outboxd started"
if (words(drain_files) > 0) {
  plot for [i=1:words(drain_files)] word(drain_files, i) using 1:($2 / 1024) with linespoints pt 7 ps 0.5 lw 1.5 title word(drain_titles, i)
}
set title "steady runs (offered rate)"
set xlabel "seconds since the load started (outboxd started 1 s before)"
if (words(steady_files) > 0) {
  plot for [i=1:words(steady_files)] word(steady_files, i) using 1:($2 / 1024) with linespoints pt 7 ps 0.5 lw 1.5 title word(steady_titles, i)
}
unset multiplot

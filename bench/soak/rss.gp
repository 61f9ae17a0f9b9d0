# bench/soak's plot: outboxd's RSS over a steady run. Variables (-e): rss (a "seconds KiB" file),
# out, subtitle.
set terminal pngcairo size 900,480 font "sans,10" noenhanced
set output out
set title "outboxd resident memory (VmRSS, sampled every second)\n".subtitle
set xlabel "seconds since the load started"
set ylabel "RSS (MiB)"
set yrange [0:*]
set grid
plot rss using 1:($2 / 1024) with lines lw 1.5 title "VmRSS"

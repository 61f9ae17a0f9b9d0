# bench/run's commit-to-delivery latency CDF at one offered rate, one curve per path, its y axis in
# "nines" (-log10 of the fraction above) so that the tail is as readable as the median.
# Variables (-e): files and titles (space-separated, one word per path: "latency_ms fraction"
# lines), out, rate, subtitle.
set terminal pngcairo size 900,560 font "sans,10" noenhanced
set output out
set title sprintf("Commit-to-delivery latency at %s events/s offered, CDF (Kafka: the broker's ack; MQTT: a subscriber's receipt)\n%s", rate, subtitle)
set logscale x
set xlabel "latency (ms, log scale)"
set ylabel "fraction of events at or below"
nines(f) = f >= 0.99995 ? 4.3 : -log10(1 - f)
set yrange [0:4.4]
set ytics ("0" 0, "50%%" nines(0.5), "90%%" 1, "99%%" 2, "99.9%%" 3, "99.99%%" 4, "max" 4.3)
set grid xtics ytics
set key top left
plot for [i=1:words(files)] word(files, i) using 1:(nines($2)) with linespoints pt 7 ps 0.4 lw 2 title word(titles, i)

# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Plots of bench_task's results. Run by tools/run-bench.sh from the results
# directory, with images='<directory for the PNGs>'.

if (!exists("images")) images = "."
set datafile missing "-"
set terminal pngcairo size 900,520 font "sans,10"
set termoption noenhanced
set grid ytics
set key top left

set output images."/bench_nested.png"
set title "Nested task calls (io_context): ns per level, median"
set xlabel "depth"
set ylabel "ns per level"
set yrange [0:*]
plot "task_nested.dat" using 0:2:xticlabels(1) with linespoints lw 2 pt 7 title "boost::affine::task", \
     ""                using 0:3 with linespoints lw 2 pt 5 title "asio::awaitable", \
     ""                using 0:5 with linespoints lw 2 pt 9 title "floor (minimal task)"

set output images."/bench_ops.png"
set title "Operations: ns per operation, median (log scale)"
set xlabel ""
set ylabel "ns per operation"
set logscale y
set yrange [*:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 nomirror noenhanced
set key top left
plot "task_ops.dat" using 2:xticlabels(1) title "boost::affine::task", \
     ""             using 3 title "asio::awaitable", \
     ""             using 4 title "callbacks", \
     ""             using 5 title "floor"

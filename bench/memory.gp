# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Plot of bench_memory's results (see task.gp).

if (!exists("images")) images = "."
set datafile missing "-"
set terminal pngcairo size 700,420 font "sans,10"
set termoption noenhanced
set output images."/bench_memory.png"
set title "Memory per suspended session (2-level chain on a timer), median"
set ylabel "bytes per session"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside bottom center horizontal
plot "memory.dat" using 2:xticlabels(1) title "boost::affine::task", \
     ""           using 3 title "asio::awaitable", \
     ""           using 4 title "callbacks", \
     ""           using 5 title "floor"

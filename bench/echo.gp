# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Plots of bench_echo's results (see task.gp).

if (!exists("images")) images = "."
set datafile missing "-"
set terminal pngcairo size 1200,460 font "sans,10"
set termoption noenhanced
set output images."/bench_echo.png"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xlabel "connections"
set key outside bottom center horizontal font ",9"
set multiplot layout 1,3 title "Loopback TCP echo, 64-byte requests (median)"
set title "requests per second"
set yrange [0:*]
plot "echo_throughput.dat" using 2:xticlabels(1) title "affine", "" using 3 title "awaitable", \
     "" using 4 title "callbacks", "" using 5 title "floor"
set title "p99 round trip (us)"
set logscale y
set yrange [*:*]
plot "echo_p99.dat" using 2:xticlabels(1) title "affine", "" using 3 title "awaitable", \
     "" using 4 title "callbacks", "" using 5 title "floor"
unset logscale y
set title "server CPU per request (us)"
set yrange [0:*]
plot "echo_cpu.dat" using 2:xticlabels(1) title "affine", "" using 3 title "awaitable", \
     "" using 4 title "callbacks", "" using 5 title "floor"
unset multiplot

# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Plot of bench_frame_pool's results (see task.gp).

if (!exists("images")) images = "."
set datafile missing "-"
set terminal pngcairo size 900,480 font "sans,10"
set termoption noenhanced
set output images."/bench_frame_pool.png"
set title "Allocate + free of a 256-byte block: ns per pair, median (log scale)"
set ylabel "ns per pair"
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside bottom center horizontal maxcols 3 font ",9"
plot "frame_pool.dat" using 2:xticlabels(1) title "frame_pool", \
     ""               using 3 title "frame_pool via any_frame_allocator", \
     ""               using 4 title "malloc", \
     ""               using 5 title "pmr unsynchronized_pool_resource", \
     ""               using 6 title "pmr synchronized_pool_resource", \
     ""               using 7 title "thread-local free list (floor)"

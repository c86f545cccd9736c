"""Newsroom's benchmarks: `make bench`. Every figure is printed beside a baseline measured in
the same run on the same machine, because only ratios compare across noisy machines."""

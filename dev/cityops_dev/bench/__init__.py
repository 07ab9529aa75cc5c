"""`make bench`: the performance measures of issue 8, each against the floor of the same run.

Not part of `make test` (a smoke run is: tests/test_bench_smoke.py). Every measured step
runs in a child process, so its wall time includes a cold start and its peak RSS comes
from the kernel (os.wait4), not from sampling. Inputs are generated with the project's
own sample writers and cached under CITYOPS_HOME/bench/inputs, keyed by size.
"""

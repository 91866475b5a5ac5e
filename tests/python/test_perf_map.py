"""KILN_PERF_MAP=1: every compiled kernel kiln loads (compiled now or from
the disk cache) is listed in /tmp/perf-<pid>.map, perf's map of JIT code
("start size name", hexadecimal), named by what it computes, so that
`perf report` attributes samples to kernels. Off by default."""
import os
import subprocess
import sys

SNIPPET = """
import os, numpy as np, kiln as mx
x = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
y = mx.nd.relu(x * 2 - 1).sum(axis=1)
y.wait_to_read()
print(os.getpid())
"""


def run(env_value, tmp_path):
    env = dict(os.environ)
    env.pop("KILN_PERF_MAP", None)
    if env_value is not None:
        env["KILN_PERF_MAP"] = env_value
    # A kernel cache of its own, so that the kernels are compiled or loaded
    # in this process whatever ran before.
    env["KILN_CACHE_DIR"] = str(tmp_path / "cache")
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=env,
                         check=True, capture_output=True, text=True).stdout
    return "/tmp/perf-%s.map" % out.split()[-1]


def test_perf_map_names_loaded_kernels(tmp_path):
    for attempt in range(2):  # Compiled, then loaded from the disk cache.
        path = run("1", tmp_path)
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        finally:
            os.remove(path)
        assert lines, "no kernels in %s (attempt %d)" % (path, attempt)
        for line in lines:
            start, size, name = line.split(" ", 2)
            assert int(start, 16) > 0 and int(size, 16) > 0, line
            assert "kiln_" in name, line
        # Named by the kernel's signature: the ops it computes.
        assert any("relu" in line for line in lines), lines


def test_no_perf_map_by_default(tmp_path):
    for value in (None, "0"):
        path = run(value, tmp_path)
        assert not os.path.exists(path)

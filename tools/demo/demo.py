"""kiln's main job for now: MXNet-style arrays through every layer.

Each `+` is checked and shaped in C++, fetched as a JIT-compiled kernel from
the kernel cache (compiled by the MLIR pipeline on first use) and pushed to
the dependency engine; `asnumpy()` waits for it. The imperative issue
replaces this demo with training on Fashion-MNIST.
"""
import time

import numpy as np

import kiln as mx


def best_of(repeats, fn):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    print("kiln %s from %s" % (mx.__version__, mx.__file__))

    a = mx.nd.array([1, 2, 3])
    print("a + a =", (a + a).asnumpy())

    import mxnet
    print("import mxnet gives kiln:", mxnet is mx)

    try:
        mx.nd.array([1, 2, 3]) + mx.nd.array([[1, 2], [3, 4]])
    except mx.MXNetError as error:
        print("shape mismatch raises MXNetError:", error)

    # A chain of 2^22-element additions queued on the engine, checked against
    # numpy.
    n = 1 << 22
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(n, dtype=np.float32)
    y_np = rng.standard_normal(n, dtype=np.float32)
    x, y = mx.nd.array(x_np), mx.nd.array(y_np)
    steps = 20

    def kiln_chain():
        total = x
        for _ in range(steps):
            total = total + y
        return total.asnumpy()

    def numpy_chain():
        total = x_np
        for _ in range(steps):
            total = total + y_np
        return total

    np.testing.assert_allclose(kiln_chain(), numpy_chain(), rtol=1e-5, atol=1e-4)
    kiln_seconds = best_of(5, kiln_chain)
    numpy_seconds = best_of(5, numpy_chain)
    gigabytes = steps * 3 * n * 4 / 1e9
    print("%d additions of %d floats: kiln %.1f GB/s, numpy %.1f GB/s"
          % (steps, n, gigabytes / kiln_seconds, gigabytes / numpy_seconds))
    print("kiln demo: OK")


if __name__ == "__main__":
    main()

"""mx.runtime: what this build of kiln supports, in MXNet's Features API.

    mx.runtime.Features().is_enabled('MKLDNN')   # True: matmul is oneDNN's
    mx.runtime.feature_list()                    # [✖ CUDA, ..., ✔ CPU_AVX2, ...]

The names are MXNet 1.9.1's, in its order. CPU_* and F16C come from this
host's /proc/cpuinfo, because kiln compiles its kernels for the host CPU at
run time (not for a CPU fixed at build time, as MXNet's wheels are).
"""
import collections as _collections

# cpuinfo flag for each CPU feature MXNet reports (SSE3 is "pni" there).
_CPU_FLAGS = {
    "CPU_SSE": "sse", "CPU_SSE2": "sse2", "CPU_SSE3": "pni",
    "CPU_SSE4_1": "sse4_1", "CPU_SSE4_2": "sse4_2", "CPU_SSE4A": "sse4a",
    "CPU_AVX": "avx", "CPU_AVX2": "avx2", "SSE": "sse", "F16C": "f16c",
}

# What kiln's build has, for the features that do not depend on the host.
_BUILD = {
    "CUDA": False, "CUDNN": False, "NCCL": False, "CUDA_RTC": False,
    "TENSORRT": False,
    "OPENMP": False,        # kiln's own thread pool runs the kernels
    "JEMALLOC": False,
    "BLAS_OPEN": False, "BLAS_ATLAS": False, "BLAS_MKL": False,
    "BLAS_APPLE": False,    # matmul is oneDNN's, not a BLAS library's
    "LAPACK": False,
    "MKLDNN": True,         # oneDNN
    "OPENCV": False,
    "CAFFE": False,
    "PROFILER": True,       # mx.profiler
    "DIST_KVSTORE": False,
    "CXX14": True,          # built as C++17
    "INT64_TENSOR_SIZE": True,  # shapes and sizes are 64-bit
    "SIGNAL_HANDLER": False,
    "DEBUG": False,
    "TVM_OP": False,
}

_ORDER = ["CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT", "CPU_SSE", "CPU_SSE2",
          "CPU_SSE3", "CPU_SSE4_1", "CPU_SSE4_2", "CPU_SSE4A", "CPU_AVX",
          "CPU_AVX2", "OPENMP", "SSE", "F16C", "JEMALLOC", "BLAS_OPEN",
          "BLAS_ATLAS", "BLAS_MKL", "BLAS_APPLE", "LAPACK", "MKLDNN", "OPENCV",
          "CAFFE", "PROFILER", "DIST_KVSTORE", "CXX14", "INT64_TENSOR_SIZE",
          "SIGNAL_HANDLER", "DEBUG", "TVM_OP"]


def _cpu_flags(path="/proc/cpuinfo"):
    """The host CPU's feature flags (empty where /proc/cpuinfo is absent)."""
    try:
        with open(path) as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


class Feature(object):
    """One feature: its name (str) and whether this build has it (bool)."""

    def __init__(self, name, enabled):
        self._name = name
        self._enabled = bool(enabled)

    @property
    def name(self):
        return self._name

    @property
    def enabled(self):
        return self._enabled

    def __repr__(self):
        return "%s %s" % ("✔" if self.enabled else "✖", self.name)


def feature_list():
    """Every feature, in MXNet's order: a list of Feature."""
    flags = _cpu_flags()
    return [Feature(name, _CPU_FLAGS[name] in flags if name in _CPU_FLAGS
                    else _BUILD[name])
            for name in _ORDER]


class Features(_collections.OrderedDict):
    """name -> Feature for every feature; one shared instance, as MXNet's."""

    instance = None

    def __new__(cls):
        if cls.instance is None:
            cls.instance = super(Features, cls).__new__(cls)
            super(Features, cls.instance).__init__(
                (feature.name, feature) for feature in feature_list())
        return cls.instance

    def __init__(self):  # filled once, in __new__
        pass

    def __repr__(self):
        return str(list(self.values()))

    def is_enabled(self, feature_name):
        """Whether the feature (any case) is on; RuntimeError for a name
        that is not a feature."""
        feature_name = feature_name.upper()
        if feature_name not in self:
            raise RuntimeError("Feature '%s' is unknown, known features are: %s"
                               % (feature_name, list(self.keys())))
        return self[feature_name].enabled


__all__ = ["Feature", "Features", "feature_list"]

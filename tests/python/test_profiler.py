"""mx.profiler and the runtime's environment switches, from Python."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import kiln as mx
from kiln import _core


@pytest.fixture
def trace_file(tmp_path):
    path = tmp_path / "trace.json"
    mx.profiler.set_config(profile_all=True, filename=str(path),
                           aggregate_stats=True)
    _core.profiler.clear()
    yield path
    mx.profiler.set_state("stop")
    _core.profiler.clear()


def run_adds(count, size=3):
    """count additions: tiny ones run inline on the calling thread, large
    ones (over 4096 elements) on the engine's workers."""
    a = mx.nd.ones((size,))
    total = a
    for _ in range(count):
        total = total + a
    mx.nd.waitall()
    return total


def test_chrome_trace_has_every_op(trace_file):
    mx.profiler.set_state("run")
    assert mx.profiler.state() == "run"
    run_adds(2)
    run_adds(3, size=10000)
    mx.profiler.set_state("stop")
    mx.profiler.dump()

    trace = json.loads(trace_file.read_text())
    events = trace["traceEvents"]
    ops = [e for e in events if e["ph"] == "X"]
    assert [e["name"] for e in ops].count("broadcast_add") == 5
    for event in ops:
        assert event["dur"] >= 0 and event["ts"] > 0
    processes = {e["args"]["name"] for e in events
                 if e["ph"] == "M" and e["name"] == "process_name"}
    assert "cpu(0)" in processes
    threads = {e["args"]["name"] for e in events
               if e["ph"] == "M" and e["name"] == "thread_name"}
    assert any("cpu(0) compute worker" in name for name in threads), threads
    # Tiny ops ran inline, on the thread that pushed them.
    assert "cpu(0) inline (calling thread)" in threads, threads
    # profile_all includes memory: bytes in use as counter events.
    counters = [e for e in events if e["ph"] == "C"]
    assert counters and all("bytes in use" in e["args"] for e in counters)


def test_backward_launches_are_named_by_their_op(trace_file):
    # As MXNet's profiler shows _backward_Convolution: a gradient's kernels
    # are named after the node they differentiate, not "backward".
    x = mx.nd.ones((2, 3, 8, 8))
    w = mx.nd.ones((4, 3, 3, 3))
    gamma, beta = mx.nd.ones((4,)), mx.nd.zeros((4,))
    for array in (w, gamma, beta):
        array.attach_grad()
    mx.profiler.set_state("run")
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=4,
                              no_bias=True)
        y = mx.nd.BatchNorm(y, gamma, beta, mx.nd.zeros((4,)),
                            mx.nd.ones((4,)), fix_gamma=False)
        loss = mx.nd.relu(y).sum()
    loss.backward()
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    events = [e for e in json.loads(trace_file.read_text())["traceEvents"]
              if e["ph"] == "X"]
    names = {e["name"] for e in events}
    assert "_backward_convolution" in names, names
    # Kernels a gradient pushes to the engine itself (BatchNorm's) too.
    assert "_backward_BatchNorm" in names, names
    assert [e["name"] for e in events].count("BatchNorm") == 1, names
    assert "backward" not in names, names


def test_hybridized_backward_launches_keep_their_names(trace_file):
    # A hybridized block's backward runs its captured executable as one
    # recorded operation's gradient: its kernels still show under their own
    # names (_backward_convolution, ...), not that operation's label.
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Conv2D(4, 3), mx.gluon.nn.BatchNorm(),
            mx.gluon.nn.Activation("relu"), mx.gluon.nn.Dense(3))
    net.initialize()
    net.hybridize()
    x = mx.nd.ones((2, 3, 8, 8))
    for _ in range(2):  # The second step replays the captured programs.
        with mx.autograd.record():
            loss = net(x).sum()
        loss.backward()
    mx.nd.waitall()
    mx.profiler.set_state("run")
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward()
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    names = [e["name"] for e in json.loads(trace_file.read_text())[
        "traceEvents"] if e["ph"] == "X"]
    assert "_backward_convolution" in names, names
    assert "_backward_FullyConnected" in names, names


def test_nothing_is_recorded_when_stopped_or_paused(trace_file):
    run_adds(2)
    mx.profiler.set_state("run")
    mx.profiler.pause()
    run_adds(3)
    mx.profiler.resume()
    run_adds(1)
    mx.profiler.set_state("stop")
    run_adds(4)
    stats = json.loads(mx.profiler.dumps(format="json"))
    assert stats["Time"]["operator"]["broadcast_add"]["Total Count"] == 1


def test_dumps_table_and_json(trace_file):
    mx.profiler.set_state("run")
    with mx.profiler.Event("my_region"):
        run_adds(3)
    task = mx.profiler.Domain("training").new_task("step")
    task.start()
    task.stop()
    mx.profiler.set_state("stop")

    table = mx.profiler.dumps()
    assert "Profile Statistics" in table
    assert "broadcast_add" in table and "my_region" in table
    assert "training::step" in table
    assert "Device Storage" in table

    stats = json.loads(mx.profiler.dumps(format="json", sort_by="count",
                                         reset=True))
    operator = stats["Time"]["operator"]
    assert operator["broadcast_add"]["Total Count"] == 3
    add = operator["broadcast_add"]
    assert add["Min Time"] <= add["Avg Time"] <= add["Max Time"]
    assert stats["Unit"] == {"Time": "ms", "Memory": "kB"}
    after_reset = json.loads(mx.profiler.dumps(format="json"))
    assert after_reset["Time"]["operator"] == {}


def test_mxnet_alias_shares_the_profiler(trace_file):
    import mxnet
    assert mxnet.profiler is mx.profiler
    mxnet.profiler.set_state("run")
    assert mx.profiler.state() == "run"
    mxnet.profiler.set_state("stop")


@pytest.mark.parametrize("call, message", [
    (lambda: mx.profiler.set_state("go"), "state expected 'run' or 'stop'"),
    (lambda: mx.profiler.set_config(bogus=True), "unknown argument 'bogus'"),
    (lambda: mx.profiler.set_config(profile_all="yes"),
     "profile_all expected a bool"),
    (lambda: mx.profiler.set_config(filename=""), "filename expected"),
    (lambda: mx.profiler.dumps(sort_by="speed"), "sort_by expected"),
    (lambda: mx.profiler.dumps(format="xml"), "format expected"),
    (lambda: mx.profiler.pause(profile_process="client"),
     "profile_process expected"),
    (lambda: mx.profiler.Event("never started").stop(), "before start()"),
])
def test_bad_arguments_raise_mxnet_error(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def test_dump_to_unwritable_path_raises(tmp_path):
    mx.profiler.set_config(filename=str(tmp_path / "missing-dir" / "t.json"))
    with pytest.raises(mx.MXNetError, match="cannot open"):
        mx.profiler.dump()


def run_python(code, **env):
    environment = dict(os.environ)
    environment.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env=environment, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("variable, value", [
    ("KILN_ENGINE", "naive"), ("MXNET_ENGINE_TYPE", "NaiveEngine")])
def test_naive_engine_from_the_environment(variable, value):
    result = run_python("""
        import kiln as mx
        from kiln import _core
        a = mx.nd.array([1.0, 2.0])
        print(_core.profiler.engine_info()["mode"], (a + a).asnumpy().tolist())
        """, **{variable: value})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(None, 1) == ["naive", "[2.0, 4.0]\n"]


def test_thread_count_from_the_environment():
    result = run_python("""
        from kiln import _core
        info = _core.profiler.engine_info()
        print(info["num_threads"], info["cpu_workers"])
        """, KILN_NUM_THREADS="3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "3"]
    result = run_python("""
        from kiln import _core
        print(_core.profiler.engine_info()["cpu_workers"])
        """, KILN_NUM_THREADS="3", MXNET_CPU_WORKER_NTHREADS="1")
    assert result.stdout.split() == ["1"], result.stderr


def test_memory_pool_can_be_disabled():
    code = """
        import kiln as mx
        from kiln import _core
        for _ in range(3):
            (mx.nd.array([1.0] * 1000) + mx.nd.array([2.0] * 1000)).asnumpy()
        stats = _core.profiler.memory_stats()
        print(stats["pooling"], stats["pool_hits"] > 0)
        """
    pooled = run_python(code)
    assert pooled.stdout.split() == ["True", "True"], pooled.stderr
    unpooled = run_python(code, KILN_MEMORY_POOL="0")
    assert unpooled.stdout.split() == ["False", "False"], unpooled.stderr


def test_exit_with_pending_work_is_clean():
    result = run_python("""
        import kiln as mx
        a = mx.nd.array([1.0] * 100000)
        results = [a + a for _ in range(200)]
        # No wait: the interpreter exits with work pending.
        """)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_counters_and_markers_in_the_trace(trace_file):
    domain = mx.profiler.Domain("app")
    counter = domain.new_counter("batches", 5)  # before run: not recorded
    marker = mx.profiler.Marker(domain, "epoch_end")
    mx.profiler.set_state("run")
    counter.increment()
    counter += 3
    counter.decrement(2)
    counter.set_value(40)
    marker.mark()
    domain.new_marker("checkpoint").mark("global")
    mx.profiler.Marker(None, "step").mark("thread")
    mx.profiler.set_state("stop")
    counter.increment()  # after stop: not recorded
    mx.profiler.dump()
    events = json.loads(trace_file.read_text())["traceEvents"]
    values = [e["args"]["app::batches"] for e in events
              if e["ph"] == "C" and e.get("cat") == "counter"]
    assert values == [6, 9, 7, 40]
    marks = {e["name"]: e["s"] for e in events if e["ph"] == "i"}
    assert marks == {"app::epoch_end": "p", "app::checkpoint": "g", "step": "t"}
    assert str(counter) == "app::batches"


def test_counter_and_marker_errors():
    counter = mx.profiler.Counter(None, "c")
    with pytest.raises(TypeError, match="integer"):
        counter.set_value(1.5)
    with pytest.raises(TypeError, match="integer"):
        counter.increment("2")
    with pytest.raises(mx.MXNetError, match="scope expected"):
        mx.profiler.Marker(None, "m").mark("everywhere")
    with pytest.raises(mx.MXNetError, match="kvstore"):
        mx.profiler.set_kvstore_handle(None)

"""The main job (tools/train/fashion_mnist_mlp.py) as a user runs it: it
trains to >= 85% test accuracy in 3 epochs, printing a line per epoch, and a
missing dataset is a clear message."""
import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", ""),
                      "tools", "train", "fashion_mnist_mlp.py")
DATASET = "/usr/share/datasets/fashion-mnist"


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.skipif(not os.path.isdir(DATASET),
                    reason="dataset-fashion-mnist is not installed")
def test_trains_to_85_percent_in_three_epochs():
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert len(epochs) == 3
    for line in epochs:
        assert "loss" in line and "accuracy" in line and "samples/s" in line
    accuracy = float(lines[-1].split(":")[1])
    assert accuracy >= 0.85, result.stdout


def test_missing_dataset_says_how_to_get_it(tmp_path):
    result = run("--data", str(tmp_path))
    assert result.returncode != 0
    assert "Fashion-MNIST is missing" in result.stderr
    assert "apt-get install dataset-fashion-mnist" in result.stderr

"""kiln's main job: a multilayer perceptron trained on Fashion-MNIST with
mx.nd and mx.autograd only (MXNet 1.x code: `import mxnet as mx` runs it
unchanged on Apache MXNet too).

    python3 tools/train/fashion_mnist_mlp.py [--epochs 3] [--batch-size 256]

Prints a line per epoch (loss, accuracy, samples/s) and the test accuracy.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np

try:
    import mxnet as mx
except ImportError:  # the kiln package without its mxnet alias
    import kiln as mx

DATASET = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file (the MNIST format, gzipped) as a numpy array."""
    with gzip.open(path, "rb") as stream:
        magic, = struct.unpack(">I", stream.read(4))
        rank = magic & 0xFF
        shape = struct.unpack(">" + "I" * rank, stream.read(4 * rank))
        return np.frombuffer(stream.read(), dtype=np.uint8).reshape(shape)


def load(directory, split):
    prefix = "train" if split == "train" else "t10k"
    images = os.path.join(directory, "%s-images-idx3-ubyte.gz" % prefix)
    labels = os.path.join(directory, "%s-labels-idx1-ubyte.gz" % prefix)
    for path in (images, labels):
        if not os.path.exists(path):
            sys.exit("Fashion-MNIST is missing: %s not found.\n"
                     "Install it with `sudo apt-get install dataset-fashion-mnist` "
                     "(Debian), or pass --data DIR with the four *-ubyte.gz files."
                     % path)
    x = read_idx(images).reshape(-1, 28 * 28).astype(np.float32) / 255.0
    y = read_idx(labels).astype(np.float32)
    return x, y


class MLP:
    """784 -> 256 -> 128 -> 10 with ReLU, He-initialized."""

    def __init__(self, sizes=(784, 256, 128, 10)):
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            weight = mx.nd.random.normal(0, (2.0 / fan_in) ** 0.5,
                                         shape=(fan_in, fan_out))
            bias = mx.nd.zeros((fan_out,))
            self.params += [weight, bias]
        for param in self.params:
            param.attach_grad()
        self.means = [mx.nd.zeros(p.shape) for p in self.params]
        self.variances = [mx.nd.zeros(p.shape) for p in self.params]
        self.steps = 0

    def __call__(self, x):
        layers = len(self.params) // 2
        for index in range(layers):
            weight, bias = self.params[2 * index], self.params[2 * index + 1]
            x = mx.nd.dot(x, weight) + bias
            if index < layers - 1:
                x = mx.nd.relu(x)
        return x

    def step(self, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
        """Adam, as MXNet's optimizer runs it: the bias correction folded
        into the rate, then one fused adam_update per parameter (the moments
        are updated in place)."""
        self.steps += 1
        corrected = learning_rate * (1 - beta2 ** self.steps) ** 0.5 / (
            1 - beta1 ** self.steps)
        for param, mean, variance in zip(self.params, self.means,
                                         self.variances):
            mx.nd.adam_update(param, param.grad, mean, variance, out=param,
                              lr=corrected, beta1=beta1, beta2=beta2,
                              epsilon=epsilon)


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy."""
    return -mx.nd.pick(mx.nd.log_softmax(logits), labels, axis=1).mean()


def train_step(model, x, y, learning_rate):
    with mx.autograd.record():
        logits = model(x)
        loss = cross_entropy(logits, y)
    loss.backward()
    model.step(learning_rate)
    return loss, logits


def evaluate(model, images, labels, batch_size=1000):
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(mx.nd.array(images[start:start + batch_size]))
        predicted = mx.nd.argmax(logits, axis=1).asnumpy()
        correct += int((predicted == labels[start:start + batch_size]).sum())
    return correct / len(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DATASET)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    train_x, train_y = load(args.data, "train")
    test_x, test_y = load(args.data, "test")
    mx.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = MLP()
    print("Fashion-MNIST: %d training and %d test images; MLP 784-256-128-10, "
          "batch %d, Adam lr %g halved each epoch" % (len(train_x), len(test_x),
                                   args.batch_size, args.lr))
    for epoch in range(1, args.epochs + 1):
        # Halved each epoch: steadier final weights than a constant rate.
        learning_rate = args.lr * 0.5 ** (epoch - 1)
        order = rng.permutation(len(train_x))
        started = time.perf_counter()
        total_loss = 0.0
        correct = 0
        seen = 0
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            x = mx.nd.array(train_x[batch])
            y = mx.nd.array(train_y[batch])
            loss, logits = train_step(model, x, y, learning_rate)
            total_loss += loss.asscalar() * len(batch)
            correct += int((mx.nd.argmax(logits, axis=1) == y).sum().asscalar())
            seen += len(batch)
        elapsed = time.perf_counter() - started
        print("epoch %d: loss %.4f, train accuracy %.4f, %.0f samples/s"
              % (epoch, total_loss / seen, correct / seen, seen / elapsed),
              flush=True)
    accuracy = evaluate(model, test_x, test_y)
    print("test accuracy: %.4f" % accuracy)
    return 0 if accuracy >= 0.85 else 1


if __name__ == "__main__":
    sys.exit(main())

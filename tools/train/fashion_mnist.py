"""kiln's main job: a hybridized Gluon CNN trained on Fashion-MNIST, written
as MXNet 1.x Gluon code (`import mxnet as mx` runs it unchanged on Apache
MXNet too), then exported as MXNet's -symbol.json and -0000.params.

    python3 tools/train/fashion_mnist.py [--model cnn|mlp] [--epochs 5]
        [--batch-size 128] [--data DIR] [--export PREFIX]

--model cnn (the default): conv 3x3x32 - BatchNorm - relu - max-pool 2, the
same with 64 channels, dense 256 - relu - dropout 0.3 - dense 10; Adam, the learning rate halved each epoch;
gluon.data.vision.FashionMNIST through a DataLoader; hybridized, so each
step runs as one captured, memory-planned graph. A progress bar per epoch
(tqdm) shows loss, accuracy and samples/s; the test accuracy follows, then
export(). --model mlp runs the mx.nd MLP (tools/train/fashion_mnist_mlp.py).
Exits 1 when the test accuracy is under --min-accuracy (CNN: 0.91; the MLP
script's own bar is 85%).
"""
import argparse
import os
import sys
import time

import numpy as np

try:
    import mxnet as mx
except ImportError:  # the kiln package without its mxnet alias
    import kiln as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn

DATASET = "/usr/share/datasets/fashion-mnist"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def progress(iterable, total, description):
    """tqdm's bar when it is installed (Debian's python3-tqdm), else the
    plain iterable."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=description, unit="batch",
                leave=True, dynamic_ncols=True, mininterval=0.5)


def cnn():
    net = nn.HybridSequential(prefix="cnn_")
    with net.name_scope():
        for channels in (32, 64):
            net.add(nn.Conv2D(channels, 3, padding=1, use_bias=False),
                    nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2))
        net.add(nn.Flatten(), nn.Dense(256, activation="relu"),
                nn.Dropout(0.3), nn.Dense(10))
    return net


def check_dataset(directory):
    missing = [name for name in FILES
               if not os.path.exists(os.path.join(directory, name))]
    if missing:
        sys.exit("Fashion-MNIST is missing: %s not found in %s.\n"
                 "Install it with `sudo apt-get install dataset-fashion-mnist` "
                 "(Debian), or pass --data DIR with the four *-ubyte.gz files."
                 % (", ".join(missing), directory))


def evaluate(net, loader):
    correct = seen = 0
    for data, label in loader:
        predicted = net(data).argmax(axis=1)
        correct += int((predicted == label.astype("float32")).sum().asscalar())
        seen += data.shape[0]
    return correct / seen


def train_cnn(args):
    check_dataset(args.data)
    mx.random.seed(args.seed)
    np.random.seed(args.seed)
    transform = gluon.data.vision.transforms.Compose([
        gluon.data.vision.transforms.ToTensor(),
        gluon.data.vision.transforms.Normalize(0.286, 0.353)])
    train = gluon.data.vision.FashionMNIST(root=args.data, train=True)
    test = gluon.data.vision.FashionMNIST(root=args.data, train=False)
    train_loader = gluon.data.DataLoader(
        train.transform_first(transform), batch_size=args.batch_size,
        shuffle=True, last_batch="discard")
    test_loader = gluon.data.DataLoader(test.transform_first(transform),
                                        batch_size=1000)
    net = cnn()
    net.initialize(mx.init.Xavier(magnitude=2.24))
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "adam",
                            {"learning_rate": args.lr})
    loss_function = gluon.loss.SoftmaxCrossEntropyLoss()
    batches = len(train) // args.batch_size
    print("Fashion-MNIST: %d training and %d test images; hybridized CNN, "
          "batch %d, Adam lr %g halved each epoch"
          % (len(train), len(test), args.batch_size, args.lr), flush=True)
    for epoch in range(1, args.epochs + 1):
        trainer.set_learning_rate(args.lr * 0.5 ** (epoch - 1))
        metric = mx.metric.Accuracy()
        total_loss, seen = 0.0, 0
        started = time.perf_counter()
        bar = progress(train_loader, batches, "epoch %d" % epoch)
        for step, (data, label) in enumerate(bar):
            with autograd.record():
                output = net(data)
                loss = loss_function(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            seen += data.shape[0]
            if step % 20 == 19 or step == batches - 1:
                # Reading values waits for the step: only every 20 batches.
                total_loss += loss.mean().asscalar() * data.shape[0] * (
                    20 if step % 20 == 19 else (step % 20) + 1)
                metric.update([label], [output])
                if hasattr(bar, "set_postfix"):
                    bar.set_postfix(loss="%.4f" % (total_loss / seen),
                                    accuracy="%.4f" % metric.get()[1],
                                    samples_per_s="%.0f" % (
                                        seen / (time.perf_counter() - started)))
        elapsed = time.perf_counter() - started
        print("epoch %d: loss %.4f, train accuracy %.4f, %.0f samples/s"
              % (epoch, total_loss / seen, metric.get()[1], seen / elapsed),
              flush=True)
    accuracy = evaluate(net, test_loader)
    print("test accuracy: %.4f" % accuracy)
    if args.export:
        net.export(args.export, epoch=0)
        print("exported %s-symbol.json and %s-0000.params"
              % (args.export, args.export))
    if accuracy < args.min_accuracy:
        print("test accuracy %.4f is under --min-accuracy %.4f: exit status 1"
              % (accuracy, args.min_accuracy), file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    parser.add_argument("--data", default=DATASET)
    parser.add_argument("--epochs", type=int, default=None,
                        help="5 for the CNN, 3 for the MLP")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="128 for the CNN, 256 for the MLP")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--min-accuracy", type=float, default=0.91,
                        help="the CNN's test accuracy to reach (exit 1 below)")
    parser.add_argument("--export", default="fashion_mnist_cnn",
                        help="the exported model's path prefix ('' skips it)")
    args = parser.parse_args()
    if args.model == "mlp":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import fashion_mnist_mlp
        argv = ["fashion_mnist_mlp.py", "--data", args.data, "--seed",
                str(args.seed)]
        for flag, value in (("--epochs", args.epochs),
                            ("--batch-size", args.batch_size),
                            ("--lr", args.lr)):
            if value is not None:
                argv += [flag, str(value)]
        sys.argv = argv
        return fashion_mnist_mlp.main()
    args.epochs = args.epochs or 5
    args.batch_size = args.batch_size or 128
    args.lr = args.lr or 2e-3
    return train_cnn(args)


if __name__ == "__main__":
    sys.exit(main())

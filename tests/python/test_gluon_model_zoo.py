"""mx.gluon.model_zoo against Apache MXNet 1.9.1.

One oracle run (the module fixture ``mxnet``) builds every model of
``vision.get_model`` under MXNet, completes its deferred shapes on a small
input and lists its parameters (full names less the model's prefix, and
the structural names ``save_parameters`` writes) with their shapes; kiln's
models must list the same. For a few small models MXNet also sets random
parameters, saves them and computes outputs in inference mode (eager and
hybridized); kiln loads MXNet's file and must give the same outputs, and
for ResNet-18 v1 the same hybridized training forward, gradients and
BatchNorm running statistics. ``pretrained=True`` loads a file written by
MXNet under MXNet's file name and raises MXNetError naming the file when it
is absent; bad names and arguments raise MXNet's errors; reprs are MXNet's.
"""
import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

import kiln as mx
import kiln.gluon.model_zoo.vision as vision
from kiln.gluon.model_zoo import model_store
from mxnet_oracle import requires_oracle, run_mxnet

# Every name get_model knows, with the input side its shapes are completed
# on (the smallest convenient one the model accepts).
MODELS = {
    'resnet18_v1': 32, 'resnet34_v1': 32, 'resnet50_v1': 32,
    'resnet101_v1': 32, 'resnet152_v1': 32,
    'resnet18_v2': 32, 'resnet34_v2': 32, 'resnet50_v2': 32,
    'resnet101_v2': 32, 'resnet152_v2': 32,
    'vgg11': 32, 'vgg13': 32, 'vgg16': 32, 'vgg19': 32,
    'vgg11_bn': 32, 'vgg13_bn': 32, 'vgg16_bn': 32, 'vgg19_bn': 32,
    'alexnet': 64,
    'densenet121': 224, 'densenet161': 224, 'densenet169': 224,
    'densenet201': 224,
    'squeezenet1.0': 224, 'squeezenet1.1': 224,
    'inceptionv3': 299,
    'mobilenet1.0': 32, 'mobilenet0.75': 32, 'mobilenet0.5': 32,
    'mobilenet0.25': 32,
    'mobilenetv2_1.0': 32, 'mobilenetv2_0.75': 32, 'mobilenetv2_0.5': 32,
    'mobilenetv2_0.25': 32,
}

# Models kiln also runs forward on (one per block type; the others only
# infer shapes, which fills the same parameter shapes in less time).
RUN_FORWARD = {'resnet18_v1', 'resnet50_v1', 'resnet18_v2', 'resnet50_v2',
               'vgg11_bn', 'alexnet', 'densenet121', 'squeezenet1.0',
               'squeezenet1.1', 'mobilenet0.5', 'mobilenetv2_0.5'}

# (model, input shape) whose outputs are compared given MXNet's parameters.
OUTPUT_CASES = [('resnet18_v1', (2, 3, 32, 32)),
                ('resnet18_v2', (2, 3, 32, 32)),
                ('mobilenet0.25', (2, 3, 32, 32)),
                ('mobilenetv2_0.25', (2, 3, 32, 32)),
                ('squeezenet1.1', (1, 3, 224, 224)),
                ('densenet121', (1, 3, 224, 224))]

# Models whose repr is compared (one per family and block type).
REPR_MODELS = ['resnet18_v1', 'resnet50_v2', 'mobilenet1.0',
               'mobilenetv2_0.25', 'vgg11_bn', 'alexnet', 'densenet121',
               'squeezenet1.0', 'inceptionv3']

# (case, expression under `vision`/`model_store`) that MXNet refuses.
BAD_CALLS = [
    ('unknown_model', "vision.get_model('resnet19_v1')"),
    ('resnet_depth', "vision.get_resnet(1, 19)"),
    ('resnet_version', "vision.get_resnet(3, 18)"),
    ('vgg_depth', "vision.get_vgg(12)"),
    ('densenet_depth', "vision.densenet.get_densenet(100)"),
    ('squeezenet_version', "vision.SqueezeNet('1.2')"),
    ('resnet_channels', "vision.ResNetV1(vision.BasicBlockV1, [2, 2], "
     "[64, 64])"),
    ('no_pretrained_file', "model_store.short_hash('resnet18_v3')"),
    ('pretrained_multiplier', "vision.get_mobilenet(0.3, pretrained=True)"),
]

ORACLE = """
import json, os, logging
from mxnet.gluon.model_zoo import vision, model_store
models = json.loads(str(inputs['models']))
folder = str(inputs['folder'])
listing = {}
for name, side in models.items():
    net = vision.get_model(name)
    net.initialize()
    net.infer_shape(mx.nd.zeros((1, 3, side, side)))
    listing[name] = {
        'prefix': net.prefix,
        'names': [[k, list(p.shape)] for k, p in
                  net.collect_params().items()],
        'structural': [[k, list(p.shape)] for k, p in
                       net._collect_params_with_prefix().items()]}
outputs['listing'] = np.array(json.dumps(listing))

def randomize(net, x):
    net.initialize(mx.init.Xavier(magnitude=2))
    net(x)
    rng = np.random.RandomState(7)
    for key, p in net.collect_params().items():
        if key.endswith(('gamma', 'running_var')):
            p.set_data(mx.nd.array(rng.uniform(0.5, 1.5, p.shape)))
        elif key.endswith(('beta', 'running_mean', 'bias')):
            p.set_data(mx.nd.array(rng.normal(0, 0.2, p.shape)))

for name, shape in json.loads(str(inputs['cases'])):
    x = mx.nd.array(inputs['x/' + name])
    net = vision.get_model(name)
    randomize(net, x)
    net.save_parameters(os.path.join(folder, name + '.params'))
    outputs[name + '/eager'] = net(x).asnumpy()
    net.hybridize()
    outputs[name + '/hybrid'] = net(x).asnumpy()

# ResNet-18 v1 training: hybridized forward in train mode, backward, in
# float64 (see the test).
net = vision.resnet18_v1(classes=10)
x = mx.nd.array(inputs['x/train'])
randomize(net, x)
net.save_parameters(os.path.join(folder, 'resnet18_v1_c10.params'))
net.cast('float64')
net.hybridize()
with mx.autograd.record():
    y = net(x.astype('float64'))
y.backward(mx.nd.array(inputs['head'], dtype='float64'))
outputs['train/out'] = y.asnumpy()
for key, p in net._collect_params_with_prefix().items():
    if p.grad_req != 'null':
        outputs['train/grad/' + key] = p.grad().asnumpy()
    else:
        outputs['train/aux/' + key] = p.data().asnumpy()

# A "pretrained" file under MXNet's name for mobilenet0.25.
net = vision.mobilenet0_25()
net.load_parameters(os.path.join(folder, 'mobilenet0.25.params'))
os.makedirs(os.path.join(folder, 'root'))
net.save_parameters(os.path.join(
    folder, 'root', 'mobilenet0.25-%s.params'
    % model_store.short_hash('mobilenet0.25')))

errors = {}
for case, expression in json.loads(str(inputs['bad'])):
    try:
        eval(expression)
        errors[case] = None
    except Exception as error:
        errors[case] = [type(error).__name__, str(error)]
outputs['errors'] = np.array(json.dumps(errors))
outputs['public'] = np.array(json.dumps(sorted(
    k for k in dir(vision) if not k.startswith('_'))))
outputs['store_public'] = np.array(json.dumps(model_store.__all__))
outputs['reprs'] = np.array(json.dumps(
    {name: repr(vision.get_model(name))
     for name in json.loads(str(inputs['reprs']))}))
"""


def _input(shape, seed):
    return np.random.RandomState(seed).normal(size=shape).astype(np.float32)


@pytest.fixture(scope='module')
def mxnet(tmp_path_factory):
    """MXNet's listing, errors and outputs, and the folder of its files."""
    folder = str(tmp_path_factory.mktemp('zoo'))
    arrays = {'x/' + name: _input(shape, k)
              for k, (name, shape) in enumerate(OUTPUT_CASES)}
    arrays['x/train'] = _input((4, 3, 32, 32), 99)
    arrays['head'] = _input((4, 10), 98)
    got = run_mxnet(ORACLE, models=np.array(json.dumps(MODELS)),
                    folder=np.array(folder),
                    cases=np.array(json.dumps(OUTPUT_CASES)),
                    bad=np.array(json.dumps(BAD_CALLS)),
                    reprs=np.array(json.dumps(REPR_MODELS)), **arrays)
    for key in ('listing', 'errors', 'public', 'store_public', 'reprs'):
        got[key] = json.loads(str(got[key]))
    got['folder'] = folder
    got['inputs'] = arrays
    return got


def _listing(net):
    """(names less the prefix, structural names), each with shapes."""
    prefix = net.prefix
    names = []
    for key, p in net.collect_params().items():
        assert key.startswith(prefix), (key, prefix)
        names.append([key[len(prefix):], list(p.shape)])
    structural = [[k, list(p.shape)]
                  for k, p in net._collect_params_with_prefix().items()]
    return names, structural


def _strip_count(prefix):
    return prefix.rstrip('_').rstrip('0123456789')


@requires_oracle
@pytest.mark.parametrize('name', sorted(MODELS))
def test_parameter_names_and_shapes_are_mxnets(mxnet, name):
    expected = mxnet['listing'][name]
    net = vision.get_model(name)
    net.initialize()
    side = MODELS[name]
    x = mx.nd.zeros((1, 3, side, side))
    if name in RUN_FORWARD:
        assert net(x).shape == (1, 1000)
    else:
        net.infer_shape(x)
    names, structural = _listing(net)
    prefix = expected['prefix']
    assert _strip_count(net.prefix) == _strip_count(prefix)
    assert names == [[k[len(prefix):], s] for k, s in expected['names']]
    assert structural == expected['structural']


def _close(got, want, what, atol=1e-4, rtol=1e-3):
    """Equal within ``rtol`` and ``atol`` times the largest magnitude."""
    assert got.shape == want.shape, (what, got.shape, want.shape)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale,
                               err_msg=what)


@requires_oracle
@pytest.mark.parametrize('name,shape', OUTPUT_CASES,
                         ids=[case[0] for case in OUTPUT_CASES])
def test_outputs_with_mxnets_parameters(mxnet, name, shape):
    net = vision.get_model(name)
    net.load_parameters(os.path.join(mxnet['folder'], name + '.params'))
    x = mx.nd.array(mxnet['inputs']['x/' + name])
    # Random parameters give outputs that differ across the batch and
    # classes (so a wrong layer cannot hide behind constant outputs).
    assert mxnet[name + '/eager'].std() > 0.05
    _close(net(x).asnumpy(), mxnet[name + '/eager'], name + ' eager')
    net.hybridize()
    _close(net(x).asnumpy(), mxnet[name + '/hybrid'], name + ' hybridized')
    _close(net(x).asnumpy(), mxnet[name + '/hybrid'], name + ' again')


@requires_oracle
def test_resnet18_hybridized_training_step_is_mxnets(mxnet):
    # In float64 on both sides. In float32 one of stage 2's ReLU inputs is
    # 2.7e-6 in exact arithmetic, within float32's rounding of its sums:
    # its sign, and with it 1/64 of a BatchNorm beta's gradient, then
    # depends on the order of the summations (kiln on AVX2 and MXNet
    # differed there, each about 2e-6 from exact), so float32 could not
    # tell a wrong rule from a rounding. float64 agrees to ~1e-13.
    net = vision.resnet18_v1(classes=10)
    net.load_parameters(os.path.join(mxnet['folder'],
                                     'resnet18_v1_c10.params'))
    net.cast('float64')
    net.hybridize()
    x = mx.nd.array(mxnet['inputs']['x/train'], dtype='float64')
    with mx.autograd.record():
        y = net(x)
    y.backward(mx.nd.array(mxnet['inputs']['head'], dtype='float64'))
    _close(y.asnumpy(), mxnet['train/out'], 'train out', atol=1e-10,
           rtol=1e-9)
    params = net._collect_params_with_prefix()
    checked = 0
    for key, p in params.items():
        got = p.grad() if p.grad_req != 'null' else p.data()
        want = mxnet[('train/grad/' if p.grad_req != 'null' else
                      'train/aux/') + key]
        assert got.dtype == np.float64 and want.dtype == np.float64, key
        _close(got.asnumpy(), want, key, atol=1e-10, rtol=1e-9)
        checked += 1
    assert checked == len(params) == 102


@requires_oracle
def test_pretrained_loads_mxnets_file_from_root(mxnet, caplog):
    root = os.path.join(mxnet['folder'], 'root')
    with caplog.at_level(logging.WARNING):
        net = vision.get_model('mobilenet0.25', pretrained=True, root=root)
    # The file is MXNet's layout but not its published weights.
    assert 'differs from' in caplog.text
    x = mx.nd.array(mxnet['inputs']['x/mobilenet0.25'])
    _close(net(x).asnumpy(), mxnet['mobilenet0.25/eager'], 'pretrained')
    assert model_store.get_model_file('mobilenet0.25', root=root) == \
        os.path.join(root, 'mobilenet0.25-9f83e440.params')


@pytest.mark.parametrize('call,file_name', [
    ("vision.resnet18_v1(pretrained=True, root=root)",
     'resnet18_v1-a0666292.params'),
    ("vision.get_model('mobilenetv2_0.5', pretrained=True, root=root)",
     'mobilenetv2_0.5-aabd26cd.params'),
    ("vision.vgg16_bn(pretrained=True, root=root)",
     'vgg16_bn-7f01cf05.params'),
    ("vision.squeezenet1_1(pretrained=True, root=root)",
     'squeezenet1.1-33ba0f93.params'),
    ("vision.inception_v3(pretrained=True, root=root)",
     'inceptionv3-ed47ec45.params'),
])
def test_pretrained_without_the_file_says_what_to_put_where(
        tmp_path, call, file_name):
    root = str(tmp_path / 'models')
    with pytest.raises(mx.base.MXNetError) as info:
        eval(call, {'vision': vision, 'root': root})
    message = str(info.value)
    assert os.path.join(root, file_name) in message
    assert 'does not download' in message
    assert 'gluon/models/%s.zip' % file_name[:-len('.params')] in message
    assert not os.path.exists(root)  # nothing created


def test_default_root_follows_mxnet_home(tmp_path):
    env = dict(os.environ, MXNET_HOME=str(tmp_path))
    code = ("import kiln as mx\n"
            "from kiln.gluon.model_zoo import model_store\n"
            "try:\n"
            "    model_store.get_model_file('alexnet')\n"
            "except mx.base.MXNetError as e:\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, '-c', code], env=env,
                          capture_output=True, text=True, timeout=120)
    assert os.path.join(str(tmp_path), 'models',
                        'alexnet-44335d1f.params') in done.stdout, \
        done.stdout + done.stderr


def test_purge_removes_params_files_only(tmp_path):
    (tmp_path / 'a-12345678.params').write_bytes(b'x')
    (tmp_path / 'b.params').write_bytes(b'x')
    (tmp_path / 'notes.txt').write_text('keep')
    model_store.purge(root=str(tmp_path))
    assert sorted(os.listdir(str(tmp_path))) == ['notes.txt']
    with pytest.raises(FileNotFoundError):
        model_store.purge(root=str(tmp_path / 'absent'))


@requires_oracle
@pytest.mark.parametrize('case,expression', BAD_CALLS,
                         ids=[case[0] for case in BAD_CALLS])
def test_bad_names_and_arguments_raise_mxnets_errors(mxnet, case,
                                                     expression):
    expected = mxnet['errors'][case]
    assert expected is not None, 'MXNet accepts ' + expression
    kind, message = expected
    with pytest.raises(Exception) as info:
        eval(expression, {'vision': vision, 'model_store': model_store})
    assert type(info.value).__name__ == kind, (info.value, expected)
    assert str(info.value) == message


@requires_oracle
def test_exported_names_are_mxnets(mxnet):
    public = sorted(k for k in dir(vision) if not k.startswith('_'))
    assert public == mxnet['public']
    assert model_store.__all__ == mxnet['store_public']


@requires_oracle
@pytest.mark.parametrize('name', REPR_MODELS)
def test_repr_is_mxnets(mxnet, name):
    assert repr(vision.get_model(name)) == mxnet['reprs'][name]


def test_constructors_pass_keywords_to_the_model():
    net = vision.resnet18_v1(classes=10, thumbnail=True, prefix='r_')
    net.initialize()
    assert net(mx.nd.ones((2, 3, 8, 8))).shape == (2, 10)
    assert net.prefix == 'r_'
    assert vision.vgg11_bn.__name__ == 'vgg11_bn'
    assert 'pretrained' in vision.mobilenet_v2_0_25.__doc__
    assert isinstance(vision.get_model('ResNet18_V2'), vision.ResNetV2)

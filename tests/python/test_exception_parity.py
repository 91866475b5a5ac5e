"""User mistakes raise the exception class MXNet 1.9.1 raises.

MXNet's own tests assert exception classes (assertRaises(ValueError, ...),
pytest.raises(IndexError), MXNetError), so kiln raises the same class for
each mistake in CASES: MXNetError where MXNet raises it (not a builtin
subclass of it), the builtin where MXNet raises a builtin (kiln's C++ errors
raise classes derived from both MXNetError and the builtin). DEVIATIONS
lists where kiln deliberately differs: MXNet crashes, returns garbage or
accepts what kiln rejects with a clear error (or the reverse).

tools/compat/exception_parity.py runs CASES in both frameworks and prints
the mismatches.
"""
import ast
import builtins

import numpy as np
import pytest

import kiln as mx
from kiln.base import MXNetError

# Run before each case; `tmp` (a fresh directory) is set by the runner.
PRELUDE = """
import os as _os
x = mx.nd.arange(6).reshape((2, 3))
xi = mx.nd.arange(6, dtype='int32').reshape((2, 3))
v = mx.nd.arange(4)
"""

# (case, code, the class mxnet==1.9.1 raises), measured with
# tools/compat/exception_parity.py --table against the mxnet==1.9.1 wheel:
# "MXNetError" is mxnet.base.MXNetError (no builtin besides RuntimeError),
# a builtin's name that builtin (kiln's may also be MXNetError), None no
# error, "crash" a crash of the process (kiln raises MXNetError there). A
# case whose last statement is an expression has its value read back
# (.asnumpy()), where an asynchronous op's error shows in MXNet.
CASES = [
    ('get_too_many_indices', 'x[0, 0, 0]', 'IndexError'),
    ('get_int_out_of_range', 'x[2]', 'IndexError'),
    ('get_negative_out_of_range', 'x[-3]', 'IndexError'),
    ('get_second_axis_out_of_range', 'x[0, 3]', 'IndexError'),
    ('get_slice_step_zero', 'x[::0]', 'ValueError'),
    ('get_slice_step_zero_axis1', 'x[:, ::0]', 'ValueError'),
    ('get_float_key', 'x[1.5]', 'ValueError'),
    ('get_str_key', "x['a']", 'ValueError'),
    ('get_dict_key', 'x[{}]', 'ValueError'),
    ('get_float_slice_bound', 'x[0.5:1]', 'TypeError'),
    ('get_str_slice_bound', "x['a':]", 'TypeError'),
    ('get_two_ellipses', 'x[..., ...]', 'IndexError'),
    ('get_none_key_ok', 'x[None]', None),
    ('get_empty_tuple_ok', 'x[()]', None),
    ('get_bool_key', 'x[True]', None),
    ('get_slice_out_of_range_ok', 'x[5:10]', None),
    ('get_adv_nd_out_of_range', 'x[mx.nd.array([0, 5])]', 'IndexError'),
    ('get_adv_list_out_of_range', 'x[[0, 5]]', 'IndexError'),
    ('get_adv_np_out_of_range', 'x[np.array([0, 7])]', 'IndexError'),
    ('get_adv_float_list', 'x[[0.5, 1]]', None),
    ('get_adv_str_list', "x[['a', 'b']]", 'TypeError'),
    ('get_adv_shape_mismatch', 'x[[0, 1], [0, 1, 2]]', 'ValueError'),
    ('get_adv_too_many', 'x[[0], [0], [0]]', 'IndexError'),
    ('get_adv_second_out_of_range', 'x[:, [0, 3]]', 'IndexError'),
    ('get_adv_negative_ok', 'x[[-1, 0]]', None),
    ('get_np_bool_mask', 'x[np.array([True, False])]', None),
    ('get_np_bool_mask_wrong_len', 'x[np.array([True, False, True])]', None),
    ('get_nd_float_index_ok', 'x[mx.nd.array([1.0, 0.0])]', None),
    ('set_too_many_indices', 'x[0, 0, 0] = 1', 'IndexError'),
    ('set_int_out_of_range', 'x[2] = 1', 'IndexError'),
    ('set_negative_out_of_range', 'x[-3] = 1', 'IndexError'),
    ('set_slice_step_zero', 'x[::0] = 1', 'ValueError'),
    ('set_float_key', 'x[1.5] = 1', 'ValueError'),
    ('set_str_key', "x['a'] = 1", 'ValueError'),
    ('set_shape_mismatch', 'x[0] = mx.nd.ones((4,))', 'ValueError'),
    ('set_np_shape_mismatch', 'x[:] = np.ones((3, 2))', 'ValueError'),
    ('set_list_value_mismatch', 'x[0] = [1, 2]', 'ValueError'),
    ('set_str_value', "x[0] = 'a'", 'TypeError'),
    ('set_none_value', 'x[0] = None', None),
    ('set_adv_out_of_range', 'x[[0, 5]] = 1\nx.asnumpy()', None),
    ('set_adv_value_mismatch', 'x[[0, 1]] = mx.nd.ones((3, 3))\nx.asnumpy()', 'ValueError'),
    ('set_broadcast_ok', 'x[:] = mx.nd.ones((3,))\nx.asnumpy()', None),
    ('reshape_method_size', 'x.reshape((4,))', 'ValueError'),
    ('reshape_method_two_minus_one', 'x.reshape((-1, -1))', 'MXNetError'),
    ('reshape_method_bad_code', 'x.reshape((-7,))', 'MXNetError'),
    ('reshape_method_minus_four_bad', 'x.reshape((-4, 4, -1, 3))', 'MXNetError'),
    ('reshape_method_zero_beyond_rank', 'x.reshape((0, 0, 0))', 'MXNetError'),
    ('reshape_method_str', "x.reshape('a')", 'TypeError'),
    ('reshape_method_float', 'x.reshape((1.5, 4))', 'TypeError'),
    ('reshape_method_unknown_keyword', 'x.reshape((3, 2), foo=1)', 'TypeError'),
    ('reshape_method_no_shape', 'x.reshape()', 'AssertionError'),
    ('reshape_op_size', 'mx.nd.reshape(x, shape=(4,))', None),
    ('reshape_op_bad_code', 'mx.nd.reshape(x, shape=(-7,))', 'MXNetError'),
    ('reshape_op_no_shape', 'mx.nd.reshape(x)', 'MXNetError'),
    ('reshape_op_str_shape', "mx.nd.reshape(x, shape='a')", 'MXNetError'),
    ('astype_unknown', "x.astype('foo')", 'TypeError'),
    ('astype_int', 'x.astype(5)', 'TypeError'),
    ('astype_object', 'x.astype(object)', 'KeyError'),
    ('astype_complex', "x.astype('complex64')", 'KeyError'),
    ('cast_unknown', "mx.nd.cast(x, dtype='foo')", 'TypeError'),
    ('cast_missing_dtype', 'mx.nd.cast(x)', 'MXNetError'),
    ('array_ragged', 'mx.nd.array([[1, 2], [3]])', 'TypeError'),
    ('array_strings', "mx.nd.array(['a', 'b'])", 'TypeError'),
    ('array_bad_dtype', "mx.nd.array([1, 2], dtype='foo')", 'TypeError'),
    ('array_str_ctx', "mx.nd.array([1, 2], ctx='tpu')", 'AttributeError'),
    ('array_gpu_ctx', 'mx.nd.array([1, 2], ctx=mx.gpu(0))', 'MXNetError'),
    ('array_none', 'mx.nd.array(None)', None),
    ('array_dict', "mx.nd.array({'a': 1})", 'TypeError'),
    ('array_complex', 'mx.nd.array([1 + 2j])', 'TypeError'),
    ('array_object', 'mx.nd.array(np.array([object()]))', 'TypeError'),
    ('array_scalar_ok', 'mx.nd.array(5)', None),
    ('op_list_input', 'mx.nd.relu([1, 2])', 'AssertionError'),
    ('op_number_input', 'mx.nd.relu(1)', 'AssertionError'),
    ('op_numpy_input', 'mx.nd.relu(np.ones(2))', 'AssertionError'),
    ('op_str_input', "mx.nd.relu('a')", 'AssertionError'),
    ('op_missing_input', 'mx.nd.relu()', 'MXNetError'),
    ('op_missing_second_input', 'mx.nd.broadcast_add(x)', 'MXNetError'),
    ('op_unknown_keyword', 'mx.nd.relu(x, foo=1)', None),
    ('op_too_many_positional', 'mx.nd.relu(x, x)', None),
    ('op_unknown_keyword_with_params', 'mx.nd.sum(x, foo=1)', 'MXNetError'),
    ('op_out_not_ndarray', 'mx.nd.relu(x, out=5)', 'TypeError'),
    ('sum_axis_out_of_range', 'mx.nd.sum(x, axis=5)', 'MXNetError'),
    ('sum_axis_str', "mx.nd.sum(x, axis='a')", 'MXNetError'),
    ('sum_axis_float', 'mx.nd.sum(x, axis=1.5)', 'MXNetError'),
    ('sum_duplicate_axes', 'mx.nd.sum(x, axis=(0, 0))', 'MXNetError'),
    ('mean_axis_out_of_range', 'x.mean(axis=-3)', 'MXNetError'),
    ('argmax_axis_out_of_range', 'mx.nd.argmax(x, axis=2)', 'MXNetError'),
    ('transpose_short_axes', 'mx.nd.transpose(x, axes=(0,))', 'MXNetError'),
    ('transpose_repeated_axes', 'mx.nd.transpose(x, axes=(0, 0))', 'crash'),
    ('expand_dims_out_of_range', 'mx.nd.expand_dims(x, axis=5)', 'MXNetError'),
    ('squeeze_non_one', 'mx.nd.squeeze(x, axis=0)', 'MXNetError'),
    ('swapaxes_out_of_range', 'mx.nd.swapaxes(x, 0, 5)', 'MXNetError'),
    ('flip_out_of_range', 'mx.nd.flip(x, axis=3)', 'MXNetError'),
    ('slice_axis_out_of_range', 'mx.nd.slice_axis(x, axis=3, begin=0, end=1)', 'MXNetError'),
    ('slice_axis_empty', 'mx.nd.slice_axis(x, axis=0, begin=1, end=1)', 'MXNetError'),
    ('slice_step_zero', 'mx.nd.slice(x, begin=(0,), end=(2,), step=(0,))', 'MXNetError'),
    ('slice_too_many_dims', 'mx.nd.slice(x, begin=(0, 0, 0), end=(1, 1, 1))', 'MXNetError'),
    ('tile_negative', 'mx.nd.tile(x, reps=(-1,))', 'MXNetError'),
    ('repeat_negative', 'mx.nd.repeat(x, repeats=-1)', 'MXNetError'),
    ('broadcast_to_incompatible', 'mx.nd.broadcast_to(x, shape=(4, 3))', 'MXNetError'),
    ('broadcast_axis_non_one', 'mx.nd.broadcast_axis(x, axis=0, size=3)', 'MXNetError'),
    ('softmax_axis_out_of_range', 'mx.nd.softmax(x, axis=5)', 'MXNetError'),
    ('clip_missing_bounds', 'mx.nd.clip(x)', 'MXNetError'),
    ('clip_str_bounds', "mx.nd.clip(x, 'a', 'b')", 'MXNetError'),
    ('where_shape_mismatch', 'mx.nd.where(mx.nd.ones((3,)), x, x)', 'MXNetError'),
    ('dot_shape_mismatch', 'mx.nd.dot(x, x)', 'MXNetError'),
    ('batch_dot_rank', 'mx.nd.batch_dot(x, x)', 'MXNetError'),
    ('norm_ord_three', 'mx.nd.norm(x, ord=3)', 'MXNetError'),
    ('elemwise_add_shapes', 'mx.nd.elemwise_add(x, mx.nd.ones((3, 2)))', 'MXNetError'),
    ('add_n_shapes', 'mx.nd.add_n(x, mx.nd.ones((3, 2)))', 'MXNetError'),
    ('op_attr_str_for_int', "mx.nd.one_hot(v, depth='a')", 'MXNetError'),
    ('zeros_negative', 'mx.nd.zeros((-1, 2))', 'MXNetError'),
    ('zeros_str_shape', "mx.nd.zeros('a')", 'MXNetError'),
    ('zeros_float_shape', 'mx.nd.zeros((1.5,))', 'MXNetError'),
    ('zeros_bad_dtype', "mx.nd.zeros((2,), dtype='foo')", 'TypeError'),
    ('zeros_none_shape', 'mx.nd.zeros(None)', 'MXNetError'),
    ('ones_str_ctx', "mx.nd.ones((2,), ctx='tpu')", 'MXNetError'),
    ('full_str_value', "mx.nd.full((2,), 'a')", 'TypeError'),
    ('arange_step_zero', 'mx.nd.arange(0, 5, 0)', 'MXNetError'),
    ('arange_str', "mx.nd.arange('a')", 'MXNetError'),
    ('eye_negative', 'mx.nd.eye(-1)', 'MXNetError'),
    ('empty_negative', 'mx.nd.empty((-2,))', 'OverflowError'),
    ('split_not_dividing', 'mx.nd.split(x, num_outputs=4, axis=1)', 'MXNetError'),
    ('split_axis_out_of_range', 'mx.nd.split(x, num_outputs=2, axis=3)', 'MXNetError'),
    ('split_zero_outputs', 'mx.nd.split(x, num_outputs=0)', 'MXNetError'),
    ('split_method_not_dividing', 'x.split(num_outputs=4, axis=1)', 'MXNetError'),
    ('concat_shape_mismatch', 'mx.nd.concat(x, mx.nd.ones((3, 3)), dim=1)', 'MXNetError'),
    ('concat_rank_mismatch', 'mx.nd.concat(x, mx.nd.ones((3,)), dim=0)', 'MXNetError'),
    ('concat_dim_out_of_range', 'mx.nd.concat(x, x, dim=5)', 'MXNetError'),
    ('concat_no_inputs', 'mx.nd.concat()', 'MXNetError'),
    ('stack_shape_mismatch', 'mx.nd.stack(x, mx.nd.ones((3, 2)))', None),
    ('stack_axis_out_of_range', 'mx.nd.stack(x, x, axis=4)', 'MXNetError'),
    ('one_hot_negative_depth', 'mx.nd.one_hot(v, depth=-1)', 'MXNetError'),
    ('one_hot_missing_depth', 'mx.nd.one_hot(v)', 'MXNetError'),
    ('one_hot_zero_depth_ok', 'mx.nd.one_hot(v, depth=0)', None),
    ('take_bad_mode', "mx.nd.take(x, mx.nd.array([0]), mode='foo')", 'MXNetError'),
    ('take_axis_out_of_range', 'mx.nd.take(x, mx.nd.array([0]), axis=5)', 'MXNetError'),
    ('take_raise_out_of_range', "mx.nd.take(x, mx.nd.array([5]), mode='raise')", 'MXNetError'),
    ('take_clip_ok', 'mx.nd.take(x, mx.nd.array([5]))', None),
    ('pick_bad_mode', "mx.nd.pick(x, mx.nd.array([0, 1]), mode='foo')", 'MXNetError'),
    ('pick_index_shape', 'mx.nd.pick(x, mx.nd.array([0, 1, 2]), axis=1)', 'MXNetError'),
    ('pick_axis_out_of_range', 'mx.nd.pick(x, mx.nd.array([0, 1]), axis=4)', 'MXNetError'),
    ('gather_nd_too_deep', 'mx.nd.gather_nd(x, mx.nd.array([[0], [0], [0]]))', 'MXNetError'),
    ('topk_k_too_big', 'mx.nd.topk(x, k=5)', 'MXNetError'),
    ('topk_bad_ret_typ', "mx.nd.topk(x, ret_typ='foo')", 'MXNetError'),
    ('topk_axis_out_of_range', 'mx.nd.topk(x, axis=3)', 'MXNetError'),
    ('sort_axis_out_of_range', 'mx.nd.sort(x, axis=3)', 'MXNetError'),
    ('add_shapes', 'x + mx.nd.ones((3, 2))', 'MXNetError'),
    ('sub_shapes', 'x - mx.nd.ones((4,))', 'MXNetError'),
    ('mul_str', "x * 'a'", 'TypeError'),
    ('add_list', 'x + [1, 2, 3]', 'TypeError'),
    ('add_none', 'x + None', 'TypeError'),
    ('radd_str', "'a' + x", 'TypeError'),
    ('add_mixed_dtypes', 'x + xi', 'MXNetError'),
    ('iadd_shapes', 'x += mx.nd.ones((3, 2))\nx.asnumpy()', 'MXNetError'),
    ('iadd_grows', 'w = mx.nd.ones((3,))\nw += x\nw.asnumpy()', 'MXNetError'),
    ('eq_shapes', 'x == mx.nd.ones((3, 2))', 'MXNetError'),
    ('pow_shapes', 'x ** mx.nd.ones((4,))', 'MXNetError'),
    ('matmul_operator', 'x @ x', 'TypeError'),
    ('maximum_str', "mx.nd.maximum(x, 'a')", 'TypeError'),
    ('asscalar_size_two', 'x.asscalar()', 'ValueError'),
    ('asscalar_empty', 'mx.nd.array([]).asscalar()', 'ValueError'),
    ('bool_size_two', 'bool(x)', 'ValueError'),
    ('bool_empty', 'bool(mx.nd.array([]))', None),
    ('int_size_two', 'int(x)', 'TypeError'),
    ('float_size_two', 'float(x)', 'TypeError'),
    ('len_ok', 'len(x)', None),
    ('set_shape_attribute', 'x.shape = (3, 2)', 'AttributeError'),
    ('unknown_attribute', 'x.foo', 'AttributeError'),
    ('unknown_op', 'mx.nd.no_such_op(x)', 'AttributeError'),
    ('copyto_shape', 'x.copyto(mx.nd.zeros((3, 2)))', 'MXNetError'),
    ('copyto_str', "x.copyto('a')", 'TypeError'),
    ('copyto_int', 'x.copyto(5)', 'TypeError'),
    ('copyto_other_dtype_ok', "x.copyto(mx.nd.zeros((2, 3), dtype='int32'))", None),
    ('as_in_context_str', "x.as_in_context('cpu')", 'TypeError'),
    ('copyto_gpu', 'x.copyto(mx.gpu(0))', 'MXNetError'),
    ('save_missing_dir', "mx.nd.save('/nonexistent/dir/f', {'a': x})", 'MXNetError'),
    ('save_str_data', "mx.nd.save(_os.path.join(tmp, 'f'), 'a')", 'ValueError'),
    ('save_list_of_numbers', "mx.nd.save(_os.path.join(tmp, 'f'), [1, 2])", 'TypeError'),
    ('save_int_keys', "mx.nd.save(_os.path.join(tmp, 'f'), {1: x})", 'TypeError'),
    ('save_int_path', 'mx.nd.save(5, [x])', 'AttributeError'),
    ('load_missing', "mx.nd.load('/nonexistent/file')", 'MXNetError'),
    ('load_garbage', "p = _os.path.join(tmp, 'g')\nopen(p, 'wb').write(b'not a params file at all')\nmx.nd.load(p)", 'MXNetError'),
    ('load_empty', "p = _os.path.join(tmp, 'e')\nopen(p, 'wb').close()\nmx.nd.load(p)", 'MXNetError'),
    ('load_truncated', "p = _os.path.join(tmp, 't')\nmx.nd.save(p, [x])\nd = open(p, 'rb').read()\nopen(p, 'wb').write(d[:-5])\nmx.nd.load(p)", 'MXNetError'),
    ('load_int_path', 'mx.nd.load(5)', 'TypeError'),
    ('context_tpu', "mx.Context('tpu')", 'KeyError'),
    ('context_bad_id', "mx.Context('cpu', 'a')", None),
    ('context_gpu_use', 'mx.nd.ones((2,), ctx=mx.gpu(0))', 'MXNetError'),
    ('seed_str', "mx.random.seed('a')", 'ValueError'),
    ('seed_float', 'mx.random.seed(1.5)', 'ValueError'),
    ('seed_negative', 'mx.random.seed(-1)', None),
    ('seed_none', 'mx.random.seed(None)', 'ValueError'),
    ('uniform_negative_shape', 'mx.nd.random.uniform(shape=(-1,))', 'MXNetError'),
    ('normal_negative_scale', 'mx.nd.random.normal(scale=-1, shape=(2,))', 'MXNetError'),
    ('backward_twice', 'w = x.copy()\nw.attach_grad()\nwith mx.autograd.record():\n    y = w * 2\ny.backward()\ny.backward()', 'MXNetError'),
    ('backward_not_recorded', 'w = x.copy()\nw.attach_grad()\ny = w * 2\ny.backward()', 'MXNetError'),
    ('backward_no_grad_attached', 'w = x.copy()\nwith mx.autograd.record():\n    y = w * 2\ny.backward()', 'MXNetError'),
    ('backward_head_grad_shape', 'w = x.copy()\nw.attach_grad()\nwith mx.autograd.record():\n    y = w * 2\ny.backward(mx.nd.ones((3,)))', None),
    ('grad_not_recorded', 'w = x.copy()\nw.attach_grad()\ny = w * 2\nmx.autograd.grad(y, [w])', 'MXNetError'),
    ('grad_twice', 'w = x.copy()\nw.attach_grad()\nwith mx.autograd.record():\n    y = w * 2\nmx.autograd.grad(y, [w])\nmx.autograd.grad(y, [w])', 'MXNetError'),
    ('grad_variable_unused', 'w = x.copy()\nw.attach_grad()\nu = x.copy()\nu.attach_grad()\nwith mx.autograd.record():\n    y = w * 2\nmx.autograd.grad(y, [u])', 'MXNetError'),
    ('attach_grad_bad_req', "x.attach_grad(grad_req='foo')", 'KeyError'),
    ('mark_variables_lengths', 'mx.autograd.mark_variables([x], [])', 'crash'),
    ('backward_empty_heads', 'mx.autograd.backward([])', 'MXNetError'),
    ('autograd_backward_non_nd', 'mx.autograd.backward([1])', 'AttributeError'),
    ('zeros_zero_extent', 'mx.nd.zeros((0,))', 'MXNetError'),
    ('reshape_method_larger', 'x.reshape((4, 4))', 'MXNetError'),
    ('reshape_method_minus_one_not_dividing', 'x.reshape((-1, 4))', 'ValueError'),
    ('reshape_method_minus_three_short', 'x.reshape((0, -3))', 'MXNetError'),
    ('cast_complex', "mx.nd.cast(x, dtype='complex64')", 'MXNetError'),
    ('empty_int16', "mx.nd.empty((2,), dtype='int16')", 'KeyError'),
    ('zeros_int16', "mx.nd.zeros((2,), dtype='int16')", 'MXNetError'),
    ('astype_int16', "x.astype('int16')", 'KeyError'),
    ('ones_ctx_string_ok', "mx.nd.ones((2,), ctx='cpu(0)')", None),
    ('set_leading_one_value_ok', 'x[0] = mx.nd.ones((1, 3))\nx.asnumpy()', None),
    ('concat_non_ndarray', 'mx.nd.concat(x, [1])', 'AssertionError'),
    ('clip_too_many_positional', 'mx.nd.clip(x, 0, 1, 2)', 'TypeError'),
    ('relu_positional_out_ok', 'y = mx.nd.zeros((2, 3))\nmx.nd.relu(x, y)\ny', None),
    ('get_nd_index_out_of_range_axis1', 'x[:, mx.nd.array([5])]', 'IndexError'),
    ('mark_variables_non_ndarray', 'mx.autograd.mark_variables([1], [x])', 'AttributeError'),
    ('grad_non_ndarray_variable', 'w = x.copy()\nw.attach_grad()\nwith mx.autograd.record():\n    y = w * 2\nmx.autograd.grad(y, [1])', 'AttributeError'),
    ('backward_int_heads', 'mx.autograd.backward(5)', 'TypeError'),
    ('load_frombuffer_garbage', "mx.nd.load_frombuffer(b'junk junk junk junk junk junk')", 'MXNetError'),
    ('norm_axis_out_of_range', 'mx.nd.norm(x, axis=4)', 'MXNetError'),
    ('one_hot_float_depth', 'mx.nd.one_hot(v, depth=2.5)', 'MXNetError'),
    ('sum_keepdims_str', "mx.nd.sum(x, keepdims='maybe')", 'MXNetError'),
    ('dot_transpose_str', "mx.nd.dot(x, x, transpose_b='a')", 'MXNetError'),
    ('topk_k_zero', 'mx.nd.topk(x, k=0)', None),
    ('squeeze_axis_out_of_range', 'mx.nd.squeeze(x, axis=5)', 'MXNetError'),
    ('expand_dims_negative_ok', 'mx.nd.expand_dims(x, axis=-1)', None),
    ('int_divide_by_zero', 'xi / 0', 'crash'),
    ('mod_shapes', 'x % mx.nd.ones((3, 2))', 'MXNetError'),
    ('where_dtype_mismatch', 'mx.nd.where(mx.nd.ones((2, 3)), x, xi)', 'MXNetError'),
    ('broadcast_like_incompatible', 'mx.nd.broadcast_like(x, mx.nd.ones((4, 4)))', 'MXNetError'),
    ('repeat_axis_out_of_range', 'mx.nd.repeat(x, repeats=2, axis=3)', 'MXNetError'),
    ('tile_str_reps', "mx.nd.tile(x, reps='a')", 'MXNetError'),
    ('pad_bad_mode', "mx.nd.pad(mx.nd.ones((1, 1, 2, 2)), mode='foo', pad_width=(0, 0, 0, 0, 1, 1, 1, 1))", 'MXNetError'),
    ('pad_short_width', "mx.nd.pad(mx.nd.ones((1, 1, 2, 2)), mode='constant', pad_width=(1, 1))", 'MXNetError'),
    ('argsort_axis_out_of_range', 'mx.nd.argsort(x, axis=2)', 'MXNetError'),
    ('sort_bad_is_ascend', "mx.nd.sort(x, is_ascend='maybe')", 'MXNetError'),
    ('gather_nd_float_indices_ok', 'mx.nd.gather_nd(x, mx.nd.array([[0], [1]]))', None),
    ('slice_like_bad_axes', 'mx.nd.slice_like(x, x, axes=(5,))', 'MXNetError'),
    ('flatten_extra_positional', 'mx.nd.flatten(x, 1, 2, 3)', 'TypeError'),
    ('batch_dot_shapes', 'mx.nd.batch_dot(mx.nd.ones((2, 2, 3)), mx.nd.ones((2, 2, 3)))', 'MXNetError'),
    ('linalg_gemm2_shapes', 'mx.nd.linalg.gemm2(x, x)', 'MXNetError'),
    ('softmax_temperature_str', "mx.nd.softmax(x, temperature='hot')", 'MXNetError'),
    ('log_softmax_axis_out_of_range', 'mx.nd.log_softmax(x, axis=-3)', 'MXNetError'),
    ('arange_repeat_zero', 'mx.nd.arange(0, 5, repeat=0)', 'MXNetError'),
    ('full_ndarray_value', 'mx.nd.full((2,), mx.nd.ones((2,)))', None),
    ('array_ndarray_bad_dtype', "mx.nd.array(x, dtype='foo')", 'TypeError'),
    ('copyto_self_ok', 'x.copyto(x)', None),
    ('set_ndarray_key_float_value_ok', 'x[mx.nd.array([0])] = 2.5\nx.asnumpy()', None),
    ('gamma_unknown_keyword_ok', 'mx.nd.gamma(x, alpha=1)', None),
    ('take_raise_in_range_ok', "mx.nd.take(x, mx.nd.array([1]), mode='raise')", None),
    ('wait_to_read_after_error', 'y = mx.nd.dot(x, x)\ny.wait_to_read()', 'MXNetError'),
]

# case -> (what kiln raises instead, why). Every other case raises what
# MXNet does.
DEVIATIONS = {
    "set_adv_out_of_range": (
        "IndexError", "MXNet silently skips rows out of range; kiln checks "
                      "them as its x[idx] does"),
    "reshape_op_size": (
        "ValueError", "MXNet's reshape op reads a prefix of the data (or "
                      "past it); kiln checks the sizes as NDArray.reshape does"),
    "stack_shape_mismatch": (
        "MXNetError", "MXNet stacks without checking the shapes and reads "
                      "out of bounds"),
    "context_bad_id": (
        "ValueError", "MXNet keeps the str id and fails later, in str(ctx)"),
    "backward_head_grad_shape": (
        "MXNetError", "MXNet uses a head gradient of another shape without "
                      "checking it (garbage gradients)"),
    "int_divide_by_zero": (
        None, "MXNet dies of SIGFPE; kiln's integer division never traps "
              "and gives 0, as numpy"),
}

# Most specific first: the name classify() gives an exception.
_ORDER = [IndexError, KeyError, ValueError, TypeError, AttributeError,
          NotImplementedError, ZeroDivisionError, OverflowError,
          FileNotFoundError, OSError, AssertionError, RuntimeError, Exception]


def classify(error):
    """The case table's name for an exception: the most specific builtin
    it is an instance of, or "MXNetError" for an MXNetError that is no
    other builtin than RuntimeError."""
    for builtin in _ORDER:
        if isinstance(error, builtin):
            if builtin is RuntimeError and isinstance(error, MXNetError):
                return "MXNetError"
            return builtin.__name__
    return type(error).__name__


def _materialize(value):
    if isinstance(value, mx.nd.NDArray):
        value.asnumpy()
    elif isinstance(value, (list, tuple)):
        for item in value:
            _materialize(item)
    elif isinstance(value, dict):
        for item in value.values():
            _materialize(item)


def run_case(code, tmp):
    """Runs a case as a user would see it: the last expression's arrays
    read back, then waitall."""
    scope = {"mx": mx, "np": np, "tmp": str(tmp)}
    exec(PRELUDE, scope)
    tree = ast.parse(code)
    last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<case>", "exec"), scope)
    if last is not None:
        _materialize(eval(compile(ast.Expression(last.value), "<case>", "eval"),
                          scope))
    mx.nd.waitall()


def test_table_is_well_formed():
    names = [case[0] for case in CASES]
    assert len(names) == len(set(names)) >= 100
    assert set(DEVIATIONS) <= set(names)
    known = {cls.__name__ for cls in _ORDER} | {"MXNetError", "crash", None}
    assert {case[2] for case in CASES} <= known


@pytest.mark.parametrize("name, code, mxnet_raises", CASES,
                         ids=[case[0] for case in CASES])
def test_user_mistake_raises_mxnets_class(name, code, mxnet_raises, tmp_path):
    expected = mxnet_raises
    if name in DEVIATIONS:
        expected = DEVIATIONS[name][0]
    elif mxnet_raises == "crash":
        expected = "MXNetError"  # a clear error where MXNet dies
    try:
        run_case(code, tmp_path)
    except Exception as error:  # noqa: BLE001 - the class is the point
        got = classify(error)
        assert got == expected, "%s: kiln raised %s (%s: %s), mxnet==1.9.1 %s" % (
            name, got, type(error).__name__, error, expected)
        if expected == "MXNetError":
            assert isinstance(error, MXNetError)
        elif expected is not None:
            assert isinstance(error, getattr(builtins, expected))
        return
    assert expected is None, "%s: kiln raised nothing, mxnet==1.9.1 raises %s" % (
        name, expected)

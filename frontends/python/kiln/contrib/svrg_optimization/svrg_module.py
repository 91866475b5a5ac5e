"""SVRGModule, as MXNet 1.9.1's
mxnet.contrib.svrg_optimization.svrg_module.

    mod = SVRGModule(net, data_names=["data"], label_names=["lin_reg_label"],
                     update_freq=2)
    mod.fit(train_iter, eval_metric="mse", optimizer="sgd",
            optimizer_params=(("learning_rate", 0.025),), num_epoch=10)

Every `update_freq` epochs the module takes a snapshot of the weights and
the full gradient over the whole training set (on an auxiliary module
bound to the same symbol); each step then uses the variance-reduced
gradient g(w) - g(w_snapshot) + full_gradient(w_snapshot).
"""
import logging

from ... import ndarray as nd
from ...context import cpu
from ...module import Module
from ...module.module import _create_kvstore
from ... import optimizer as opt
from .svrg_optimizer import _SVRGOptimizer

__all__ = ["SVRGModule"]


class SVRGModule(Module):
    """A Module trained with SVRG. Arguments as Module's, plus update_freq:
    int > 0, epochs between full-gradient snapshots (TypeError when not an
    int, ValueError when not positive, as MXNet raises)."""

    def __init__(self, symbol, data_names=("data",),
                 label_names=("softmax_label",), logger=logging,
                 context=cpu(), work_load_list=None, fixed_param_names=None,
                 state_names=None, group2ctxs=None, compression_params=None,
                 update_freq=None):
        super(SVRGModule, self).__init__(
            symbol, data_names=data_names, label_names=label_names,
            logger=logger, context=context, work_load_list=work_load_list,
            fixed_param_names=fixed_param_names, state_names=state_names,
            group2ctxs=group2ctxs, compression_params=compression_params)
        if not isinstance(update_freq, int):
            raise TypeError("update_freq in SVRGModule must be an integer to "
                            "represent the frequency for calculating full "
                            "gradients")
        if update_freq <= 0:
            raise ValueError("update_freq in SVRGModule must be a positive "
                             "integer to represent the frequency for "
                             "calculating full gradients")
        self.update_freq = update_freq
        # Computes gradients at the snapshot weights.
        self._mod_aux = Module(symbol, data_names, label_names, logger,
                               context, work_load_list, fixed_param_names,
                               state_names, group2ctxs, compression_params)
        self._param_dict = None
        self._ctx_len = len(self._context)

    def _reset_bind(self):
        super(SVRGModule, self)._reset_bind()
        self._mod_aux._reset_bind()

    def reshape(self, data_shapes, label_shapes=None):
        super(SVRGModule, self).reshape(data_shapes,
                                        label_shapes=label_shapes)
        self._mod_aux.reshape(data_shapes, label_shapes=label_shapes)

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),),
                       force_init=False):
        """Installs an _SVRGOptimizer wrapping `optimizer`, and the
        '<name>_full' keys of the full gradients in the KVStore."""
        arg_params = self.get_params()[0]
        self._param_dict = [{name: nd.zeros(value.shape, ctx=self._context[i])
                             for name, value in arg_params.items()}
                            for i in range(self._ctx_len)]
        svrg = self._create_optimizer(_SVRGOptimizer.__name__,
                                      default_opt=optimizer, kvstore=kvstore,
                                      optimizer_params=optimizer_params)
        super(SVRGModule, self).init_optimizer(
            kvstore=kvstore, optimizer=svrg,
            optimizer_params=optimizer_params, force_init=force_init)
        if self._kvstore:
            for idx, arrays in enumerate(self._exec_group.param_arrays):
                name = self._exec_group.param_names[idx]
                self._kvstore.init(name + "_full",
                                   nd.zeros(self._arg_params[name].shape))
                if self._update_on_kvstore:
                    self._kvstore.pull(name + "_full", arrays, priority=-idx)

    def _create_optimizer(self, optimizer, default_opt, kvstore,
                          optimizer_params):
        """The _SVRGOptimizer, its indices covering the parameters and
        their '<name>_full' entries, rescale_grad 1/batch size."""
        batch_size = self._exec_group.batch_size
        store, on_store = _create_kvstore(kvstore, self._ctx_len,
                                          self._arg_params)
        if store and "dist" in store.type and "_sync" in store.type:
            batch_size *= store.num_workers
        names = self._exec_group.param_names
        if on_store:
            idx2name = dict(enumerate(names))
        else:
            idx2name = {i * self._ctx_len + k: name
                        for k in range(self._ctx_len)
                        for i, name in enumerate(names)}
        for name in self._param_dict[0]:
            idx2name[max(idx2name) + 1] = name + "_full"
        params = dict(optimizer_params)
        params.setdefault("rescale_grad", 1.0 / batch_size)
        params["default_optimizer"] = default_opt
        params["param_idx2name"] = idx2name
        return opt.create(optimizer, **params)

    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req="write"):
        super(SVRGModule, self).bind(data_shapes, label_shapes, for_training,
                                     inputs_need_grad, force_rebind,
                                     shared_module, grad_req)
        if for_training:
            self._mod_aux.bind(data_shapes, label_shapes, for_training,
                               inputs_need_grad, force_rebind, shared_module,
                               grad_req)

    def forward(self, data_batch, is_train=None):
        super(SVRGModule, self).forward(data_batch, is_train)
        if is_train:
            self._mod_aux.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        super(SVRGModule, self).backward(out_grads)
        if self._mod_aux.binded:
            self._mod_aux.backward(out_grads)

    def update(self):
        """Replaces the gradients by SVRG's, then updates."""
        self._update_svrg_gradients()
        super(SVRGModule, self).update()

    def update_full_grads(self, train_data):
        """Snapshots the weights into the auxiliary module and averages its
        gradients over all of `train_data` (padding discounted)."""
        names = self._exec_group.param_names
        arg_params, aux_params = self.get_params()
        self._mod_aux.set_params(arg_params=arg_params, aux_params=aux_params)
        train_data.reset()
        nbatch = 0
        padding = 0
        for batch in train_data:
            self._mod_aux.forward(batch, is_train=True)
            self._mod_aux.backward()
            nbatch += 1
            for ctx in range(self._ctx_len):
                for index, name in enumerate(names):
                    grads = self._mod_aux._exec_group.grad_arrays[index][ctx]
                    self._param_dict[ctx][name] = nd.broadcast_add(
                        self._param_dict[ctx][name], grads, axis=0)
            padding = batch.pad
        true_num_batch = nbatch - padding / train_data.batch_size
        for name in names:
            per_device = []
            for i in range(self._ctx_len):
                self._param_dict[i][name] /= true_num_batch
                per_device.append(self._param_dict[i][name])
            if self._kvstore:
                self._accumulate_kvstore(name, per_device)

    def _accumulate_kvstore(self, key, value):
        """Sums the full gradients of `key` over devices and workers."""
        self._kvstore.push(key + "_full", value)
        self._kvstore._barrier()
        self._kvstore.pull(key + "_full", value)
        self._allocate_gradients(key, value)

    def _allocate_gradients(self, key, value):
        for i in range(self._ctx_len):
            self._param_dict[i][key] = value[i] / self._ctx_len

    def _svrg_grads_update_rule(self, g_curr_batch_curr_weight,
                                g_curr_batch_special_weight,
                                g_special_weight_all_batch):
        """g(w) - g(w_snapshot) + full gradient, in place in the first."""
        for index, grad in enumerate(g_curr_batch_curr_weight):
            grad -= g_curr_batch_special_weight[index]
            grad += g_special_weight_all_batch[index]
        return g_curr_batch_curr_weight

    def _update_svrg_gradients(self):
        names = self._exec_group.param_names
        for ctx in range(self._ctx_len):
            for index, name in enumerate(names):
                current = self._exec_group.grad_arrays[index][ctx]
                snapshot = self._mod_aux._exec_group.grad_arrays[index][ctx]
                self._exec_group.grad_arrays[index][ctx] = \
                    self._svrg_grads_update_rule(current, snapshot,
                                                 self._param_dict[ctx][name])

    def _fit_epoch(self, train_data, epoch, eval_metric, batch_end_callback,
                   monitor, sparse_row_id_fn):
        """One epoch of Module.fit, after a full-gradient snapshot when
        epoch is a multiple of update_freq."""
        if epoch % self.update_freq == 0:
            self.update_full_grads(train_data)
            train_data.reset()
        super(SVRGModule, self)._fit_epoch(train_data, epoch, eval_metric,
                                           batch_end_callback, monitor,
                                           sparse_row_id_fn)

    def prepare(self, data_batch, sparse_row_id_fn=None):
        super(SVRGModule, self).prepare(data_batch,
                                        sparse_row_id_fn=sparse_row_id_fn)
        self._mod_aux.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)

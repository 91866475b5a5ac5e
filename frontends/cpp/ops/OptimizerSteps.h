//===- OptimizerSteps.h - one weight's update, shared -----------*- C++ -*-===//
//
// The steps the single-weight updates and their multi-tensor forms
// (multi_sgd_update, preloaded_multi_*, _multi_adamw_update,
// _multi_lamb_update) share. Learning rates and weight decays are rank-0
// arrays: numbers from attributes, or elements of the preloaded arrays.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPS_OPTIMIZERSTEPS_H
#define KILN_FRONTENDS_CPP_OPS_OPTIMIZERSTEPS_H

#include "frontends/cpp/OpRegistry.h"

namespace kiln {
namespace ops {

/// A float attribute with MXNet's default (required without one), read
/// as MXNet's `float` parameter fields are: rounded to float32.
AttrSpec floatSpec(const char *name, const char *defaultValue = nullptr);
/// wd, rescale_grad, clip_gradient: the attributes most updates end with.
std::vector<AttrSpec> decayAndClip(std::vector<AttrSpec> before,
                                   std::vector<AttrSpec> after = {});

struct SgdParams {
  NDArray lr, wd;
  double rescale = 1, clip = -1, momentum = 0;
  bool hasMomentum = false;
};

/// One weight's SGD step (MXNet's sgd_update, sgd_mom_update, mp_sgd_*):
/// mom = momentum * mom - lr * (clip(rescale * grad) + wd * w); w += mom,
/// or w -= lr * (...) without momentum. `mom` (with momentum) and
/// `weight32` (mixed precision: the float32 master copy, which the step
/// updates) are none when absent; the new weight goes to `target`.
/// Checks shapes and dtypes first.
void sgdStep(const std::string &op, const std::string &suffix,
             const NDArray &weight, const NDArray &grad, const NDArray &mom,
             const NDArray &weight32, const NDArray &target,
             const SgdParams &params);

struct AdamWParams {
  NDArray lr, wd, eta, rescale;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, clip = -1;
};

/// One weight's AdamW step (_adamw_update, _mp_adamw_update and their
/// multi_ forms); `rescale` is a rank-0 array, and a NaN, infinite or zero
/// one leaves the weight and states as they were.
void adamwStep(const std::string &op, const std::string &suffix,
               const NDArray &weight, const NDArray &grad, const NDArray &mean,
               const NDArray &var, const NDArray &weight32,
               const NDArray &target, const AdamWParams &params);

struct LambParams {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-6, wd = 0, rescale = 1,
         clip = -1;
  int64_t t = 1;
  bool biasCorrection = true;
};

/// LAMB's phase 1 (lamb_update_phase1): mean and var updated in place, the
/// direction g = mean_hat / (sqrt(var_hat) + epsilon) + wd * weight written
/// into `target` (float32 for mixed precision, read from weight32).
void lambPhase1(const std::string &op, const std::string &suffix,
                const NDArray &weight, const NDArray &grad, const NDArray &mean,
                const NDArray &var, const NDArray &weight32,
                const NDArray &target, const LambParams &params);

/// LAMB's phase 2: r1 bounded by lower_bound/upper_bound (each when >= 0);
/// weight - lr * r1 / r2 * g (lr alone when r1 or r2 is 0) written into
/// `target`. r1 and r2 are rank-0 arrays. With mixed precision the step
/// starts from weight32 and writes it back when `updateMaster`
/// (_multi_mp_lamb_update does; MXNet 1.9.1's mp_lamb_update_phase2 leaves
/// it as it was, so its master copy never moves).
void lambPhase2(const std::string &op, const NDArray &weight, const NDArray &g,
                const NDArray &r1, const NDArray &r2, const NDArray &weight32,
                const NDArray &target, const NDArray &lr, double lowerBound,
                double upperBound, bool updateMaster);

/// sum(x * x) in float32 (x of any float dtype), as a rank-0 array.
NDArray sumOfSquares(const std::string &op, const NDArray &x);

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_OPTIMIZERSTEPS_H

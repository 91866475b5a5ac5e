//===- Executable.cpp -----------------------------------------------------===//
#include "runtime/Executable.h"

namespace kiln {
namespace {
thread_local ExecutableCapture *currentCapture = nullptr;
} // namespace

ExecutableCapture *Executable::current() { return currentCapture; }

void Executable::run() const {
  Engine &engine = Engine::global();
  for (const Launch &launch : launches_) {
    std::function<void()> fn = launch.makeFn ? launch.makeFn() : launch.fn;
    if (launch.mayRunInline)
      engine.pushOrRunInline(std::move(fn), launch.device, launch.reads,
                             launch.writes, launch.name);
    else
      engine.push(std::move(fn), launch.device, launch.reads, launch.writes,
                  launch.priority, launch.name, launch.queue);
  }
}

ExecutableCapture::ExecutableCapture()
    : executable_(std::make_shared<Executable>()) {
  previous_ = Engine::setRecorder(this);
  installed_ = true;
  currentCapture = this;
}

ExecutableCapture::~ExecutableCapture() {
  if (installed_) {
    Engine::setRecorder(previous_);
    currentCapture = dynamic_cast<ExecutableCapture *>(previous_);
  }
}

void ExecutableCapture::record(std::function<void()> fn, Device device,
                               const std::vector<VarPtr> &reads,
                               const std::vector<VarPtr> &writes, int priority,
                               std::string name, QueueKind queue) {
  Executable::Launch launch;
  launch.fn = std::move(fn);
  launch.device = device;
  launch.reads = reads;
  launch.writes = writes;
  launch.priority = priority;
  launch.name = std::move(name);
  launch.queue = queue;
  launch.mayRunInline = inlineDeclined_;
  inlineDeclined_ = false;
  executable_->launches_.push_back(std::move(launch));
}

void ExecutableCapture::recordDeferred(
    std::function<std::function<void()>()> makeFn, Device device,
    const std::vector<VarPtr> &writes, std::string name) {
  Executable::Launch launch;
  launch.makeFn = std::move(makeFn);
  launch.device = device;
  launch.writes = writes;
  launch.name = std::move(name);
  executable_->launches_.push_back(std::move(launch));
}

std::shared_ptr<Executable> ExecutableCapture::finish() {
  if (installed_) {
    Engine::setRecorder(previous_);
    currentCapture = dynamic_cast<ExecutableCapture *>(previous_);
    installed_ = false;
  }
  return std::move(executable_);
}

} // namespace kiln

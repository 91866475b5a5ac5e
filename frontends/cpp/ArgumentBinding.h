//===- ArgumentBinding.h - zero-copy arguments and results -----*- C++ -*-===//
//
// A captured executable (hybridize, kiln.jit, an Executor) reads its
// arguments from, and writes its results to, buffers fixed at capture time.
// Copying each call's arrays in and the results out costs three memory
// passes on a 2^20-element elementwise function, as much as the fused
// kernel itself. These functions lend the caller's memory to the argument
// buffers and hand the result buffers' memory to the caller instead, each
// as an engine op ordered with the executable's launches (the launches
// read Storage::data() when they run, so they follow).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_ARGUMENTBINDING_H
#define KILN_FRONTENDS_CPP_ARGUMENTBINDING_H

#include "frontends/cpp/NDArray.h"

#include <vector>

namespace kiln {

/// Lends `source`'s memory to `buffer` (an argument buffer of an
/// executable) for the launches pushed next: pushes an op that reads
/// source and writes buffer, which points buffer's storage at source's
/// elements. Returns false, pushing nothing, when source cannot stand in
/// for buffer: another shape, dtype or device, a strided source, or a
/// buffer that is a view of a larger storage. Call releaseArgument after
/// pushing the launches that read buffer.
bool bindArgument(const NDArray &buffer, const NDArray &source);

/// Orders `source`'s next writes (and reads) after every launch pushed so
/// far that reads `buffer`, which bindArgument pointed at source.
void releaseArgument(const NDArray &buffer, const NDArray &source);

/// Gives `buffer` memory of its own again (a pushed op) if bindArgument
/// lent it a caller's: before the buffer is written by a copy.
void unbindArgument(const NDArray &buffer);

/// For each of `results` (result buffers of an executable whose launches
/// have been pushed): a new array that takes over the buffer's memory,
/// with its pending writes, while the buffer gets a fresh block from the
/// pool (a pushed op; no copy; a result in the executable's arena is
/// copied out by that op). An entry is empty (NDArray::isNone) where the
/// memory cannot be handed over: a view, a device other than the host, a
/// storage that another result or one of `arguments` also uses. Later
/// launches
/// that read such a buffer would see the fresh block, so call this only
/// when no pushed-later program reads the results (a forward run with no
/// backward to follow).
std::vector<NDArray> takeResults(const std::vector<NDArray> &results,
                                 const std::vector<NDArray> &arguments);

/// Makes `buffer` (an executable's gradient buffer, a whole pooled
/// storage) hold memory only while a backward uses it (Storage::setLent),
/// and pushes an op writing it that gives it a pool block if it has none:
/// call before pushing each backward that writes the buffer whole. When
/// adoptMemory then hands its gradient to a variable, the block it gets in
/// exchange goes back to the pool. Returns false, pushing nothing, for a
/// view, an alias, memory not from a pool, or another device than the
/// host.
bool lendBuffer(const NDArray &buffer);

/// Gives `target` (a variable's gradient buffer) the elements of `donor` (a
/// gradient nothing else will read) by exchanging the two storages' memory
/// in a pushed op ordered after every use of both, instead of copying: a
/// hybridized block's backward leaves each weight's gradient in a buffer of
/// its executor, and copying them out cost ResNet-18 3.8 ms a step. Views
/// of target see the new elements, since they share its storage. Returns
/// false, pushing nothing, where that cannot stand for a copy: another
/// shape, dtype or device, or either array not covering its whole storage
/// (a view, or a gradient buffer inside a larger one). The op copies when
/// either memory cannot move (Storage::exchangeable: an arena's, a lent
/// one, one exported through DLPack). A lent donor (lendBuffer) then
/// returns the memory it holds to the pool.
bool adoptMemory(const NDArray &target, const NDArray &donor);

/// Copies `value` into `buffer` (converting its dtype if they differ), as
/// autograd stores a complete gradient into a variable's gradient buffer.
/// Under an executable's capture a copy of a whole storage into a whole
/// storage of one dtype is marked (ExecutableCapture::markCopy), so memory
/// planning can have value's producer write buffer itself instead
/// (Executable::planMemory's copy forwarding): a captured backward computes
/// each weight's gradient into its arena and copies it, which cost
/// ResNet-18 62 copies (3.4 ms) a step.
void copyIntoBuffer(const NDArray &buffer, const NDArray &value);

} // namespace kiln

#endif // KILN_FRONTENDS_CPP_ARGUMENTBINDING_H

"""MXNet 1.9.1's ``mxnet.gluon.contrib.cnn`` (DeformableConvolution,
ModulatedDeformableConvolution): not built in kiln; importing it raises
ImportError saying so."""
raise ImportError(
    "kiln.gluon.contrib.cnn (DeformableConvolution, "
    "ModulatedDeformableConvolution) is not built: kiln has no "
    "contrib.DeformableConvolution or contrib.ModulatedDeformableConvolution "
    "operator yet")

"""Live training charts for Jupyter notebooks, as MXNet 1.9.1's
mxnet.notebook: its submodule `callback` (imported by name, as in MXNet:
``import mxnet.notebook.callback``) holds PandasLogger (metrics into pandas
DataFrames) and the bokeh charts LiveTimeSeries and LiveLearningCurve.

pandas and bokeh are optional: the package imports without them, as
MXNet's does, and a class that needs one raises ImportError naming it when
it is built.
"""
try:
    import bokeh
except ImportError:
    # MXNet's placeholder name for the missing package.
    class Bokeh_Failed_To_Import(object):
        """Stands for bokeh where it is not installed."""
    bokeh = Bokeh_Failed_To_Import

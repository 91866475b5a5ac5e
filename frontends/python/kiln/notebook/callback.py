"""Training callbacks that chart a run in a notebook, as MXNet 1.9.1's
mxnet.notebook.callback.

    logger = PandasLogger(batch_size=32, frequent=50)
    mod.fit(train, eval_data=val, num_epoch=2, **logger.callback_args())
    logger.train_df   # a pandas.DataFrame: one row per `frequent` batches

PandasLogger needs pandas; LiveTimeSeries and LiveLearningCurve need bokeh
(and a notebook to show in). The module imports without them; building
one of these classes without its package raises ImportError naming it
(MXNet fails later, with AttributeError on its placeholder class).
"""
import datetime
import time
from collections import defaultdict

try:
    import pandas as pd
except ImportError:
    pd = None

try:
    import bokeh.io
    import bokeh.plotting
except ImportError:
    bokeh = None

__all__ = ["PandasLogger", "LiveBokehChart", "LiveTimeSeries",
           "LiveLearningCurve", "args_wrapper"]


def _require(package, name, what):
    if package is None:
        raise ImportError("%s needs the %s package, which is not installed "
                          "(pip install %s)" % (what, name, name))


def _add_new_columns(dataframe, metrics):
    """Adds a column (of None) to `dataframe` for each new key of `metrics`."""
    for column in set(metrics.keys()) - set(dataframe.columns):
        dataframe[column] = None


def _extend(base, new):
    """Appends to list `base` the items of `new` past its length."""
    base.extend(new[len(base):])


class PandasLogger(object):
    """Records a run's statistics in three pandas DataFrames.

    batch_size: int, examples per batch. frequent: int (default 50), a
    'train' row every `frequent` batches; an 'eval' row per evaluation and
    an 'epoch' row (elapsed, epoch_time) per epoch. Train and eval rows
    hold the metric values, batches_per_sec, records_per_sec, elapsed,
    minibatch_count and epoch. ImportError without pandas.
    """

    def __init__(self, batch_size, frequent=50):
        _require(pd, "pandas", "PandasLogger")
        self.batch_size = batch_size
        self.frequent = frequent
        self._dataframes = {name: pd.DataFrame()
                            for name in ("train", "eval", "epoch")}
        self.last_time = time.time()
        self.start_time = datetime.datetime.now()
        self.last_epoch_time = self.start_time

    @property
    def train_df(self):
        """Training rows, one per `frequent` batches."""
        return self._dataframes["train"]

    @property
    def eval_df(self):
        """Evaluation rows, one per evaluation."""
        return self._dataframes["eval"]

    @property
    def epoch_df(self):
        """Timing rows, one per epoch."""
        return self._dataframes["epoch"]

    @property
    def all_dataframes(self):
        """The dict {'train', 'eval', 'epoch'} of DataFrames."""
        return self._dataframes

    def elapsed(self):
        """Time since the logger was made (datetime.timedelta)."""
        return datetime.datetime.now() - self.start_time

    def append_metrics(self, metrics, df_name):
        """Appends the dict `metrics` as a row of DataFrame `df_name`."""
        dataframe = self._dataframes[df_name]
        _add_new_columns(dataframe, metrics)
        dataframe.loc[len(dataframe)] = metrics

    def train_cb(self, param):
        """batch_end_callback: a train row every `frequent` batches."""
        if param.nbatch % self.frequent == 0:
            self._process_batch(param, "train")

    def eval_cb(self, param):
        """eval_end_callback: an eval row."""
        self._process_batch(param, "eval")

    def _process_batch(self, param, df_name):
        now = time.time()
        metrics = {}
        if param.eval_metric is not None:
            metrics = dict(param.eval_metric.get_name_value())
            param.eval_metric.reset()
        try:
            speed = self.frequent / (now - self.last_time)
        except ZeroDivisionError:
            speed = float("inf")
        # MXNet's names, kept though they are swapped (batches vs records).
        metrics["batches_per_sec"] = speed * self.batch_size
        metrics["records_per_sec"] = speed
        metrics["elapsed"] = self.elapsed()
        metrics["minibatch_count"] = param.nbatch
        metrics["epoch"] = param.epoch
        self.append_metrics(metrics, df_name)
        self.last_time = now

    def epoch_cb(self, *args):
        """epoch_end_callback: an epoch row (the arguments are ignored)."""
        now = datetime.datetime.now()
        self.append_metrics({"elapsed": self.elapsed(),
                             "epoch_time": now - self.last_epoch_time},
                            "epoch")
        self.last_epoch_time = now

    def callback_args(self):
        """The fit() keyword arguments that install these callbacks."""
        return {"batch_end_callback": self.train_cb,
                "eval_end_callback": self.eval_cb,
                "epoch_end_callback": self.epoch_cb}


class LiveBokehChart(object):
    """Base of the charts redrawn in a notebook as training runs
    (subclasses define setup_chart and update_chart_data). display_freq:
    seconds between redraws. ImportError without bokeh."""

    def __init__(self, pandas_logger, metric_name, display_freq=10,
                 batch_size=None, frequent=50):
        _require(bokeh, "bokeh", type(self).__name__)
        self.pandas_logger = pandas_logger or PandasLogger(
            batch_size=batch_size, frequent=frequent)
        self.display_freq = display_freq
        self.last_update = time.time()
        self.metric_name = metric_name
        bokeh.io.output_notebook()
        self.handle = self.setup_chart()

    def setup_chart(self):
        """Draws the chart; returns its notebook handle."""
        raise NotImplementedError("Incomplete base class: LiveBokehChart "
                                  "must be sub-classed")

    def update_chart_data(self):
        """Moves new data into the chart."""
        raise NotImplementedError("Incomplete base class: LiveBokehChart "
                                  "must be sub-classed")

    def interval_elapsed(self):
        """Whether display_freq seconds passed since the last redraw."""
        return time.time() - self.last_update > self.display_freq

    def _push_render(self):
        bokeh.io.push_notebook(handle=self.handle)
        self.last_update = time.time()

    def _do_update(self):
        self.update_chart_data()
        self._push_render()

    def batch_cb(self, param):
        """batch_end_callback: redraws when display_freq has passed."""
        if self.interval_elapsed():
            self._do_update()

    def eval_cb(self, param):
        """eval_end_callback: redraws."""
        self._do_update()

    def callback_args(self):
        """The fit() keyword arguments that install these callbacks."""
        return {"batch_end_callback": self.batch_cb,
                "eval_end_callback": self.eval_cb}


class LiveTimeSeries(LiveBokehChart):
    """A line of values against elapsed time; update_chart_data(value)
    adds a point. fig_params go to bokeh.plotting.figure."""

    def __init__(self, **fig_params):
        _require(bokeh, "bokeh", "LiveTimeSeries")
        self.fig = bokeh.plotting.figure(x_axis_type="datetime",
                                         x_axis_label="Elapsed time",
                                         **fig_params)
        super(LiveTimeSeries, self).__init__(None, None)

    def setup_chart(self):
        self.start_time = datetime.datetime.now()
        self.x_axis_val = []
        self.y_axis_val = []
        self.fig.line(self.x_axis_val, self.y_axis_val)
        return bokeh.plotting.show(self.fig, notebook_handle=True)

    def elapsed(self):
        """Time since the chart was drawn (datetime.timedelta)."""
        return datetime.datetime.now() - self.start_time

    def update_chart_data(self, value):
        self.x_axis_val.append(self.elapsed())
        self.y_axis_val.append(value)
        self._push_render()


class LiveLearningCurve(LiveBokehChart):
    """The training and validation values of metric `metric_name` against
    training time; a training point every `frequent` batches."""

    def __init__(self, metric_name, display_freq=10, frequent=50):
        _require(bokeh, "bokeh", "LiveLearningCurve")
        self.frequent = frequent
        self.start_time = datetime.datetime.now()
        self._data = {"train": {"elapsed": []}, "eval": {"elapsed": []}}
        super(LiveLearningCurve, self).__init__(None, metric_name,
                                                display_freq, frequent)

    def setup_chart(self):
        self.fig = bokeh.plotting.figure(x_axis_type="datetime",
                                         x_axis_label="Training time")
        self.x_axis_val1, self.y_axis_val1 = [], []
        self.train1 = self.fig.line(self.x_axis_val1, self.y_axis_val1,
                                    line_dash="dotted", alpha=0.3,
                                    legend_label="train")
        self.train2 = self.fig.circle(self.x_axis_val1, self.y_axis_val1,
                                      size=1.5, line_alpha=0.3,
                                      fill_alpha=0.3, legend_label="train")
        self.train2.visible = False  # shown once there are many points
        self.x_axis_val2, self.y_axis_val2 = [], []
        self.valid1 = self.fig.line(self.x_axis_val2, self.y_axis_val2,
                                    line_color="green", line_width=2,
                                    legend_label="validation")
        self.valid2 = self.fig.circle(self.x_axis_val2, self.y_axis_val2,
                                      line_color="green", line_width=2)
        self.fig.legend.location = "bottom_right"
        self.fig.yaxis.axis_label = self.metric_name
        return bokeh.plotting.show(self.fig, notebook_handle=True)

    def batch_cb(self, param):
        if param.nbatch % self.frequent == 0:
            self._process_batch(param, "train")
        if self.interval_elapsed():
            self._do_update()

    def eval_cb(self, param):
        self._process_batch(param, "eval")
        self._do_update()

    def _process_batch(self, param, df_name):
        metrics = {}
        if param.eval_metric is not None:
            metrics = dict(param.eval_metric.get_name_value())
            param.eval_metric.reset()
        metrics["elapsed"] = datetime.datetime.now() - self.start_time
        for key, value in metrics.items():
            self._data[df_name].setdefault(key, []).append(value)

    def update_chart_data(self):
        for name, xs, ys in (("train", self.x_axis_val1, self.y_axis_val1),
                             ("eval", self.x_axis_val2, self.y_axis_val2)):
            data = self._data[name]
            if data["elapsed"]:
                _extend(xs, data["elapsed"])
                _extend(ys, data[self.metric_name])
        if len(self.x_axis_val1) > 10:
            self.train1.visible = False
            self.train2.visible = True


def args_wrapper(*args):
    """The fit() keyword arguments of several callback objects together:
    {'batch_end_callback': [cb, ...], ...}."""
    out = defaultdict(list)
    for callback in args:
        for key, value in callback.callback_args().items():
            out[key].append(value)
    return dict(out)

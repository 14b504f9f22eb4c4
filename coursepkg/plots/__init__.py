"""The book's one plotting layer.

Static figures (matplotlib; each helper draws into the ``ax``/``axes`` you pass or a new
figure and returns the Figure), in ``static.py`` and ``flow.py``:

- ``plot_activation_grid``: one panel per activation, the function and its derivative.
- ``plot_layer_histograms``, ``plot_layer_distributions``: per-layer histograms.
- ``plot_validation_curves``: validation accuracy per epoch, one line per network.
- ``plot_gradient_flow``, ``rolling_quantiles``: per-layer gradient logs as a rolling
  median with its inter-quartile band, on a log scale.
- ``gradient_table``, ``accuracy_table``, ``dead_neuron_table``: result tables.
- ``layer_names``: the labels the book uses for the layers of a net, numbered from 0.
- ``plot_per_layer``, ``plot_curves``, ``plot_bands`` (``panels.py``): one panel per row
  (at most 6 in wide, readable on a phone) of per-layer values, curves y(x), or the
  median and percentile band of many runs.

Interactive figures (offline JavaScript + SVG, with a static PNG for print), in
``interactive.py`` and ``explorers.py``: ``activation_explorer``,
``gradient_flow_explorer``, ``training_explorer``, built on ``InteractiveFigure``; and in
``lines.py`` the general ``lines_explorer`` (named lines in several charts, toggled, an
optional slider over named settings) of the chapters after *Deeper networks*.
Nothing here solves an exercise: the helpers take the values to draw as arguments.
"""
from .explorers import ZOO, activation_explorer, gradient_flow_explorer, training_explorer
from .flow import layer_colours, plot_gradient_flow, rolling_quantiles
from .interactive import InteractiveFigure, compact
from .lines import lines_explorer
from .panels import plot_bands, plot_curves, plot_per_layer
from .static import (
    accuracy_table,
    dead_neuron_table,
    gradient_table,
    layer_names,
    plot_activation_grid,
    plot_layer_distributions,
    plot_layer_histograms,
    plot_validation_curves,
)

__all__ = ["plot_activation_grid", "plot_layer_histograms", "plot_layer_distributions",
           "plot_validation_curves", "gradient_table", "accuracy_table", "dead_neuron_table",
           "layer_names", "plot_gradient_flow", "rolling_quantiles", "layer_colours",
           "InteractiveFigure", "compact", "activation_explorer", "gradient_flow_explorer",
           "training_explorer", "ZOO", "plot_per_layer", "plot_curves", "plot_bands",
           "lines_explorer"]

"""Independent stress worlds for camg_bayes (see :mod:`benchmarks.worlds.engine`)."""

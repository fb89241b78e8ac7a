"""Metrics and evaluators. Importing this package registers them in
:data:`mmcae.registry.METRICS`."""

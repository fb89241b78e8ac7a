"""Training machinery: hooks, optimizer-wrapper constructors, loops.
Importing this package registers them in the matching mmcae registries."""

"""The demo benchmarks behind ``tools/benchmark/``.

Pretrained vs random encoder (``tools/benchmark/pretrained_vs_random.py``,
one sub-command each):

* :mod:`.classification`: linear probe, attentive probe and fine-tuning
  (the CAE papers' Table 1 protocols) on the demo ImageNet set;
* :mod:`.segmentation`: UperNet on the demo ADE20K scenes;
* :mod:`.detection`: Mask R-CNN on the demo COCO set;
* :mod:`.ccmim` and :mod:`.unissl`: a short pretraining of the algorithm
  from saved initial weights, its loss terms before / after on fixed
  inputs, then the classification probes of its encoder
  (:mod:`.pretraining` holds what the two share).

Step time (``tools/benchmark/step_time.py``, :mod:`.step_time`): training
steps of two or more models at equal size and batch, each in its own
process.

Each benchmark module offers ``add_arguments(parser)``,
``check_arguments(args)`` (raises :class:`~mmcae.utils.errors.UserError`)
and ``run(args) -> int`` (the exit status); :mod:`.cli` turns a set of
them into one command line with sub-commands.
"""

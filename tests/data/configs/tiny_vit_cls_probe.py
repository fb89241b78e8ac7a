# tiny_vit_cls.py plus a hook (tests/data/probe_hooks.py, found through
# PYTHONPATH=tests/data) that records the state a resumed run starts from.
_base_ = ['./tiny_vit_cls.py']

custom_imports = dict(imports=['probe_hooks'], allow_failed_imports=False)
custom_hooks = [dict(type='mmcae.ResumeProbeHook')]

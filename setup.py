"""mmcae packaging. Install the whole stack with ``bash tools/install.sh``:
mmcv 2.1.0 needs a patched source build on torch 2.14 that pip alone cannot
do (see the script)."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    with open(osp.join(HERE, 'mmcae', 'version.py')) as f:
        return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/<name>.txt, without comments."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='mmcae',
    version=read_version(),
    description='CAE-style self-supervised ViT pretraining and its '
    'downstream benchmark on the OpenMMLab stack',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'tests.*')),
    include_package_data=True,
    install_requires=read_requirements('runtime'),
    extras_require=dict(
        tests=read_requirements('tests'),
        optional=read_requirements('optional'),
        # logging backends of mmengine's visualizer (visualizer.vis_backends:
        # TensorboardVisBackend, WandbVisBackend): pip install -e .[wandb]
        tensorboard=['tensorboard'],
        wandb=['wandb'],
    ),
    zip_safe=False,
)

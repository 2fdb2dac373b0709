"""The package's version is the suite's: ../VERSION when built from the source tree,
else the _version.py that a build from the tree wrote (an sdist)."""
import os
from setuptools import setup

here = os.path.dirname(os.path.abspath(__file__))
suite_version = os.path.join(here, '..', 'VERSION')
version_py = os.path.join(here, 'plmscope', '_version.py')
if os.path.exists(suite_version):
    with open(suite_version) as f:
        version = f.read().strip()
    with open(version_py, 'w') as f:
        f.write('# written by setup.py from the suite\'s VERSION file\n__version__ = %r\n' % version)
else:
    with open(version_py) as f:
        version = f.read().split('=')[1].strip().strip('\'"')
setup(version=version)

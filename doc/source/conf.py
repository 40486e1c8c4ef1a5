# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Sphinx configuration of the cinder-ngxstorage documentation.

Every build regenerates the configuration samples from the code:

* ``_static/cinder-ngxstorage.conf.sample``: ``oslo-config-generator``
  with ``etc/oslo-config-generator/cinder-ngxstorage.conf`` (the
  ``cinder_ngxstorage`` namespace), through ``oslo_config.sphinxconfiggen``;
* ``_static/backend-section.conf.sample``: a complete backend section made
  by ``tools/generate_config_sample.py`` from the driver's options;
* ``_static/api-permissions.txt``: the API key permissions the driver
  uses, read from its calls by the same tool.

Both are ignored by git: nothing in the docs is a hand-kept copy of an
option.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

extensions = [
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'openstackdocstheme',
]

project = 'cinder-ngxstorage'
copyright = '2026, cinder-ngxstorage developers'
master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = ['simulator-model.rst']
pygments_style = 'sphinx'

# oslo_config.sphinxconfiggen: regenerate the namespace sample.
config_generator_config_file = [
    (os.path.join(ROOT, 'etc', 'oslo-config-generator',
                  'cinder-ngxstorage.conf'),
     '_static/cinder-ngxstorage'),
]

# openstackdocstheme (works offline; the repository name feeds its links).
html_theme = 'openstackdocs'
openstackdocs_repo_name = 'x/cinder-ngxstorage'
openstackdocs_bug_project = 'cinder-ngxstorage'
openstackdocs_bug_tag = 'docs'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False
# The theme's default analytics code is openstack.org's: not for this site.
html_theme_options = {'analytics_tracking_code': ''}
html_last_updated_fmt = '%Y-%m-%d'


def _write_backend_sample(app):
    """builder-inited: write the backend sample and the permission list."""
    import generate_config_sample
    static = os.path.join(app.srcdir, '_static')
    os.makedirs(static, exist_ok=True)
    generate_config_sample.main(
        [os.path.join(static, 'backend-section.conf.sample')])
    generate_config_sample.main(
        ['--permissions', os.path.join(static, 'api-permissions.txt')])


def setup(app):
    """Regenerate the generated files on every build."""
    app.connect('builder-inited', _write_backend_sample)
